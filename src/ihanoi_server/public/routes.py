"""Public results, for anyone and without a token (issue #13 item 3):

- ``GET /public/stats`` — the statistics of field reports received in a
  period, by agency, ward, category or channel (``group_by``), under the
  minimum-volume rule (``IHANOI_PUBLIC_STATS_MIN_COUNT``; see
  ``ihanoi_projections.public_results.figures``). JSON, or CSV with
  ``Accept: text/csv``; ``GET /public/stats.csv`` is the same as CSV.
- ``GET /public/reports/{code}`` — the public page of one field report (HTML,
  ``?lang=vi|en``), from the ``public_reports`` feed and the report's public
  timeline (``public_results``); unknown codes are 404.

Query of the statistics: ``period`` — ``YYYY-MM`` (a month) or ``YYYY`` (a
year) — or ``from`` and ``to``, dates (inclusive, Hanoi time) at most 366 days
apart; by default the 30 days up to today. ``group_by`` (default ``agency``);
``agency``, ``ward``, ``category``, ``channel`` narrow the cohort (codes of the
directory; an unknown one is 422). A bad parameter is 422 naming it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import asdict, fields
from datetime import date, datetime, time, timedelta
from importlib import resources
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ihanoi_core.directory import Directory
from ihanoi_core.domain.values import Channel
from ihanoi_core.errors import ValidationError
from ihanoi_projections.engine.base import MAX_YEAR, MIN_YEAR, YEARS_HINT
from ihanoi_projections.public_photos import PublicPhotosModel
from ihanoi_projections.public_reports import PublicReportsModel
from ihanoi_projections.public_results.figures import GROUPINGS, PublicFigures, PublicResultsModel, PublicStats
from ihanoi_server.http import json_response, state, wait_for_position
from ihanoi_server.openapi.describe import LANG, POSITION, Query, document, document_with_csv
from ihanoi_server.problems import HttpProblem
from ihanoi_server.public import pages
from ihanoi_server.public.i18n import language, strings
from ihanoi_server.static import PackageFiles

MAX_DAYS = 366
DEFAULT_DAYS = 30
CSV_TYPE = "text/csv; charset=utf-8"
# Public and the same for everyone: a shared cache may keep it a minute.
T = TypeVar("T")
STATS_HEADERS = {"Cache-Control": "public, max-age=60", "Vary": "Accept"}
PAGE_HEADERS = {
    "Cache-Control": "public, max-age=60",
    "Content-Security-Policy": pages.CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
PERIOD = re.compile(r"^(?P<year>[0-9]{4})(-(?P<month>[0-9]{2}))?$")
REPORT_CODE = "[A-Za-z]{2}-[0-9]{6}-[0-9]{6}"
FIGURES = tuple(field.name for field in fields(PublicFigures))
CSV_COLUMNS = ("row", "key", "name", "name_en", *FIGURES)


class ReportCodeConvertor(Convertor[str]):
    """A report's code in a path (``PA-261130-483920``), so that other
    ``/public/reports/…`` routes (the map's ``near``) are never read as one."""

    regex = REPORT_CODE

    def convert(self, value: str) -> str:
        return value.upper()

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("report_code", ReportCodeConvertor())


# -- the statistics ----------------------------------------------------------------------


def period_of(params: Any, zone: ZoneInfo, today: date, errors: dict[str, str]) -> tuple[datetime, datetime]:
    """``[start, end)`` in the city's zone, from ``period`` or ``from``/``to``
    (one of them alone: the 30 days from or up to it; neither: the 30 days up to today)."""
    period, first, last = params.get("period"), params.get("from"), params.get("to")
    end = today + timedelta(days=1)
    start = end - timedelta(days=DEFAULT_DAYS)
    if period is not None:
        if first is not None or last is not None:
            errors["period"] = "give period, or from and to, not both"
        elif (found := PERIOD.match(period)) is None or not 1 <= int(found["month"] or 1) <= 12:
            errors["period"] = "must be a month (2026-11) or a year (2026)"
        elif not MIN_YEAR <= int(found["year"]) <= MAX_YEAR:
            errors["period"] = YEARS_HINT
        elif found["month"]:
            start = date(int(found["year"]), int(found["month"]), 1)
            end = next_month(start)
        else:
            start, end = date(int(found["year"]), 1, 1), date(int(found["year"]) + 1, 1, 1)
    elif first is not None or last is not None:
        begin = _date("from", first, errors) if first is not None else None
        to = _date("to", last, errors) if last is not None else None
        end = to + timedelta(days=1) if to else (begin + timedelta(days=DEFAULT_DAYS) if begin else end)
        start = begin or end - timedelta(days=DEFAULT_DAYS)
        if not errors and end <= start:
            errors["to"] = "must not be before from"
        elif not errors and (end - start).days > MAX_DAYS:
            errors["to"] = f"the period may span at most {MAX_DAYS} days"
    return datetime.combine(start, time(), zone), datetime.combine(end, time(), zone)


def next_month(first_day: date) -> date:
    return (first_day + timedelta(days=32)).replace(day=1)


def _date(name: str, value: str, errors: dict[str, str]) -> date | None:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        errors[name] = "must be a date (2026-11-30)"
        return None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        errors[name] = YEARS_HINT
        return None
    return day


def filters_of(params: Any, directory: Directory, errors: dict[str, str]) -> dict[str, str | None]:
    known = {
        "agency": directory.agencies,
        "ward": directory.wards,
        "category": directory.categories,
        "channel": {channel.value: channel for channel in Channel},
    }
    chosen: dict[str, str | None] = {}
    for name, codes in known.items():
        value = params.get(name) or None
        if value is not None and value not in codes:
            errors[name] = f"unknown {name} {value[:64]!r}"
        chosen[name] = value
    return chosen


async def read_stats(request: Request) -> PublicStats:
    server = state(request)
    params = request.query_params
    errors: dict[str, str] = {}
    zone = server.app.timezone
    start, end = period_of(params, zone, server.app.clock().astimezone(zone).date(), errors)
    group_by = params.get("group_by") or "agency"
    if group_by not in GROUPINGS:
        errors["group_by"] = f"must be one of {', '.join(GROUPINGS)}"
    chosen = filters_of(params, server.app.directory, errors)
    if errors:
        raise ValidationError(errors)
    await wait_for_position(request)
    model = server.read_side.model(PublicResultsModel)
    return await run_in_threadpool(
        lambda: model.stats(
            period_start=start,
            period_end=end,
            group_by=group_by,
            min_count=server.settings.public_stats_min_count,
            **chosen,
        )
    )


def wants_csv(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return any(part.split(";")[0].strip().lower() == "text/csv" for part in accept.split(","))


def json_or_csv(request: Request, found: T, as_csv: Callable[[T], Response]) -> Response:
    """``found`` as CSV (``as_csv``) when the request asks for ``text/csv``, else as JSON."""
    return as_csv(found) if wants_csv(request) else json_response(found, headers=STATS_HEADERS)


async def stats(request: Request) -> Response:
    """Public statistics of field reports by agency, ward, category or channel,
    groups below the minimum volume suppressed. CSV with `Accept: text/csv`. Roles: anyone (no token)."""
    return json_or_csv(request, await read_stats(request), csv_response)


async def stats_csv(request: Request) -> Response:
    """The same statistics as CSV (UTF-8, a header row, one row per group, then the total). Roles: anyone."""
    return csv_response(await read_stats(request))


def stats_rows(found: PublicStats) -> list[dict[str, Any]]:
    """One dict per CSV row, in ``CSV_COLUMNS``: every group, then the total."""
    rows = [
        {"row": "group", "key": group.key, "name": group.name, "name_en": group.name_en, **asdict(group.figures)}
        for group in found.groups
    ]
    rows.append({"row": "total", "key": "", "name": "Tổng", "name_en": "Total", **asdict(found.total)})
    return rows


def csv_text(found: PublicStats) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in stats_rows(found):
        writer.writerow(
            {
                name: ("true" if value else "false") if isinstance(value, bool) else ("" if value is None else value)
                for name, value in row.items()
            }
        )
    return out.getvalue()


def csv_response(found: PublicStats) -> Response:
    name = f"ihanoi-stats-{found.group_by}-{found.period_start:%Y%m%d}-{found.period_end:%Y%m%d}.csv"
    headers = {**STATS_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
    return Response(csv_text(found), media_type=CSV_TYPE, headers=headers)


# -- a report's page ------------------------------------------------------------------------


async def report_page(request: Request) -> Response:
    """The public page of one field report: what, where, its status, the agency's
    answer, photos and its public timeline (HTML, vi/en). Roles: anyone (no token)."""
    server = state(request)
    code: str = request.path_params["code"]
    await wait_for_position(request)
    report = await run_in_threadpool(server.read_side.model(PublicReportsModel).get_by_code, code)
    if report is None:
        raise HttpProblem(404, "report_not_found", f"No public report {code!r}.")
    timeline = await run_in_threadpool(server.read_side.model(PublicResultsModel).timeline, report.case_id)
    photos = await run_in_threadpool(server.read_side.model(PublicPhotosModel).for_cases, [report.case_id])
    lang = language(request.query_params.get("lang"))
    directory, zone = server.app.directory, server.app.timezone
    shown = tuple(photo.sha256 for photo in photos.get(report.case_id, []))
    html = pages.report_page(lang, strings(lang), report, timeline, directory, zone, shown)
    return Response(html, media_type="text/html; charset=utf-8", headers={**PAGE_HEADERS, "Content-Language": lang})


STYLESHEET = PackageFiles(
    {
        "public.css": (
            resources.files("ihanoi_server.public").joinpath("static", "public.css"),
            "text/css; charset=utf-8",
        )
    },
    headers={"Cache-Control": "public, max-age=3600"},
    missing="No such file.",
)


async def static_css(request: Request) -> Response:
    """The public pages' stylesheet (no CDN)."""
    return await STYLESHEET.answer(request, "public.css")


routes = [
    Route("/public/stats", stats, methods=["GET"], name="public:stats"),
    Route("/public/stats.csv", stats_csv, methods=["GET"], name="public:stats_csv"),
    Route("/public/reports/{code:report_code}", report_page, methods=["GET"], name="public:report"),
    Route("/public/static/public.css", static_css, methods=["GET"], name="public:static"),
]

QUERY = (
    Query(
        "period",
        {"type": "string", "pattern": "^[0-9]{4}(-[0-9]{2})?$"},
        "A month (`2026-11`) or a year (`2026`); default the 30 days up to today. Not with from/to.",
    ),
    Query("from", {"type": "string", "format": "date"}, "First day (Hanoi time), with or without `to`."),
    Query("to", {"type": "string", "format": "date"}, f"Last day, inclusive; at most {MAX_DAYS} days after `from`."),
    Query("group_by", {"type": "string", "enum": list(GROUPINGS)}, "How to group the reports; default agency."),
    Query("agency", str, "Only reports of this agency (a directory code)."),
    Query("ward", str, "Only reports of this ward (a directory code)."),
    Query("category", str, "Only reports of this category (an Open311 service_code)."),
    Query(
        "channel",
        {"type": "string", "enum": [channel.value for channel in Channel]},
        "Only reports that came this way.",
    ),
    POSITION,
)
RULE = (
    "Groups with fewer reports than the minimum volume (IHANOI_PUBLIC_STATS_MIN_COUNT) are suppressed "
    "(`suppressed: true`, every figure null), and so are the smallest other groups while the suppressed ones "
    "add up to fewer, so the total cannot give them away; rates and working hours need that many resolved "
    "reports, an average rating that many ratings. Reports only; no personal data."
)
document_with_csv(
    "public:stats", "public:stats_csv", response=PublicStats, columns=CSV_COLUMNS, description=RULE, query=QUERY
)
document(
    "public:report",
    media_type="text/html",
    response={"type": "string"},
    query=[LANG, POSITION],
    auth="none",
    path={"code": {"type": "string", "pattern": f"^{REPORT_CODE}$", "description": "The report's code."}},
    problems=(404, 422, 503),
)
document("public:static", media_type="text/css", response={"type": "string"}, auth="none", problems=(), store=False)
