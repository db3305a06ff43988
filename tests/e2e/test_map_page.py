"""The public map page (``/map``) in a real headless Chromium (Debian's
``chromium`` and ``chromium-driver``; ``make browser`` installs them), driven
by Selenium against the real server.

The server's tile URL points at a loopback port nobody listens on, as on a
network where the tile server cannot be reached: the page must still draw
every report (clustered), filter them, say the basemap is missing, and draw
the alerts in force — a polygon, a circle, a ward's centre — with their
headline and severity in the page's language, escaped. The
browser's own network log (Chrome's performance log, CDP ``Network`` events)
lists every request the page made: none may leave this server except for the
configured tile URL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select, WebDriverWait

from ihanoi_core.domain.values import Role
from tests.conftest import LOOPBACK_TLS
from tests.e2e.chromium import chromium
from tests.e2e.conftest import LiveServer, free_port, start_server, stop_server

WAIT_SECONDS = 20
SCREENSHOT = Path(__file__).resolve().parents[2] / "test-output" / "map.png"
# (category, ward, latitude, longitude): around Hồ Gươm, within the page's first view.
REPORTS = (
    ("pothole", "HOAN_KIEM", 21.0288, 105.8524),
    ("pothole", "HOAN_KIEM", 21.0290, 105.8526),
    ("pothole", "HOAN_KIEM", 21.0292, 105.8522),
    ("street_light_out", "HOAN_KIEM", 21.0300, 105.8500),
    ("uncollected_waste", "BA_DINH", 21.0340, 105.8400),
    ("pothole", "CUA_NAM", 21.0250, 105.8450),
)


@pytest.fixture(scope="module")
def map_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str, list[str]]]:
    folder = tmp_path_factory.mktemp("map-page")
    # Nothing listens there: every tile fails, as where tiles cannot be reached.
    tiles = f"http://127.0.0.1:{free_port()}/tiles/{{z}}/{{x}}/{{y}}.png"
    server = start_server(f"sqlite:///{folder / 'ihanoi.db'}", folder / "server.log", {"IHANOI_MAP_TILE_URL": tiles})
    codes = []
    with server.client(Role.CITIZEN, "vneid:001099012345") as citizen:
        for category, ward, latitude, longitude in REPORTS:
            body = {
                "category": category,
                "description": "Cần xử lý",
                "location": {"ward": ward, "latitude": latitude, "longitude": longitude},
            }
            response = citizen.post("/api/v1/reports", json=body)
            assert response.status_code == 201, response.text
            codes.append(response.json()["code"])
    with server.client(Role.OFFICER, "officer-cn", "UBND_CUA_NAM") as officer:
        rejected = officer.post(f"/api/v1/reports/{codes[-1]}/reject", json={"reason": "Không thuộc phạm vi"})
        assert rejected.status_code == 200, rejected.text
    with httpx.Client(base_url=server.base_url, verify=LOOPBACK_TLS) as anyone:
        feed = anyone.get("/public/reports.geojson", params={"position": rejected.json()["position"]})
        assert feed.json()["numberReturned"] == len(REPORTS)
        alerts = issue_alerts(server)
        assert len(anyone.get("/public/alerts", params={"position": alerts[-1][1]}).json()["items"]) == 2
    yield server, tiles, [*codes, *(code for code, _ in alerts)]
    stop_server(server)


# The old quarter (round Hoàn Kiếm's and Cửa Nam's centres), and a headline with markup that must stay text.
OLD_QUARTER = [[21.020, 105.840], [21.033, 105.840], [21.033, 105.860], [21.020, 105.860], [21.020, 105.840]]
HEADLINE_VI = "Ngập <b>sâu</b> phố cổ"
HEADLINE_EN = "Deep <b>flooding</b> in the Old Quarter"


def issue_alerts(server: LiveServer) -> list[tuple[str, int]]:
    """Two alerts in force: a severe flood drawn as a polygon and a circle, a moderate cold spell for Ba Đình."""
    texts = [
        {"language": "vi-VN", "event": "Ngập úng", "headline": HEADLINE_VI, "description": "Nước sâu 40 cm."},
        {"language": "en-US", "event": "Flooding", "headline": HEADLINE_EN, "description": "40 cm deep."},
    ]
    shapes = {"polygon": OLD_QUARTER, "circles": [{"latitude": 21.0, "longitude": 105.85, "radius_km": 0.8}]}
    drafts = [
        {"template": "ngap_ung", "severity": "Severe", "texts": texts, "areas": [shapes]},
        {"template": "ret_dam", "areas": [{"wards": ["BA_DINH"]}]},
    ]
    issued = []
    with (
        server.client(Role.OFFICER, "officer-sxd", "SXD") as officer,
        server.client(Role.LEADER, "leader-sxd", "SXD") as leader,
    ):
        for body in drafts:
            drafted = officer.post("/api/v1/alerts", json=body)
            assert drafted.status_code == 201, drafted.text
            code = drafted.json()["code"]
            assert leader.post(f"/api/v1/alerts/{code}/approve").status_code == 200
            done = officer.post(f"/api/v1/alerts/{code}/issue")
            assert done.status_code == 200, done.text
            issued.append((code, done.json()["position"]))
    return issued


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    with chromium(performance_log=True) as driver:
        yield driver


def body_attribute(driver: WebDriver, name: str) -> str:
    return driver.find_element(By.TAG_NAME, "body").get_attribute(name) or ""


def wait_until(driver: WebDriver, condition: Any, message: str) -> None:
    WebDriverWait(driver, WAIT_SECONDS).until(lambda d: condition(d), message)


def shown_count(driver: WebDriver) -> int:
    return int(driver.find_element(By.ID, "count").get_attribute("data-count") or "-1")


def wait_for_count(driver: WebDriver, count: int) -> None:
    wait_until(
        driver,
        lambda d: body_attribute(d, "data-state") == "ready" and shown_count(d) == count,
        f"the page never showed {count} reports",
    )


def markers_drawn(driver: WebDriver) -> int:
    """Reports on the map: single markers plus the members of every cluster."""
    singles = len(driver.find_elements(By.CSS_SELECTOR, "path.report-marker"))
    clustered = sum(int(icon.text or "0") for icon in driver.find_elements(By.CSS_SELECTOR, ".marker-cluster span"))
    return singles + clustered


def requested_urls(driver: webdriver.Chrome) -> list[str]:
    """Every URL the browser asked for since the last call (CDP Network.requestWillBeSent)."""
    urls = []
    for entry in driver.get_log("performance"):  # type: ignore[no-untyped-call]
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def test_the_map_shows_every_report_clustered_without_a_basemap_and_filters_them(
    map_server: tuple[LiveServer, str, list[str]], browser: webdriver.Chrome
) -> None:
    server, tiles, codes = map_server
    requested_urls(browser)  # forget what an earlier test asked for

    # Step: the page loads, asks for tiles (which fail) and draws the reports anyway.
    browser.get(f"{server.base_url}/map")
    wait_for_count(browser, len(REPORTS))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "vi"
    wait_until(browser, lambda d: body_attribute(d, "data-basemap") == "failed", "the failed basemap was not noticed")
    assert browser.find_element(By.ID, "basemap-note").is_displayed()
    wait_until(browser, lambda d: markers_drawn(d) == len(REPORTS), "the markers were not drawn")
    assert browser.find_elements(By.CSS_SELECTOR, ".marker-cluster"), "nearby reports should be clustered"
    listed = {item.get_attribute("data-code") for item in browser.find_elements(By.CSS_SELECTOR, "#list li")}
    assert listed == set(codes[: len(REPORTS)])

    # Step: the count is what the API gives for the page's own query.
    query = body_attribute(browser, "data-query")
    assert httpx.get(server.base_url + query, verify=LOOPBACK_TLS).json()["numberReturned"] == len(REPORTS)

    # Step: filter by category, then status, then ward; then clear them.
    Select(browser.find_element(By.ID, "category")).select_by_value("street_light_out")
    wait_for_count(browser, 1)
    Select(browser.find_element(By.ID, "category")).select_by_value("")
    Select(browser.find_element(By.ID, "status")).select_by_value("closed")
    wait_for_count(browser, 1)
    assert [item.get_attribute("data-code") for item in browser.find_elements(By.CSS_SELECTOR, "#list li")] == [
        codes[len(REPORTS) - 1]
    ]
    Select(browser.find_element(By.ID, "status")).select_by_value("open")
    wait_for_count(browser, len(REPORTS) - 1)
    Select(browser.find_element(By.ID, "status")).select_by_value("")
    Select(browser.find_element(By.ID, "ward")).select_by_value("BA_DINH")
    wait_for_count(browser, 1)
    wait_until(browser, lambda d: markers_drawn(d) == 1, "the ward filter did not redraw the markers")
    Select(browser.find_element(By.ID, "ward")).select_by_value("")
    wait_for_count(browser, len(REPORTS))

    # Step: a marker's popup says what the public may know, with the support count.
    browser.execute_script(
        "var m = document.querySelector('path.report-marker');"
        " if (m) { m.dispatchEvent(new MouseEvent('click', {bubbles: true})); }"
    )
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOT))

    # Step: no request left this server except for the configured tiles.
    urls = [url for url in requested_urls(browser) if url.startswith(("http:", "https:"))]
    tile_prefix = tiles.split("{z}", 1)[0]
    assert any(url.startswith(tile_prefix) for url in urls), "the page never asked for a tile"
    strays = [url for url in urls if not url.startswith((server.base_url + "/", tile_prefix))]
    assert strays == []
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]  # type: ignore[no-untyped-call]
    # The tiles fail to load (that is the point); nothing else may: no script error, no CSP refusal.
    assert [entry for entry in errors if tile_prefix not in entry["message"]] == []


def test_the_page_speaks_english_and_its_policy_allows_images_only_from_itself_and_the_tiles(
    map_server: tuple[LiveServer, str, list[str]], browser: webdriver.Chrome
) -> None:
    server, tiles, _ = map_server
    browser.get(f"{server.base_url}/map?lang=en")
    wait_for_count(browser, len(REPORTS))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    assert browser.find_element(By.TAG_NAME, "h1").text == "Map of field reports"
    policy = httpx.get(f"{server.base_url}/map", verify=LOOPBACK_TLS).headers["content-security-policy"]
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(tiles))
    assert f"img-src 'self' data: {origin};" in policy
    assert "connect-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert httpx.get(f"{server.base_url}/map/static/../routes.py", verify=LOOPBACK_TLS).status_code == 404


def test_the_map_files_go_compressed_to_a_phone_that_takes_gzip_and_images_as_they_are(
    map_server: tuple[LiveServer, str, list[str]],
) -> None:
    server, _, _ = map_server
    with httpx.Client(base_url=server.base_url, verify=LOOPBACK_TLS) as anyone:
        leaflet = anyone.get("/map/static/vendor/leaflet.js", headers={"Accept-Encoding": "gzip, deflate"})
        whole = anyone.get("/map/static/vendor/leaflet.js", headers={"Accept-Encoding": "identity"})
        refused = anyone.get("/map/static/vendor/leaflet.js", headers={"Accept-Encoding": "br, gzip;q=0"})
        icon = anyone.get("/map/static/vendor/images/marker-icon.png", headers={"Accept-Encoding": "gzip"})
    assert leaflet.status_code == whole.status_code == refused.status_code == icon.status_code == 200
    assert leaflet.headers["content-encoding"] == "gzip"
    assert int(leaflet.headers["content-length"]) < len(whole.content) / 3
    assert leaflet.content == whole.content == refused.content  # httpx undoes the gzip
    for plain in (whole, refused, icon):
        assert "content-encoding" not in plain.headers
    assert (leaflet.headers["vary"], whole.headers["vary"]) == ("Accept-Encoding", "Accept-Encoding")
    assert icon.headers["content-type"] == "image/png"
    assert "vary" not in icon.headers
    assert leaflet.headers["x-content-type-options"] == "nosniff"


def alert_items(driver: WebDriver) -> dict[str, str]:
    return {
        item.get_attribute("data-code") or "": item.text
        for item in driver.find_elements(By.CSS_SELECTOR, "#alert-list li")
    }


def test_the_map_draws_the_alerts_in_force_with_headline_and_severity_without_a_basemap(
    map_server: tuple[LiveServer, str, list[str]], browser: webdriver.Chrome
) -> None:
    server, _, codes = map_server
    flood, cold = codes[-2:]
    # Step: with the tiles failing, the two alerts are listed and drawn: the flood's polygon and circle,
    # the cold spell's dashed circle round Ba Đình's centre.
    browser.get(f"{server.base_url}/map")
    wait_until(browser, lambda d: body_attribute(d, "data-alerts") == "ready", "the alerts were not loaded")
    wait_until(browser, lambda d: body_attribute(d, "data-basemap") == "failed", "the failed basemap was not noticed")
    assert browser.find_element(By.ID, "alerts").get_attribute("data-count") == "2"
    drawn = browser.find_elements(By.CSS_SELECTOR, "path.alert-area")
    assert sorted(path.get_attribute("data-code") or "" for path in drawn) == sorted([flood, flood, cold])
    assert {
        path.get_attribute("data-code") for path in browser.find_elements(By.CSS_SELECTOR, "path.alert-Severe")
    } == {flood}
    # Step: the headline is text, markup and all (escaped), with the severity in Vietnamese.
    items = alert_items(browser)
    assert items[flood].startswith(f"Nguy hiểm {HEADLINE_VI} — ")
    assert browser.find_elements(By.CSS_SELECTOR, "#alert-list b, .leaflet-pane b") == []
    # Step: a shape's popup names the alert; in English the headline and severity are English.
    browser.execute_script(
        "var p = document.querySelector('path.alert-Severe');"
        " if (p) { p.dispatchEvent(new MouseEvent('click', {bubbles: true})); }"
    )
    wait_until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".alert-popup h3"), "no alert popup opened")
    assert browser.find_element(By.CSS_SELECTOR, ".alert-popup h3").get_attribute("textContent") == HEADLINE_VI
    browser.get(f"{server.base_url}/map?lang=en")
    wait_until(browser, lambda d: body_attribute(d, "data-alerts") == "ready", "the alerts were not loaded")
    assert alert_items(browser)[flood].startswith(f"Severe {HEADLINE_EN} — ")
