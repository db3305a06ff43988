"""Open311 GeoReport v2 at ``/open311/v2`` (DESIGN §6, notes/domain.md §1).

Every method of the spec, each in ``.xml`` and ``.json``: ``discovery``,
``services``, ``services/{service_code}``, ``requests`` (GET and POST),
``requests/{service_request_id}`` and ``tokens/{token}``. The wire format —
field order, XML shapes, error documents, parameter parsing — lives in
``ihanoi_server.open311_format``; this module maps it to the directory, the
``public_reports`` read model and ``submit_report``. There is no Bearer auth
here: reads are the public, PII-free feed and a POST carries a partner
``api_key`` (``IHANOI_OPEN311_API_KEYS``). One jurisdiction is served
(``IHANOI_JURISDICTION``): ``jurisdiction_id`` may be left out, and any other
value is 404.

A POST files an ordinary report: channel ``open311``, the category's default
priority, filed by ``Principal("open311:<key fingerprint>", partner)``, routed
and deadlined like any other. Its answer waits (at most a few seconds) until the
public feed has it, so a client may read it back at once. The contact fields
become the report's private ``Contact`` (name = ``last_name first_name``, the
Vietnamese order); ``device_id`` is not kept and ``account_id`` is only echoed.
Attribute answers are checked against the service definition and, as the
report has no field for them, appended to its description in words.

The ward, which decides the agency, is chosen in this order:

1. ``ward`` (an ihanoi extension; also ``attribute[ward]`` when the service has
   no such attribute): a ward code or name of the directory; unknown is 400;
2. ``lat`` + ``long``: the ward whose approximate centre (``WARD_CENTRES``) is
   nearest; a point farther than 50 km from every centre is outside the city (400);
3. an ``address_string`` naming a ward ("Phường Cầu Giấy", "Cau Giay Ward");
4. otherwise the city's central ward (Hoàn Kiếm; the directory's first ward
   if it has none), whose committee transfers the report when it is not theirs.

A directory without centres for its wards skips step 2.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import math
import re
import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any
from uuid import UUID

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ihanoi_core.directory import Category, Directory
from ihanoi_core.domain.values import Channel, Contact, Location, Principal, Role
from ihanoi_core.errors import ForbiddenError, IhanoiError, NotFoundError, ValidationError
from ihanoi_projections.public_reports import CLOSED, OPEN, PublicReport, PublicReportsModel
from ihanoi_server.http import MAX_WAIT_SECONDS, idempotency_key, state, wait_for_position
from ihanoi_server.open311_format import (
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
    Params,
    error_response,
    parse_w3_datetime,
    read_params,
    response,
    service,
    service_definition,
    service_request,
    split_list,
    w3_datetime,
)
from ihanoi_server.openapi import POSITION, Query, document
from ihanoi_server.problems import HttpProblem

API = "/open311/v2"
MAX_RANGE = timedelta(days=90)  # the spec's widest start_date..end_date window
MAX_PAGE_SIZE = 200
MAX_IDS = 200
MAX_DESCRIPTION = 4000
MAX_ADDRESS = 500
MAX_MEDIA = 10
FARTHEST_FROM_A_WARD_M = 50_000
CENTRAL_WARD = "HOAN_KIEM"
EARTH_RADIUS_M = 6_371_008.8
# Approximate centres (WGS84) of the sample directory's wards, as drawn since 01/07/2025.
WARD_CENTRES: dict[str, tuple[float, float]] = {
    "HOAN_KIEM": (21.0310, 105.8520),
    "CUA_NAM": (21.0240, 105.8450),
    "BA_DINH": (21.0400, 105.8390),
    "NGOC_HA": (21.0400, 105.8200),
    "GIANG_VO": (21.0270, 105.8170),
    "HAI_BA_TRUNG": (21.0130, 105.8590),
    "VINH_TUY": (20.9990, 105.8760),
    "BACH_MAI": (20.9990, 105.8520),
    "DONG_DA": (21.0150, 105.8230),
    "KIM_LIEN": (21.0060, 105.8360),
    "CAU_GIAY": (21.0360, 105.7950),
    "TAY_HO": (21.0680, 105.8260),
    "BA_VI": (21.0600, 105.3800),
}
PHONE = re.compile(r"\+?[0-9 ().-]{6,30}")
EMAIL = re.compile(r"[^@\s]{1,100}@[^@\s]{1,100}")
URL = re.compile(r"https?://\S{1,1990}")

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
            params = await read_params(request)
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
    if ids:  # The spec: service_request_id overrides every other argument.
        found = await run_in_threadpool(find_reports, model, ids[:MAX_IDS])
    else:
        query = feed_query(params, server.app.clock(), server.app.timezone)
        found = await run_in_threadpool(functools.partial(model.search, **query))
    return response(fmt, "service_requests", [service_request(report, server.app.timezone) for report in found])


async def get_request(request: Request, fmt: str, params: Params) -> Response:
    """GET Service Request: one request by its id (the case code)."""
    await wait_for_position(request)
    server = state(request)
    ref = request.path_params["service_request_id"]
    found = await run_in_threadpool(find_reports, server.read_side.model(PublicReportsModel), [ref])
    if not found:
        raise Open311Error(404, f"service_request_id {ref!r} was not found.")
    return response(fmt, "service_requests", [service_request(found[0], server.app.timezone)])


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


def feed_query(params: Params, now: datetime, zone: tzinfo) -> dict[str, Any]:
    """``PublicReportsModel.search`` arguments for the spec's filters and the
    page/page_size extension; 400 naming every malformed one."""
    problems: list[str] = []
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
        "open311_status": next(iter(statuses)) if len(statuses) == 1 else None,
        "service_codes": split_list(params.get("service_code")),
        "requested_from": start,
        "requested_to": end,
        "limit": page_size,
        "offset": (page - 1) * page_size,
    }


def whole_number(params: Params, name: str, default: int, problems: list[str]) -> int:
    value = params.get(name)
    if value is None:
        return default
    if not value.isdigit() or not 1 <= int(value) <= 10**9:
        problems.append(f"{name} must be a whole number from 1.")
        return default
    return int(value)


# -- posting a request --------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    """What a POST asks for, checked against the directory."""

    description: str
    location: Location
    contact: Contact | None
    media_urls: tuple[str, ...]
    account_id: str | None


async def create_request(request: Request, fmt: str, params: Params) -> Response:
    """POST Service Request: file a report for a partner app. Needs `api_key`."""
    server = state(request)
    who = partner(params.get("api_key"), server.settings.open311_api_keys)
    directory = server.app.directory
    category = category_of(params.get("service_code"), directory)
    filed = submission(params, category, directory)
    result = await run_in_threadpool(
        server.app.submit_report,
        who,
        category=category.code,
        description=filed.description,
        location=filed.location,
        priority=category.default_priority,
        channel=Channel.OPEN311,
        contact=filed.contact,
        media_urls=filed.media_urls,
        idempotency_key=idempotency_key(request),
    )
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


def partner(api_key: str | None, keys: frozenset[str]) -> Principal:
    """The partner app holding ``api_key``, named by a fingerprint (never the key); 403 otherwise."""
    if api_key is None:
        raise Open311Error(403, "api_key was not provided -- can't proceed with create_request.")
    if not any(hmac.compare_digest(api_key.encode(), key.encode()) for key in keys):
        raise Open311Error(403, "Invalid api_key received -- can't proceed with create_request.")
    return Principal(f"open311:{hashlib.sha256(api_key.encode()).hexdigest()[:16]}", Role.PARTNER)


def submission(params: Params, category: Category, directory: Directory) -> Submission:
    """The report a POST asks for; 400 naming every problem at once."""
    problems: list[str] = []
    point = coordinates(params, problems)
    address = bounded(params, "address_string", MAX_ADDRESS, problems)
    address_id = bounded(params, "address_id", 200, problems)
    answers = params.attributes()
    named = params.get("ward") or (
        answers["ward"][-1] if "ward" in answers and all(a.code != "ward" for a in category.attributes) else None
    )
    if not (point or address or address_id or named or params.get("lat") or params.get("long")):
        problems.append("A location was not provided: send lat and long, address_string or address_id.")
    ward = choose_ward(directory, named, point, address, problems)
    description = described(params.get("description") or category.name_vi, category, answers, problems)
    contact = contact_of(params, problems)
    media_urls = params.get_all("media_url")
    if len(media_urls) > MAX_MEDIA or not all(URL.fullmatch(url) for url in media_urls):
        problems.append(f"media_url must be an http(s) URL (at most {MAX_MEDIA}).")
    account_id = bounded(params, "account_id", 200, problems)
    if problems:
        raise Open311Error(400, *problems)
    where = "; ".join(part for part in (address, f"address_id: {address_id}" if address_id else None) if part)
    return Submission(
        description=description,
        location=Location(
            ward=ward,
            latitude=point[0] if point else None,
            longitude=point[1] if point else None,
            address=where or None,
        ),
        contact=contact,
        media_urls=tuple(media_urls),
        account_id=account_id,
    )


def bounded(params: Params, name: str, limit: int, problems: list[str]) -> str | None:
    value = params.get(name)
    if value is not None and len(value) > limit:
        problems.append(f"{name} must be at most {limit} characters.")
    return value


def coordinates(params: Params, problems: list[str]) -> tuple[float, float] | None:
    lat, long = params.get("lat"), params.get("long")
    if lat is None and long is None:
        return None
    if lat is None or long is None:
        problems.append("lat and long must be sent together.")
        return None
    try:
        point = float(lat), float(long)
    except ValueError:
        point = math.nan, math.nan
    if not (-90 <= point[0] <= 90 and -180 <= point[1] <= 180):
        problems.append("lat and long must be WGS84 degrees (lat -90..90, long -180..180).")
        return None
    return point


def described(text: str, category: Category, answers: dict[str, list[str]], problems: list[str]) -> str:
    """The description with the attribute answers appended in words, after
    checking them against the service definition."""
    lines: list[str] = []
    for item in category.attributes:
        given = answers.get(item.code, []) if item.variable else []
        if not given:
            if item.required and item.variable:
                problems.append(f"attribute[{item.code}] is required: {item.description}")
            continue
        names = {value.key: value.name for value in item.values}
        keys = {value.name: value.key for value in item.values}
        if item.datatype == "multivaluelist" and len(given) == 1 and given[0] not in names | keys:
            given = split_list(given[0])  # "a,b" from clients that join the keys
        given = [value if value in names else keys.get(value, value) for value in given]  # a name for its key
        if item.datatype in ("singlevaluelist", "multivaluelist"):
            unknown = [value for value in given if value not in names]
            if unknown or (item.datatype == "singlevaluelist" and len(given) > 1):
                one = "one of" if item.datatype == "singlevaluelist" else "keys among"
                problems.append(f"attribute[{item.code}] must be {one}: {', '.join(names)}.")
                continue
            shown = ", ".join(names[value] for value in given)
        elif len(given) > 1:
            problems.append(f"attribute[{item.code}] takes one value.")
            continue
        else:
            shown = given[0] if item.datatype == "text" else " ".join(given[0].split())
            if item.datatype == "number" and not is_number(shown):
                problems.append(f"attribute[{item.code}] must be a number.")
            elif item.datatype == "datetime":
                parse_w3_datetime(f"attribute[{item.code}]", shown, UTC)
        lines.append(f"{item.description.rstrip('?: ')}: {shown}")
    full = "\n\n".join([text, "\n".join(lines)]) if lines else text
    if len(full) > MAX_DESCRIPTION:
        problems.append(f"description (with the attribute answers) must be at most {MAX_DESCRIPTION} characters.")
    return full


def is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text.replace(",", ".")))
    except ValueError:
        return False


def contact_of(params: Params, problems: list[str]) -> Contact | None:
    """The submitter's contact, private to the agency: never in any GET."""
    first, last = params.get("first_name"), params.get("last_name")
    name = " ".join(part for part in (last, first) if part) or None
    phone, email = params.get("phone"), params.get("email")
    if name is not None and len(name) > 200:
        problems.append("first_name and last_name must be at most 200 characters together.")
    if phone is not None and not PHONE.fullmatch(phone):
        problems.append("phone must be a phone number (digits, spaces, + - . ( )).")
    if email is not None and not EMAIL.fullmatch(email):
        problems.append("email must be an e-mail address.")
    return Contact(name=name, phone=phone, email=email) if name or phone or email else None


