"""An escalated case on the worklist of the agency it was escalated to (issue
#16): marked escalated, due at the co-owner's own deadline; the co-owner's
staff may act on it, as the handling agency's may; another agency sees nothing.

Hand count (office hours 08:00–12:00, 13:00–17:00): a report filed Friday
2026-12-04 14:00 is due for acknowledgement 8 h later, Monday 12-07 14:00
(Friday 3 h, Monday 4 h + 1 h); escalated 8 h after that, Tuesday 12-08 14:00
(Monday 3 h, Tuesday 4 h + 1 h); the city's own deadline is 5 working days
(40 h) from then: Tuesday 3 h, Wednesday to Friday 24 h, Monday 12-14 8 h,
Tuesday 12-15 4 h + 1 h → Tuesday 12-15 14:00.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.reports import AcknowledgeReport, CommentReport, SubmitReport
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import CaseNotFoundError
from ihanoi_core.settings import Settings
from ihanoi_projections.deadlines.clocks import DeadlineClocksModel
from ihanoi_projections.deadlines.watcher import Watcher
from ihanoi_projections.engine.rebuild import rebuild
from ihanoi_projections.queries import Queries
from ihanoi_projections.read_side import ReadSide
from ihanoi_projections.worklist import WorklistModel
from tests.conftest import FakeClock, staff
from tests.integration.test_deadline_watcher import HOAN_KIEM, hanoi

WARD, CITY = "UBND_HOAN_KIEM", "UBND_TP"


@pytest.fixture
def side(app: Ihanoi, settings: Settings) -> Iterator[ReadSide]:
    read_side = ReadSide(app, settings, names=[DeadlineClocksModel.name, WorklistModel.name], start=False)
    yield read_side
    read_side.close()


def assert_rebuild_equals_live(app: Ihanoi, settings: Settings, side: ReadSide, store: str) -> None:
    names = [WorklistModel.name, DeadlineClocksModel.name]
    live = {name: side.models[name].rows() for name in names}  # type: ignore[attr-defined]
    assert any(row.get("responsible_agency") for row in live[WorklistModel.name])
    if store == "memory":
        fresh = ReadSide(app, settings, names=names, start=False)
        try:
            fresh.catch_up()
            assert {name: fresh.models[name].rows() for name in names} == live  # type: ignore[attr-defined]
        finally:
            fresh.close()
    else:
        rebuild(app, settings, names, jobs=1)
        assert {name: side.models[name].rows() for name in names} == live  # type: ignore[attr-defined]


def test_the_city_has_the_escalated_report_on_its_worklist_and_may_act_on_it(
    app: Ihanoi, settings: Settings, clock: FakeClock, citizen: Principal, side: ReadSide, store: str
) -> None:
    watcher = Watcher(app, side.model(DeadlineClocksModel), lambda _p: side.catch_up(), clock=clock)
    queries = Queries(app, side)
    city_officer, ward_officer = staff(Role.OFFICER, CITY), staff(Role.OFFICER, WARD)

    # Step: filed Friday 14:00; before the escalation the city's worklist is empty.
    clock.set(hanoi(2026, 12, 4, 14))
    filed = app.handle(citizen, SubmitReport(category="pothole", description="Ổ gà sâu", location=HOAN_KIEM))
    side.catch_up()
    clock.set(hanoi(2026, 12, 8, 13, 59))
    watcher.run_once()
    side.catch_up()
    assert queries.worklist(city_officer) == []

    # Step: escalated Tuesday 14:00: on the city's worklist, marked, due at its own deadline.
    clock.set(hanoi(2026, 12, 8, 14))
    watcher.run_once()
    side.catch_up()
    (item,) = queries.worklist(city_officer)
    assert (item.case_id, item.escalated, item.agency, item.assignee) == (filed.case_id, True, WARD, None)
    assert (item.due_at, item.case_due_at) == (hanoi(2026, 12, 15, 14), hanoi(2026, 12, 7, 14))
    assert (item.overdue, item.near_due) == (False, False)
    # The ward's own item is unchanged: its own deadline, overdue, not escalated.
    (own,) = queries.worklist(ward_officer)
    assert (own.escalated, own.due_at, own.overdue, own.case_due_at) == (False, hanoi(2026, 12, 7, 14), True, None)
    # Nobody of the city holds it: one assignee's worklist leaves it out.
    assert queries.worklist(city_officer, assignee="me") == []

    # Step: rebuilt from zero, the worklist and the running clocks hold the same rows.
    assert_rebuild_equals_live(app, settings, side, store)

    # Step: Tuesday 12-15 13:00 it is near due (one working hour left of the city's time).
    clock.set(hanoi(2026, 12, 15, 13))
    (item,) = queries.worklist(city_officer)
    assert (item.overdue, item.near_due) == (False, True)

    # Step: the city's staff act on it (a co-owner, not a reader only); another ward's see nothing.
    app.handle(city_officer, CommentReport(case=filed.case_id, note="Thành phố đôn đốc phường xử lý"))
    with pytest.raises(CaseNotFoundError):
        app.handle(staff(Role.OFFICER, "UBND_BA_DINH"), CommentReport(case=filed.case_id, note="?"))
    side.catch_up()
    assert [i.case_id for i in queries.worklist(staff(Role.OFFICER, "UBND_BA_DINH"))] == []

    # Step: the city acknowledges it for the ward (the ward stays responsible):
    # the overdue step is done, the co-owner's clock stops with it and the case
    # leaves the city's worklist (the city stays a co-owner and sees it).
    app.handle(city_officer, AcknowledgeReport(case=filed.case_id))
    side.catch_up()
    assert queries.worklist(city_officer) == []
    assert app.get_case(city_officer, str(filed.case_id))["agency"] == WARD
