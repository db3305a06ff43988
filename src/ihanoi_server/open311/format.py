"""The Open311 GeoReport v2 wire format going out (what comes in is
``params``'s).

Each document of the spec is a ``msgspec.Struct`` whose fields are the
spec's elements in the spec's order (open311/open311.github.io
``GeoReport_v2/index.md`` and ``Service_Discovery.md``; notes/domain.md §1).
``render`` writes one as JSON — the Spark convention: a list is an array and
the root element is dropped, so every list document is a top-level array while
the service definition and discovery are objects — or as schemaless XML
without a namespace, ``<?xml version="1.0" encoding="utf-8"?>`` first, a list
field wrapping one element per item (``services``/``service``,
``attributes``/``attribute`` …), ``true``/``false`` for booleans and an empty
element for null. Times are W3C ISO 8601 with the city's offset (``+07:00``).
Characters XML 1.0 cannot carry (control characters) are dropped from XML text.

Errors: ``Open311Error`` carries an HTTP status and one or more descriptions,
answered as ``errors``/``error`` with ``code`` and ``description``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from datetime import datetime, tzinfo
from typing import Any

import msgspec
from starlette.responses import Response

from ihanoi_core.directory import Attribute, Category
from ihanoi_projections.public_reports import PublicReport
from ihanoi_server.http import view_of
from ihanoi_server.problems import HttpProblem

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
MEDIA_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
XML_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n'
# The element of one item inside each list element of the spec.
ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
}
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class Open311Error(HttpProblem):
    """Raised by the Open311 routes when the spec answers with an error
    document: 400 for a missing or invalid parameter, 403 for a missing or
    wrong ``api_key``, 404 for an unknown service, request, token,
    jurisdiction or format. ``descriptions`` holds one entry per problem."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__(status, "open311_error", " ".join(descriptions), descriptions=list(descriptions))
        self.descriptions = descriptions


# -- documents, in the spec's field order ----------------------------------------------


class Open311Service(msgspec.Struct):
    """A request type (GET Service List)."""

    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: str
    keywords: str
    group: str


class Open311AttributeValue(msgspec.Struct):
    """One choice of a list attribute."""

    key: str
    name: str


class Open311Attribute(msgspec.Struct):
    """One question of a service definition."""

    variable: bool
    code: str
    datatype: str
    required: bool
    datatype_description: str | None
    order: int
    description: str
    values: list[Open311AttributeValue]


class Open311ServiceDefinition(msgspec.Struct):
    """GET Service Definition."""

    service_code: str
    attributes: list[Open311Attribute]


class Open311AttributeAnswer(msgspec.Struct):
    """An answer to one attribute of the service definition (an ihanoi
    extension of GET Service Requests): its code and the value given, or the
    keys chosen of a ``multivaluelist``."""

    code: str
    values: list[str]


class Open311ServiceRequest(msgspec.Struct):
    """A service request as anyone may see it (GET Service Requests / Request).
    Two ihanoi extensions follow the spec's fields: ``attributes``, the answers
    the request was filed with (``attribute[CODE]`` of the POST), and
    ``support_count``, how many other citizens said "me too"."""

    service_request_id: str
    status: str
    status_notes: str | None
    service_name: str | None
    service_code: str
    description: str | None
    agency_responsible: str | None
    service_notice: str | None
    requested_datetime: str
    updated_datetime: str | None
    expected_datetime: str | None
    address: str | None
    address_id: str | None
    zipcode: str | None
    lat: float | None
    long: float | None
    media_url: str | None
    # ihanoi extensions, after the spec's fields (clients ignore what they do not know).
    attributes: list[Open311AttributeAnswer] = []
    support_count: int = 0


class Open311CreatedRequest(msgspec.Struct):
    """The answer to POST Service Request."""

    service_request_id: str
    service_notice: str | None
    account_id: str | None


class Open311Token(msgspec.Struct):
    """GET service_request_id from a token."""

    service_request_id: str
    token: str


class Open311Endpoint(msgspec.Struct):
    """One API endpoint listed by service discovery."""

    specification: str
    url: str
    changeset: str
    type: str
    formats: list[str]


