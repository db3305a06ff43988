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

How events fill the rows, and how each kind of case is measured, is in
``agency_dashboard.facts``; the figures, the model's queries and their
SQL are here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Required, TypedDict, Unpack
from uuid import UUID

from ihanoi_core.errors import ValidationError
from ihanoi_projections.agency_dashboard.facts import RULES, TABLE, AgencyDashboardProjection
from ihanoi_projections.engine.base import from_micros, micros
from ihanoi_projections.engine.database import Row
from ihanoi_projections.engine.rows import from_row

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
    # Citizens' supports ("tôi cũng gặp") of the cohort's reports, and how many reports have one.
    supports: int = 0
    supported_reports: int = 0


class Cohort(TypedDict, total=False):
    """The cases a figure counts: those received in ``[period_start,
    period_end)``, as of ``now``; of one agency and one kind when given."""

    period_start: Required[datetime]
    period_end: Required[datetime]
    now: Required[datetime]
    agency: str | None
    kind: str | None


@dataclass(frozen=True, slots=True)
class SupportedReport:
    """An open report other citizens support, with how many do."""

    case_id: UUID
    code: str
    agency: str | None
    category: str | None
    status: str
    support_count: int
    due_at: datetime | None


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


class AgencyDashboardModel(AgencyDashboardProjection):
    """The agency dashboard: its rows (``AgencyDashboardProjection``) and the
    figures a leader asks of them."""

    # -- queries ---------------------------------------------------------------------

    def figures(self, **cohort: Unpack[Cohort]) -> DashboardFigures:
        """The figures of the cases received in ``[period_start, period_end)``."""
        where, params = _cohort_of(cohort)
        counts = self.database.query(
            f"SELECT {_COUNTS} FROM {TABLE} WHERE {where}", [_aware("now", cohort["now"]), *params]
        )
        durations = self.database.query(
            f"SELECT acknowledge_seconds, resolve_seconds FROM {TABLE} WHERE {where}", params
        )
        return _figures(counts[0], durations)

    def figures_by_agency(self, **cohort: Unpack[Cohort]) -> list[AgencyFigures]:
        """``figures`` for each agency with cases in the cohort, by agency code."""
        where, params = _cohort_of(cohort)
        counts = self.database.query(
            f"SELECT agency, {_COUNTS} FROM {TABLE} WHERE {where} AND agency IS NOT NULL GROUP BY agency",
            [_aware("now", cohort["now"]), *params],
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

    def weekly(self, **cohort: Unpack[Cohort]) -> list[WeekFigures]:
        """Every ISO week from the one holding ``period_start`` up to
        ``min(period_end, now)``, empty weeks included. A case counts in the week
        it was received, so the weeks add up to ``figures`` of the same cohort."""
        period_start, now = cohort["period_start"], cohort["now"]
        _aware("now", now)
        end = min(cohort["period_end"], now)
        if _aware("period_end", end) <= _aware("period_start", period_start):
            return []
        where, params = _cohort(period_start, end, cohort.get("agency"), cohort.get("kind"))
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
        return [from_row(OverdueCase, row) for row in rows]

    def most_supported(self, *, agency: str | None, limit: int = 10) -> list[SupportedReport]:
        """Open reports with at least one support, most supported first (then
        the soonest due): the problems most citizens are waiting on today."""
        sql = (
            f"SELECT case_id, code, agency, category, status, support_count, due_at FROM {TABLE}"
            " WHERE is_open = 1 AND support_count > 0"
        )
        params: list[Any] = []
        if agency is not None:
            sql += " AND agency = ?"
            params.append(agency)
        rows = self.database.query(f"{sql} ORDER BY support_count DESC, due_at, case_id LIMIT ?", [*params, limit])
        return [from_row(SupportedReport, row) for row in rows]

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
        # A SUM of BIGINT is NUMERIC on PostgreSQL: read back with int().
        "SUM(support_count) AS supports",
        f"{_count('support_count > 0')} AS supported_reports",
    )
)


def _cohort_of(cohort: Cohort) -> tuple[str, list[Any]]:
    return _cohort(cohort["period_start"], cohort["period_end"], cohort.get("agency"), cohort.get("kind"))


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
        supports=count("supports"),
        supported_reports=count("supported_reports"),
    )
