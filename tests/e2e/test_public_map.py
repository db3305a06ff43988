"""The public map feed over real HTTP, on SQLite and PostgreSQL: GeoJSON valid
by the ``geojson`` package in RFC 7946's ``[longitude, latitude]`` order, every
filter, the "near" search's order and radius, the Open311 geographic
extensions, supporting a report ("tôi cũng gặp") with its refusals, and no
personal data anywhere in what the public reads.

One server per store for the module; its reports are filed through the API
itself around Hồ Gươm (Hoàn Kiếm) and in Ba Đình, at known distances.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geojson  # type: ignore[import-untyped]
import httpx
import pytest

from ihanoi_core.domain.values import Role
from tests.conftest import LOOPBACK_TLS
from tests.e2e.conftest import LiveServer, start_server, stop_server

HO_GUOM = (21.0288, 105.8524)
MEAN_RADIUS_M = 6_371_008.8
OWNER = "vneid:001099012345"
NEIGHBOUR = "vneid:001099055555"
PASSER_BY = "vneid:001099066666"
CONTACT_NAME = "Trần Thị Bình Riêng Tư"
CONTACT_PHONE = "0987654321"
CONTACT_EMAIL = "binh.private@example.vn"


def north_of(metres: float, start: tuple[float, float] = HO_GUOM) -> tuple[float, float]:
    return (start[0] + math.degrees(metres / MEAN_RADIUS_M), start[1])


@dataclass
class World:
    server: LiveServer
    codes: dict[str, str]
    position: int

    def get(self, path: str, **params: Any) -> httpx.Response:
        return httpx.get(
            f"{self.server.base_url}{path}",
            params={"position": self.position, **params},
            timeout=10,
            verify=LOOPBACK_TLS,
        )

    def features(self, **params: Any) -> list[dict[str, Any]]:
        response = self.get("/public/reports.geojson", **params)
        assert response.status_code == 200, response.text
        return list(response.json()["features"])

    def codes_of(self, **params: Any) -> set[str]:
        return {feature["id"] for feature in self.features(**params)}


def file(
    client: httpx.Client, category: str, ward: str, place: tuple[float, float] | None, **extra: Any
) -> dict[str, Any]:
    location: dict[str, Any] = {"ward": ward, "address": "Phố Hàng Bài"}
    if place is not None:
        location.update(latitude=place[0], longitude=place[1])
    body = {"category": category, "description": "Ổ gà lớn giữa đường", "location": location, **extra}
    response = client.post("/api/v1/reports", json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("public-map")
    url = (
        f"sqlite:///{folder / 'ihanoi.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("module_postgres_url")
    )
    server = start_server(url, Path(folder / "server.log"))
    codes: dict[str, str] = {}
    with server.client(Role.CITIZEN, OWNER) as owner, server.client(Role.OFFICER, "officer-hk", "UBND_HOAN_KIEM") as hk:
        # Step: potholes at 0, 40 and 90 m north of the lake, lighting at 60 m, one far away in Ba Đình.
        for name, metres in (("here", 0), ("forty", 40), ("ninety", 90)):
            codes[name] = file(owner, "pothole", "HOAN_KIEM", north_of(metres))["code"]
        codes["light"] = file(owner, "street_light_out", "HOAN_KIEM", north_of(60))["code"]
        codes["ba_dinh"] = file(owner, "pothole", "BA_DINH", (21.0340, 105.8140))["code"]
        codes["nowhere"] = file(owner, "pothole", "HOAN_KIEM", None)["code"]
        # Step: a hotline officer files one for a caller who leaves their contact.
        contact = {"name": CONTACT_NAME, "phone": CONTACT_PHONE, "email": CONTACT_EMAIL}
        codes["hotline"] = file(hk, "pothole", "HOAN_KIEM", north_of(20), channel="hotline", contact=contact)["code"]
        # Step: the officer rejects the 90 m report: it is closed.
        rejected = hk.post(f"/api/v1/reports/{codes['ninety']}/reject", json={"reason": "Không thuộc phạm vi"})
        assert rejected.status_code == 200, rejected.text
        position = int(rejected.json()["position"])
    yield World(server, codes, position)
    stop_server(server)


# -- GeoJSON --------------------------------------------------------------------------------------


def test_the_feed_is_valid_geojson_in_longitude_latitude_order_without_unlocated_reports(world: World) -> None:
    response = world.get("/public/reports.geojson")
    assert response.headers["content-type"].startswith("application/geo+json")
    collection = geojson.loads(response.text)
    assert isinstance(collection, geojson.FeatureCollection)
    assert collection.is_valid, collection.errors()
    by_code = {feature["id"]: feature for feature in collection["features"]}
    assert world.codes["nowhere"] not in by_code
    assert set(world.codes.values()) - {world.codes["nowhere"]} <= set(by_code)
    longitude, latitude = by_code[world.codes["ba_dinh"]]["geometry"]["coordinates"]
    assert (longitude, latitude) == (105.8140, 21.0340)
    assert by_code[world.codes["here"]]["properties"]["support_count"] >= 0


def test_the_feed_filters_by_bbox_ward_category_status_and_date(world: World) -> None:
    codes = world.codes
    hoan_kiem_box = f"{HO_GUOM[1] - 0.01},{HO_GUOM[0] - 0.01},{HO_GUOM[1] + 0.01},{HO_GUOM[0] + 0.01}"
    assert codes["ba_dinh"] not in world.codes_of(bbox=hoan_kiem_box)
    assert {codes["here"], codes["light"]} <= world.codes_of(bbox=hoan_kiem_box)
    assert world.codes_of(ward="BA_DINH") == {codes["ba_dinh"]}
    assert world.codes_of(category="street_light_out") == {codes["light"]}
    assert codes["light"] in world.codes_of(category="street_light_out,pothole")
    assert codes["ninety"] not in world.codes_of(status="open")
    assert world.codes_of(status="closed") == {codes["ninety"]}
    assert world.codes_of(status="rejected,submitted") == world.codes_of()
    assert world.codes_of(to="2001-01-01") == set()
    assert world.codes_of(**{"from": "2001-01-01"}) == world.codes_of()


def test_the_feed_is_paged_with_a_bounded_limit(world: World) -> None:
    first = world.get("/public/reports.geojson", limit=2).json()
    assert first["numberReturned"] == 2
    assert first["next"]
    following = httpx.get(f"{world.server.base_url}{first['next']}", timeout=10, verify=LOOPBACK_TLS).json()
    assert {f["id"] for f in first["features"]}.isdisjoint({f["id"] for f in following["features"]})
    assert world.get("/public/reports.geojson", limit=5001).status_code == 422


@pytest.mark.parametrize(
    "params",
    [
        {"bbox": "1,2,3"}, {"bbox": "106,21,105,22"}, {"bbox": "a,b,c,d"}, {"bbox": "nan,1,2,3"},
        {"status": "fixed"}, {"from": "yesterday"}, {"limit": "0"}, {"ward": ",".join(f"W{n}" for n in range(51))},
    ],
)  # fmt: skip
def test_a_malformed_filter_is_a_422_naming_it(world: World, params: dict[str, str]) -> None:
    response = world.get("/public/reports.geojson", **params)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert set(response.json()["errors"]) == {next(iter(params))}


# -- near ----------------------------------------------------------------------------------------------


def test_near_lists_open_reports_nearest_first_within_the_radius(world: World) -> None:
    latitude, longitude = north_of(10)
    response = world.get("/public/reports/near", lat=latitude, lon=longitude, radius_m=100, category="pothole")
    collection = geojson.loads(response.text)
    assert collection.is_valid, collection.errors()
    found = [(feature["id"], feature["properties"]["distance_m"]) for feature in collection["features"]]
    codes = world.codes
    # The rejected 90 m report is closed, the lighting one another category, Ba Đình too far.
    assert [code for code, _ in found] == [codes["here"], codes["hotline"], codes["forty"]]
    assert [round(distance) for _, distance in found] == [10, 10, 30]
    narrow = world.get("/public/reports/near", lat=latitude, lon=longitude, radius_m=15).json()
    assert {feature["id"] for feature in narrow["features"]} == {codes["here"], codes["hotline"]}
    for bad in ({"lat": 21.0}, {"lat": 95, "lon": 105}, {"lat": 21, "lon": 105, "radius_m": 10_000},
                {"lat": 21, "lon": 105, "radius_m": ""}, {"lat": 21, "lon": 105, "limit": ""}):  # fmt: skip
        refused = world.get("/public/reports/near", **bad)
        assert refused.status_code == 422, bad


# -- Open311 extensions ------------------------------------------------------------------------


def open311(world: World, **params: Any) -> list[dict[str, Any]]:
    response = world.get("/open311/v2/requests.json", **params)
    assert response.status_code == 200, response.text
    return list(response.json())


def test_open311_honours_lat_long_radius_bbox_and_ward(world: World) -> None:
    codes = world.codes
    latitude, longitude = north_of(44)
    near = open311(world, lat=latitude, long=longitude, radius=10)
    assert [request["service_request_id"] for request in near] == [codes["forty"]]
    around = [request["service_request_id"] for request in open311(world, lat=latitude, long=longitude, radius=50)]
    # 4, 16, 24, 44 and 46 m away; the closed one too (Open311 lists every status unless asked).
    assert around == [codes["forty"], codes["light"], codes["hotline"], codes["here"], codes["ninety"]]
    assert [r["service_request_id"] for r in open311(world, ward="BA_DINH")] == [codes["ba_dinh"]]
    box = open311(world, bbox="105.80,21.03,105.82,21.04")
    assert [request["service_request_id"] for request in box] == [codes["ba_dinh"]]
    assert all("support_count" in request for request in near)
    for bad in ({"lat": 21.0}, {"lat": "x", "long": 105}, {"bbox": "1,2"}, {"radius": 50}):
        response = world.get("/open311/v2/requests.json", **bad)
        assert response.status_code == 400, bad
        assert response.json()[0]["code"] == 400


# -- supporting a report ------------------------------------------------------------------------


def test_supporting_counts_each_citizen_once_and_the_count_is_public(world: World) -> None:
    code = world.codes["forty"]
    with (
        world.server.client(Role.CITIZEN, NEIGHBOUR) as neighbour,
        world.server.client(Role.CITIZEN, PASSER_BY) as other,
    ):
        first = neighbour.post(f"/api/v1/reports/{code}/support")
        again = neighbour.post(f"/api/v1/reports/{code}/support")
        third = other.post(f"/api/v1/reports/{code}/support")
        assert (first.status_code, again.status_code, third.status_code) == (200, 200, 200)
        assert again.json()["version"] == first.json()["version"]
        # Supporting does not open the case itself to the supporter.
        assert neighbour.get(f"/api/v1/reports/{code}").status_code == 404
    world.position = int(third.json()["position"])
    feature = next(f for f in world.features() if f["id"] == code)
    assert feature["properties"]["support_count"] == 2
    assert next(r for r in open311(world) if r["service_request_id"] == code)["support_count"] == 2
    xml = world.get("/open311/v2/requests.xml", service_request_id=code).text
    assert "<support_count>2</support_count>" in xml


def test_supporting_is_refused_on_ones_own_a_closed_or_a_missing_report_and_for_staff(world: World) -> None:
    codes = world.codes
    with world.server.client(Role.CITIZEN, OWNER) as owner, world.server.client(Role.CITIZEN, NEIGHBOUR) as neighbour:
        own = owner.post(f"/api/v1/reports/{codes['here']}/support")
        assert (own.status_code, own.json()["code"]) == (409, "rule_violation")
        closed = neighbour.post(f"/api/v1/reports/{codes['ninety']}/support")
        assert (closed.status_code, closed.json()["code"]) == (409, "invalid_transition")
        assert neighbour.post("/api/v1/reports/PA-000000-000000/support").status_code == 404
    with world.server.client(Role.OFFICER, "officer-hk", "UBND_HOAN_KIEM") as officer:
        assert officer.post(f"/api/v1/reports/{codes['here']}/support").status_code == 403
    with world.server.client() as anyone:
        assert anyone.post(f"/api/v1/reports/{codes['here']}/support").status_code == 401


# -- no personal data -------------------------------------------------------------------------------


def test_no_public_answer_holds_personal_data(world: World) -> None:
    latitude, longitude = HO_GUOM
    answers = [
        world.get("/public/reports.geojson").text,
        world.get("/public/reports/near", lat=latitude, lon=longitude, radius_m=5000).text,
        world.get("/open311/v2/requests.json").text,
        world.get("/open311/v2/requests.xml").text,
    ]
    for text in answers:
        assert world.codes["hotline"] in text or "hotline" not in text
        for secret in (OWNER, NEIGHBOUR, PASSER_BY, CONTACT_NAME, CONTACT_PHONE, CONTACT_EMAIL, "vneid:"):
            assert secret not in text
