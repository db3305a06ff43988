"""``GET /api/v1/dashboard`` and the leader dashboard page (DESIGN §5, §6; notes §6.7).

The JSON answer is read from the ``agency_dashboard`` read model: the figures
of the cases *received* in the period (rates as fractions, working hours as
numbers), the weekly series of the same cohort, and the open cases overdue
right now (the 20 most overdue, whatever their receipt date: the work to
chase today). Leaders and officers see their own agency; auditors name one
with ``?agency=`` or get the whole city with a row per agency. Everyone else
is 403.

Query: ``period_start``, ``period_end`` — ISO dates or date-times; without an
offset they are Hanoi time; a date starts the period at 00:00 of that day and
ends it at the end of that day, so ``2026-11-01``…``2026-11-30`` is all of
November; by default the 30 days up to now; at most 366 days. ``kind``
(report, dossier, complaint, denunciation), ``agency`` (auditors),
``position`` (read-your-writes). A bad one is 422 naming the field.

The HTML pages (``/dashboard``, ``/dashboard/cases/{id}``) are shells that need
no token to load; their script sends the pasted token as a header to the API
and to ``/dashboard/chart.svg``, the weekly chart rendered here as SVG.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from importlib import resources
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ihanoi_core.directory import Agency, Directory
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import ForbiddenError, ValidationError
from ihanoi_projections.agency_dashboard import AgencyDashboardModel, DashboardFigures
from ihanoi_projections.agency_dashboard_projection import RULES
from ihanoi_server import dashboard_page
from ihanoi_server.http import json_response, principal, query_int, state, wait_for_position
from ihanoi_server.i18n import language, strings
from ihanoi_server.openapi import POSITION, Query, document
from ihanoi_server.problems import HttpProblem

DEFAULT_DAYS = 30
MAX_DAYS = 366
MIN_YEAR, MAX_YEAR = 1970, 9998
OVERDUE_LIMIT = 20
# ``overdue()`` has no kind filter: with ``?kind=`` this many are scanned.
OVERDUE_SCAN = 1000
ISO_HINT = "must be an ISO date (2026-11-01) or date-time (2026-11-01T08:00:00+07:00)"
# A ``+`` of an unencoded offset arrives as a space in a query string.
SPACED_OFFSET = re.compile(r"(T[0-9:.]+) ([0-9]{2}:?[0-9]{2})$")
CASE_REF = re.compile(r"^[A-Za-z0-9-]{1,64}$")
NO_STORE = {"Cache-Control": "no-store"}
PAGE_HEADERS = {
    **NO_STORE,
    "Content-Security-Policy": dashboard_page.CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
STATIC_TYPES = {"dashboard.css": "text/css; charset=utf-8", "dashboard.js": "text/javascript; charset=utf-8"}


# -- what the API answers -------------------------------------------------------------


class PeriodView(msgspec.Struct):
    """``[start, end)`` in Hanoi time."""

    start: datetime
    end: datetime
    timezone: str


class AgencyView(msgspec.Struct):
    code: str
    name: str
    name_en: str


class AgencyFiguresView(msgspec.Struct):
    agency: AgencyView
    figures: DashboardFigures


class WeekView(msgspec.Struct):
    """One ISO week (from Monday, Hanoi time) of the cohort, by week of receipt."""

    week_start: date
    iso_week: str
    received: int
    resolved_on_time: int
    resolved_late: int


class OverdueView(msgspec.Struct):
    id: UUID
    code: str
    kind: str
    agency: str | None
    status: str
    due_at: datetime
    audit_url: str
    history_url: str


class OverdueList(msgspec.Struct):
    """The open cases past due now, most overdue first; ``more``: there are others."""

    items: list[OverdueView]
    limit: int
    more: bool


class ViewerView(msgspec.Struct):
    role: str
    agency: str | None


class DashboardView(msgspec.Struct):
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


# -- parsing -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DashboardQuery:
    period_start: datetime
    period_end: datetime
    agency: Agency | None
    kind: str | None


def parse_moment(name: str, raw: str, zone: ZoneInfo, *, end: bool) -> datetime:
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
    # The store counts microseconds since 1970; years far off either way are typos.
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise ValidationError({name: f"must be between the years {MIN_YEAR} and {MAX_YEAR}"})
    return moment


def parse_query(
    request: Request, who: Principal, directory: Directory, zone: ZoneInfo, now: datetime
) -> DashboardQuery:
    """The filter of a dashboard request, checked for this principal."""
    if not (who.is_staff and who.agency) and who.role is not Role.AUDITOR:
        raise ForbiddenError("read_dashboard", who.role.value)
    params = request.query_params
    errors: dict[str, str] = {}
    bounds: dict[str, datetime] = {}
    for name in ("period_start", "period_end"):
        raw = params.get(name)
        if raw is not None and raw.strip():
            try:
                bounds[name] = parse_moment(name, raw, zone, end=name == "period_end")
            except ValidationError as error:
                errors.update(error.errors)
    end = bounds.get("period_end", now.astimezone(zone))
    start = bounds.get("period_start", end - timedelta(days=DEFAULT_DAYS))
    if not errors:
        if end <= start:
            errors["period_end"] = "must be after period_start"
        elif end - start > timedelta(days=MAX_DAYS):
            errors["period_start"] = f"the period may span at most {MAX_DAYS} days"
    kind = params.get("kind") or None
    if kind is not None and kind not in RULES:
        errors["kind"] = f"must be one of {', '.join(RULES)}"
    code = params.get("agency") or None
    agency: Agency | None = None
    if who.role is Role.AUDITOR:
        if code is not None and (agency := directory.get_agency(code)) is None:
            errors["agency"] = f"unknown agency {code[:64]!r}"
    else:
        if code is not None and code != who.agency:
            raise ForbiddenError("read_another_agency_dashboard", who.role.value)
        assert who.agency is not None
        agency = directory.get_agency(who.agency) or Agency(code=who.agency, name=who.agency)
    try:
        query_int(request, "position", 0)  # waited for later; a bad one is one more field error
    except ValidationError as error:
        errors.update(error.errors)
    if errors:
        raise ValidationError(errors)
    return DashboardQuery(start, end, agency, kind)


# -- reading ---------------------------------------------------------------------------------


def agency_view(agency: Agency) -> AgencyView:
    return AgencyView(agency.code, agency.name, agency.name_en or agency.name)


def read_dashboard(
    model: AgencyDashboardModel, directory: Directory, query: DashboardQuery, who: Principal, now: datetime
) -> DashboardView:
    zone = query.period_start.tzinfo
    assert isinstance(zone, ZoneInfo)
    code = query.agency.code if query.agency else None
    cohort: dict[str, Any] = {
        "period_start": query.period_start, "period_end": query.period_end, "now": now, "kind": query.kind,
    }  # fmt: skip
    figures = model.figures(agency=code, **cohort)
    by_agency = []
    if code is None:
        for row in model.figures_by_agency(**cohort):
            known = directory.get_agency(row.agency) or Agency(code=row.agency, name=row.name)
            by_agency.append(AgencyFiguresView(agency_view(known), row.figures))
    weekly = [
        WeekView(week.week_start, dashboard_page.iso_week(week.week_start), week.received,
                 week.resolved_on_time, week.resolved_late)
        for week in model.weekly(agency=code, **cohort)
    ]  # fmt: skip
    scan = OVERDUE_LIMIT + 1 if query.kind is None else OVERDUE_SCAN
    overdue = [case for case in model.overdue(agency=code, now=now, limit=scan) if query.kind in (None, case.kind)]
    items = [
        OverdueView(case.case_id, case.code, case.kind, case.agency, case.status, case.due_at.astimezone(zone),
                    f"/api/v1/audit/{case.case_id}", f"/dashboard/cases/{case.case_id}")
        for case in overdue[:OVERDUE_LIMIT]
    ]  # fmt: skip
    return DashboardView(
        period=PeriodView(query.period_start, query.period_end, str(zone)),
        as_of=now.astimezone(zone),
        kind=query.kind,
        agency=agency_view(query.agency) if query.agency else None,
        viewer=ViewerView(who.role.value, who.agency),
        figures=figures,
        by_agency=by_agency,
        weekly=weekly,
        overdue=OverdueList(items, OVERDUE_LIMIT, len(overdue) > OVERDUE_LIMIT),
    )


# -- endpoints -----------------------------------------------------------------------------------


async def dashboard(request: Request) -> Response:
    """The dashboard figures of an agency for a period. Roles: leader, officer (own agency), auditor."""
    who = principal(request)
    server = state(request)
    now = server.app.clock()
    query = parse_query(request, who, server.app.directory, server.app.timezone, now)
    await wait_for_position(request)
    model = server.read_side.model(AgencyDashboardModel)
    view = await run_in_threadpool(read_dashboard, model, server.app.directory, query, who, now)
    return json_response(view, headers=NO_STORE)


async def chart(request: Request) -> Response:
    """The weekly trend of the same filter as SVG. Roles: leader, officer (own agency), auditor."""
    who = principal(request)
    server = state(request)
    now = server.app.clock()
    query = parse_query(request, who, server.app.directory, server.app.timezone, now)
    await wait_for_position(request)
    lang = language(request.query_params.get("lang"))
    text = strings(lang)
    weeks = await run_in_threadpool(
        server.read_side.model(AgencyDashboardModel).weekly,
        agency=query.agency.code if query.agency else None,
        period_start=query.period_start,
        period_end=query.period_end,
        now=now,
        kind=query.kind,
    )
    if query.agency is None:
        scope = text["scope.all_agencies"]
    else:
        scope = (query.agency.name_en or query.agency.name) if lang == "en" else query.agency.name
    caption = f"{scope} · {query.period_start:%d/%m/%Y %H:%M} – {query.period_end:%d/%m/%Y %H:%M}"
    svg = dashboard_page.weekly_chart_svg(weeks, text, caption=caption)
    return Response(svg, media_type="image/svg+xml", headers={**NO_STORE, "X-Content-Type-Options": "nosniff"})


async def page(request: Request) -> Response:
    """The leader dashboard page (HTML; it asks for a token and reads the API with it)."""
    lang = language(request.query_params.get("lang"))
    agencies = [
        (agency.code, (agency.name_en or agency.name) if lang == "en" else agency.name)
        for agency in state(request).app.directory.agencies.values()
    ]
    html = dashboard_page.dashboard_page(lang, strings(lang), agencies)
    return Response(html, media_type="text/html", headers=PAGE_HEADERS)


async def case_history(request: Request) -> Response:
    """A case's history page (HTML; it reads `/api/v1/audit/{id}` with the pasted token)."""
    ref: str = request.path_params["id"]
    if not CASE_REF.match(ref):
        raise HttpProblem(404, "no_such_case", "A case is named by its id or its code.")
    lang = language(request.query_params.get("lang"))
    html = dashboard_page.case_page(lang, strings(lang), ref)
    return Response(html, media_type="text/html", headers=PAGE_HEADERS)


