"""Open311 GeoReport v2 over real HTTP, as a client that knows only the spec
would use it: discovery, services, service definitions, form-encoded POSTs
with ``api_key`` and ``attribute[...]``, requests read back in JSON and in XML
(parsed with the standard library and checked element by element against the
spec's names and order), the filters, paging, every error shape, and no
personal data in any answer. One test drives a published Open311 client
library (``georeport``) against the server.

The server runs on the real clock; due times are compared with what the staff
API says, never computed here.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from ihanoi_core.directory import load_directory
from ihanoi_core.domain.values import Role
from ihanoi_core.simulation.photos import generated_photo
from tests.conftest import LOOPBACK_TLS
from tests.e2e.conftest import LiveServer

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
API_KEY = "partner-key-1"  # IHANOI_OPEN311_API_KEYS of the e2e server
JURISDICTION = "hanoi.gov.vn"
API = "/open311/v2"
CAU_GIAY = {"lat": "21.0362", "long": "105.7953"}  # by the Cầu Giấy ward office
DIRECTORY = load_directory()

# The spec's element names, in the spec's order (GeoReport_v2/index.md), then ihanoi's extension (support_count).
SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
ATTRIBUTE_FIELDS = [
    "variable", "code", "datatype", "required", "datatype_description", "order", "description", "values",
]  # fmt: skip
REQUEST_FIELDS = [
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
    "address", "address_id", "zipcode", "lat", "long", "media_url", "attributes", "support_count",
]  # fmt: skip
CREATED_FIELDS = ["service_request_id", "service_notice", "account_id"]
DISCOVERY_FIELDS = ["changeset", "contact", "key_service", "endpoints"]
ENDPOINT_FIELDS = ["specification", "url", "changeset", "type", "formats"]
PII = {"first_name": "Thị Hoa", "last_name": "Lê", "phone": "0987 654 321", "email": "le.hoa@example.vn"}


@pytest.fixture
def client(sqlite_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sqlite_server.base_url + API, timeout=10, verify=LOOPBACK_TLS) as anonymous:
        yield anonymous


# -- helpers: read answers as a spec-only client would ---------------------------------------


def json_of(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    return response.json()


def xml_of(response: httpx.Response, status: int = 200) -> ET.Element:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)  # raises unless well-formed


def children(element: ET.Element) -> list[str]:
    return [child.tag for child in element]


def xml_request(element: ET.Element) -> dict[str, str]:
    assert children(element) == REQUEST_FIELDS
    return {child.tag: child.text or "" for child in element}


def post(client: httpx.Client, fmt: str = "json", **fields: Any) -> httpx.Response:
    """A form-encoded POST, as the spec's example."""
    return client.post(f"/requests.{fmt}", data={"api_key": API_KEY, "jurisdiction_id": JURISDICTION, **fields})


def file_report(client: httpx.Client, **fields: Any) -> str:
    created = json_of(post(client, **fields))
    assert len(created) == 1
    assert list(created[0]) == CREATED_FIELDS
    code: str = created[0]["service_request_id"]
    return code


def moment(text: str) -> datetime:
    parsed = datetime.fromisoformat(text)
    assert parsed.utcoffset() is not None, text
    return parsed


def agency_name(code: str) -> str:
    return DIRECTORY.agencies[code].name


# -- the journey, on both stores ------------------------------------------------------------


