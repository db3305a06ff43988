"""How ``agency_dashboard``'s fact rows are written: one row per case of
``view_agency_dashboard`` with what happened to it, its current columns from
the case's state at the end of each batch and the acknowledgement and
resolution columns from the events that set them. The queries over the rows
are ``agency_dashboard.figures``'.

How each kind is measured (``RULES``)::

    kind          acknowledged by       resolved by           closed without resolution
    report        first Acknowledged    Resolved (a Reopened  rejected, duplicate,
                                        withdraws it)         not_responsible
    dossier       Received (tiếp nhận)  MarkedResultReady     rejected, withdrawn
    complaint     Accepted (thụ lý)     Decided               refused, withdrawn
    denunciation  Accepted (thụ lý)     Concluded             refused, withdrawn

- Each step is judged against the deadline in force just before it
  (``Change.before["due_at"]``): the acknowledgement, review or acceptance
  clock for the first, the resolve clock or appointment date for the second.
  On time means at or before that deadline. A report acknowledged again after
  a transfer keeps its first acknowledgement.
- Working seconds are office time from receipt (``office_seconds_between``),
  paused dossier time included: the citizen waited through it.
- A reopened report is open again: its resolution is withdrawn, and the next
  Resolved is the one measured — time to resolve runs from receipt to that
  final resolution, judged against the reopen's resolve clock. The reopen
  itself counts against the agency in ``reopen_rate`` (reports reopened at
  least once ÷ cases resolved at least once), so a case is always exactly one
  of open, resolved or closed without resolution.
- A dossier for which an apology was issued (phiếu xin lỗi và hẹn lại ngày trả
  kết quả) is resolved late whatever its new appointment: the apology admits
  the missed appointment (notes §4.3). It is also the only way a dossier can
  be late: the aggregate refuses a result after the appointment until then.
- Cases closed without resolution count as received, never in on-time figures.
- A report's ``support_count`` is how many other citizens support it ("tôi
  cũng gặp"): the weight of the problem, not a deadline fact. The column came
  after the table: an older table gains it at 0, right for every report filed
  before supports existed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from ihanoi_core.domain.case import Case
from ihanoi_core.domain.grievance_values import ComplaintStatus
from ihanoi_core.domain.report import Report
from ihanoi_core.domain.report_values import ReportStatus
from ihanoi_core.domain.service_request import ServiceRequest
from ihanoi_core.domain.service_request_values import DossierStatus
from ihanoi_projections.engine.base import ReadModel, micros
from ihanoi_projections.engine.changes import Change
from ihanoi_projections.engine.database import Cursor


@dataclass(frozen=True, slots=True)
class KindRules:
    """How one kind of case is acknowledged, resolved and closed."""

    acknowledged_by: str
    # The attribute that is still None before the first acknowledgement, so a
    # report acknowledged again after a transfer keeps its first time.
    first_acknowledgement: str
    resolved_by: str
    unresolved_by: str | None
    resolved: frozenset[str]
    closed_unresolved: frozenset[str]

    def is_open(self, status: str) -> bool:
        return status not in self.resolved and status not in self.closed_unresolved


_GRIEVANCE_CLOSED = frozenset({ComplaintStatus.REFUSED, ComplaintStatus.WITHDRAWN})
RULES: Mapping[str, KindRules] = {
    "report": KindRules(
        "Acknowledged",
        "acknowledged_at",
        "Resolved",
        "Reopened",
        frozenset({ReportStatus.RESOLVED, ReportStatus.CLOSED}),
        frozenset({ReportStatus.REJECTED, ReportStatus.DUPLICATE, ReportStatus.NOT_RESPONSIBLE}),
    ),
    "dossier": KindRules(
        "Received",
        "received_at",
        "MarkedResultReady",
        None,
        frozenset({DossierStatus.RESULT_READY, DossierStatus.RESULT_RETURNED}),
        frozenset({DossierStatus.REJECTED, DossierStatus.WITHDRAWN}),
    ),
    "complaint": KindRules(
        "Accepted",
        "accepted_at",
        "Decided",
        None,
        frozenset({ComplaintStatus.DECIDED, ComplaintStatus.CLOSED}),
        _GRIEVANCE_CLOSED,
    ),
    "denunciation": KindRules(
        "Accepted",
        "accepted_at",
        "Concluded",
        None,
        frozenset({ComplaintStatus.CONCLUDED, ComplaintStatus.CLOSED}),
        _GRIEVANCE_CLOSED,
    ),
}
GRIEVANCE_KINDS = ("complaint", "denunciation")

TABLE = "view_agency_dashboard"
CURRENT = (
    "case_id",
    "code",
    "kind",
    "agency",
    "category",
    "received_at",
    "status",
    "is_open",
    "due_at",
    "reopen_count",
    "rating",
    "supplement_requests",
    "support_count",
)
ACKNOWLEDGEMENT = ("acknowledged_at", "acknowledge_due_at", "acknowledge_seconds", "accepted_in_window")
RESOLUTION = ("resolved_at", "resolve_due_at", "resolve_seconds", "resolved_on_time")
COLUMNS = (*CURRENT, *ACKNOWLEDGEMENT, *RESOLUTION)


class AgencyDashboardProjection(ReadModel):
    """The dashboard's rows: schema, change handling and batch flush (queries are
    ``AgencyDashboardModel``'s)."""

    name = "agency_dashboard"
    kinds = (Case,)
    tables = (TABLE,)
    reads_before = frozenset({"due_at", *(rules.first_acknowledgement for rules in RULES.values())})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # case id -> the columns to write for it; current columns always, the
        # acknowledgement and resolution columns only when an event sets them.
        self._pending: dict[UUID, dict[str, Any]] = {}
        self._latest: dict[UUID, Case] = {}
        # Rows prepared for the next flush, by the columns they set.
        self._rows: defaultdict[tuple[str, ...], list[tuple[Any, ...]]] = defaultdict(list)

    def schema(self) -> Sequence[str]:
        return (
            f"CREATE TABLE IF NOT EXISTS {TABLE} ("
            "case_id TEXT PRIMARY KEY, code TEXT NOT NULL, kind TEXT NOT NULL, agency TEXT, category TEXT,"
            " received_at BIGINT NOT NULL, status TEXT NOT NULL, is_open BIGINT NOT NULL, due_at BIGINT,"
            " reopen_count BIGINT NOT NULL, rating BIGINT, supplement_requests BIGINT NOT NULL,"
            " acknowledged_at BIGINT, acknowledge_due_at BIGINT, acknowledge_seconds BIGINT,"
            " accepted_in_window BIGINT, resolved_at BIGINT, resolve_due_at BIGINT,"
            " resolve_seconds BIGINT, resolved_on_time BIGINT)",
            f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS support_count BIGINT NOT NULL DEFAULT 0",
            f"CREATE INDEX IF NOT EXISTS {TABLE}_agency ON {TABLE} (agency, received_at)",
            f"CREATE INDEX IF NOT EXISTS {TABLE}_supported ON {TABLE} (is_open, support_count)",
            f"CREATE INDEX IF NOT EXISTS {TABLE}_received ON {TABLE} (received_at)",
            f"CREATE INDEX IF NOT EXISTS {TABLE}_due ON {TABLE} (is_open, due_at)",
        )

    def apply(self, change: Change) -> None:
        case: Case = change.case  # type: ignore[assignment]
        rules = RULES.get(case.kind)
        if rules is None:
            return  # surveys have no deadlines
        # The case's current columns come from its state at the end of the
        # batch (computed once in flush); only event facts are gathered here.
        self._latest[case.id] = case
        name = change.event_name
        if name == rules.acknowledged_by and change.before.get(rules.first_acknowledgement) is None:
            facts = self._acknowledgement(case, change.event.timestamp, change.before.get("due_at"))
        elif name == rules.resolved_by:
            facts = self._resolution(case, change.event.timestamp, change.before.get("due_at"))
        elif name == rules.unresolved_by:
            facts = dict.fromkeys(RESOLUTION)
        else:
            return
        self._pending.setdefault(case.id, {}).update(facts)

    def _current(self, case: Case, rules: KindRules) -> dict[str, Any]:
        if isinstance(case, Report):
            category: str | None = case.category
        else:
            category = case.procedure if isinstance(case, ServiceRequest) else None
        return {
            "case_id": str(case.id),
            "code": case.code,
            "kind": case.kind,
            "agency": case.agency,
            "category": category,
            "received_at": micros(case.created_on),
            "status": str(case.status),
            "is_open": int(rules.is_open(case.status)),
            "due_at": micros(case.due_at),
            "reopen_count": case.reopen_count if isinstance(case, Report) else 0,
            "rating": getattr(case, "rating", None),
            "supplement_requests": case.supplement_rounds if isinstance(case, ServiceRequest) else 0,
            "support_count": case.support_count if isinstance(case, Report) else 0,
        }

    def _acknowledgement(self, case: Case, when: datetime, due: datetime | None) -> dict[str, Any]:
        in_time = due is None or when <= due
        return {
            "acknowledged_at": micros(when),
            "acknowledge_due_at": micros(due),
            "acknowledge_seconds": self.context.calendar.office_seconds_between(case.created_on, when),
            "accepted_in_window": int(in_time) if case.kind in GRIEVANCE_KINDS else None,
        }

    def _resolution(self, case: Case, when: datetime, due: datetime | None) -> dict[str, Any]:
        # Every resolving step runs under a clock today; one that did not would
        # have missed nothing, so it counts as on time.
        apologised = isinstance(case, ServiceRequest) and case.apology_count > 0
        return {
            "resolved_at": micros(when),
            "resolve_due_at": micros(due),
            "resolve_seconds": self.context.calendar.office_seconds_between(case.created_on, when),
            "resolved_on_time": int((due is None or when <= due) and not apologised),
        }

    def prepare(self) -> None:
        # Rows setting the same columns share one statement; a conflict updates
        # only those columns, so first acknowledgements and resolutions written
        # by earlier batches stay unless an event of this batch changed them.
        for case_id, case in self._latest.items():
            row = {**self._current(case, RULES[case.kind]), **self._pending.get(case_id, {})}
            columns = tuple(column for column in COLUMNS if column in row)
            self._rows[columns].append(tuple(row[column] for column in columns))
        self._pending.clear()
        self._latest.clear()

    def flush(self, cursor: Cursor) -> None:
        self.prepare()  # anything applied since prepare() was called
        for columns, rows in self._rows.items():
            updates = ", ".join(f"{column} = excluded.{column}" for column in columns[1:])
            cursor.executemany(
                f"INSERT INTO {TABLE} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
                f" ON CONFLICT (case_id) DO UPDATE SET {updates}",
                rows,
            )
        self.discard()

    def discard(self) -> None:
        self._pending.clear()
        self._latest.clear()
        self._rows.clear()
