"""Per-official working hours to resolve, ratings and reopen rate (issue #16,
item 3), on every store: a small scenario whose figures are counted by hand,
and a rebuild from zero that equals the live model.

Office hours 08:00–12:00 and 13:00–17:00 (Asia/Ho_Chi_Minh), Monday to
Friday; working hours run from the report's receipt. Percentiles by nearest
rank: the p-th is the ⌈p·n/100⌉-th smallest of n values.
"""

from __future__ import annotations

import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.reports import AcknowledgeReport, AssignReport, RateReport, ReopenReport, ResolveReport
from ihanoi_core.domain.values import Principal, Priority, Role
from ihanoi_core.settings import Settings
from ihanoi_projections.deadlines.accountability import AccountabilityModel
from ihanoi_projections.deadlines.clocks import DeadlineClocksModel
from ihanoi_projections.deadlines.resolutions import NO_RESOLUTIONS, ResolutionFigures
from ihanoi_projections.queries import Queries
from ihanoi_projections.read_side import ReadSide
from tests.conftest import FakeClock, staff
from tests.integration.test_deadline_watcher import file_report, hanoi

AN, BINH = "officer-an", "officer-binh"
# The work overdue now is read from the running clocks.
MODELS = [DeadlineClocksModel.name, AccountabilityModel.name]


def test_hours_ratings_and_reopens_per_official_are_those_counted_by_hand(
    app: Ihanoi, settings: Settings, clock: FakeClock, citizen: Principal
) -> None:
    side = ReadSide(app, settings, names=MODELS, start=False)
    officer = staff(Role.OFFICER, "UBND_HOAN_KIEM")

    def at(day: int, hour: int, minute: int = 0) -> None:
        clock.set(hanoi(2026, 11 if day == 30 else 12, day, hour, minute))

    try:
        # Step: Monday 2026-11-30 08:00 (the office opens), five reports filed,
        # acknowledged and assigned: R1–R3 to An, R4–R5 to Bình.
        at(30, 8)
        reports = [file_report(app, citizen, side) for _ in range(5)]
        for index, case_id in enumerate(reports):
            app.handle(officer, AcknowledgeReport(case=case_id, priority=Priority.NORMAL))
            app.handle(officer, AssignReport(case=case_id, assignee=AN if index < 3 else BINH))
        r1, r2, r3, r4, r5 = reports
        side.catch_up()

        # Step: the resolutions, in working hours from Monday 08:00:
        #   R1 by An,   Monday 10:00                       →  2 h
        #   R4 by Bình, Monday 12:30 (lunch does not count) →  4 h
        #   R2 by An,   Monday 14:30: 4 h + 1 h 30          →  5.5 h
        #   R3 by An,   Tuesday 09:20: 8 h + 1 h 20         →  9.3333 h (9 h 20 min)
        #   R5 by Bình, Wednesday 08:00: 8 h + 8 h          → 16 h
        # each followed by a catch-up, so ratings below land on rows of earlier batches.
        for moment, case_id in (((30, 10), r1), ((30, 12, 30), r4), ((30, 14, 30), r2), ((1, 9, 20), r3), ((2, 8), r5)):
            at(*moment)
            app.handle(officer, ResolveReport(case=case_id, answer="Đã vá"))
            side.catch_up()

        # Step: Wednesday 09:00 the citizen rates R1 5, R2 2 and R4 5 (R3 and R5
        # stay unrated), then reopens R2: Bình takes it and resolves it again at
        # 11:00 — 8 h + 8 h + 3 h = 19 h from receipt — and it is rated 3.
        # Reopening, reassigning, resolving and rating run in one batch.
        at(2, 9)
        for case_id, stars in ((r1, 5), (r2, 2), (r4, 5)):
            app.handle(citizen, RateReport(case=case_id, stars=stars))
        side.catch_up()
        at(2, 10)
        app.handle(citizen, ReopenReport(case=r2, reason="Vẫn còn ổ gà"))
        app.handle(officer, AssignReport(case=r2, assignee=BINH))
        at(2, 11)
        app.handle(officer, ResolveReport(case=r2, answer="Đã vá lại"))
        app.handle(citizen, RateReport(case=r2, stars=3))
        side.catch_up()

        # Step: the figures, by hand.
        #   An:   R1 2 h, R2 5.5 h (reopened), R3 9.3333 h; n = 3: median the
        #         ⌈1.5⌉ = 2nd = 5.5 h, p90 the ⌈2.7⌉ = 3rd = 9.3333 h; rated
        #         R1 5 and R2 2: 2 ratings, mean 3.5; reopened 1 of 3 = 0.3333.
        #   Bình: R4 4 h, R5 16 h, R2 again 19 h; median the 2nd = 16 h, p90
        #         the 3rd = 19 h; rated R4 5 and R2 3: mean 4.0; reopened 0 of 3.
        #   Agency: 2, 4, 5.5, 9.3333, 16, 19 h; median the ⌈3⌉ = 3rd = 5.5 h,
        #         p90 the ⌈5.4⌉ = 6th = 19 h; ratings 5, 2, 5, 3: 4, mean 15 / 4
        #         = 3.75; reopened 1 of 6 = 0.1667.
        leader = staff(Role.LEADER, "UBND_HOAN_KIEM")
        figures = {f.official: f for f in Queries(app, side).accountability(leader)}
        assert figures[AN].resolutions == ResolutionFigures(5.5, 9.3333, 2, 3.5, 1, 0.3333)
        assert figures[BINH].resolutions == ResolutionFigures(16.0, 19.0, 2, 4.0, 0, 0.0)
        assert figures[""].resolutions == ResolutionFigures(5.5, 19.0, 4, 3.75, 1, 0.1667)
        # The counters agree: six resolutions, all within their 5 working days.
        assert (figures[""].resolved_on_time, figures[""].resolved_late) == (6, 0)
        # An agency that resolved nothing has no hours, ratings or reopen rate.
        auditor = Principal("auditor-1", Role.AUDITOR)
        assert Queries(app, side).accountability(auditor, "UBND_BA_DINH")[0].resolutions == NO_RESOLUTIONS
        live = side.model(AccountabilityModel).rows()
    finally:
        side.close()

    # Step: emptied and rebuilt from the log in one pass, the model is the live one row for row.
    rebuilt = ReadSide(app, settings, names=MODELS, start=False)
    try:
        rebuilt.projector.reset()
        rebuilt.catch_up()
        assert rebuilt.model(AccountabilityModel).rows() == live
    finally:
        rebuilt.close()


@pytest.mark.parametrize(
    ("seconds", "median", "p90"),
    [
        # n = 10: median the 5th, p90 the 9th (⌈9.0⌉, not the 10th).
        ([3600 * h for h in range(1, 11)], 5.0, 9.0),
        # n = 1: every percentile is the one value.
        ([1800], 0.5, 0.5),
        # n = 2: the median is the lower middle value, p90 the ⌈1.8⌉ = 2nd.
        ([7200, 3600], 1.0, 2.0),
    ],
)
def test_percentiles_are_nearest_rank(seconds: list[int], median: float, p90: float) -> None:
    rows = [{"seconds": s, "rating": None, "reopened": 0} for s in seconds]
    figures = ResolutionFigures.of(rows)
    assert (figures.median_hours_to_resolve, figures.p90_hours_to_resolve) == (median, p90)
    assert (figures.rated, figures.average_rating, figures.reopen_rate) == (0, None, 0.0)