def test_a_partner_report_reads_back_open_with_its_due_time_and_agency_then_closed(live_server: LiveServer) -> None:
    officer = live_server.client(Role.OFFICER, "officer-cg", "UBND_CAU_GIAY")
    with httpx.Client(base_url=live_server.base_url + API, timeout=10, verify=LOOPBACK_TLS) as client, officer:
        # Step: a partner app posts a pothole, form-encoded, with the required attribute.
        answer = post(
            client,
            "xml",
            service_code="pothole",
            description="Ổ gà sâu giữa đường, xe máy dễ ngã.",
            **CAU_GIAY,
            **{"attribute[road_type]": "main_road", "attribute[size]": "large"},
            media_url="https://photos.example/pothole.jpg",
            account_id="partner-account-7",
        )
        created = xml_of(answer)
        assert created.tag == "service_requests"
        assert children(created) == ["request"]
        assert children(created[0]) == CREATED_FIELDS
        code = created[0].findtext("service_request_id") or ""
        assert code.startswith("PA-")
        assert created[0].findtext("account_id") == "partner-account-7"

        # Step: the staff API knows the routed agency and the acknowledgement due time.
        case = officer.get(f"/api/v1/reports/{code}")
        assert case.status_code == 200, case.text
        due = moment(case.json()["due_at"])

        # Step: read back in JSON and in XML, it is open, due then, at the ward of the point.
        [as_json] = json_of(client.get(f"/requests/{code}.json"))
        assert list(as_json) == REQUEST_FIELDS
        as_xml = xml_request(xml_of(client.get(f"/requests/{code}.xml"))[0])
        for request in (as_json, as_xml):
            assert request["service_request_id"] == code
            assert request["status"] == "open"
            assert request["service_code"] == "pothole"
            assert request["agency_responsible"] == agency_name("UBND_CAU_GIAY")
            assert request["expected_datetime"].endswith("+07:00")
            assert moment(request["expected_datetime"]) == due
            assert request["requested_datetime"].endswith("+07:00")
            assert request["media_url"] == "https://photos.example/pothole.jpg"
            assert request["description"] == "Ổ gà sâu giữa đường, xe máy dễ ngã."  # answers kept apart
        assert as_json["attributes"] == [
            {"code": "road_type", "values": ["main_road"]},
            {"code": "size", "values": ["large"]},
        ]
        answers = xml_of(client.get(f"/requests/{code}.xml"))[0].find("attributes")
        assert answers is not None
        assert [(a.findtext("code"), [v.text for v in a.iter("value")]) for a in answers] == [
            ("road_type", ["main_road"]),
            ("size", ["large"]),
        ]
        assert case.json()["attributes"] == {"road_type": "main_road", "size": "large"}  # the report's JSON too
        assert (as_json["lat"], as_json["long"]) == (21.0362, 105.7953)
        assert (float(as_xml["lat"]), float(as_xml["long"])) == (21.0362, 105.7953)

        # Step: the ward acknowledges: the expected time becomes the resolve deadline.
        # (`position`, an ihanoi extension, reads after the staff's write.)
        for command, body in (("acknowledge", {}), ("assign", {"assignee": "officer-cg"})):
            written = officer.post(f"/api/v1/reports/{code}/{command}", json=body)
            assert written.status_code == 200, written.text
        resolve_due = moment(officer.get(f"/api/v1/reports/{code}").json()["due_at"])
        assert resolve_due > due
        after = {"position": written.json()["position"]}
        [acknowledged] = json_of(client.get(f"/requests/{code}.json", params=after))
        assert acknowledged["status"] == "open"
        assert moment(acknowledged["expected_datetime"]) == resolve_due

        # Step: resolved with a public answer, it is closed with that note, in the closed feed only.
        resolved = officer.post(f"/api/v1/reports/{code}/resolve", json={"answer": "Đã vá ổ gà."})
        assert resolved.status_code == 200, resolved.text
        after = {"position": resolved.json()["position"]}
        [closed] = json_of(client.get(f"/requests/{code}.json", params=after))
        assert (closed["status"], closed["status_notes"]) == ("closed", "Đã vá ổ gà.")
        assert moment(closed["updated_datetime"]) >= moment(closed["requested_datetime"])
        closed_feed = json_of(client.get("/requests.json", params={"status": "closed"}))
        open_feed = json_of(client.get("/requests.json", params={"status": "open"}))
        assert code in [r["service_request_id"] for r in closed_feed]
        assert code not in [r["service_request_id"] for r in open_feed]


