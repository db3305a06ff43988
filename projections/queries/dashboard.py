"""The dashboard query: an agency's figures for a period (DESIGN §5, §6; notes §6.7).

``dashboard_filter`` turns the caller's words (ISO dates or date-times, a kind,
an agency code) into a ``DashboardFilter``, refusing first a principal the
``DASHBOARD`` rule does not admit, then naming every bad field at once.
``read_dashboard`` reads the ``agency_dashboard`` read model for a filter:
the figures of the cases *received* in the period, the weekly series of the
same cohort, and the open cases overdue right now (the 20 most overdue,
whatever their receipt date: the work to chase today).

A period bound without an offset is Hanoi time; a date starts the period at
00:00 of that day and ends it at the end of that day, so ``2026-11-01`` …
``2026-11-30`` is all of November; by default the 30 days up to now; at most
366 days.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TypedDict, Unpack
from uuid import UUID
from zoneinfo import ZoneInfo

from ihanoi_core.directory import Agency, Directory
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import ValidationError
from ihanoi_projections.agency_dashboard.facts import RULES as KINDS
from ihanoi_projections.agency_dashboard.figures import AgencyDashboardModel, Cohort, DashboardFigures
from ihanoi_projections.business_inquiries import AnswerRate
from ihanoi_projections.engine.base import MAX_YEAR, MIN_YEAR, YEARS_HINT
from ihanoi_projections.queries.access import DASHBOARD, authorize, authorize_agency

DEFAULT_DAYS = 30
MAX_DAYS = 366
OVERDUE_LIMIT = 20
MOST_SUPPORTED_LIMIT = 10
# ``overdue()`` has no kind filter: with a kind this many are scanned.
OVERDUE_SCAN = 1000
ISO_HINT = "must be an ISO date (2026-11-01) or date-time (2026-11-01T08:00:00+07:00)"
# A ``+`` of an unencoded offset arrives as a space in a query string.
SPACED_OFFSET = re.compile(r"(T[0-9:.]+) ([0-9]{2}:?[0-9]{2})$")


# -- what the query answers -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PeriodView:
    """``[start, end)`` in Hanoi time."""

    start: datetime
    end: datetime
    timezone: str


@dataclass(frozen=True, slots=True)
class AgencyView:
    code: str
    name: str
    name_en: str


@dataclass(frozen=True, slots=True)
class AgencyFiguresView:
    agency: AgencyView
    figures: DashboardFigures


@dataclass(frozen=True, slots=True)
class WeekView:
    """One ISO week (from Monday, Hanoi time) of the cohort, by week of receipt."""

    week_start: date
    iso_week: str
    received: int
    resolved_on_time: int
    resolved_late: int


@dataclass(frozen=True, slots=True)
class OverdueView:
    id: UUID
    code: str
    kind: str
    agency: str | None
    status: str
    due_at: datetime
    audit_url: str
    history_url: str


@dataclass(frozen=True, slots=True)
class OverdueList:
    """The open cases past due now, most overdue first; ``more``: there are others."""

    items: list[OverdueView]
    limit: int
    more: bool


@dataclass(frozen=True, slots=True)
class SupportedView:
    """An open report citizens support ("tôi cũng gặp"), with how many do."""

    id: UUID
    code: str
    agency: str | None
    category: str | None
    status: str
    support_count: int
    due_at: datetime | None
    history_url: str


@dataclass(frozen=True, slots=True)
class ViewerView:
    role: str
    agency: str | None


@dataclass(frozen=True, slots=True)
class DashboardView:
    """The dashboard of one agency (or, for auditors, the whole city: ``agency``
    null and one ``by_agency`` row per agency with cases in the cohort)."""

    period: PeriodView
    as_of: datetime
    kind: str | None
    agency: AgencyView | None
    viewer: ViewerView
    figures: DashboardFigures
    by_agency: list[AgencyFiguresView]
    weekly: list[WeekView]
    overdue: OverdueList
    # The open reports most citizens support now, whatever their receipt date.
    most_supported: list[SupportedView]
    # Business inquiries (issue #18) answered on time and late, per agency, counted now.
    business_answers: list[AnswerRate] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class DashboardFilter:
    """Which cohort a dashboard shows: cases received in ``[period_start,
    period_end)`` (aware times), of one agency (``None``: the whole city, for
    auditors; staff always see their own) and of one kind (``None``: all)."""

    period_start: datetime
    period_end: datetime
    agency: Agency | None = None
    kind: str | None = None


class DashboardWords(TypedDict, total=False):
    """A dashboard request as the caller words it: the period bounds, a kind
    and an agency code as given (``None``: not given), and the caller's own
    ``errors`` (its other parameters) to report with these fields'."""

    period_start: str | None
    period_end: str | None
    kind: str | None
    agency: str | None
    errors: Mapping[str, str] | None


# -- parsing ---------------------------------------------------------------------------


def iso_week(week_start: date) -> str:
    year, week, _ = week_start.isocalendar()
    return f"{year}-W{week:02d}"


