"""case_status on all three stores: incremental application, "my cases",
exactly-once tracking and a rebuild equal to the incremental result."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.business import SubmitBusinessInquiry
from ihanoi_core.commands.reports import AcknowledgeReport, AssignReport, SubmitReport
from ihanoi_core.commands.values import LocationIn
from ihanoi_core.domain.business_values import BusinessKind
from ihanoi_core.domain.values import Principal, Role
from ihanoi_projections.case_status import CaseStatusModel
from ihanoi_projections.engine.base import micros
from ihanoi_projections.engine.database import AlreadyAppliedError, Tracked, ViewDatabase
from ihanoi_projections.engine.projector import Projector
from tests.conftest import FakeClock
from tests.integration.conftest import projection_context

HOAN_KIEM = LocationIn(ward="HOAN_KIEM")


def model_for(app: Ihanoi, views: ViewDatabase) -> CaseStatusModel:
    return CaseStatusModel(views, projection_context(app))


def test_case_status_follows_each_change_and_lists_a_citizens_cases(
    app: Ihanoi, views: ViewDatabase, citizen: Principal, other_citizen: Principal, clock: FakeClock
) -> None:
    model = model_for(app, views)
    projector = Projector(app, views, [model], batch_size=3)
    officer = Principal("o-1", Role.OFFICER, app.directory.route("pothole", "HOAN_KIEM").code)

    # Step: two citizens file reports; one is acknowledged and assigned.
    mine = [
        app.handle(citizen, SubmitReport(category="pothole", description=f"Ổ gà {n}", location=HOAN_KIEM))
        for n in range(3)
    ]
    theirs = app.handle(other_citizen, SubmitReport(category="pothole", description="x", location=HOAN_KIEM))
    clock.advance(hours=1)
    app.handle(officer, AcknowledgeReport(case=mine[0].case_id))
    last = app.handle(officer, AssignReport(case=mine[0].case_id, assignee="o-1"))

    # Step: the projector catches up in small batches and reaches the last position.
    assert projector.catch_up() > 0
    assert projector.wait(last.position, timeout=0)
    row = model.get(mine[0].case_id)
    assert row is not None
    assert (row.status, row.assignee, row.version, row.position) == ("assigned", "o-1", 3, last.position)
    assert row.due_at == app.get_case(officer, mine[0].case_id)["due_at"]
    assert model.get_by_code(mine[1].code) is not None

    # Step: "my cases" lists only the citizen's own cases, newest first, in pages.
    first_page = model.list_for_owner(citizen.subject, limit=2)
    assert first_page[0].case_id == mine[0].case_id
    updated = micros(first_page[-1].updated_at)
    assert updated is not None
    cursor = (updated, str(first_page[-1].case_id))
    second_page = model.list_for_owner(citizen.subject, limit=2, before=cursor)
    listed = {r.case_id for r in first_page + second_page}
    assert listed == {m.case_id for m in mine}
    assert theirs.case_id not in listed
    # The table stores no subject id.
    assert citizen.subject not in str(model.rows())


def test_a_batch_already_applied_is_refused_and_a_rebuild_gives_the_same_rows(
    app: Ihanoi, views: ViewDatabase, citizen: Principal
) -> None:
    for n in range(7):
        app.handle(citizen, SubmitReport(category="pothole", description=f"{n}", location=HOAN_KIEM))
    model = model_for(app, views)
    projector = Projector(app, views, [model], batch_size=4)
    projector.catch_up()
    incremental = model.rows()
    position = projector.position

    # Step: recording the same position again fails and rolls back its writes.
    def apply_again() -> None:
        with views.transaction() as cursor:
            cursor.execute("DELETE FROM view_case_status")
            cursor.record_position("case_status", position, 0.0, 0)

    with pytest.raises(AlreadyAppliedError):
        apply_again()
    assert model.rows() == incremental

    # Step: a rebuild from zero reproduces the table row for row.
    projector.reset()
    assert model.rows() == []
    projector.catch_up()
    assert model.rows() == incremental
    assert projector.position == position


@pytest.mark.parametrize("pipelined", [False, True])
def test_the_positions_of_one_batch_move_together_or_not_at_all(views: ViewDatabase, pipelined: bool) -> None:
    views.create(())
    # Step: two read models move forward in one statement, each adding its events to its count.
    for position, now, events in ((10, 1.0, (4, 6)), (12, 2.0, (1, 2))):
        with views.transaction(pipelined=pipelined) as cursor:
            cursor.record_positions([("case_status", position, now, events[0]), ("worklist", position, now, events[1])])
    moved = {"case_status": Tracked(12, 2.0, 5), "worklist": Tracked(12, 2.0, 8)}
    assert views.tracked() == moved

    # Step: one of them is already at the new position: the error names it, and
    # the transaction rolls back the other's move and the writes before it.
    def batch(rows: list[tuple[str, int, float, int]], moves: list[tuple[str, int, float, int]]) -> None:
        write = "INSERT INTO projection_tracking (name, position, updated_at, events) VALUES (?, ?, ?, ?)"
        with views.transaction(pipelined=pipelined) as cursor:
            cursor.executemany(write, rows)
            cursor.record_positions(moves)

    with pytest.raises(AlreadyAppliedError) as refused:
        batch([("public_reports", 15, 3.0, 2)], [("case_status", 15, 3.0, 3), ("worklist", 12, 3.0, 1)])
    assert (refused.value.name, refused.value.position) == ("worklist", 12)
    assert views.tracked() == moved

    # Step: a write that fails (here a second row of one name) fails the whole
    # transaction, wherever its error surfaces (pipelined: after the statements sent on).
    with pytest.raises((sqlite3.IntegrityError, psycopg.IntegrityError)):
        batch([("public_reports", 15, 3.0, 2), ("case_status", 15, 3.0, 2)], [("survey_results", 15, 3.0, 2)])
    assert views.tracked() == moved


def test_a_business_inquiry_is_in_no_one_s_my_cases_even_in_a_row_written_with_an_owner_hash(
    app: Ihanoi, views: ViewDatabase, citizen: Principal
) -> None:
    person = Principal(citizen.subject, Role.BUSINESS, "0100109106")
    filing = SubmitBusinessInquiry(tax_code="0100109106", business_kind=BusinessKind.HOUSEHOLD, topic="tax_fees",
                                   text="Hỏi thuế khoán")  # fmt: skip
    inquiry = app.handle(person, filing)
    report = app.handle(citizen, SubmitReport(category="pothole", description="Ổ gà", location=HOAN_KIEM))
    model = model_for(app, views)
    Projector(app, views, [model]).catch_up()
    # Step: the inquiry's row holds no owner hash; the person's "my cases" holds their report only.
    rows = {row["case_id"]: row for row in model.rows()}
    assert rows[str(inquiry.case_id)]["owner_key"] is None
    assert rows[str(report.case_id)]["owner_key"] is not None
    assert [r.case_id for r in model.list_for_owner(citizen.subject)] == [report.case_id]
    # Step: a row an earlier version wrote with the filer's hash is still left out.
    with views.transaction() as cursor:
        cursor.execute("UPDATE view_case_status SET owner_key = ? WHERE case_id = ?",
                       (rows[str(report.case_id)]["owner_key"], str(inquiry.case_id)))  # fmt: skip
    assert [r.case_id for r in model.list_for_owner(citizen.subject)] == [report.case_id]