# -- discovery, services, definitions ---------------------------------------------------------


def test_discovery_names_this_endpoint_with_both_formats(client: httpx.Client, sqlite_server: LiveServer) -> None:
    as_json = json_of(client.get("/discovery.json"))
    assert list(as_json) == DISCOVERY_FIELDS
    [endpoint] = as_json["endpoints"]
    assert list(endpoint) == ENDPOINT_FIELDS
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == sqlite_server.base_url + API
    assert endpoint["formats"] == ["text/xml", "application/json"]

    as_xml = xml_of(client.get("/discovery.xml"))
    assert (as_xml.tag, children(as_xml)) == ("discovery", DISCOVERY_FIELDS)
    assert [children(endpoints) for endpoints in as_xml.iterfind("endpoints")] == [["endpoint"]]
    xml_endpoint = as_xml.find("endpoints/endpoint")
    assert xml_endpoint is not None
    assert children(xml_endpoint) == ENDPOINT_FIELDS
    assert [f.text for f in xml_endpoint.iterfind("formats/format")] == ["text/xml", "application/json"]


def test_services_are_the_directory_categories_in_order_in_both_formats(client: httpx.Client) -> None:
    expected = list(DIRECTORY.categories)
    as_json = json_of(client.get("/services.json", params={"jurisdiction_id": JURISDICTION}))
    assert [s["service_code"] for s in as_json] == expected
    assert all(list(s) == SERVICE_FIELDS for s in as_json)
    pothole = as_json[0]
    assert (pothole["metadata"], pothole["type"], pothole["group"]) == (True, "realtime", "Hạ tầng giao thông")
    assert "ổ gà" in pothole["keywords"].split(", ")
    assert next(s for s in as_json if s["service_code"] == "sidewalk_damage")["metadata"] is False

    as_xml = xml_of(client.get("/services.xml"))
    assert as_xml.tag == "services"
    assert set(children(as_xml)) == {"service"}
    assert [s.findtext("service_code") for s in as_xml] == expected
    assert all(children(s) == SERVICE_FIELDS for s in as_xml)
    assert as_xml[0].findtext("metadata") == "true"
    assert as_xml[0].findtext("service_name") == DIRECTORY.categories["pothole"].name_vi


def test_a_service_definition_lists_the_category_attributes_in_both_formats(client: httpx.Client) -> None:
    as_json = json_of(client.get("/services/uncollected_waste.json"))
    assert list(as_json) == ["service_code", "attributes"]
    assert as_json["service_code"] == "uncollected_waste"
    waste_type, days = as_json["attributes"]
    assert all(list(a) == ATTRIBUTE_FIELDS for a in as_json["attributes"])
    assert (waste_type["code"], waste_type["datatype"], waste_type["required"], waste_type["order"]) == (
        "waste_type", "multivaluelist", True, 1,
    )  # fmt: skip
    assert {"key": "bulky", "name": "Rác cồng kềnh"} in waste_type["values"]
    assert (days["datatype"], days["required"], days["values"]) == ("number", False, [])

    as_xml = xml_of(client.get("/services/uncollected_waste.xml"))
    assert (as_xml.tag, children(as_xml)) == ("service_definition", ["service_code", "attributes"])
    attributes = as_xml.findall("attributes/attribute")
    assert [a.findtext("code") for a in attributes] == ["waste_type", "days_uncollected"]
    assert all(children(a) == ATTRIBUTE_FIELDS for a in attributes)
    assert attributes[0].findtext("variable") == "true"
    values = attributes[0].findall("values/value")
    assert all(children(v) == ["key", "name"] for v in values)
    assert values[1].findtext("key") == "bulky"


# -- posting ---------------------------------------------------------------------------------