# -- choosing the ward --------------------------------------------------------------------


def choose_ward(
    directory: Directory,
    named: str | None,
    point: tuple[float, float] | None,
    address: str | None,
    problems: list[str],
) -> str:
    """The report's ward (see the module docstring for the order)."""
    if named is not None:
        ward = ward_named(directory, named)
        if ward is None:
            problems.append(f"ward {named!r} is not a ward of {directory.jurisdiction_name}.")
        return ward or central_ward(directory)
    if point is not None and (nearest := nearest_ward(directory, *point)) is not None:
        code, distance = nearest
        if distance > FARTHEST_FROM_A_WARD_M:
            problems.append(f"lat and long are outside {directory.jurisdiction_name}.")
        return code
    if address is not None and (found := ward_in_address(directory, address)) is not None:
        return found
    return central_ward(directory)


def central_ward(directory: Directory) -> str:
    return CENTRAL_WARD if CENTRAL_WARD in directory.wards else next(iter(directory.wards))


def nearest_ward(directory: Directory, latitude: float, longitude: float) -> tuple[str, float] | None:
    distances = [
        (distance_m(latitude, longitude, *WARD_CENTRES[code]), code) for code in directory.wards if code in WARD_CENTRES
    ]
    if not distances:
        return None
    distance, code = min(distances)
    return code, distance


