"""Open311 GeoReport v2 at ``/open311/v2`` (DESIGN §6, notes/domain.md §1).

Every method of the spec, each in ``.xml`` and ``.json``: ``discovery``,
``services``, ``services/{service_code}``, ``requests`` (GET and POST),
``requests/{service_request_id}`` and ``tokens/{token}``. The wire format —
field order, XML shapes, error documents, parameter parsing — lives in
``ihanoi_server.open311.format``, what a POST asks for and the ward it is filed
in in ``ihanoi_server.open311.submission``; this module maps them to the
directory, the ``public_reports`` read model and ``submit_report``. There is no
Bearer auth here: reads are the public, PII-free feed and a POST carries a
partner ``api_key`` (``IHANOI_OPEN311_API_KEYS``). One jurisdiction is served
(``IHANOI_JURISDICTION``): ``jurisdiction_id`` may be left out, and any other
value is 404.

GET Service Requests honours ihanoi's documented extensions (docs/open311.md):
``lat``/``long``/``radius`` (metres, default 100, at most 5000: the requests
within the circle, nearest first), ``bbox`` (``minLon,minLat,maxLon,maxLat``),
``ward`` (comma-delimited ward codes); each request carries ``support_count``.

A POST files an ordinary report: channel ``open311``, the category's default
priority, filed by ``Principal("open311:<key fingerprint>", partner)``, routed
and deadlined like any other. Its answer waits (at most a few seconds) until the
public feed has it, so a client may read it back at once.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ihanoi_core.commands.reports import SubmitReport
from ihanoi_core.directory import Category, Directory
from ihanoi_core.domain.values import Channel
from ihanoi_core.errors import (
    ForbiddenError,
    IhanoiError,
    NotFoundError,
    PhotoRefusedError,
    PhotoTooLargeError,
    UnsupportedPhotoError,
    ValidationError,
)
from ihanoi_projections.public_photos import PublicPhotosModel
from ihanoi_projections.public_reports import (
    CLOSED,
    OPEN,
    PublicReport,
    PublicReportsModel,
    bounding_box,
    haversine_m,
)
from ihanoi_server.http import MAX_WAIT_SECONDS, idempotency_key, state, wait_for_position
from ihanoi_server.open311.format import (
    MEDIA_TYPES,
    SPECIFICATION,
    Open311CreatedRequest,
    Open311Discovery,
    Open311Endpoint,
    Open311Error,
    Open311Service,
    Open311ServiceDefinition,
    Open311ServiceRequest,
    Open311Token,
    error_response,
    response,
    service,
    service_definition,
    service_request,
    w3_datetime,
)
from ihanoi_server.open311.params import MAX_FORM_BYTES, MEDIA_PART, Params, parse_w3_datetime, read_params, split_list
from ihanoi_server.open311.submission import partner, submission
from ihanoi_server.openapi.describe import IDEMPOTENCY_KEY, POSITION, Query, document
from ihanoi_server.problems import HttpProblem
from ihanoi_server.uploads import forget, store_photos

API = "/open311/v2"
MAX_RANGE = timedelta(days=90)  # the spec's widest start_date..end_date window
MAX_PAGE_SIZE = 200
MAX_PAGE_NUMBER = 10**9  # page and page_size beyond are refused, not read
MAX_IDS = 200
DEFAULT_RADIUS_M = 100
MAX_RADIUS_M = 5000
# Requests a radius search sorts by distance: beyond, the nearest of them are kept.
MAX_RADIUS_ROWS = 10_000

Handler = Callable[[Request, str, Params], Awaitable[Response]]


def open311_route(path: str, handler: Handler, method: str, name: str) -> Route:
    """A route answering in the format its ``.{format}`` suffix names, errors
    included (XML when the format itself is unknown: XML is the spec's must)."""

    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        fmt = str(request.path_params.get("format", "")).lower()
        try:
            if fmt not in MEDIA_TYPES:
                raise Open311Error(404, f"Unknown format {fmt!r}: ask for .xml or .json.")
            params = await read_params(request, state(request).settings.media_max_bytes + MAX_FORM_BYTES)
            given = params.get("jurisdiction_id")
            if given is not None and given.lower() != state(request).settings.jurisdiction.lower():
                raise Open311Error(404, f"jurisdiction_id {given!r} was not found.")
            return await handler(request, fmt, params)
        except IhanoiError as error:
            status, descriptions = status_of(error)
            return error_response(fmt if fmt in MEDIA_TYPES else "xml", status, descriptions)

    return Route(f"{API}{path}", endpoint, methods=[method], name=name)


def status_of(error: IhanoiError) -> tuple[int, Sequence[str]]:
    """The spec's status for an error: 404 missing, 403 api_key, 400 anything else."""
    if isinstance(error, Open311Error):
        return error.status, error.descriptions
    if isinstance(error, ValidationError):
        return 400, [f"{field}: {problem}" for field, problem in error.errors.items()]
    if isinstance(error, NotFoundError):
        return 404, [error.detail]
    if isinstance(error, ForbiddenError):
        return 403, [error.detail]
    if isinstance(error, HttpProblem) and error.status in (403, 404):
        return error.status, [error.detail]
    return 400, [error.detail]


# -- discovery and services ---------------------------------------------------------------


async def discovery(request: Request, fmt: str, params: Params) -> Response:
    """Service discovery: this endpoint, its formats and how to get an api_key."""
    server = state(request)
    directory = server.app.directory
    changeset = directory_changeset(directory, server.app.timezone)
    return response(fmt, "discovery", Open311Discovery(
        changeset=changeset,
        contact=f"{directory.jurisdiction_name} ({directory.jurisdiction_name_en}): ask the operator "
        "of this ihanoi platform.",
        key_service="Partner apps get an api_key from the operator of this ihanoi platform; "
        "send it as api_key with POST requests. Reading needs no key.",
        endpoints=[Open311Endpoint(
            specification=SPECIFICATION,
            url=str(request.base_url).rstrip("/") + API,
            changeset=changeset,
            type="production" if server.settings.env == "production" else "test",
            formats=["text/xml", "application/json"],
        )],
    ))  # fmt: skip


def directory_changeset(directory: Directory, zone: tzinfo) -> str:
    """When services last changed: the directory file's modification time."""
    try:
        modified = Path(directory.source).stat().st_mtime
    except OSError:
        modified = 0.0
    return w3_datetime(datetime.fromtimestamp(modified, UTC), zone)


async def services(request: Request, fmt: str, params: Params) -> Response:
    """GET Service List: the directory's report categories, in its order."""
    directory = state(request).app.directory
    return response(fmt, "services", [service(category) for category in directory.categories.values()])


async def definition(request: Request, fmt: str, params: Params) -> Response:
    """GET Service Definition: the attributes asked when filing a report of this category."""
    category = category_of(request.path_params["service_code"], state(request).app.directory)
    return response(fmt, "service_definition", service_definition(category))


def category_of(code: str | None, directory: Directory) -> Category:
    if code is None:
        raise Open311Error(400, "service_code was not provided.")
    category = directory.get_category(code)
    if category is None:
        raise Open311Error(404, f"service_code {code!r} was not found.")
    return category


# -- reading requests ---------------------------------------------------------------------


async def list_requests(request: Request, fmt: str, params: Params) -> Response:
    """GET Service Requests: the public feed, newest first."""
    await wait_for_position(request)
    server = state(request)
    model = server.read_side.model(PublicReportsModel)
    ids = split_list(params.get("service_request_id"))
    # Malformed filters are 400 even beside service_request_id, which overrides them (the spec).
    query = feed_query(params, server.app.clock(), server.app.timezone)
    circle = circle_of(params)
    if ids:
        found = await run_in_threadpool(find_reports, model, ids[:MAX_IDS])
    elif circle is not None:
        found = await run_in_threadpool(within_circle, model, query, *circle)
    else:
        found = await run_in_threadpool(functools.partial(model.search, **query))
    photos = await photo_urls(request, found)
    requests = [service_request(report, server.app.timezone, photos.get(report.case_id)) for report in found]
    return response(fmt, "service_requests", requests)


async def photo_urls(request: Request, reports: Sequence[PublicReport]) -> dict[UUID, str]:
    """Each report's first public photo, as the absolute URL Open311 clients fetch (``media_url``)."""
    model = state(request).read_side.model(PublicPhotosModel)
    found = await run_in_threadpool(model.for_cases, [report.case_id for report in reports])
    base = str(request.base_url).rstrip("/")
    return {case_id: f"{base}/public/photos/{photos[0].sha256}" for case_id, photos in found.items() if photos}


async def get_request(request: Request, fmt: str, params: Params) -> Response:
    """GET Service Request: one request by its id (the case code)."""
    await wait_for_position(request)
    server = state(request)
    ref = request.path_params["service_request_id"]
    found = await run_in_threadpool(find_reports, server.read_side.model(PublicReportsModel), [ref])
    if not found:
        raise Open311Error(404, f"service_request_id {ref!r} was not found.")
    photos = await photo_urls(request, found[:1])
    return response(
        fmt, "service_requests", [service_request(found[0], server.app.timezone, photos.get(found[0].case_id))]
    )


async def token(request: Request, fmt: str, params: Params) -> Response:
    """GET service_request_id from a token. Requests are created at once, so
    the token is the case code and names the request itself."""
    await wait_for_position(request)
    ref = request.path_params["token"]
    found = await run_in_threadpool(state(request).read_side.model(PublicReportsModel).get_by_code, ref)
    if found is None:
        raise Open311Error(404, f"token {ref!r} was not found.")
    return response(fmt, "service_requests", [Open311Token(service_request_id=found.code, token=ref)])


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
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or not low <= number <= high:
        problems.append(f"{name} must be a number from {low:g} to {high:g}.")
        return None
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


# -- posting a request --------------------------------------------------------------------


async def create_request(request: Request, fmt: str, params: Params) -> Response:
    """POST Service Request: file a report for a partner app. Needs `api_key`."""
    server = state(request)
    who = partner(params.get("api_key"), server.settings.open311_api_keys)
    directory = server.app.directory
    category = category_of(params.get("service_code"), directory)
    filed = submission(params, category, directory)
    media = [data for name, data in params.files if name == MEDIA_PART]
    if len(media) > 1:
        raise Open311Error(400, "Send at most one media file (or media_url).")
    try:
        stored = await store_photos(server.app.photos, media)
    except (PhotoTooLargeError, UnsupportedPhotoError, PhotoRefusedError) as error:
        raise Open311Error(400, f"media: {error.detail}") from None
    command = SubmitReport(
        category=category.code,
        description=filed.description,
        location=filed.location,
        priority=category.default_priority,
        channel=Channel.OPEN311,
        contact=filed.contact,
        media_urls=filed.media_urls,
        photos=tuple(photo.sha256 for photo in stored),
        attributes={code: value if isinstance(value, str) else list(value) for code, value in filed.attributes.items()},
    )
    try:
        result = await run_in_threadpool(
            partial(server.app.handle, who, command, idempotency_key=idempotency_key(request))
        )
    except BaseException:
        await forget(server.app.photos, stored)
        raise
    # Open311 clients cannot ask to read their own write: answer once the public feed has it.
    await run_in_threadpool(server.read_side.wait, result.position, MAX_WAIT_SECONDS)
    public = await run_in_threadpool(server.read_side.model(PublicReportsModel).get, result.case_id)
    agency = directory.route(category.code, filed.location.ward).name
    notice = f"Phản ánh đã được chuyển tới {agency}"
    if public is not None and public.expected_at is not None:
        notice += f", hạn tiếp nhận {public.expected_at.astimezone(server.app.timezone):%H:%M %d/%m/%Y}"
    created = Open311CreatedRequest(
        service_request_id=result.code, service_notice=notice + ".", account_id=filed.account_id
    )
    return response(fmt, "service_requests", [created])


# -- routes and their description --------------------------------------------------------

routes: list[BaseRoute] = [
    open311_route("/discovery.{format}", discovery, "GET", "open311:discovery"),
    open311_route("/services.{format}", services, "GET", "open311:services"),
    open311_route("/services/{service_code}.{format}", definition, "GET", "open311:service_definition"),
    open311_route("/requests.{format}", list_requests, "GET", "open311:requests:list"),
    open311_route("/requests.{format}", create_request, "POST", "open311:requests:create"),
    open311_route("/requests/{service_request_id}.{format}", get_request, "GET", "open311:request"),
    open311_route("/tokens/{token}.{format}", token, "GET", "open311:token"),
]

XML_DOCUMENT = {"type": "string", "description": "The same document as the spec's XML."}
OPEN311_ERRORS = {
    status: {
        "description": description + " The spec's error document, in the format asked for (XML if unknown).",
        "content": {
            "application/json": {"schema": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
                    "required": ["code", "description"],
                },
            }},
            "text/xml": {"schema": XML_DOCUMENT},
        },
    }
    for status, description in (
        (400, "Invalid input."), (403, "No or an unknown api_key."), (404, "No such service, request, "
         "token, jurisdiction_id or format."),
    )
}  # fmt: skip
JURISDICTION = Query("jurisdiction_id", str, "Optional; when given it must be this server's (else 404).")
FORMATS_NOTE = (
    "`{format}` is `xml` or `json` (`text/xml` / `application/json`, UTF-8); the JSON shape is shown. "
    "Errors are the spec's `errors` document in the same format: 400 invalid input, 403 api_key, 404 not found."
)
for route_name, shape, query in (
    ("open311:discovery", Open311Discovery, ()),
    ("open311:services", list[Open311Service], ()),
    ("open311:service_definition", Open311ServiceDefinition, ()),
    ("open311:request", list[Open311ServiceRequest], (POSITION,)),
    ("open311:token", list[Open311Token], (POSITION,)),
    ("open311:requests:list", list[Open311ServiceRequest], (
        Query("service_request_id", str, "Comma-delimited case codes; overrides every other filter."),
        Query("service_code", str, "Comma-delimited service codes."),
        Query("start_date", str, "ISO 8601; with end_date at most 90 days apart (default: the last 90 days)."),
        Query("end_date", str, "ISO 8601."),
        Query("status", str, "`open`, `closed` or both, comma-delimited."),
        Query("lat", {"type": "number", "minimum": -90, "maximum": 90},
              "ihanoi extension: with `long`, only requests within `radius` of the point, nearest first."),
        Query("long", {"type": "number", "minimum": -180, "maximum": 180}, "ihanoi extension: with `lat`."),
        Query("radius", {"type": "number", "minimum": 1, "maximum": MAX_RADIUS_M},
              f"ihanoi extension: metres around lat/long (default {DEFAULT_RADIUS_M})."),
        Query("bbox", str, "ihanoi extension: minLon,minLat,maxLon,maxLat (WGS84 degrees, bounds included)."),
        Query("ward", str, "ihanoi extension: comma-delimited ward codes."),
        Query("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_NUMBER}, "Page number from 1."),
        Query("page_size", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_NUMBER},
              f"Requests per page (default {MAX_PAGE_SIZE}); a larger page_size is read as {MAX_PAGE_SIZE}."),
        POSITION,
    )),
    ("open311:requests:create", list[Open311CreatedRequest], tuple(
        Query(name, str, text) for name, text in (
            ("service_code", "The service (required)."),
            ("lat", "WGS84 latitude, with long."), ("long", "WGS84 longitude, with lat."),
            ("address_string", "The address, most specific first."), ("address_id", "An address id."),
            ("ward", "ihanoi extension: the ward code or name (else chosen from lat/long or the address)."),
            ("description", "At most 4000 characters."), ("media_url", "An http(s) URL of a photo."),
            ("email", "Private."), ("first_name", "Private."), ("last_name", "Private."), ("phone", "Private."),
            ("device_id", "Not kept."), ("account_id", "Echoed in the answer, not kept."),
            ("attribute[CODE]", "An answer to the service definition's attribute CODE (`[CODE][]` for lists)."),
        )
    )),
):  # fmt: skip
    creates = route_name.endswith(":create")
    document(
        route_name,
        description=FORMATS_NOTE + (" Parameters may also come in a form body (urlencoded or multipart)."
                                    if creates else ""),
        response=shape,
        alternatives={"text/xml": XML_DOCUMENT},
        query=[JURISDICTION, *query],
        headers=[IDEMPOTENCY_KEY] if creates else None,
        problems=(),
        auth="api_key" if creates else "none",
        path={"format": {"type": "string", "enum": sorted(MEDIA_TYPES)}},
        responses={status: OPEN311_ERRORS[status] for status in ((400, 403, 404) if creates else (400, 404))},
    )  # fmt: skip