@cache
def static_file(name: str) -> bytes:
    return resources.files("ihanoi_server").joinpath("static", name).read_bytes()


async def static(request: Request) -> Response:
    """The dashboard's own stylesheet and script (no CDN: the intranet may have no internet)."""
    name: str = request.path_params["name"]
    if name not in STATIC_TYPES:
        raise HttpProblem(404, "no_such_file", "No such dashboard file.")
    content = await run_in_threadpool(static_file, name)
    return Response(content, media_type=STATIC_TYPES[name], headers={"Cache-Control": "no-cache"})


routes = [
    Route("/api/v1/dashboard", dashboard, methods=["GET"], name="dashboard:read"),
    Route("/dashboard", page, methods=["GET"], name="dashboard:page"),
    Route("/dashboard/chart.svg", chart, methods=["GET"], name="dashboard:chart"),
    Route("/dashboard/cases/{id}", case_history, methods=["GET"], name="dashboard:case"),
    Route("/dashboard/static/{name}", static, methods=["GET"], name="dashboard:static"),
]

FILTER = (
    Query("period_start", str, "ISO date or date-time, Hanoi time unless an offset is given; "
          f"default {DEFAULT_DAYS} days before period_end."),
    Query("period_end", str, "ISO date (inclusive: to the end of that day) or date-time (exclusive); default now."),
    Query("kind", str, "report, dossier, complaint or denunciation; default all."),
    Query("agency", str, "Auditors only: an agency code; default the whole city. Staff: their own agency."),
)  # fmt: skip
LANG = Query("lang", str, "vi (default) or en.")
document("dashboard:read", response=DashboardView, query=[*FILTER, POSITION], problems=(401, 403, 422, 503))
document(
    "dashboard:chart",
    media_type="image/svg+xml",
    response={"type": "string"},
    query=[*FILTER, LANG, POSITION],
    auth="bearer",
    problems=(401, 403, 422, 503),
    roles=("leader", "officer", "auditor"),
)
document("dashboard:page", media_type="text/html", response={"type": "string"}, query=[LANG], auth="none",
         problems=())  # fmt: skip
document("dashboard:case", media_type="text/html", response={"type": "string"}, query=[LANG], auth="none",
         problems=(404,))  # fmt: skip
document("dashboard:static", media_type="text/plain", response={"type": "string"}, auth="none", problems=(404,))