def test_posts_are_read_from_multipart_bodies_and_the_query_string_too(client: httpx.Client) -> None:
    # Step: multipart, with a multivaluelist answered as attribute[CODE][] and a photo part
    # (a real JPEG: stored without its metadata, and the request's media_url names it).
    multipart = client.post(
        "/requests.json",
        data={"service_code": "uncollected_waste", "address_string": "12 Phố Huế, phường Hai Bà Trưng",
              "attribute[waste_type][]": ["bulky", "household"], "attribute[days_uncollected]": "3"},
        params={"api_key": API_KEY},
        files={"media": ("photo.jpg", generated_photo("open311 multipart", 21.02, 105.85), "image/jpeg")},
    )  # fmt: skip
    [created] = json_of(multipart)
    [request] = json_of(client.get(f"/requests/{created['service_request_id']}.json"))
    assert request["agency_responsible"] == agency_name("UBND_HAI_BA_TRUNG")  # the ward the address names
    assert request["address"] == "12 Phố Huế, phường Hai Bà Trưng"
    assert request["attributes"] == [
        {"code": "waste_type", "values": ["bulky", "household"]},
        {"code": "days_uncollected", "values": ["3"]},
    ]
    assert (request["lat"], request["long"]) == (None, None)
    assert "/public/photos/" in request["media_url"]

    # Step: everything in the query string, no body at all.
    query_only = client.post(
        "/requests.json",
        params={"api_key": API_KEY, "service_code": "traffic_light_fault", "lat": "21.0285", "long": "105.8542"},
    )
    [created] = json_of(query_only)
    [request] = json_of(client.get(f"/requests/{created['service_request_id']}.json"))
    assert request["agency_responsible"] == agency_name("SXD")  # a city-wide category
    assert request["description"] == DIRECTORY.categories["traffic_light_fault"].name_vi


@pytest.mark.parametrize(
    ("location", "agency"),
    [
        ({"ward": "Phường Tây Hồ"}, "UBND_TAY_HO"),
        ({**CAU_GIAY, "ward": "BA_DINH"}, "UBND_BA_DINH"),  # the explicit ward wins over the point
        ({"lat": "21.0365", "long": "105.8380"}, "UBND_BA_DINH"),
        ({"address_id": "HN-000123"}, "UBND_HOAN_KIEM"),  # no coordinates, no ward: the central ward
        ({"address_string": "Ngõ 5 phố Láng Hạ"}, "UBND_HOAN_KIEM"),
    ],
)
def test_the_ward_comes_from_the_ward_the_point_or_the_address(
    client: httpx.Client, location: dict[str, str], agency: str
) -> None:
    code = file_report(client, service_code="sidewalk_damage", **location)
    [request] = json_of(client.get(f"/requests/{code}.json"))
    assert request["agency_responsible"] == agency_name(agency)


def test_contact_details_never_appear_in_any_read(client: httpx.Client) -> None:
    code = file_report(
        client,
        service_code="illegal_dumping",
        address_string="Bãi đất trống ven sông Tô Lịch",
        device_id="device-4242",
        account_id="account-4242",
        **PII,
    )
    reads = [
        f"/requests/{code}.json", f"/requests/{code}.xml", f"/tokens/{code}.json", f"/tokens/{code}.xml",
        "/requests.json", "/requests.xml", f"/requests.json?service_request_id={code}",
    ]  # fmt: skip
    for path in reads:
        response = client.get(path)
        assert response.status_code == 200, path
        text = response.text
        assert code in text
        for secret in (*PII.values(), "device-4242", "account-4242", API_KEY):
            assert secret not in text, (path, secret)


def test_a_token_is_the_request_id_itself(client: httpx.Client) -> None:
    code = file_report(client, service_code="fallen_tree", **CAU_GIAY)
    assert json_of(client.get(f"/tokens/{code}.json")) == [{"service_request_id": code, "token": code}]
    token = xml_of(client.get(f"/tokens/{code}.xml"))
    assert (token.tag, children(token), children(token[0])) == ("service_requests", ["request"], [
        "service_request_id", "token",
    ])  # fmt: skip


