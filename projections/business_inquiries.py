"""business_inquiries: the business portal's inquiries, for their business,
the agencies that answer them, the public and the dashboard.

One row per inquiry: code, the business (its tax code) and kind, topic,
agency, status, when it was submitted, is due and was answered, whether the
answer was late, the rating, and — once published with the business's
consent — the public question and answer. No person: the filer is not a
column. The tax code is read only by a business's own list and never leaves
through a public query (``published``) or the rates (``answer_rates``: per
agency, answered on time and late).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from ihanoi_core.domain.business_inquiry import BusinessInquiry
from ihanoi_core.domain.business_values import InquiryStatus
from ihanoi_projections.engine.base import LatestStateModel, ViewTable, from_micros, micros
from ihanoi_projections.engine.database import Row
from ihanoi_projections.engine.rows import from_row

TABLE = "view_business_inquiries"
VIEW_TABLE = ViewTable(
    TABLE,
    {
        "case_id": "TEXT PRIMARY KEY",
        "code": "TEXT NOT NULL",
        "business": "TEXT NOT NULL",
        "business_kind": "TEXT NOT NULL",
        "topic": "TEXT NOT NULL",
        "procedure": "TEXT",
        "agency": "TEXT",
        "assignee": "TEXT",
        "status": "TEXT NOT NULL",
        "submitted_at": "BIGINT NOT NULL",
        "due_at": "BIGINT",
        "answered_at": "BIGINT",
        "answered_late": "INTEGER",
        "rating": "INTEGER",
        "public_question": "TEXT",
        "public_answer": "TEXT",
        "legal_basis": "TEXT",
        "position": "BIGINT NOT NULL",
    },
    indexes={"business": "business, submitted_at", "agency": "agency, status, due_at"},
)


@dataclass(frozen=True, slots=True)
class InquiryRow:
    """An inquiry as the read model knows it (nothing of the person)."""

    case_id: UUID
    code: str
    business_kind: str
    topic: str
    procedure: str | None
    agency: str | None
    assignee: str | None
    status: str
    submitted_at: datetime
    due_at: datetime | None
    answered_at: datetime | None
    answered_late: bool | None
    rating: int | None


@dataclass(frozen=True, slots=True)
class PublishedAnswer:
    """A published, anonymised question and answer: no person, no business."""

    code: str
    topic: str
    agency: str | None
    question: str
    answer: str
    legal_basis: str | None
    answered_at: datetime | None


@dataclass(frozen=True, slots=True)
class AnswerRate:
    """One agency's inquiries answered, on time and late, and the on-time share."""

    agency: str
    answered: int
    on_time: int
    late: int
    on_time_rate: float | None
    open: int
    overdue: int


class BusinessInquiriesModel(LatestStateModel):
    name = "business_inquiries"
    view_table = VIEW_TABLE
    kinds = (BusinessInquiry,)

    def row(self, case: BusinessInquiry, position: int) -> tuple[Any, ...]:
        published = case.status == InquiryStatus.PUBLISHED
        late = None if case.answered_late is None else int(case.answered_late)
        return (
            str(case.id),
            case.code,
            case.business,
            case.business_kind.value,
            case.topic,
            case.procedure,
            case.agency,
            case.assignee,
            str(case.status),
            micros(case.submitted_at),
            micros(case.due_at),
            micros(case.answered_at),
            late,
            case.rating,
            case.public_question if published else None,
            case.public_answer if published else None,
            case.legal_basis,
            position,
        )

    # -- queries ------------------------------------------------------------

    def list_for_business(self, business: str, *, limit: int = 50) -> list[InquiryRow]:
        """Every inquiry of the business (whoever of its people filed it), newest first."""
        sql = f"SELECT * FROM {TABLE} WHERE business = ? ORDER BY submitted_at DESC, case_id LIMIT ?"
        return [self._record(row) for row in self.database.query(sql, (business, limit))]

    def list_for_agency(self, agency: str, *, open_only: bool = True, limit: int = 50) -> list[InquiryRow]:
        """The agency's inquiries (by default the open ones), soonest due first."""
        sql = f"SELECT * FROM {TABLE} WHERE agency = ?" + (" AND status = 'open'" if open_only else "")
        sql += " ORDER BY due_at IS NULL, due_at, case_id LIMIT ?"
        return [self._record(row) for row in self.database.query(sql, (agency, limit))]

    def published(self, *, code: str | None = None, limit: int = 50) -> list[PublishedAnswer]:
        """The published questions and answers (or the one of ``code``), the latest answered first."""
        sql = (
            f"SELECT code, topic, agency, public_question, public_answer, legal_basis, answered_at FROM {TABLE}"
            " WHERE status = 'published'"
            + (" AND code = ?" if code else "")
            + " ORDER BY answered_at DESC, code LIMIT ?"
        )
        params: tuple[Any, ...] = (code.strip().upper(), limit) if code else (limit,)
        return [self._published(row) for row in self.database.query(sql, params)]

    @staticmethod
    def _published(row: Row) -> PublishedAnswer:
        return PublishedAnswer(
            row["code"],
            row["topic"],
            row["agency"],
            row["public_question"],
            row["public_answer"],
            row["legal_basis"],
            from_micros(row["answered_at"]),
        )

    def answer_rates(self, now: datetime, agency: str | None = None) -> list[AnswerRate]:
        """Per agency: inquiries answered on time and late, open, overdue now."""
        sql = (
            f"SELECT agency, SUM(CASE WHEN answered_late = 0 THEN 1 ELSE 0 END) AS on_time,"
            " SUM(CASE WHEN answered_late = 1 THEN 1 ELSE 0 END) AS late,"
            " SUM(CASE WHEN status = 'open' THEN 1 ELSE 0 END) AS open,"
            " SUM(CASE WHEN status = 'open' AND due_at < ? THEN 1 ELSE 0 END) AS overdue"
            f" FROM {TABLE} WHERE agency IS NOT NULL" + (" AND agency = ?" if agency else "") + " GROUP BY agency"
            " ORDER BY agency"
        )
        params: tuple[Any, ...] = (micros(now), agency) if agency else (micros(now),)
        rates = []
        for row in self.database.query(sql, params):
            on_time, late = int(row["on_time"] or 0), int(row["late"] or 0)
            answered = on_time + late
            rate = round(on_time / answered, 4) if answered else None
            rates.append(
                AnswerRate(
                    row["agency"], answered, on_time, late, rate, int(row["open"] or 0), int(row["overdue"] or 0)
                )
            )
        return rates

    def rows(self) -> list[Row]:
        return self.database.query(f"SELECT * FROM {TABLE} ORDER BY case_id")

    def _record(self, row: Row) -> InquiryRow:
        due = from_micros(row["due_at"])
        return from_row(InquiryRow, row, due_at=due.astimezone(self.context.calendar.zone) if due is not None else None)
