"""case_status: every case's current status, for its citizen and its handlers.

One row per case: code, kind, status, agency, assignee, due time, last update,
latest public note and the log position of that update. "My cases" finds a
citizen's rows by a keyed hash of their subject id, so this table never says
who filed what (a denouncer included). A business's case
(``permissions.BUSINESS_KINDS``) is the business's, not its filer's: its row
holds no owner hash and "my cases" never lists it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any
from uuid import UUID

from ihanoi_core.domain.case import Case
from ihanoi_core.permissions import BUSINESS_KINDS
from ihanoi_projections.engine.base import LatestStateModel, ViewTable, from_micros, micros
from ihanoi_projections.engine.database import Row
from ihanoi_projections.engine.rows import from_row

OWN_LESS = tuple(sorted(BUSINESS_KINDS))
VIEW_TABLE = ViewTable(
    "view_case_status",
    {
        "case_id": "TEXT PRIMARY KEY",
        "code": "TEXT NOT NULL",
        "kind": "TEXT NOT NULL",
        "status": "TEXT NOT NULL",
        "summary": "TEXT NOT NULL",
        "agency": "TEXT",
        "assignee": "TEXT",
        "owner_key": "TEXT",
        "due_at": "BIGINT",
        "created_at": "BIGINT NOT NULL",
        "updated_at": "BIGINT NOT NULL",
        "public_note": "TEXT",
        "version": "BIGINT NOT NULL",
        "position": "BIGINT NOT NULL",
    },
    unique={"code": "code"},
    indexes={"owner": "owner_key, updated_at"},
)


@dataclass(frozen=True, slots=True)
class CaseStatus:
    """A case as the status read model knows it."""

    case_id: UUID
    code: str
    kind: str
    status: str
    summary: str
    agency: str | None
    assignee: str | None
    due_at: datetime | None
    created_at: datetime
    updated_at: datetime
    public_note: str | None
    version: int
    position: int


SUMMARY_ATTRIBUTE = {
    "report": "category",
    "dossier": "procedure",
    "survey": "title",
    "complaint": "subject",
    "denunciation": "subject",
    "business_inquiry": "topic",
    "consultation": "title",
    "dialogue_session": "title",
    # A payment is about its dossier (the code the citizen knows).
    "payment": "dossier_code",
}


def summary_of(case: Case) -> str:
    """A short, non-personal line saying what the case is about."""
    value = case.__dict__.get(SUMMARY_ATTRIBUTE.get(case.kind, ""))
    return value[:200] if isinstance(value, str) and value else case.kind


class CaseStatusModel(LatestStateModel):
    name = "case_status"
    view_table = VIEW_TABLE
    kinds = (Case,)

    def row(self, case: Case, position: int) -> tuple[Any, ...]:
        return (
            str(case.id),
            case.code,
            case.kind,
            str(case.status),
            summary_of(case),
            case.agency,
            case.assignee,
            None if case.kind in BUSINESS_KINDS else self.context.subject_key(case.owner),
            micros(case.due_at),
            micros(case.created_on),
            micros(case.modified_on),
            case.public_note,
            case.version,
            position,
        )

    # -- queries ------------------------------------------------------------

    def get(self, case_id: UUID) -> CaseStatus | None:
        rows = self.database.query("SELECT * FROM view_case_status WHERE case_id = ?", (str(case_id),))
        return record(rows[0], self.context.calendar.zone) if rows else None

    def get_by_code(self, code: str) -> CaseStatus | None:
        rows = self.database.query("SELECT * FROM view_case_status WHERE code = ?", (code.strip().upper(),))
        return record(rows[0], self.context.calendar.zone) if rows else None

    def list_for_owner(
        self, subject: str, *, limit: int = 50, before: tuple[int, str] | None = None
    ) -> list[CaseStatus]:
        """A citizen's cases, most recently updated first; ``before`` is the
        (updated_at micros, case id) cursor of the last row of the previous page."""
        # Rows written before business cases lost their owner hash are left out too.
        sql = "SELECT * FROM view_case_status WHERE owner_key = ?" + "".join(" AND kind <> ?" for _ in OWN_LESS)
        params: list[Any] = [self.context.subject_key(subject), *OWN_LESS]
        if before is not None:
            sql += " AND (updated_at < ? OR (updated_at = ? AND case_id < ?))"
            params += [before[0], before[0], before[1]]
        sql += " ORDER BY updated_at DESC, case_id DESC LIMIT ?"
        params.append(limit)
        return [record(row, self.context.calendar.zone) for row in self.database.query(sql, params)]

    def list_of_kind(self, kind: str, *, limit: int = 50) -> list[CaseStatus]:
        """The cases of ``kind``, most recently updated first: for the public
        lists of kinds everyone may read (consultations, dialogue sessions)."""
        sql = "SELECT * FROM view_case_status WHERE kind = ? ORDER BY updated_at DESC, case_id DESC LIMIT ?"
        return [record(row, self.context.calendar.zone) for row in self.database.query(sql, (kind, limit))]

    def rows(self) -> list[Row]:
        """Every row, ordered: for comparing a rebuild with the live table."""
        return self.database.query("SELECT * FROM view_case_status ORDER BY case_id")


def record(row: Row, zone: tzinfo) -> CaseStatus:
    """A row as a ``CaseStatus``. The due time is given in ``zone``, the working
    calendar's (+07:00 in Hanoi), as the case itself and its stream give it:
    legal deadlines are local. The other times stay UTC."""
    due_at = from_micros(row["due_at"])
    return from_row(CaseStatus, row, due_at=due_at.astimezone(zone) if due_at is not None else None)