# -- reading: filters and pages ----------------------------------------------------------------


def test_the_filters_select_by_id_service_status_and_date(client: httpx.Client) -> None:
    lights = [file_report(client, service_code="street_light_out", **CAU_GIAY) for _ in range(2)]
    signs = file_report(client, service_code="road_sign_damage", **CAU_GIAY)

    def codes(**params: str) -> list[str]:
        return [r["service_request_id"] for r in json_of(client.get("/requests.json", params=params))]

    # Step: service_request_id (comma-delimited) overrides every other argument.
    assert codes(service_request_id=f"{signs},{lights[0]},PA-000000-000000", status="closed") == [signs, lights[0]]
    # Step: service_code (comma-delimited), newest first.
    assert codes(service_code="street_light_out") == lights[::-1]
    assert set(codes(service_code="street_light_out,road_sign_damage")) == {*lights, signs}
    assert codes(service_code="street_light_out", status="closed") == []
    assert codes(service_code="street_light_out", status="open,closed") == lights[::-1]
    # Step: a date window around now finds them; one a year ago does not.
    now = datetime.now(HANOI)
    window = {"start_date": (now - timedelta(hours=1)).isoformat(), "end_date": (now + timedelta(hours=1)).isoformat()}
    assert codes(service_code="road_sign_damage", **window) == [signs]
    last_year = {"start_date": "2025-01-01T00:00:00Z", "end_date": "2025-02-01T00:00:00Z"}
    assert codes(service_code="road_sign_damage", **last_year) == []
    assert codes(service_code="road_sign_damage", start_date=(now - timedelta(days=1)).date().isoformat()) == [signs]


def test_pages_walk_the_feed_without_gaps_or_repeats(client: httpx.Client) -> None:
    filed = [file_report(client, service_code="tree_pruning", **CAU_GIAY) for _ in range(5)]

    def page(number: int, size: int) -> list[str]:
        params = {"service_code": "tree_pruning", "page": str(number), "page_size": str(size)}
        return [r["service_request_id"] for r in json_of(client.get("/requests.json", params=params))]

    assert page(1, 2) + page(2, 2) + page(3, 2) == filed[::-1]
    assert page(4, 2) == []
    assert page(1, 1000) == filed[::-1]  # a page_size above 200 is read as 200
    as_xml = xml_of(client.get("/requests.xml", params={"service_code": "tree_pruning", "page_size": "3"}))
    assert [xml_request(r)["service_request_id"] for r in as_xml] == filed[::-1][:3]


# -- errors ----------------------------------------------------------------------------------

