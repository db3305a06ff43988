"""worklist: each agency's open work, ordered by due time.

A case is on the worklist while it is not final and a deadline is running on
it (a report awaiting acknowledgement or resolution, a dossier being
processed, a complaint awaiting acceptance or decision). Cases waiting on the
citizen (a paused dossier) or on nobody (a resolved report in its reopen
window, a survey) carry no due time and drop off. "Overdue" and "near due" are
computed at query time from the stored due time — never stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from ihanoi_core.domain.case import Case
from ihanoi_projections.base import LatestStateModel, from_micros, micros
from ihanoi_projections.case_status import summary_of
from ihanoi_projections.database import Row

COLUMNS = (
    "case_id",
    "agency",
    "assignee",
    "kind",
    "code",
    "status",
    "priority",
    "summary",
    "due_at",
    "updated_at",
)
NEAR_DUE_OFFICE_SECONDS = 8 * 3600  # one working day


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


class WorklistModel(LatestStateModel):
    name = "worklist"
    table = "view_worklist"
    columns = COLUMNS
    kinds = (Case,)

    def schema(self) -> Sequence[str]:
        return (
            "CREATE TABLE IF NOT EXISTS view_worklist ("
            "case_id TEXT PRIMARY KEY, agency TEXT NOT NULL, assignee TEXT, kind TEXT NOT NULL,"
            " code TEXT NOT NULL, status TEXT NOT NULL, priority TEXT, summary TEXT NOT NULL,"
            " due_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS view_worklist_agency_due ON view_worklist (agency, due_at, case_id)",
        )

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
        first; ``after`` is the (due_at micros, case id) of the previous page's last row."""
        sql = "SELECT * FROM view_worklist WHERE agency = ?"
        params: list[Any] = [agency]
        if assignee is not None:
            sql += " AND assignee = ?"
            params.append(assignee)
        if after is not None:
            sql += " AND (due_at > ? OR (due_at = ? AND case_id > ?))"
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
        return WorklistItem(
            case_id=UUID(row["case_id"]),
            code=row["code"],
            kind=row["kind"],
            status=row["status"],
            summary=row["summary"],
            priority=row["priority"],
            agency=row["agency"],
            assignee=row["assignee"],
            due_at=due_at,
            updated_at=from_micros(row["updated_at"]),  # type: ignore[arg-type]
            overdue=overdue,
            near_due=near_due,
        )

    def rows(self) -> list[Row]:
        return self.database.query("SELECT * FROM view_worklist ORDER BY case_id")
