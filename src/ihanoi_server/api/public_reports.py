"""``/public/reports``: the public map feed and "is it already reported?" (notes §2.8).

``GET /public/reports.geojson`` is the ``public_reports`` read model as an RFC
7946 GeoJSON FeatureCollection: one Point feature per report, coordinates in
``[longitude, latitude]`` order, newest first, at most ``MAX_LIMIT`` per page
(``limit``, ``offset``; ``next`` links the following page). Reports filed
without coordinates are left out: they have no place on a map. Filters:
``bbox`` (``minLon,minLat,maxLon,maxLat``, the GeoJSON order), ``ward`` and
``category`` (comma-delimited codes), ``status`` (iHanoi statuses and/or
Open311's ``open``/``closed``, comma-delimited, any of them), ``from``/``to``
(the date or date-time a report was filed; a date is Hanoi time, ``to`` to the
end of that day).

``GET /public/reports/near`` lists the *open* reports within ``radius_m`` of
a point (of one ``category`` when given), nearest first with their distance:
what a filing client asks before offering the citizen to support an existing
report (``POST /api/v1/reports/{code}/support``) instead of filing a duplicate.

Neither needs a token: the read model holds no personal data (no reporter,
contact or pseudonym), and the properties here are the same public fields
Open311 publishes, plus the public support count.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ihanoi_core.domain.report_values import OPEN_STATUSES, ReportStatus
from ihanoi_core.errors import ValidationError
from ihanoi_projections.public_reports import CLOSED, OPEN, PublicReport, PublicReportsModel
from ihanoi_projections.queries.dashboard import period_bound
from ihanoi_server.http import number_between, render, state, wait_for_position
from ihanoi_server.openapi.describe import POSITION, Query, document

GEOJSON = "application/geo+json"
DEFAULT_LIMIT = 1000
MAX_LIMIT = 5000
MAX_OFFSET = 1_000_000
MAX_LIST = 50
MAX_CODE = 64
DEFAULT_RADIUS_M = 100
MAX_RADIUS_M = 5000
DEFAULT_NEAR_LIMIT = 10
MAX_NEAR_LIMIT = 50
STATUS_WORDS = frozenset({*(str(status) for status in ReportStatus), OPEN, CLOSED})
HEADERS = {"Cache-Control": "no-cache", "Access-Control-Allow-Origin": "*"}


# -- parsing ---------------------------------------------------------------------------


def codes(request: Request, name: str, errors: dict[str, str]) -> list[str]:
    """A comma-delimited list of codes (ward, category), without repeats."""
    raw = request.query_params.get(name) or ""
    found = list(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))
    if len(found) > MAX_LIST or any(len(code) > MAX_CODE for code in found):
        errors[name] = f"must be at most {MAX_LIST} comma-delimited codes of at most {MAX_CODE} characters"
        return []
    return found


def number(request: Request, name: str, errors: dict[str, str], low: float, high: float) -> float | None:
    raw = request.query_params.get(name)
    if raw is None:  # An empty value is no number: 422, as ``query_int`` answers.
        return None
    value = number_between(raw, low, high)
    if value is None:
        errors[name] = f"must be a number from {low:g} to {high:g}"
    return value


def whole(request: Request, name: str, errors: dict[str, str], default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        errors[name] = f"must be a whole number from {low} to {high}"
        return default
    return int(raw)


def bbox_of(raw: str | None, errors: dict[str, str]) -> tuple[float, float, float, float] | None:
    """``minLon,minLat,maxLon,maxLat`` (RFC 7946 §5) as the model's (min_lat, min_lon, max_lat, max_lon)."""
    if raw is None or not raw.strip():
        return None
    hint = "must be minLon,minLat,maxLon,maxLat in degrees, each min at most its max"
    try:
        values = [float(part) for part in raw.split(",")]
    except ValueError:
        values = []
    if len(values) != 4 or not all(math.isfinite(value) for value in values):
        errors["bbox"] = hint
        return None
    min_lon, min_lat, max_lon, max_lat = values
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        errors["bbox"] = hint
        return None
    return (min_lat, min_lon, max_lat, max_lon)


def statuses_of(raw: str | None, errors: dict[str, str]) -> list[str]:
    """iHanoi statuses, with ``open``/``closed`` standing for every status of that kind."""
    words = [word.strip().lower() for word in (raw or "").split(",") if word.strip()]
    if unknown := [word for word in words if word not in STATUS_WORDS]:
        errors["status"] = f"unknown status {unknown[0][:32]!r}; use {', '.join(sorted(STATUS_WORDS))}"
        return []
    chosen: set[str] = set()
    for word in words:
        if word == OPEN:
            chosen |= {str(status) for status in OPEN_STATUSES}
        elif word == CLOSED:
            chosen |= {str(status) for status in ReportStatus} - {str(status) for status in OPEN_STATUSES}
        else:
            chosen.add(word)
    return sorted(chosen)


