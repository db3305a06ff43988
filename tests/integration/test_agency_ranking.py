"""The monthly ranking of agencies (issue #16): counted by hand for a small
December, under the minimum-volume rule, and a rebuild from zero equals the
model built as the events came.

Scenario (office hours 08:00–12:00, 13:00–17:00). Monday 2026-11-30 09:00,
reports acknowledged as normal (5 working days: due Monday 12-07 09:00):
three in Hoàn Kiếm, two in Ba Đình, one in Cửa Nam. Hoàn Kiếm resolves R1 on
Tuesday 12-01 and R2 on Wednesday 12-02, on time, R3 on Tuesday 12-08 10:00,
late; before that the watcher recorded R3's miss (12-07 09:00) and its
escalation (8 working hours later, 12-08 09:00). Ba Đình and Cửa Nam resolve
theirs on Tuesday 12-01, on time.

December: Hoàn Kiếm finished 3, 2 on time, 1 late: 2/3 = 0.6667; 1 missed, 1
escalation caused. Ba Đình 2 of 2: 1.0. Cửa Nam 1 of 1: below a minimum of 2,
withheld. November: nothing finished.

Business inquiries count like the others (their answer deadline is a legal
clock the watcher also holds them to): the Department of Finance answers one
twice — on time, then on time again after a follow-up opened it with a new
clock — and another one late: 3 finished, 2 on time, 0.6667.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.business import AnswerInquiry, AskFollowUp, SubmitBusinessInquiry
from ihanoi_core.commands.reports import AcknowledgeReport, AssignReport, ResolveReport, SubmitReport
from ihanoi_core.commands.values import LocationIn
from ihanoi_core.domain.business_values import BusinessKind
from ihanoi_core.domain.values import Principal, Priority, Role
from ihanoi_core.errors import ValidationError
from ihanoi_core.settings import Settings
from ihanoi_projections.deadlines.clocks import DeadlineClocksModel
from ihanoi_projections.deadlines.ranking import AgencyRankingModel
from ihanoi_projections.deadlines.watcher import Watcher
from ihanoi_projections.engine.rebuild import rebuild
from ihanoi_projections.read_side import ReadSide
from tests.conftest import FakeClock, staff
from tests.integration.test_deadline_watcher import hanoi

WARDS = {
    "UBND_HOAN_KIEM": LocationIn(ward="HOAN_KIEM", latitude=21.0285, longitude=105.8542, address="Hàng Bài"),
    "UBND_BA_DINH": LocationIn(ward="BA_DINH", latitude=21.0340, longitude=105.8400, address="Đội Cấn"),
    "UBND_CUA_NAM": LocationIn(ward="CUA_NAM", latitude=21.0260, longitude=105.8420, address="Cửa Nam"),
}


@pytest.fixture
def side(app: Ihanoi, settings: Settings) -> Iterator[ReadSide]:
    read_side = ReadSide(app, settings, names=[DeadlineClocksModel.name, AgencyRankingModel.name], start=False)
    yield read_side
    read_side.close()


def december(app: Ihanoi, clock: FakeClock, citizen: Principal, side: ReadSide) -> None:
    clock.set(hanoi(2026, 11, 30, 9))
    cases: dict[str, list[str]] = {}
    for agency, count in (("UBND_HOAN_KIEM", 3), ("UBND_BA_DINH", 2), ("UBND_CUA_NAM", 1)):
        for _ in range(count):
            filed = app.handle(citizen, SubmitReport(category="pothole", description="Ổ gà", location=WARDS[agency]))
            assert app.get_case(citizen, filed.case_id)["agency"] == agency
            app.handle(staff(Role.OFFICER, agency), AcknowledgeReport(case=filed.case_id, priority=Priority.NORMAL))
            app.handle(staff(Role.OFFICER, agency), AssignReport(case=filed.case_id, assignee=f"officer-{agency}"))
            cases.setdefault(agency, []).append(str(filed.case_id))
    hk, bd, cn = cases["UBND_HOAN_KIEM"], cases["UBND_BA_DINH"], cases["UBND_CUA_NAM"]
    clock.set(hanoi(2026, 12, 1, 10))
    for agency, case_id in [("UBND_HOAN_KIEM", hk[0]), *(("UBND_BA_DINH", c) for c in bd), ("UBND_CUA_NAM", cn[0])]:
        app.handle(staff(Role.OFFICER, agency), ResolveReport(case=case_id, answer="Đã vá"))
    clock.set(hanoi(2026, 12, 2, 10))
    app.handle(staff(Role.OFFICER, "UBND_HOAN_KIEM"), ResolveReport(case=hk[1], answer="Đã vá"))
    side.catch_up()
    clock.set(hanoi(2026, 12, 8, 9, 30))
    watcher = Watcher(app, side.model(DeadlineClocksModel), lambda _p: side.catch_up(), clock=clock)
    assert [d.threshold for d in watcher.run_once()][-2:] == ["missed", "escalation"]
    clock.set(hanoi(2026, 12, 8, 10))
    late = ResolveReport(case=hk[2], answer="Đã vá", late_explanation="Chờ vật tư")
    app.handle(staff(Role.OFFICER, "UBND_HOAN_KIEM"), late)
    side.catch_up()


def test_the_monthly_ranking_is_the_one_counted_by_hand_and_a_rebuild_equals_it(
    app: Ihanoi, settings: Settings, clock: FakeClock, citizen: Principal, side: ReadSide, store: str
) -> None:
    december(app, clock, citizen, side)
    model = side.model(AgencyRankingModel)

    # Step: a minimum of two: Ba Đình first (1.0), Hoàn Kiếm second (0.6667), Cửa Nam withheld.
    found = model.ranking("2026-12", 2, app.directory)
    shown = [
        (a.agency, a.rank, a.finished, a.finished_on_time, a.finished_late, a.on_time_rate, a.missed,
         a.escalations_caused)
        for a in found.agencies
    ]  # fmt: skip
    assert shown == [
        ("UBND_BA_DINH", 1, 2, 2, 0, 1.0, 0, 0),
        ("UBND_HOAN_KIEM", 2, 3, 2, 1, 0.6667, 1, 1),
        ("UBND_CUA_NAM", None, None, None, None, None, None, None),
    ]
    assert [a.withheld for a in found.agencies] == [False, False, True]
    assert found.agencies[0].name == "Ủy ban nhân dân phường Ba Đình"

    # Step: a minimum of three leaves Hoàn Kiếm alone, first; November finished nothing.
    assert [(a.agency, a.rank) for a in model.ranking("2026-12", 3, app.directory).agencies] == [
        ("UBND_HOAN_KIEM", 1),
        ("UBND_BA_DINH", None),
        ("UBND_CUA_NAM", None),
    ]
    assert model.ranking("2026-11", 1, app.directory).agencies == []
    with pytest.raises(ValidationError):
        model.ranking("2026-13", 1, app.directory)

    # Step: rebuilt from zero, the model holds the same rows.
    live = model.rows()
    if store == "memory":
        fresh = ReadSide(app, settings, names=[AgencyRankingModel.name], start=False)
        try:
            fresh.catch_up()
            assert fresh.model(AgencyRankingModel).rows() == live
        finally:
            fresh.close()
    else:
        rebuild(app, settings, [AgencyRankingModel.name], jobs=1)
        assert model.rows() == live


def test_business_inquiries_answered_count_in_the_ranking_once_per_answer(
    app: Ihanoi, clock: FakeClock, side: ReadSide
) -> None:
    person = Principal("vneid:001088000111", Role.BUSINESS, "0100109106")
    officer = staff(Role.OFFICER, "STC")
    basis = "Thông tư số 40/2021/TT-BTC, Điều 7"
    # Step: filed Monday 2026-11-30 09:00, due ten working days later (Monday 12-14 09:00).
    clock.set(hanoi(2026, 11, 30, 9))
    filing = SubmitBusinessInquiry(tax_code="0100109106", business_kind=BusinessKind.HOUSEHOLD, topic="tax_fees",
                                   text="Hỏi thuế khoán")  # fmt: skip
    first, second = (app.handle(person, filing).case_id for _ in range(2))
    assert app.get_case(officer, second)["due_at"] == hanoi(2026, 12, 14, 9)
    # Step: the first answered on time, asked again (a new clock), answered on time again; the second late.
    clock.set(hanoi(2026, 12, 1, 10))
    app.handle(officer, AnswerInquiry(case=first, answer="Theo thông báo thuế", legal_basis=basis))
    clock.set(hanoi(2026, 12, 2, 10))
    app.handle(person, AskFollowUp(case=first, text="Kê khai vào tháng nào?"))
    clock.set(hanoi(2026, 12, 3, 10))
    app.handle(officer, AnswerInquiry(case=first, answer="Tháng 12", legal_basis=basis))
    clock.set(hanoi(2026, 12, 15, 10))
    late = AnswerInquiry(case=second, answer="Theo thông báo thuế", legal_basis=basis, late_explanation="Chờ Cục Thuế")
    app.handle(officer, late)
    side.catch_up()
    model = side.model(AgencyRankingModel)
    [stc] = model.ranking("2026-12", 1, app.directory).agencies
    assert (stc.agency, stc.rank, stc.finished, stc.finished_on_time, stc.finished_late, stc.on_time_rate) == (
        "STC",
        1,
        3,
        2,
        1,
        0.6667,
    )
    assert model.ranking("2026-11", 1, app.directory).agencies == []
