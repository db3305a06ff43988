"""agency_dashboard: the figures a leader watches (DESIGN §5, notes §6.7) —
intake, backlog, on-time rate, overdue work, time to acknowledge and to resolve
in working hours, reopens, satisfaction, dossier supplements and complaints
accepted within their legal window.

One fact row per case of ``view_agency_dashboard`` holds what happened to it;
every figure is a query over the rows of a *cohort*: the cases received — that
reached the platform: submitted or filed — in ``[period_start, period_end)``,
counted for the agency that has them now (a transferred report moves with its
row). "Overdue now" is derived from the current ``due_at`` at query time, never
stored.

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
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from ihanoi_core.domain.case import Case
from ihanoi_core.domain.complaint import ComplaintStatus, Grievance
from ihanoi_core.domain.report import Report, ReportStatus
from ihanoi_core.domain.service_request import DossierStatus, ServiceRequest
from ihanoi_core.errors import ValidationError
from ihanoi_projections.base import Change, ReadModel, from_micros, micros
from ihanoi_projections.database import Cursor, Row


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
        "Acknowledged", "acknowledged_at", "Resolved", "Reopened",
        frozenset({ReportStatus.RESOLVED, ReportStatus.CLOSED}),
        frozenset({ReportStatus.REJECTED, ReportStatus.DUPLICATE, ReportStatus.NOT_RESPONSIBLE}),
    ),
    "dossier": KindRules(
        "Received", "received_at", "MarkedResultReady", None,
        frozenset({DossierStatus.RESULT_READY, DossierStatus.RESULT_RETURNED}),
        frozenset({DossierStatus.REJECTED, DossierStatus.WITHDRAWN}),
    ),
    "complaint": KindRules(
        "Accepted", "accepted_at", "Decided", None,
        frozenset({ComplaintStatus.DECIDED, ComplaintStatus.CLOSED}), _GRIEVANCE_CLOSED,
    ),
    "denunciation": KindRules(
        "Accepted", "accepted_at", "Concluded", None,
        frozenset({ComplaintStatus.CONCLUDED, ComplaintStatus.CLOSED}), _GRIEVANCE_CLOSED,
    ),
}  # fmt: skip
GRIEVANCE_KINDS = ("complaint", "denunciation")

TABLE = "view_agency_dashboard"
CURRENT = (
    "case_id", "code", "kind", "agency", "category", "received_at", "status", "is_open",
    "due_at", "reopen_count", "rating", "supplement_requests",
)  # fmt: skip
ACKNOWLEDGEMENT = ("acknowledged_at", "acknowledge_due_at", "acknowledge_seconds", "accepted_in_window")
RESOLUTION = ("resolved_at", "resolve_due_at", "resolve_seconds", "resolved_on_time")
COLUMNS = (*CURRENT, *ACKNOWLEDGEMENT, *RESOLUTION)


# -- what queries return ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DashboardFigures:
    """The figures of one cohort. Rates are fractions (0.8, not 80) and None
    when their denominator is 0; hours are working hours (nearest-rank)."""

    received: int
    open: int
    resolved: int
    resolved_on_time: int
    resolved_late: int
    on_time_rate: float | None
    overdue_now: int
    median_hours_to_acknowledge: float | None
    p90_hours_to_acknowledge: float | None
    median_hours_to_resolve: float | None
    p90_hours_to_resolve: float | None
    reopened: int
    reopen_rate: float | None
    rated: int
    average_rating: float | None
    dossiers: int
    dossiers_with_supplement_request: int
    supplement_request_rate: float | None
    complaints_accepted: int
    complaints_accepted_in_window: int
    complaints_accepted_in_window_rate: float | None


@dataclass(frozen=True, slots=True)
class AgencyFigures:
    agency: str
    name: str
    figures: DashboardFigures


@dataclass(frozen=True, slots=True)
class WeekFigures:
    """One ISO week (starting Monday, Hanoi time) of a cohort, by week of receipt."""

    week_start: date
    received: int
    resolved_on_time: int
    resolved_late: int


@dataclass(frozen=True, slots=True)
class OverdueCase:
    case_id: UUID
    code: str
    kind: str
    agency: str | None
    due_at: datetime
    status: str


def nearest_rank(values: Iterable[float], percent: int) -> float | None:
    """The ``percent``-th percentile by the nearest-rank method: the smallest
    value with at least ``percent`` % of the values at or below it, i.e. the
    ⌈percent·n/100⌉-th smallest. Always one of the values (the median of an
    even count is the lower middle one); None when there are none."""
    if not 0 < percent <= 100:
        raise ValueError(f"A percentile is from 1 to 100, not {percent}")
    ordered = sorted(values)
    if not ordered:
        return None
    # Integer ceiling: 0.7 * 10 is 7.000000000000001 in floating point.
    rank = -(-percent * len(ordered) // 100)
    return ordered[rank - 1]


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 3600


def _aware(name: str, moment: datetime) -> int:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValidationError({name: "must be a timezone-aware datetime"})
    value = micros(moment)
    assert value is not None
    return value


# -- the read model ------------------------------------------------------------------


class AgencyDashboardModel(ReadModel):
    name = "agency_dashboard"
    kinds = (Case,)
    tables = (TABLE,)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # case id -> the columns to write for it; current columns always, the
        # acknowledgement and resolution columns only when an event sets them.
        self._pending: dict[UUID, dict[str, Any]] = {}
        self._latest: dict[UUID, Case] = {}

    def schema(self) -> Sequence[str]:
        return (
            f"CREATE TABLE IF NOT EXISTS {TABLE} ("
            "case_id TEXT PRIMARY KEY, code TEXT NOT NULL, kind TEXT NOT NULL, agency TEXT, category TEXT,"
            " received_at BIGINT NOT NULL, status TEXT NOT NULL, is_open BIGINT NOT NULL, due_at BIGINT,"
            " reopen_count BIGINT NOT NULL, rating BIGINT, supplement_requests BIGINT NOT NULL,"
            " acknowledged_at BIGINT, acknowledge_due_at BIGINT, acknowledge_seconds BIGINT,"
            " accepted_in_window BIGINT, resolved_at BIGINT, resolve_due_at BIGINT,"
            " resolve_seconds BIGINT, resolved_on_time BIGINT)",
            f"CREATE INDEX IF NOT EXISTS {TABLE}_agency ON {TABLE} (agency, received_at)",
            f"CREATE INDEX IF NOT EXISTS {TABLE}_received ON {TABLE} (received_at)",
            f"CREATE INDEX IF NOT EXISTS {TABLE}_due ON {TABLE} (is_open, due_at)",
        )

    def apply(self, change: Change) -> None:
        case = change.case
        if not isinstance(case, Report | ServiceRequest | Grievance):
            return  # surveys and code indexes have no deadlines
        rules = RULES[case.kind]
        # The case's current columns come from its state at the end of the
        # batch (computed once in flush); only event facts are gathered here.
        self._latest[case.id] = case
        row = self._pending.setdefault(case.id, {})
        name, when = change.event_name, change.event.timestamp
        due: datetime | None = change.before.get("due_at")
        if name == rules.acknowledged_by and change.before.get(rules.first_acknowledgement) is None:
            row.update(self._acknowledgement(case, when, due))
        if name == rules.resolved_by:
            row.update(self._resolution(case, when, due))
        elif name == rules.unresolved_by:
            row.update(dict.fromkeys(RESOLUTION))

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

    def flush(self, cursor: Cursor) -> None:
        # Rows setting the same columns share one statement; a conflict updates
        # only those columns, so first acknowledgements and resolutions written
        # by earlier batches stay unless an event of this batch changed them.
        groups: dict[tuple[str, ...], list[tuple[Any, ...]]] = defaultdict(list)
        for case_id, case in self._latest.items():
            row = {**self._current(case, RULES[case.kind]), **self._pending.get(case_id, {})}
            columns = tuple(column for column in COLUMNS if column in row)
            groups[columns].append(tuple(row[column] for column in columns))
        for columns, rows in groups.items():
            updates = ", ".join(f"{column} = excluded.{column}" for column in columns[1:])
            cursor.executemany(
                f"INSERT INTO {TABLE} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
                f" ON CONFLICT (case_id) DO UPDATE SET {updates}",
                rows,
            )
        self._pending.clear()
        self._latest.clear()

    def discard(self) -> None:
        self._pending.clear()
        self._latest.clear()

    # -- queries ---------------------------------------------------------------------

    def figures(
        self,
        *,
        period_start: datetime,
        period_end: datetime,
        now: datetime,
        agency: str | None = None,
        kind: str | None = None,
    ) -> DashboardFigures:
        """The figures of the cases received in ``[period_start, period_end)``."""
        where, params = _cohort(period_start, period_end, agency, kind)
        counts = self.database.query(f"SELECT {_COUNTS} FROM {TABLE} WHERE {where}", [_aware("now", now), *params])
        durations = self.database.query(
            f"SELECT acknowledge_seconds, resolve_seconds FROM {TABLE} WHERE {where}", params
        )
        return _figures(counts[0], durations)

    def figures_by_agency(
        self,
        *,
        period_start: datetime,
        period_end: datetime,
        now: datetime,
        agency: str | None = None,
        kind: str | None = None,
    ) -> list[AgencyFigures]:
        """``figures`` for each agency with cases in the cohort, by agency code."""
        where, params = _cohort(period_start, period_end, agency, kind)
        counts = self.database.query(
            f"SELECT agency, {_COUNTS} FROM {TABLE} WHERE {where} AND agency IS NOT NULL GROUP BY agency",
            [_aware("now", now), *params],
        )
        durations: dict[str, list[Row]] = defaultdict(list)
        for row in self.database.query(
            f"SELECT agency, acknowledge_seconds, resolve_seconds FROM {TABLE} WHERE {where}", params
        ):
            durations[row["agency"]].append(row)
        result = []
        for row in sorted(counts, key=lambda row: str(row["agency"])):
            code = str(row["agency"])
            known = self.context.directory.get_agency(code)
            result.append(AgencyFigures(code, known.name if known else code, _figures(row, durations[code])))
        return result

    def weekly(
        self,
        *,
        agency: str | None,
        period_start: datetime,
        period_end: datetime,
        now: datetime,
        kind: str | None = None,
    ) -> list[WeekFigures]:
        """Every ISO week from the one holding ``period_start`` up to
        ``min(period_end, now)``, empty weeks included. A case counts in the week
        it was received, so the weeks add up to ``figures`` of the same cohort."""
        _aware("now", now)
        end = min(period_end, now)
        if _aware("period_end", end) <= _aware("period_start", period_start):
            return []
        where, params = _cohort(period_start, end, agency, kind)
        zone = self.context.calendar.zone

        def monday(moment: datetime) -> date:
            day = moment.astimezone(zone).date()
            return day - timedelta(days=day.weekday())

        weeks: dict[date, list[int]] = {}
        week, last = monday(period_start), monday(end - timedelta(microseconds=1))
        while week <= last:
            weeks[week] = [0, 0, 0]
            week += timedelta(days=7)
        received = self.database.query(f"SELECT received_at, resolved_on_time FROM {TABLE} WHERE {where}", params)
        for row in received:
            tally = weeks[monday(from_micros(row["received_at"]))]  # type: ignore[arg-type]
            tally[0] += 1
            if row["resolved_on_time"] is not None:
                tally[1 if row["resolved_on_time"] else 2] += 1
        return [WeekFigures(start, *tally) for start, tally in weeks.items()]

    def overdue(self, *, agency: str | None, now: datetime, limit: int = 100) -> list[OverdueCase]:
        """Open cases past their current due time, most overdue first."""
        sql = f"SELECT case_id, code, kind, agency, due_at, status FROM {TABLE} WHERE is_open = 1 AND due_at < ?"
        params: list[Any] = [_aware("now", now)]
        if agency is not None:
            sql += " AND agency = ?"
            params.append(agency)
        rows = self.database.query(f"{sql} ORDER BY due_at, case_id LIMIT ?", [*params, limit])
        return [
            OverdueCase(
                case_id=UUID(row["case_id"]),
                code=row["code"],
                kind=row["kind"],
                agency=row["agency"],
                due_at=from_micros(row["due_at"]),  # type: ignore[arg-type]
                status=row["status"],
            )
            for row in rows
        ]

    def rows(self) -> list[Row]:
        """Every fact row, ordered: for comparing a rebuild with the live table."""
        return self.database.query(f"SELECT * FROM {TABLE} ORDER BY case_id")


# -- SQL pieces ----------------------------------------------------------------------


def _count(condition: str) -> str:
    # SUM over a CASE of integer literals is an integer in both dialects
    # (PostgreSQL's SUM over BIGINT would be NUMERIC).
    return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"


_GRIEVANCE = "kind IN ('complaint', 'denunciation')"
_DOSSIER = "kind = 'dossier'"
# The first parameter is "now", for overdue_now.
_COUNTS = ", ".join(
    (
        "COUNT(*) AS received",
        f"{_count('is_open = 1')} AS open_cases",
        f"{_count('is_open = 1 AND due_at < ?')} AS overdue_now",
        f"{_count('resolved_at IS NOT NULL')} AS resolved",
        f"{_count('resolved_on_time = 1')} AS resolved_on_time",
        f"{_count('resolved_on_time = 0')} AS resolved_late",
        f"{_count('reopen_count > 0')} AS reopened",
        f"{_count('resolved_at IS NOT NULL OR reopen_count > 0')} AS ever_resolved",
        "COUNT(rating) AS rated",
        "SUM(CASE WHEN rating IS NULL THEN 0 ELSE rating END) AS rating_total",
        f"{_count(_DOSSIER)} AS dossiers",
        f"{_count('supplement_requests > 0')} AS supplemented",
        f"{_count(f'{_GRIEVANCE} AND acknowledged_at IS NOT NULL')} AS accepted",
        f"{_count('accepted_in_window = 1')} AS accepted_in_window",
    )
)


def _cohort(
    period_start: datetime, period_end: datetime, agency: str | None, kind: str | None
) -> tuple[str, list[Any]]:
    clauses = ["received_at >= ?", "received_at < ?"]
    params: list[Any] = [_aware("period_start", period_start), _aware("period_end", period_end)]
    if agency is not None:
        clauses.append("agency = ?")
        params.append(agency)
    if kind is not None:
        if kind not in RULES:
            raise ValidationError({"kind": f"must be one of {', '.join(RULES)}"})
        clauses.append("kind = ?")
        params.append(kind)
    return " AND ".join(clauses), params


def _figures(counts: Row, durations: Sequence[Row]) -> DashboardFigures:
    def count(name: str) -> int:
        return int(counts[name] or 0)

    acknowledge = [row["acknowledge_seconds"] for row in durations if row["acknowledge_seconds"] is not None]
    resolve = [row["resolve_seconds"] for row in durations if row["resolve_seconds"] is not None]
    return DashboardFigures(
        received=count("received"),
        open=count("open_cases"),
        resolved=count("resolved"),
        resolved_on_time=count("resolved_on_time"),
        resolved_late=count("resolved_late"),
        on_time_rate=_ratio(count("resolved_on_time"), count("resolved")),
        overdue_now=count("overdue_now"),
        median_hours_to_acknowledge=_hours(nearest_rank(acknowledge, 50)),
        p90_hours_to_acknowledge=_hours(nearest_rank(acknowledge, 90)),
        median_hours_to_resolve=_hours(nearest_rank(resolve, 50)),
        p90_hours_to_resolve=_hours(nearest_rank(resolve, 90)),
        reopened=count("reopened"),
        reopen_rate=_ratio(count("reopened"), count("ever_resolved")),
        rated=count("rated"),
        average_rating=_ratio(count("rating_total"), count("rated")),
        dossiers=count("dossiers"),
        dossiers_with_supplement_request=count("supplemented"),
        supplement_request_rate=_ratio(count("supplemented"), count("dossiers")),
        complaints_accepted=count("accepted"),
        complaints_accepted_in_window=count("accepted_in_window"),
        complaints_accepted_in_window_rate=_ratio(count("accepted_in_window"), count("accepted")),
    )