def moment(request: Request, name: str, zone: ZoneInfo, errors: dict[str, str], *, end: bool) -> datetime | None:
    raw = request.query_params.get(name)
    if raw is None or not raw.strip():
        return None
    try:
        return period_bound(name, raw, zone, end=end)
    except ValidationError as error:
        errors.update(error.errors)
        return None


# -- rendering ---------------------------------------------------------------------------


def properties(report: PublicReport, zone: ZoneInfo) -> dict[str, Any]:
    """A report's public fields, as a feature's properties (times in Hanoi time)."""
    return {
        "code": report.code,
        "service_code": report.service_code,
        "service_name": report.service_name,
        "service_name_en": report.service_name_en,
        "status": report.status,
        "open311_status": report.open311_status,
        "status_notes": report.status_notes,
        "description": report.description,
        "agency": report.agency,
        "agency_name": report.agency_name,
        "ward": report.ward,
        "address": report.address,
        "media_urls": list(report.media_urls),
        "requested_at": report.requested_at.astimezone(zone).isoformat(),
        "updated_at": report.updated_at.astimezone(zone).isoformat(),
        "expected_at": report.expected_at.astimezone(zone).isoformat() if report.expected_at else None,
        "support_count": report.support_count,
    }


def feature(report: PublicReport, zone: ZoneInfo, **extra: Any) -> dict[str, Any]:
    assert report.latitude is not None
    assert report.longitude is not None
    return {
        "type": "Feature",
        "id": report.code,
        "geometry": {"type": "Point", "coordinates": [report.longitude, report.latitude]},
        "properties": {**properties(report, zone), **extra},
    }


def geojson_response(collection: dict[str, Any]) -> Response:
    return Response(render(collection), media_type=GEOJSON, headers=HEADERS)


# -- endpoints -----------------------------------------------------------------------------


