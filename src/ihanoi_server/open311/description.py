"""The Open311 routes' entries in the OpenAPI document (``/openapi.json``).

Each route answers in the format its ``{format}`` names: the document shows
the JSON shape, the XML as the same document (``text/xml``), and the spec's
error documents. What the routes do is in ``routes``; what they take and give
is written here, once per route name.
"""

from __future__ import annotations

from ihanoi_server.open311.feed import DEFAULT_RADIUS_M, MAX_PAGE_NUMBER, MAX_PAGE_SIZE, MAX_RADIUS_M
from ihanoi_server.open311.format import (
    MEDIA_TYPES,
    Open311CreatedRequest,
    Open311Discovery,
    Open311Service,
    Open311ServiceDefinition,
    Open311ServiceRequest,
    Open311Token,
)
from ihanoi_server.openapi.describe import IDEMPOTENCY_KEY, POSITION, Query, document

XML_DOCUMENT = {"type": "string", "description": "The same document as the spec's XML."}
OPEN311_ERRORS = {
    status: {
        "description": description + " The spec's error document, in the format asked for (XML if unknown).",
        "content": {
            "application/json": {
                "schema": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
                        "required": ["code", "description"],
                    },
                }
            },
            "text/xml": {"schema": XML_DOCUMENT},
        },
    }
    for status, description in (
        (400, "Invalid input."),
        (403, "No or an unknown api_key."),
        (404, "No such service, request, token, jurisdiction_id or format."),
        (503, "The store did not answer within IHANOI_POSTGRES_CONNECT_TIMEOUT; Retry-After says when to try again."),
    )
}
JURISDICTION = Query("jurisdiction_id", str, "Optional; when given it must be this server's (else 404).")
FORMATS_NOTE = (
    "`{format}` is `xml` or `json` (`text/xml` / `application/json`, UTF-8); the JSON shape is shown. "
    "Errors are the spec's `errors` document in the same format: 400 invalid input, 403 api_key, 404 not found, "
    "503 the store did not answer."
)


def describe_routes() -> None:
    """Register the OpenAPI entry of every Open311 route by its name."""
    for route_name, shape, query in (
        ("open311:discovery", Open311Discovery, ()),
        ("open311:services", list[Open311Service], ()),
        ("open311:service_definition", Open311ServiceDefinition, ()),
        ("open311:request", list[Open311ServiceRequest], (POSITION,)),
        ("open311:token", list[Open311Token], (POSITION,)),
        (
            "open311:requests:list",
            list[Open311ServiceRequest],
            (
                Query("service_request_id", str, "Comma-delimited case codes; overrides every other filter."),
                Query("service_code", str, "Comma-delimited service codes."),
                Query("start_date", str, "ISO 8601; with end_date at most 90 days apart (default: the last 90 days)."),
                Query("end_date", str, "ISO 8601."),
                Query("status", str, "`open`, `closed` or both, comma-delimited."),
                Query(
                    "lat",
                    {"type": "number", "minimum": -90, "maximum": 90},
                    "ihanoi extension: with `long`, only requests within `radius` of the point, nearest first.",
                ),
                Query("long", {"type": "number", "minimum": -180, "maximum": 180}, "ihanoi extension: with `lat`."),
                Query(
                    "radius",
                    {"type": "number", "minimum": 1, "maximum": MAX_RADIUS_M},
                    f"ihanoi extension: metres around lat/long (default {DEFAULT_RADIUS_M}).",
                ),
                Query("bbox", str, "ihanoi extension: minLon,minLat,maxLon,maxLat (WGS84 degrees, bounds included)."),
                Query("ward", str, "ihanoi extension: comma-delimited ward codes."),
                Query("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_NUMBER}, "Page number from 1."),
                Query(
                    "page_size",
                    {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_NUMBER},
                    f"Requests per page (default {MAX_PAGE_SIZE}); a larger page_size is read as {MAX_PAGE_SIZE}.",
                ),
                POSITION,
            ),
        ),
        (
            "open311:requests:create",
            list[Open311CreatedRequest],
            tuple(
                Query(name, str, text)
                for name, text in (
                    ("service_code", "The service (required)."),
                    ("lat", "WGS84 latitude, with long."),
                    ("long", "WGS84 longitude, with lat."),
                    ("address_string", "The address, most specific first."),
                    ("address_id", "An address id."),
                    ("ward", "ihanoi extension: the ward code or name (else chosen from lat/long or the address)."),
                    ("description", "At most 4000 characters."),
                    ("media_url", "An http(s) URL of a photo."),
                    ("email", "Private."),
                    ("first_name", "Private."),
                    ("last_name", "Private."),
                    ("phone", "Private."),
                    ("device_id", "Not kept."),
                    ("account_id", "Echoed in the answer, not kept."),
                    ("attribute[CODE]", "An answer to the service definition's attribute CODE (`[CODE][]` for lists)."),
                )
            ),
        ),
    ):
        creates = route_name.endswith(":create")
        # Discovery and the service list and definitions come from the directory; the rest read or write cases.
        store = route_name not in {"open311:discovery", "open311:services", "open311:service_definition"}
        errors = ((400, 403, 404) if creates else (400, 404)) + ((503,) if store else ())
        document(
            route_name,
            description=FORMATS_NOTE
            + (" Parameters may also come in a form body (urlencoded or multipart)." if creates else ""),
            response=shape,
            alternatives={"text/xml": XML_DOCUMENT},
            query=[JURISDICTION, *query],
            headers=[IDEMPOTENCY_KEY] if creates else None,
            problems=(),
            auth="api_key" if creates else "none",
            path={"format": {"type": "string", "enum": sorted(MEDIA_TYPES)}},
            responses={status: OPEN311_ERRORS[status] for status in errors},
            store=store,
        )