VALID = {"api_key": API_KEY, "service_code": "pothole", "attribute[road_type]": "alley", **CAU_GIAY}
ERRORS = [
    ("POST", "/requests", {**VALID, "api_key": ""}, 403),
    ("POST", "/requests", {**VALID, "api_key": "stolen-key"}, 403),
    ("POST", "/requests", {**VALID, "jurisdiction_id": "sfgov.org"}, 404),
    ("POST", "/requests", {**VALID, "service_code": ""}, 400),
    ("POST", "/requests", {**VALID, "service_code": "no_such_service"}, 404),
    ("POST", "/requests", {"api_key": API_KEY, "service_code": "sidewalk_damage"}, 400),  # no location
    ("POST", "/requests", {**VALID, "lat": "21.03", "long": ""}, 400),
    ("POST", "/requests", {**VALID, "lat": "10.7769", "long": "106.7009"}, 400),  # Hồ Chí Minh City
    ("POST", "/requests", {**VALID, "attribute[road_type]": ""}, 400),  # a required attribute missing
    ("POST", "/requests", {**VALID, "attribute[road_type]": "motorway"}, 400),
    ("POST", "/requests", {**VALID, "ward": "Phường Không Có"}, 400),
    ("POST", "/requests", {**VALID, "description": "x" * 4001}, 400),
    ("POST", "/requests", {**VALID, "media_url": "javascript:alert(1)"}, 400),
    ("POST", "/requests", {**VALID, "email": "not an address"}, 400),
    ("GET", "/requests", {"start_date": "yesterday"}, 400),
    ("GET", "/requests", {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, 400),
    # The 90-day window of a date at either end of the calendar ran past it (a 500).
    ("GET", "/requests", {"start_date": "9999-12-31T00:00:00+07:00"}, 400),
    ("GET", "/requests", {"end_date": "0001-01-01T00:00:00+07:00"}, 400),
    ("GET", "/requests", {"status": "pending"}, 400),
    ("GET", "/requests", {"page": "0"}, 400),
    ("GET", "/requests", {"service_request_id": "PA-000000-000000", "page_size": "x"}, 400),
    ("GET", "/requests", [("page_size", "1"), ("page_size", "2")], 400),
    ("GET", "/requests", {"jurisdiction_id": "sfgov.org"}, 404),
    ("GET", "/requests/PA-000000-000000", {}, 404),
    ("GET", "/tokens/no-such-token", {}, 404),
    ("GET", "/services/no_such_service", {}, 404),
    ("GET", "/services", {"jurisdiction_id": "sfgov.org"}, 404),
]


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(("method", "path", "params", "status"), ERRORS)
def test_errors_answer_the_spec_error_document_with_its_status(
    client: httpx.Client, fmt: str, method: str, path: str, params: Any, status: int
) -> None:
    if method == "POST":
        response = client.post(f"{path}.{fmt}", data=params)
    else:
        response = client.get(f"{path}.{fmt}", params=params)
    if fmt == "json":
        errors = json_of(response, status)
        assert isinstance(errors, list)
        assert errors
        assert all(list(error) == ["code", "description"] and error["code"] == status for error in errors)
        assert all(error["description"] for error in errors)
    else:
        root = xml_of(response, status)
        assert root.tag == "errors"
        assert set(children(root)) == {"error"}
        assert all(children(error) == ["code", "description"] for error in root)
        assert all(error.findtext("code") == str(status) and error.findtext("description") for error in root)


def test_an_unknown_format_is_404_in_xml_and_every_problem_of_a_post_is_listed(client: httpx.Client) -> None:
    root = xml_of(client.get("/services.csv"), 404)
    assert root.tag == "errors"
    assert "csv" in (root.findtext("error/description") or "")
    errors = json_of(client.post("/requests.json", data={"api_key": API_KEY, "service_code": "pothole"}), 400)
    assert len(errors) == 2  # no location and no road_type: both said at once
    # An empty optional argument is the same as an absent one.
    assert isinstance(json_of(client.get("/requests.json", params={"jurisdiction_id": "", "status": ""})), list)


# -- a published client ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_published_open311_client_reads_services_definitions_and_requests(
    client: httpx.Client, sqlite_server: LiveServer, fmt: str
) -> None:
    georeport = pytest.importorskip("georeport")
    code = file_report(client, service_code="pothole", **CAU_GIAY, **{"attribute[road_type]": "street"})
    reader = georeport.GeoReport(sqlite_server.base_url + API, jurisdiction=JURISDICTION, output_format=fmt)

    services = reader.get_service_list()
    assert [s["service_code"] for s in services] == list(DIRECTORY.categories)
    definition = reader.get_service_definition("pothole")
    attributes = definition["attributes"] if fmt == "json" else definition["attributes"]["attribute"]
    assert attributes[0]["code"] == "road_type"

    found = reader.get_service_requests(service_request_id=code)
    found = found if isinstance(found, list) else [found]  # xmltodict: one element is not a list
    assert [r["service_request_id"] for r in found] == [code]
    one = reader.get_service_request(code)
    assert (one["status"], one["agency_responsible"]) == ("open", agency_name("UBND_CAU_GIAY"))
    assert one["expected_datetime"].endswith("+07:00")
