"""The Open311 GeoReport v2 wire format without a server: documents in the
spec's element order as JSON and well-formed XML, error documents, parameters
read the way real clients send them, and the ward a POST is routed to."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta, timezone
from uuid import uuid4
from zoneinfo import ZoneInfo

import orjson
import pytest

from ihanoi_core.directory import load_directory
from ihanoi_projections.public_reports import PublicReport
from ihanoi_server.open311.feed import feed_query
from ihanoi_server.open311.format import (
    Open311CreatedRequest,
    Open311Error,
    error_response,
    render,
    service,
    service_definition,
    service_request,
    w3_datetime,
)
from ihanoi_server.open311.params import Params, form_items, json_items, multipart_items, parse_w3_datetime, split_list
from ihanoi_server.open311.submission import choose_ward, folded, submission

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
DIRECTORY = load_directory()
REQUEST_FIELDS = [
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
    "address", "address_id", "zipcode", "lat", "long", "media_url", "attributes", "support_count",
]  # fmt: skip


def public_report(**changes: object) -> PublicReport:
    fields: dict[str, object] = {
        "case_id": uuid4(), "code": "PA-261130-000001", "service_code": "pothole",
        "service_name": "Ổ gà, hư hỏng mặt đường", "service_name_en": "Pothole", "status": "acknowledged",
        "open311_status": "open", "status_notes": None, "description": "Ổ gà <sâu> & rộng",
        "agency": "UBND_CAU_GIAY", "agency_name": "Ủy ban nhân dân phường Cầu Giấy", "ward": "CAU_GIAY",
        "latitude": 21.0362, "longitude": 105.7953, "address": None, "media_urls": ("https://p.example/1.jpg",),
        "requested_at": datetime(2026, 11, 30, 2, 0, tzinfo=UTC),
        "updated_at": datetime(2026, 11, 30, 3, 0, 0, 250000, tzinfo=UTC),
        "expected_at": datetime(2026, 11, 30, 10, 0, tzinfo=UTC), "position": 7,
    }  # fmt: skip
    fields.update(changes)
    return PublicReport(**fields)  # type: ignore[arg-type]


# -- documents ---------------------------------------------------------------------------


def test_a_service_request_renders_in_the_spec_order_as_json_and_xml() -> None:
    request = service_request(public_report(), HANOI)
    [as_json] = orjson.loads(render("json", "service_requests", [request]))
    assert list(as_json) == REQUEST_FIELDS
    assert as_json["requested_datetime"] == "2026-11-30T09:00:00+07:00"
    assert as_json["updated_datetime"] == "2026-11-30T10:00:00.250000+07:00"  # the stored instant, exactly
    assert as_json["expected_datetime"] == "2026-11-30T17:00:00+07:00"
    assert (as_json["lat"], as_json["long"], as_json["status_notes"]) == (21.0362, 105.7953, None)
    assert as_json["media_url"] == "https://p.example/1.jpg"

    body = render("xml", "service_requests", [request])
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n<service_requests><request>')
    root = ET.fromstring(body)
    assert [child.tag for child in root[0]] == REQUEST_FIELDS
    assert root[0].findtext("description") == "Ổ gà <sâu> & rộng"
    assert root[0].findtext("lat") == "21.0362"
    assert root[0].find("status_notes") is not None
    assert root[0].findtext("status_notes") == ""  # null is an empty element


def test_a_withheld_description_and_missing_times_are_null() -> None:
    request = service_request(public_report(description="", expected_at=None, latitude=None, media_urls=()), HANOI)
    assert (request.description, request.expected_datetime, request.lat, request.media_url) == (None, None, None, None)


def test_xml_drops_characters_xml_cannot_carry_and_keeps_vietnamese() -> None:
    request = service_request(public_report(description="Đèn\x0b hỏng\x01\nở ngõ 5"), HANOI)
    root = ET.fromstring(render("xml", "service_requests", [request]))
    assert root.findtext("request/description") == "Đèn hỏng\nở ngõ 5"


def test_services_and_definitions_come_from_the_directory_category() -> None:
    pothole = DIRECTORY.categories["pothole"]
    listed = orjson.loads(render("json", "services", [service(pothole)]))
    assert list(listed[0]) == ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
    assert (listed[0]["metadata"], listed[0]["type"]) == (True, "realtime")
    assert ET.fromstring(render("xml", "services", [service(pothole)])).findtext("service/metadata") == "true"

    definition = orjson.loads(render("json", "service_definition", service_definition(pothole)))
    assert isinstance(definition, dict)  # an object, not an array, in the spec's JSON
    road_type = definition["attributes"][0]
    assert list(road_type) == [
        "variable", "code", "datatype", "required", "datatype_description", "order", "description", "values",
    ]  # fmt: skip
    assert road_type["datatype_description"] is None
    assert road_type["values"][0] == {"key": "main_road", "name": "Đường phố chính"}
    root = ET.fromstring(render("xml", "service_definition", service_definition(pothole)))
    assert [v.findtext("key") for v in root.iterfind("attributes/attribute/values/value")][:3] == [
        "main_road", "street", "alley",
    ]  # fmt: skip


def test_the_post_answer_has_no_token_and_an_empty_account_id_element() -> None:
    created = Open311CreatedRequest(service_request_id="PA-1", service_notice="Đã chuyển.", account_id=None)
    root = ET.fromstring(render("xml", "service_requests", [created]))
    assert [child.tag for child in root[0]] == ["service_request_id", "service_notice", "account_id"]
    assert orjson.loads(render("json", "service_requests", [created])) == [
        {"service_request_id": "PA-1", "service_notice": "Đã chuyển.", "account_id": None}
    ]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_error_document_lists_every_problem_with_the_status_as_code(fmt: str) -> None:
    response = error_response(fmt, 400, ["service_code was not provided.", "lat and long must be sent together."])
    assert response.status_code == 400
    assert response.headers["content-type"] == {"json": "application/json", "xml": "text/xml"}[fmt] + "; charset=utf-8"
    if fmt == "json":
        assert orjson.loads(response.body) == [
            {"code": 400, "description": "service_code was not provided."},
            {"code": 400, "description": "lat and long must be sent together."},
        ]
    else:
        root = ET.fromstring(response.body)
        assert root.tag == "errors"
        assert [[child.tag for child in error] for error in root] == [["code", "description"]] * 2
        assert [error.findtext("code") for error in root] == ["400", "400"]


def test_times_are_w3_with_the_city_offset() -> None:
    assert w3_datetime(datetime(2026, 1, 1, 17, 0, tzinfo=UTC), HANOI) == "2026-01-02T00:00:00+07:00"


# -- parameters ---------------------------------------------------------------------------


def test_an_empty_parameter_is_absent_and_the_last_value_wins() -> None:
    params = Params([("status", ""), ("email", " a@b.vn "), ("email", "c@d.vn"), ("email", "  ")])
    assert params.get("status") is None
    assert params.get("email") == "c@d.vn"
    assert params.get_all("email") == ["a@b.vn", "c@d.vn"]


def test_attributes_are_read_in_both_spec_forms() -> None:
    params = Params([
        ("attribute[road_type]", "alley"), ("attribute[waste_type][]", "bulky"),
        ("attribute[waste_type][]", "household"), ("attribute[blank]", ""), ("attributes", "x"),
    ])  # fmt: skip
    assert params.attributes() == {"road_type": ["alley"], "waste_type": ["bulky", "household"]}


def test_text_is_normalised_to_nfc_and_nul_is_refused() -> None:
    assert Params([("description", "Ô\u0309 ga\u0300")]).get("description") == "Ổ gà"
    with pytest.raises(Open311Error) as refused:
        Params([("description", "a\x00b")])
    assert refused.value.status == 400


def test_a_form_body_is_utf8_with_plus_as_space_unless_it_says_otherwise() -> None:
    assert form_items(b"description=%E1%BB%94+g%C3%A0&attribute%5Bsize%5D=large") == [
        ("description", "Ổ gà"), ("attribute[size]", "large"),
    ]  # fmt: skip
    assert form_items(b"description=Caf%E9", "iso8859-1") == [("description", "Café")]
    with pytest.raises(Open311Error):
        form_items(b"description=%FF%FE")


def test_a_multipart_body_gives_its_text_fields_and_skips_files() -> None:
    body = (
        b'--xyz\r\nContent-Disposition: form-data; name="service_code"\r\n\r\npothole\r\n'
        b'--xyz\r\nContent-Disposition: form-data; name="description"\r\n\r\n\xe1\xbb\x94 g\xc3\xa0\r\n'
        b'--xyz\r\nContent-Disposition: form-data; name="media"; filename="a.jpg"\r\n'
        b"Content-Type: image/jpeg\r\n\r\n\xff\xd8\xff\r\n--xyz--\r\n"
    )
    assert multipart_items(body, "multipart/form-data; boundary=xyz") == [
        ("service_code", "pothole"), ("description", "Ổ gà"),
    ]  # fmt: skip
    with pytest.raises(Open311Error):
        multipart_items(b"just text", "multipart/form-data")


def test_a_json_body_maps_to_the_same_parameters() -> None:
    items = json_items(b'{"service_code": "pothole", "lat": 21.03, "attribute": {"road_type": "alley"}}')
    assert Params(items).attributes() == {"road_type": ["alley"]}
    assert Params(items).get("lat") == "21.03"
    for bad in (b"[1]", b"{", b'{"lat": {"deep": 1}}'):
        with pytest.raises(Open311Error):
            json_items(bad)


def test_dates_are_w3_iso_8601_and_a_bare_one_is_city_time() -> None:
    assert parse_w3_datetime("d", "2010-01-01T00:00:00Z", HANOI) == datetime(2010, 1, 1, tzinfo=UTC)
    assert parse_w3_datetime("d", "2026-11-30T09:00:00+07:00", HANOI).utcoffset() == timedelta(hours=7)
    assert parse_w3_datetime("d", "2026-11-30", HANOI) == datetime(2026, 11, 30, tzinfo=HANOI)
    with pytest.raises(Open311Error):
        parse_w3_datetime("d", "30/11/2026", HANOI)


def test_a_comma_list_drops_blanks_and_repeats() -> None:
    assert split_list(" a, ,b,a,") == ["a", "b"]
    assert split_list(None) == []


# -- from parameters to a report -------------------------------------------------------------

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


def test_the_feed_defaults_to_the_last_90_days_and_refuses_a_wider_window() -> None:
    query = feed_query(Params([]), NOW, HANOI)
    assert (query["requested_from"], query["requested_to"]) == (NOW - timedelta(days=90), None)
    assert (query["limit"], query["offset"], query["open311_status"]) == (200, 0, None)
    paged = feed_query(Params([("page", "3"), ("page_size", "20"), ("status", "closed")]), NOW, HANOI)
    assert (paged["limit"], paged["offset"], paged["open311_status"]) == (20, 40, "closed")
    start_only = feed_query(Params([("start_date", "2026-01-01T00:00:00Z")]), NOW, HANOI)
    assert start_only["requested_to"] - start_only["requested_from"] == timedelta(days=90)
    with pytest.raises(Open311Error) as refused:
        feed_query(Params([("start_date", "2026-01-01"), ("end_date", "2026-06-01"), ("page", "x")]), NOW, HANOI)
    assert len(refused.value.descriptions) == 2


@pytest.mark.parametrize(
    ("named", "point", "address", "ward"),
    [
        ("CAU_GIAY", None, None, "CAU_GIAY"),
        ("phuong cau giay", (21.0, 105.8), None, "CAU_GIAY"),
        ("Tây Hồ", None, None, "TAY_HO"),
        (None, (21.0362, 105.7953), None, "CAU_GIAY"),
        (None, (21.0560, 105.3900), None, "BA_VI"),
        (None, None, "12 Phố Huế, P. Hai Bà Trưng", "HOAN_KIEM"),  # "P." is not a ward name: central
        (None, None, "12 Phố Huế, phường Hai Bà Trưng, Hà Nội", "HAI_BA_TRUNG"),
        (None, None, "Kim Lien Ward, Hanoi", "KIM_LIEN"),
        (None, None, None, "HOAN_KIEM"),
    ],
)
def test_the_ward_is_named_nearest_or_in_the_address_else_central(
    named: str | None, point: tuple[float, float] | None, address: str | None, ward: str
) -> None:
    problems: list[str] = []
    assert choose_ward(DIRECTORY, named, point, address, problems) == ward
    assert problems == []


def test_a_point_far_from_the_city_or_an_unknown_ward_is_a_problem() -> None:
    problems: list[str] = []
    choose_ward(DIRECTORY, None, (10.7769, 106.7009), None, problems)
    choose_ward(DIRECTORY, "Phường Bến Nghé", None, None, problems)
    assert len(problems) == 2


def test_folding_ignores_case_diacritics_and_punctuation() -> None:
    assert folded("Phường  Đống Đa,") == "phuong dong da"


def test_a_submission_keeps_attribute_answers_apart_and_the_contact_private() -> None:
    params = Params([
        ("description", "Rác ở đầu ngõ"), ("address_string", "Ngõ 12, phường Bạch Mai"),
        ("attribute[waste_type]", "bulky,household"), ("attribute[days_uncollected]", "4"),
        ("first_name", "Văn An"), ("last_name", "Nguyễn"), ("phone", "+84 912 345 678"), ("device_id", "d-1"),
    ])  # fmt: skip
    filed = submission(params, DIRECTORY.categories["uncollected_waste"], DIRECTORY)
    assert filed.location.ward == "BACH_MAI"
    assert filed.description == "Rác ở đầu ngõ"
    assert filed.attributes == {"waste_type": ("bulky", "household"), "days_uncollected": "4"}
    assert filed.contact is not None
    assert (filed.contact.name, filed.contact.phone) == ("Nguyễn Văn An", "+84 912 345 678")


def test_a_list_answer_may_name_the_choice_instead_of_its_key() -> None:
    params = Params([("ward", "BA_DINH"), ("attribute[road_type]", "Ngõ, ngách")])
    filed = submission(params, DIRECTORY.categories["pothole"], DIRECTORY)
    assert filed.attributes == {"road_type": "alley"}
    assert filed.location.ward == "BA_DINH"


def test_a_required_attribute_left_out_is_a_problem_and_one_not_asked_is_ignored() -> None:
    params = Params([("ward", "BA_DINH"), ("attribute[size]", "small"), ("attribute[colour]", "red")])
    with pytest.raises(Open311Error) as refused:
        submission(params, DIRECTORY.categories["pothole"], DIRECTORY)
    assert refused.value.descriptions[0].startswith("attribute[road_type] is required")
    filed = submission(Params([*params.items, ("attribute[road_type]", "street")]), DIRECTORY.categories["pothole"],
                       DIRECTORY)  # fmt: skip
    assert filed.attributes == {"road_type": "street", "size": "small"}


def test_a_submission_names_every_problem_at_once() -> None:
    params = Params([
        ("lat", "91"), ("long", "105"), ("attribute[waste_type][]", "gold"), ("attribute[days_uncollected]", "many"),
        ("phone", "call me"), ("media_url", "ftp://x"),
    ])  # fmt: skip
    with pytest.raises(Open311Error) as refused:
        submission(params, DIRECTORY.categories["uncollected_waste"], DIRECTORY)
    assert refused.value.status == 400
    assert len(refused.value.descriptions) == 5


def test_a_time_zone_without_a_name_renders_its_offset() -> None:
    assert w3_datetime(datetime(2026, 1, 1, tzinfo=UTC), timezone(timedelta(hours=-5))) == "2025-12-31T19:00:00-05:00"