async def reports_geojson(request: Request) -> Response:
    """Public reports with coordinates as a GeoJSON FeatureCollection, newest first (no personal data)."""
    server = state(request)
    zone = server.app.timezone
    errors: dict[str, str] = {}
    params = request.query_params
    query: dict[str, Any] = {
        "bbox": bbox_of(params.get("bbox"), errors),
        "wards": codes(request, "ward", errors),
        "service_codes": codes(request, "category", errors),
        "statuses": statuses_of(params.get("status"), errors),
        "requested_from": moment(request, "from", zone, errors, end=False),
        "requested_to": moment(request, "to", zone, errors, end=True),
        "located": True,
    }
    limit = whole(request, "limit", errors, DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = whole(request, "offset", errors, 0, 0, MAX_OFFSET)
    if errors:
        raise ValidationError(errors)
    await wait_for_position(request)
    model = server.read_side.model(PublicReportsModel)
    found = await run_in_threadpool(lambda: model.search(**query, limit=limit + 1, offset=offset))
    more = len(found) > limit
    found = found[:limit]
    following = None
    if more:
        items = [(key, value) for key, value in params.multi_items() if key not in ("offset", "position")]
        following = f"{request.url.path}?{urlencode([*items, ('offset', str(offset + limit))])}"
    return geojson_response(
        {
            "type": "FeatureCollection",
            "features": [feature(report, zone) for report in found],
            "limit": limit,
            "offset": offset,
            "numberReturned": len(found),
            "next": following,
        }
    )


async def reports_near(request: Request) -> Response:
    """Open reports around a point, nearest first, with their distance in metres (no personal data)."""
    server = state(request)
    errors: dict[str, str] = {}
    latitude = number(request, "lat", errors, -90, 90)
    longitude = number(request, "lon", errors, -180, 180)
    for name, value in (("lat", latitude), ("lon", longitude)):
        if value is None and name not in errors:
            errors[name] = "is required"
    radius = number(request, "radius_m", errors, 1, MAX_RADIUS_M) or DEFAULT_RADIUS_M
    category = codes(request, "category", errors)
    if len(category) > 1:
        errors["category"] = "names one category"
    limit = whole(request, "limit", errors, DEFAULT_NEAR_LIMIT, 1, MAX_NEAR_LIMIT)
    if errors:
        raise ValidationError(errors)
    assert latitude is not None
    assert longitude is not None
    await wait_for_position(request)
    model = server.read_side.model(PublicReportsModel)
    found = await run_in_threadpool(
        lambda: model.near(
            latitude=latitude,
            longitude=longitude,
            radius_m=radius,
            service_code=category[0] if category else None,
            limit=limit,
        )
    )
    zone = server.app.timezone
    return geojson_response(
        {
            "type": "FeatureCollection",
            "features": [feature(report, zone, distance_m=round(distance, 1)) for report, distance in found],
            "center": [longitude, latitude],
            "radius_m": radius,
            "numberReturned": len(found),
        }
    )


routes = [
    Route("/public/reports.geojson", reports_geojson, methods=["GET"], name="public:reports_geojson"),
    Route("/public/reports/near", reports_near, methods=["GET"], name="public:reports_near"),
]


# -- the API description ----------------------------------------------------------------------


def _feature_schema(extra: dict[str, Any] | None = None) -> dict[str, Any]:
    text, maybe_text = {"type": "string"}, {"type": ["string", "null"]}
    props: dict[str, Any] = {
        "code": text,
        "service_code": text,
        "service_name": text,
        "service_name_en": text,
        "status": {"type": "string", "enum": sorted(str(status) for status in ReportStatus)},
        "open311_status": {"type": "string", "enum": [OPEN, CLOSED]},
        "status_notes": maybe_text,
        "description": text,
        "agency": maybe_text,
        "agency_name": maybe_text,
        "ward": text,
        "address": maybe_text,
        "media_urls": {"type": "array", "items": text},
        "requested_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "expected_at": {"type": ["string", "null"], "format": "date-time"},
        "support_count": {
            "type": "integer",
            "minimum": 0,
            "description": "How many other citizens support the report (tôi cũng gặp).",
        },
        **(extra or {}),
    }
    return {
        "type": "object",
        "required": ["type", "id", "geometry", "properties"],
        "properties": {
            "type": {"const": "Feature"},
            "id": {"type": "string", "description": "The case code."},
            "geometry": {
                "type": "object",
                "required": ["type", "coordinates"],
                "properties": {
                    "type": {"const": "Point"},
                    "coordinates": {
                        "type": "array",
                        "items": {"type": "number"},
                        "minItems": 2,
                        "maxItems": 2,
                        "description": "[longitude, latitude] (WGS84, RFC 7946).",
                    },
                },
            },
            "properties": {"type": "object", "required": sorted(props), "properties": props},
        },
    }


def _collection_schema(feature_schema: dict[str, Any], members: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["type", "features", "numberReturned", *members],
        "properties": {
            "type": {"const": "FeatureCollection"},
            "features": {"type": "array", "items": feature_schema},
            "numberReturned": {"type": "integer", "minimum": 0},
            **members,
        },
    }


CODES_NOTE = f"Comma-delimited, at most {MAX_LIST}."
document(
    "public:reports_geojson",
    description=(
        "RFC 7946 GeoJSON (`[longitude, latitude]`). Reports without coordinates are left out. "
        f"At most {MAX_LIMIT} features per page (`limit`, default {DEFAULT_LIMIT}); `next` is the "
        "following page's address, null on the last. No personal data."
    ),
    media_type=GEOJSON,
    response=_collection_schema(
        _feature_schema(),
        {
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
            "next": {"type": ["string", "null"]},
        },
    ),
    query=[
        Query("bbox", str, "minLon,minLat,maxLon,maxLat (WGS84 degrees, bounds included)."),
        Query("ward", str, f"Ward codes. {CODES_NOTE}"),
        Query("category", str, f"Category (service) codes. {CODES_NOTE}"),
        Query("status", str, "iHanoi statuses and/or `open`, `closed`, comma-delimited: any of them."),
        Query("from", str, "Filed at or after: ISO date or date-time (Hanoi time without an offset)."),
        Query("to", str, "Filed at or before: ISO date (to the end of that day) or date-time."),
        Query(
            "limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, f"Page size (default {DEFAULT_LIMIT})."
        ),
        Query("offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET}, "Features to skip."),
        POSITION,
    ],
    auth="none",
    problems=(422, 503),
)
document(
    "public:reports_near",
    description=(
        "The open reports within `radius_m` of a point, nearest first, each with `distance_m` (great-circle, "
        "metres): ask before filing, and offer to support one instead (`POST /api/v1/reports/{id}/support`). "
        "No personal data."
    ),
    media_type=GEOJSON,
    response=_collection_schema(
        _feature_schema({"distance_m": {"type": "number", "minimum": 0}}),
        {"center": {"type": "array", "items": {"type": "number"}}, "radius_m": {"type": "number"}},
    ),
    query=[
        Query("lat", {"type": "number", "minimum": -90, "maximum": 90}, "WGS84 latitude.", required=True),
        Query("lon", {"type": "number", "minimum": -180, "maximum": 180}, "WGS84 longitude.", required=True),
        Query(
            "radius_m",
            {"type": "number", "minimum": 1, "maximum": MAX_RADIUS_M},
            f"Metres (default {DEFAULT_RADIUS_M}).",
        ),
        Query("category", str, "One category (service) code; default any."),
        Query(
            "limit",
            {"type": "integer", "minimum": 1, "maximum": MAX_NEAR_LIMIT},
            f"At most this many (default {DEFAULT_NEAR_LIMIT}).",
        ),
        POSITION,
    ],
    auth="none",
    problems=(422, 503),
)