def period_bound(name: str, raw: str, zone: ZoneInfo, *, end: bool) -> datetime:
    """A period bound (see module docstring); ``ValidationError`` naming ``name``."""
    text = SPACED_OFFSET.sub(r"\1+\2", raw.strip())
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime.combine(day + timedelta(days=1) if end else day, time(), tzinfo=zone)
        else:
            moment = datetime.fromisoformat(text)
            moment = moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)
    except (ValueError, OverflowError):
        raise ValidationError({name: ISO_HINT}) from None
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise ValidationError({name: YEARS_HINT})
    return moment


def dashboard_filter(
    principal: Principal, directory: Directory, zone: ZoneInfo, now: datetime, **words: Unpack[DashboardWords]
) -> DashboardFilter:
    """The filter of a dashboard request, checked for this principal: a role
    the rule refuses, or staff naming another agency, is ``ForbiddenError``
    before any field is judged; then every bad field is named in one
    ``ValidationError``, together with the caller's own ``errors`` (its other
    parameters)."""
    authorize(principal, DASHBOARD)
    found: dict[str, str] = {}
    bounds: dict[str, datetime] = {}
    for name, raw in (("period_start", words.get("period_start")), ("period_end", words.get("period_end"))):
        if raw is not None and raw.strip():
            try:
                bounds[name] = period_bound(name, raw, zone, end=name == "period_end")
            except ValidationError as error:
                found.update(error.errors)
    end = bounds.get("period_end", now.astimezone(zone))
    start = bounds.get("period_start", end - timedelta(days=DEFAULT_DAYS))
    if not found:
        if end <= start:
            found["period_end"] = "must be after period_start"
        elif end - start > timedelta(days=MAX_DAYS):
            found["period_start"] = f"the period may span at most {MAX_DAYS} days"
    kind = words.get("kind")
    if kind is not None and kind not in KINDS:
        found["kind"] = f"must be one of {', '.join(KINDS)}"
    code = authorize_agency(principal, DASHBOARD, words.get("agency"))
    chosen: Agency | None = None
    if code is not None:
        chosen = directory.get_agency(code)
        if chosen is None and principal.role is Role.AUDITOR:
            found["agency"] = f"unknown agency {code[:64]!r}"
        elif chosen is None:
            chosen = Agency(code=code, name=code)
    found.update(words.get("errors") or {})
    if found:
        raise ValidationError(found)
    return DashboardFilter(start, end, chosen, kind)


# -- reading ---------------------------------------------------------------------------------


def agency_view(agency: Agency) -> AgencyView:
    return AgencyView(agency.code, agency.name, agency.name_en or agency.name)


def read_dashboard(
    model: AgencyDashboardModel, directory: Directory, wanted: DashboardFilter, who: Principal, now: datetime
) -> DashboardView:
    """The dashboard of ``wanted`` as ``who`` sees it (the caller has checked access)."""
    zone = wanted.period_start.tzinfo
    assert isinstance(zone, ZoneInfo)
    code = wanted.agency.code if wanted.agency else None
    cohort: Cohort = {
        "period_start": wanted.period_start,
        "period_end": wanted.period_end,
        "now": now,
        "agency": code,
        "kind": wanted.kind,
    }
    figures = model.figures(**cohort)
    by_agency = []
    if code is None:
        for row in model.figures_by_agency(**cohort):
            known = directory.get_agency(row.agency) or Agency(code=row.agency, name=row.name)
            by_agency.append(AgencyFiguresView(agency_view(known), row.figures))
    weekly = [
        WeekView(week.week_start, iso_week(week.week_start), week.received, week.resolved_on_time, week.resolved_late)
        for week in model.weekly(**cohort)
    ]
    scan = OVERDUE_LIMIT + 1 if wanted.kind is None else OVERDUE_SCAN
    overdue = [case for case in model.overdue(agency=code, now=now, limit=scan) if wanted.kind in (None, case.kind)]
    items = [
        OverdueView(
            case.case_id,
            case.code,
            case.kind,
            case.agency,
            case.status,
            case.due_at.astimezone(zone),
            f"/api/v1/audit/{case.case_id}",
            f"/dashboard/cases/{case.case_id}",
        )
        for case in overdue[:OVERDUE_LIMIT]
    ]
    most_supported = [
        SupportedView(
            report.case_id,
            report.code,
            report.agency,
            report.category,
            report.status,
            report.support_count,
            report.due_at.astimezone(zone) if report.due_at else None,
            f"/dashboard/cases/{report.case_id}",
        )
        for report in (
            model.most_supported(agency=code, limit=MOST_SUPPORTED_LIMIT) if wanted.kind in (None, "report") else []
        )
    ]
    return DashboardView(
        period=PeriodView(wanted.period_start, wanted.period_end, str(zone)),
        as_of=now.astimezone(zone),
        kind=wanted.kind,
        agency=agency_view(wanted.agency) if wanted.agency else None,
        viewer=ViewerView(who.role.value, who.agency),
        figures=figures,
        by_agency=by_agency,
        weekly=weekly,
        overdue=OverdueList(items, OVERDUE_LIMIT, len(overdue) > OVERDUE_LIMIT),
        most_supported=most_supported,
    )
