"""What GET Service Requests reads from its query: the spec's filters
(``service_request_id``, ``service_code``, ``status``, the 90-day date window)
and ihanoi's documented extensions (paging, ``lat``/``long``/``radius``,
``bbox``, ``ward``; docs/open311.md), each problem listed at once, and the
reports they select from the public feed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta, tzinfo
from typing import Any
from uuid import UUID

from ihanoi_projections.public_reports import (
    CLOSED,
    OPEN,
    PublicReport,
    PublicReportsModel,
    bounding_box,
    haversine_m,
)
from ihanoi_server.http import number_between
from ihanoi_server.open311.format import Open311Error
from ihanoi_server.open311.params import Params, parse_w3_datetime, split_list

MAX_RANGE = timedelta(days=90)  # the spec's widest start_date..end_date window
MAX_PAGE_SIZE = 200
MAX_PAGE_NUMBER = 10**9  # page and page_size beyond are refused, not read
MAX_IDS = 200
DEFAULT_RADIUS_M = 100
MAX_RADIUS_M = 5000
# Requests a radius search sorts by distance: beyond, the nearest of them are kept.
MAX_RADIUS_ROWS = 10_000


def find_reports(model: PublicReportsModel, refs: Sequence[str]) -> list[PublicReport]:
    """The reports named by case code (or case id), in the order asked; unknown ones are left out."""
    found: dict[UUID, PublicReport] = {}
    for ref in refs:
        try:
            report = model.get(UUID(ref))
        except ValueError:
            report = model.get_by_code(ref)
        if report is not None:
            found.setdefault(report.case_id, report)
    return list(found.values())


def within_circle(
    model: PublicReportsModel, query: dict[str, Any], latitude: float, longitude: float, radius: float
) -> list[PublicReport]:
    """The requests of ``query`` within ``radius`` metres of the point, nearest
    first (then newest), paged by the query's limit and offset."""
    limit, offset = query["limit"], query["offset"]
    rows = model.search(
        **{**query, "bbox": bounding_box(latitude, longitude, radius), "limit": MAX_RADIUS_ROWS, "offset": 0}
    )
    near = [
        (distance, index, report)
        for index, report in enumerate(rows)
        if report.latitude is not None
        and report.longitude is not None
        and (distance := haversine_m(latitude, longitude, report.latitude, report.longitude)) <= radius
    ]
    near.sort(key=lambda item: (item[0], item[1]))
    return [report for _, _, report in near[offset : offset + limit]]


def coordinate(params: Params, name: str, low: float, high: float, problems: list[str]) -> float | None:
    value = params.get(name)
    if value is None:
        return None
    number = number_between(value, low, high)
    if number is None:
        problems.append(f"{name} must be a number from {low:g} to {high:g}.")
    return number


def circle_of(params: Params) -> tuple[float, float, float] | None:
    """``lat``, ``long`` and ``radius`` (metres) when a radius search is asked
    for (``feed_query`` has checked them)."""
    latitude, longitude = params.get("lat"), params.get("long")
    if latitude is None or longitude is None:
        return None
    radius = params.get("radius")
    return float(latitude), float(longitude), float(radius) if radius is not None else DEFAULT_RADIUS_M


def geo_filters(params: Params, problems: list[str]) -> dict[str, Any]:
    """The extension filters: ``bbox`` and ``ward``; ``lat``/``long``/``radius`` checked here."""
    latitude = coordinate(params, "lat", -90, 90, problems)
    longitude = coordinate(params, "long", -180, 180, problems)
    radius = coordinate(params, "radius", 1, MAX_RADIUS_M, problems)
    if (params.get("lat") is None) != (params.get("long") is None):
        problems.append("lat and long go together.")
    elif radius is not None and (latitude is None or longitude is None):
        problems.append("radius needs lat and long.")
    bbox = None
    if (raw := params.get("bbox")) is not None:
        try:
            values = [float(part) for part in raw.split(",")]
        except ValueError:
            values = []
        if (
            len(values) == 4
            and all(math.isfinite(v) for v in values)
            and (-180 <= values[0] <= values[2] <= 180 and -90 <= values[1] <= values[3] <= 90)
        ):
            bbox = (values[1], values[0], values[3], values[2])
        else:
            problems.append("bbox must be minLon,minLat,maxLon,maxLat in degrees, each min at most its max.")
    wards = split_list(params.get("ward"))
    if len(wards) > MAX_IDS:
        problems.append(f"ward may name at most {MAX_IDS} wards.")
    return {"bbox": bbox, "wards": wards[:MAX_IDS]}


def feed_query(params: Params, now: datetime, zone: tzinfo) -> dict[str, Any]:
    """``PublicReportsModel.search`` arguments for the spec's filters and the
    page/page_size and geographic extensions; 400 naming every malformed one."""
    problems: list[str] = []
    geo = geo_filters(params, problems)
    start_text, end_text = params.get("start_date"), params.get("end_date")
    start = parse_w3_datetime("start_date", start_text, zone) if start_text else None
    end = parse_w3_datetime("end_date", end_text, zone) if end_text else None
    if start is not None and end is not None:
        if end < start:
            problems.append("end_date must not be before start_date.")
        elif end - start > MAX_RANGE:
            problems.append("start_date and end_date may not span more than 90 days.")
    elif start is not None:
        end = start + MAX_RANGE
    elif end is not None:
        start = end - MAX_RANGE
    else:
        start = now - MAX_RANGE
    statuses = {status.lower() for status in split_list(params.get("status"))}
    if statuses - {OPEN, CLOSED}:
        problems.append("status must be open, closed or both, comma-delimited.")
    page = whole_number(params, "page", 1, problems)
    page_size = min(whole_number(params, "page_size", MAX_PAGE_SIZE, problems), MAX_PAGE_SIZE)
    if problems:
        raise Open311Error(400, *problems)
    return {
        **geo,
        "open311_status": next(iter(statuses)) if len(statuses) == 1 else None,
        "service_codes": split_list(params.get("service_code")),
        "requested_from": start,
        "requested_to": end,
        "limit": page_size,
        "offset": (page - 1) * page_size,
    }


def whole_number(params: Params, name: str, default: int, problems: list[str]) -> int:
    given = params.get_all(name)
    if len(given) > 1:
        problems.append(f"{name} must be given once.")
        return default
    value = params.get(name)
    if value is None:
        return default
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_PAGE_NUMBER:
        problems.append(f"{name} must be a whole number from 1 to {MAX_PAGE_NUMBER}.")
        return default
    return int(value)