class Open311Discovery(msgspec.Struct):
    """Service discovery."""

    changeset: str
    contact: str
    key_service: str
    endpoints: list[Open311Endpoint]


class Open311ErrorEntry(msgspec.Struct):
    """One error of an error document."""

    code: int
    description: str


Document = msgspec.Struct | Sequence[msgspec.Struct]


# -- from the directory and the public feed ------------------------------------------------


def w3_datetime(moment: datetime, zone: tzinfo) -> str:
    """``2026-11-30T09:00:00+07:00``: W3C ISO 8601 in the city's time zone, with
    the fraction of a second only when there is one (so it is the stored instant)."""
    return moment.astimezone(zone).isoformat()


def service(category: Category) -> Open311Service:
    return Open311Service(
        service_code=category.code,
        service_name=category.name_vi,
        description=category.description,
        metadata=bool(category.attributes),
        type="realtime",
        keywords=", ".join(category.keywords),
        group=category.group,
    )


def attribute(item: Attribute) -> Open311Attribute:
    return view_of(
        Open311Attribute,
        item,
        datatype_description=item.datatype_description or None,
        values=[Open311AttributeValue(key=value.key, name=value.name) for value in item.values],
    )


def service_definition(category: Category) -> Open311ServiceDefinition:
    return Open311ServiceDefinition(
        service_code=category.code, attributes=[attribute(item) for item in category.attributes]
    )


def service_request(report: PublicReport, zone: tzinfo, photo_url: str | None = None) -> Open311ServiceRequest:
    """A row of the public feed as an Open311 request. The feed holds no personal
    data, so neither does this; ``address_id`` and ``zipcode`` are not kept by
    ihanoi and always null. ``media_url`` is ``photo_url`` (the report's first
    public photo) when it has one, else the first media URL it was filed with."""
    return Open311ServiceRequest(
        service_request_id=report.code,
        status=report.open311_status,
        status_notes=report.status_notes,
        service_name=report.service_name,
        service_code=report.service_code,
        description=report.description or None,
        agency_responsible=report.agency_name,
        service_notice=None,
        requested_datetime=w3_datetime(report.requested_at, zone),
        updated_datetime=w3_datetime(report.updated_at, zone),
        expected_datetime=w3_datetime(report.expected_at, zone) if report.expected_at else None,
        address=report.address,
        address_id=None,
        zipcode=None,
        lat=report.latitude,
        long=report.longitude,
        media_url=photo_url or (report.media_urls[0] if report.media_urls else None),
        attributes=[
            Open311AttributeAnswer(code=code, values=[value] if isinstance(value, str) else list(value))
            for code, value in report.attributes.items()
        ],
        support_count=report.support_count,
    )


# -- rendering ---------------------------------------------------------------------------


def render(fmt: str, root: str, document: Document) -> bytes:
    """``document`` as ``fmt`` (``json`` or ``xml``); ``root`` names the XML root element."""
    if fmt == "json":
        return msgspec.json.encode(document)
    return xml_document(root, document)


def xml_document(root: str, document: Document) -> bytes:
    element = ET.Element(root)
    _fill(element, root, document)
    return XML_DECLARATION + ET.tostring(element, encoding="unicode").encode("utf-8")


def _fill(element: ET.Element, name: str, value: Any) -> None:
    if isinstance(value, msgspec.Struct):
        for field in value.__struct_fields__:
            _fill(ET.SubElement(element, field), field, getattr(value, field))
    elif isinstance(value, (list, tuple)):
        item = ITEM_NAMES[name]
        for entry in value:
            _fill(ET.SubElement(element, item), item, entry)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif isinstance(value, (int, float)):
        element.text = repr(value)
    elif value is not None:
        element.text = _NOT_XML.sub("", str(value))


def response(fmt: str, root: str, document: Document, status: int = 200) -> Response:
    return Response(render(fmt, root, document), status_code=status, media_type=MEDIA_TYPES[fmt])


def error_response(fmt: str, status: int, descriptions: Iterable[str]) -> Response:
    errors = [Open311ErrorEntry(code=status, description=text) for text in descriptions]
    return response(fmt, "errors", errors, status)
