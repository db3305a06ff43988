"""worklist: each agency's open work, ordered by due time.

A case is on the worklist while it is not final and a deadline is running on
it (a report awaiting acknowledgement or resolution, a dossier being
processed, a complaint awaiting acceptance or decision). Cases waiting on the
citizen (a paused dossier) or on nobody (a resolved report in its reopen
window, a survey) carry no due time and drop off. "Overdue" and "near due" are
computed at query time from the stored due time — never stored.

An agency a case was escalated to for being overdue (a co-owner, issue #16)
has the case on its worklist too, marked ``escalated``, due at its own
deadline (``view_worklist_escalated``, one row per case and co-owner while the
co-owner's clock runs: see ``ihanoi_core.domain.running_clocks``). Its rows
have no assignee: the co-owner's own staff take it up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from ihanoi_core.domain.case import Case
from ihanoi_projections.case_status import summary_of
from ihanoi_projections.engine.base import LatestStateModel, ReplacedRows, ViewTable, from_micros, micros
from ihanoi_projections.engine.database import Cursor, Row
from ihanoi_projections.engine.rows import from_row

# What both tables hold of the case and the item, beside who holds it.
ITEM_COLUMNS = {
    "kind": "TEXT NOT NULL",
    "code": "TEXT NOT NULL",
    "status": "TEXT NOT NULL",
    "priority": "TEXT",
    "summary": "TEXT NOT NULL",
    "due_at": "BIGINT NOT NULL",
}
VIEW_TABLE = ViewTable(
    "view_worklist",
    {
        "case_id": "TEXT PRIMARY KEY",
        "agency": "TEXT NOT NULL",
        "assignee": "TEXT",
        **ITEM_COLUMNS,
        "updated_at": "BIGINT NOT NULL",
    },
    indexes={"agency_due": "agency, due_at, case_id"},
)
NEAR_DUE_OFFICE_SECONDS = 8 * 3600  # one working day
ESCALATED_TABLE = ViewTable(
    "view_worklist_escalated",
    {
        "case_id": "TEXT NOT NULL",
        "agency": "TEXT NOT NULL",
        "responsible_agency": "TEXT NOT NULL",
        **ITEM_COLUMNS,
        "case_due_at": "BIGINT NOT NULL",
        "updated_at": "BIGINT NOT NULL",
    },
    key="case_id, agency",
    indexes={"agency_due": "agency, due_at, case_id"},
)
ESCALATED = ESCALATED_TABLE.name
# Both tables as one, in the columns of a WorklistItem.
UNION = (
    "SELECT case_id, agency, assignee, kind, code, status, priority, summary, due_at, updated_at,"
    " 0 AS escalated, NULL AS case_due_at FROM view_worklist WHERE agency = ?{own}"
    " UNION ALL"
    " SELECT case_id, responsible_agency AS agency, NULL AS assignee, kind, code, status, priority, summary,"
    " due_at, updated_at, 1 AS escalated, case_due_at FROM " + ESCALATED + " WHERE agency = ?{coowned}"
)


@dataclass(frozen=True, slots=True)
class WorklistItem:
    case_id: UUID
    code: str
    kind: str
    status: str
    summary: str
    priority: str | None
    agency: str
    assignee: str | None
    due_at: datetime
    updated_at: datetime
    overdue: bool
    near_due: bool
    # On the worklist of an agency the case was escalated to: ``agency`` is
    # still the responsible one, ``due_at`` the co-owner's own deadline and
    # ``case_due_at`` the responsible agency's.
    escalated: bool = False
    case_due_at: datetime | None = None


class WorklistModel(LatestStateModel):
    name = "worklist"
    view_table = VIEW_TABLE
    kinds = (Case,)

    def schema(self) -> tuple[str, ...]:
        return (*super().schema(), *ESCALATED_TABLE.schema())

    def __init__(self, database: Any, context: Any) -> None:
        super().__init__(database, context)
        self._escalated = ReplacedRows(ESCALATED_TABLE)

    def prepare(self) -> None:
        for case_id, (case, _position) in self._latest.items():
            self._escalated.replace(case_id, self.escalated_rows(case))
        super().prepare()

    def flush(self, cursor: Cursor) -> None:
        self.prepare()
        self._escalated.flush(cursor)
        super().flush(cursor)

    def discard(self) -> None:
        super().discard()
        self._escalated.clear()

    def clear(self, cursor: Cursor) -> None:
        super().clear(cursor)
        cursor.execute(f"DELETE FROM {ESCALATED}")

    def escalated_rows(self, case: Case) -> list[tuple[Any, ...]]:
        """One row per co-owner whose own clock runs on the case."""
        if case.is_final or not case.escalated_to or case.agency is None or case.due_at is None:
            return []
        priority = getattr(case, "priority", None)
        found: dict[str, tuple[Any, ...]] = {}
        for clock in case.running_clocks():
            if clock.track != "escalated" or clock.agency == case.agency:
                continue
            found[clock.agency] = (  # the latest escalation to an agency is its clock
                str(case.id),
                clock.agency,
                case.agency,
                case.kind,
                case.code,
                str(case.status),
                str(priority) if priority is not None else None,
                summary_of(case),
                micros(clock.due_at),
                micros(case.due_at),
                micros(case.modified_on),
            )
        return list(found.values())

    def row(self, case: Case, position: int) -> tuple[Any, ...] | None:
        if case.is_final or case.due_at is None or case.agency is None:
            return None
        priority = getattr(case, "priority", None)
        return (
            str(case.id),
            case.agency,
            case.assignee,
            case.kind,
            case.code,
            str(case.status),
            str(priority) if priority is not None else None,
            summary_of(case),
            micros(case.due_at),
            micros(case.modified_on),
        )

    # -- queries ------------------------------------------------------------

    def list_for_agency(
        self,
        agency: str,
        *,
        now: datetime,
        assignee: str | None = None,
        limit: int = 50,
        after: tuple[int, str] | None = None,
    ) -> list[WorklistItem]:
        """Open items of ``agency`` (optionally one assignee's), soonest due
        first, with the cases escalated to it (not one assignee's: nobody of
        the agency holds them yet); ``after`` is the (due_at micros, case id)
        of the previous page's last row."""
        params: list[Any] = [agency]
        own = ""
        if assignee is not None:
            own = " AND assignee = ?"
            params.append(assignee)
        params.append(agency)
        union = UNION.format(own=own, coowned=" AND 1 = 0" if assignee is not None else "")
        sql = f"SELECT * FROM ({union}) AS work"
        if after is not None:
            sql += " WHERE (due_at > ? OR (due_at = ? AND case_id > ?))"
            params += [after[0], after[0], after[1]]
        sql += " ORDER BY due_at, case_id LIMIT ?"
        params.append(limit)
        return [self._item(row, now) for row in self.database.query(sql, params)]

    def _item(self, row: Row, now: datetime) -> WorklistItem:
        stored_due_at = from_micros(row["due_at"])
        assert stored_due_at is not None
        # In the calendar's zone (+07:00 in Hanoi), like the case itself: legal deadlines are local.
        due_at = stored_due_at.astimezone(self.context.calendar.zone)
        overdue = due_at < now
        near_due = not overdue and self.context.calendar.office_seconds_between(now, due_at) <= NEAR_DUE_OFFICE_SECONDS
        case_due_at = from_micros(row["case_due_at"])
        return from_row(
            WorklistItem,
            row,
            due_at=due_at,
            overdue=overdue,
            near_due=near_due,
            case_due_at=case_due_at.astimezone(self.context.calendar.zone) if case_due_at is not None else None,
        )

    def rows(self) -> list[Row]:
        own = self.database.query("SELECT * FROM view_worklist ORDER BY case_id")
        return own + self.database.query(f"SELECT * FROM {ESCALATED} ORDER BY case_id, agency")
