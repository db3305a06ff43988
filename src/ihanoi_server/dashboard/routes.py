"""``GET /api/v1/dashboard`` and the leader dashboard page (DESIGN §5, §6; notes §6.7).

The JSON answer is read from the ``agency_dashboard`` read model: the figures
of the cases *received* in the period (rates as fractions, working hours as
numbers), the weekly series of the same cohort, and the open cases overdue
right now (the 20 most overdue, whatever their receipt date: the work to
chase today). Leaders and officers see their own agency; auditors name one
with ``?agency=`` or get the whole city with a row per agency. Everyone else
is 403. The query and its access rule are ``Queries.dashboard`` in
``ihanoi_projections.queries``; this module parses, calls and renders.

Query: ``period_start``, ``period_end`` — ISO dates or date-times; without an
offset they are Hanoi time; a date starts the period at 00:00 of that day and
ends it at the end of that day, so ``2026-11-01``…``2026-11-30`` is all of
November; by default the 30 days up to now; at most 366 days. ``kind``
(report, dossier, complaint, denunciation), ``agency`` (auditors),
``position`` (read-your-writes). A bad one is 422 naming the field.

The HTML pages (``/dashboard``, ``/dashboard/cases/{id}``) are shells that need
no token to load; their script reads the API and ``/dashboard/chart.svg`` (the
weekly chart rendered here as SVG) with the browser session cookie, opened once
from a token (``api/session.py``).
"""

from __future__ import annotations

import re
from importlib import resources

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ihanoi_core.domain.values import Principal
from ihanoi_core.errors import ValidationError
from ihanoi_projections.queries.dashboard import DEFAULT_DAYS, DashboardFilter, DashboardView
from ihanoi_server.dashboard import pages as dashboard_page
from ihanoi_server.dashboard.chart import weekly_chart_svg
from ihanoi_server.dashboard.i18n import language, strings
from ihanoi_server.http import json_response, principal, query_int, state, wait_for_position
from ihanoi_server.openapi.describe import LANG, POSITION, Query, document
from ihanoi_server.problems import HttpProblem
from ihanoi_server.static import PackageFiles

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


def wanted(request: Request, who: Principal) -> DashboardFilter:
    """The dashboard filter of the query string, checked for ``who`` by the
    query layer; a bad ``position`` is named with the filter's own fields."""
    params = request.query_params
    try:
        query_int(request, "position", 0)  # waited for later; a bad one is one more field error
        errors: dict[str, str] = {}
    except ValidationError as error:
        errors = dict(error.errors)
    return state(request).queries.dashboard_filter(
        who,
        period_start=params.get("period_start"),
        period_end=params.get("period_end"),
        kind=params.get("kind") or None,
        agency=params.get("agency") or None,
        errors=errors,
    )


# -- endpoints -----------------------------------------------------------------------------------


async def dashboard(request: Request) -> Response:
    """The dashboard figures of an agency for a period. Roles: leader, officer (own agency), auditor."""
    who = principal(request)
    query = wanted(request, who)
    await wait_for_position(request)
    view = await run_in_threadpool(state(request).queries.dashboard, who, query)
    return json_response(view, headers=NO_STORE)


async def chart(request: Request) -> Response:
    """The weekly trend of the same filter as SVG. Roles: leader, officer (own agency), auditor."""
    who = principal(request)
    query = wanted(request, who)
    await wait_for_position(request)
    lang = language(request.query_params.get("lang"))
    text = strings(lang)
    weeks = await run_in_threadpool(state(request).queries.dashboard_weekly, who, query)
    if query.agency is None:
        scope = text["scope.all_agencies"]
    else:
        scope = (query.agency.name_en or query.agency.name) if lang == "en" else query.agency.name
    caption = f"{scope} · {query.period_start:%d/%m/%Y %H:%M} – {query.period_end:%d/%m/%Y %H:%M}"
    svg = weekly_chart_svg(weeks, text, caption=caption)
    return Response(svg, media_type="image/svg+xml", headers={**NO_STORE, "X-Content-Type-Options": "nosniff"})


async def page(request: Request) -> Response:
    """The leader dashboard page (HTML; it reads the API with the browser session, asking for a token once)."""
    lang = language(request.query_params.get("lang"))
    agencies = [
        (agency.code, (agency.name_en or agency.name) if lang == "en" else agency.name)
        for agency in state(request).app.directory.agencies.values()
    ]
    html = dashboard_page.dashboard_page(lang, strings(lang), agencies)
    return Response(html, media_type="text/html", headers=PAGE_HEADERS)


async def case_history(request: Request) -> Response:
    """A case's history page (HTML; it reads `/api/v1/audit/{id}` with the browser session)."""
    ref: str = request.path_params["id"]
    if not CASE_REF.match(ref):
        raise HttpProblem(404, "no_such_case", "A case is named by its id or its code.")
    lang = language(request.query_params.get("lang"))
    html = dashboard_page.case_page(lang, strings(lang), ref)
    return Response(html, media_type="text/html", headers=PAGE_HEADERS)


FILES = PackageFiles(
    {
        name: (resources.files("ihanoi_server.dashboard").joinpath("static", name), kind)
        for name, kind in STATIC_TYPES.items()
    },
    headers={"Cache-Control": "no-cache"},
    missing="No such dashboard file.",
)


async def static(request: Request) -> Response:
    """The dashboard's own stylesheet and script (no CDN: the intranet may have no internet)."""
    return await FILES.answer(request, request.path_params["name"])


routes = [
    Route("/api/v1/dashboard", dashboard, methods=["GET"], name="dashboard:read"),
    Route("/dashboard", page, methods=["GET"], name="dashboard:page"),
    Route("/dashboard/chart.svg", chart, methods=["GET"], name="dashboard:chart"),
    Route("/dashboard/cases/{id}", case_history, methods=["GET"], name="dashboard:case"),
    Route("/dashboard/static/{name}", static, methods=["GET"], name="dashboard:static"),
]

FILTER = (
    Query(
        "period_start",
        str,
        f"ISO date or date-time, Hanoi time unless an offset is given; default {DEFAULT_DAYS} days before period_end.",
    ),
    Query("period_end", str, "ISO date (inclusive: to the end of that day) or date-time (exclusive); default now."),
    Query("kind", str, "report, dossier, complaint or denunciation; default all."),
    Query("agency", str, "Auditors only: an agency code; default the whole city. Staff: their own agency."),
)
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
# The pages: shells their script fills with the browser's session, so no token and no store.
for page_name, page_problems in (("dashboard:page", ()), ("dashboard:case", (404,))):
    document(page_name, media_type="text/html", response={"type": "string"}, query=[LANG], auth="none",
             problems=page_problems, store=False)  # fmt: skip
document(
    "dashboard:static", media_type="text/plain", response={"type": "string"}, auth="none", problems=(404,), store=False
)
