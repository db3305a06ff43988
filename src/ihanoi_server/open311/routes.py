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
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, tzinfo
from functools import partial
from pathlib import Path
from uuid import UUID

import structlog
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
from ihanoi_core.eventstore.probe import store_unreachable
from ihanoi_projections.public_photos import PublicPhotosModel
from ihanoi_projections.public_reports import (
    PublicReport,
    PublicReportsModel,
)
from ihanoi_server.http import MAX_WAIT_SECONDS, idempotency_key, state, wait_for_position
from ihanoi_server.open311.description import describe_routes
from ihanoi_server.open311.feed import (
    MAX_IDS,
    circle_of,
    feed_query,
    find_reports,
    within_circle,
)
from ihanoi_server.open311.format import (
    MEDIA_TYPES,
    SPECIFICATION,
    Open311CreatedRequest,
    Open311Discovery,
    Open311Endpoint,
    Open311Error,
    Open311Token,
    error_response,
    response,
    service,
    service_definition,
    service_request,
    w3_datetime,
)
from ihanoi_server.open311.params import MAX_FORM_BYTES, MEDIA_PART, Params, read_params, split_list
from ihanoi_server.open311.submission import partner, submission
from ihanoi_server.problems import STORE_RETRY_AFTER_SECONDS, HttpProblem
from ihanoi_server.uploads import forget, store_photos

log = structlog.get_logger("ihanoi.open311")

API = "/open311/v2"

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
        except Exception as error:
            if not store_unreachable(error):
                raise
            # As the rest of the server answers it (app.on_store_error), in the spec's error shape.
            log.warning("store_unreachable", error=type(error).__name__)
            detail = ["The store did not answer in time; try again shortly."]
            unreachable = error_response(fmt if fmt in MEDIA_TYPES else "xml", 503, detail)
            unreachable.headers["Retry-After"] = str(STORE_RETRY_AFTER_SECONDS)
            return unreachable

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
    return response(
        fmt,
        "discovery",
        Open311Discovery(
            changeset=changeset,
            contact=f"{directory.jurisdiction_name} ({directory.jurisdiction_name_en}): ask the operator "
            "of this ihanoi platform.",
            key_service="Partner apps get an api_key from the operator of this ihanoi platform; "
            "send it as api_key with POST requests. Reading needs no key.",
            endpoints=[
                Open311Endpoint(
                    specification=SPECIFICATION,
                    url=str(request.base_url).rstrip("/") + API,
                    changeset=changeset,
                    type="production" if server.settings.env == "production" else "test",
                    formats=["text/xml", "application/json"],
                )
            ],
        ),
    )


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

describe_routes()