def distance_m(latitude: float, longitude: float, other_latitude: float, other_longitude: float) -> float:
    """Haversine distance on the mean Earth sphere."""
    phi1, phi2 = math.radians(latitude), math.radians(other_latitude)
    a = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(other_longitude - longitude) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def folded(text: str) -> str:
    """Lower case without diacritics or punctuation: "Phường Cầu Giấy" → "phuong cau giay"."""
    decomposed = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char)).lower()
    return " ".join(re.sub(r"[\W_]+", " ", plain).split())


def ward_named(directory: Directory, name: str) -> str | None:
    """The ward whose code or name (with or without "Phường", "Xã", "Ward") is ``name``."""
    wanted = folded(name)
    for ward in directory.wards.values():
        full_names = {folded(ward.code), folded(ward.name), folded(ward.name_en)}
        short_names = {re.sub(r"^(phuong|xa|thi tran) |( ward| commune)$", "", n) for n in full_names}
        if wanted in full_names | short_names:
            return ward.code
    return None


def ward_in_address(directory: Directory, address: str) -> str | None:
    """The ward an address names in full ("phường Cầu Giấy", "Cau Giay Ward"), if exactly one."""
    words = f" {folded(address)} "
    found = {
        ward.code
        for ward in directory.wards.values()
        if any(f" {name} " in words for name in (folded(ward.name), folded(ward.name_en)) if name)
    }
    return found.pop() if len(found) == 1 else None


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
        Query("page", int, "Page number from 1."),
        Query("page_size", int, f"Requests per page, at most {MAX_PAGE_SIZE} (the default)."),
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
    document(
        route_name,
        description=FORMATS_NOTE + (" Parameters may also come in a form body (urlencoded or multipart)."
                                    if route_name.endswith(":create") else ""),
        response=shape,
        query=[JURISDICTION, *query],
        problems=(),
        auth="api_key" if route_name.endswith(":create") else "none",
    )  # fmt: skip
