"""The leader dashboard page in a real headless Chromium (Debian's ``chromium``
and ``chromium-driver``; ``make browser`` installs them), driven by Selenium
against the real server.

The store holds the four reports of the dashboard scenario
(``tests/e2e/conftest.py``) received on a working day D over a week ago,
written through the library with its clock set back before the server starts,
so two of them (B and C) are overdue in real time. The page must show exactly the figures ``GET /api/v1/dashboard``
gives for the same filter, formatted as the page promises: rates as
percentages and hours and ratings with one decimal, rounded half up, with a
decimal comma in Vietnamese and a point in English.

The page does not depend on the store, so one SQLite server serves the module.
It runs on plain http, so its session cookie is not ``Secure``
(``IHANOI_SESSION_COOKIE_SECURE=false``, as for a developer's ``make serve``).
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select, WebDriverWait

from ihanoi_core.domain.values import Role
from tests.conftest import LOOPBACK_TLS
from tests.e2e.chromium import chromium
from tests.e2e.conftest import LiveServer, Seeded, seed_last_weeks_cases, start_server, stop_server

SCREENSHOT = Path(__file__).resolve().parents[2] / "test-output" / "dashboard.png"
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
COOKIE = "ihanoi_session"
SIGNED_OUT_PROBE = "/api/v1/session - Failed to load resource: the server responded with a status of 401"
KPIS = (
    "on_time_rate", "overdue_now", "median_hours_to_resolve", "p90_hours_to_resolve", "average_rating",
    "reopen_rate", "received", "open", "resolved",
)  # fmt: skip
WAIT_SECONDS = 20


@pytest.fixture(scope="module")
def seeded_page_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Seeded]]:
    folder = tmp_path_factory.mktemp("dashboard-page")
    url = f"sqlite:///{folder / 'ihanoi.db'}"
    seeded = seed_last_weeks_cases(url)
    server = start_server(url, folder / "server.log", {"IHANOI_SESSION_COOKIE_SECURE": "false"})
    with server.client(Role.AUDITOR, "inspector-01") as auditor:  # the read models have the seeded cases
        assert auditor.get("/api/v1/dashboard", params={"position": seeded.position}).status_code == 200
    yield server, seeded
    stop_server(server)


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    with chromium() as driver:
        yield driver


# -- helpers -----------------------------------------------------------------------------------


def body_attribute(driver: WebDriver, name: str) -> str:
    return driver.find_element(By.TAG_NAME, "body").get_attribute(name) or ""


def wait_until(driver: WebDriver, condition: Any, message: str) -> None:
    WebDriverWait(driver, WAIT_SECONDS).until(lambda d: condition(d), message)


def wait_for_state(driver: WebDriver, *states: str) -> str:
    wait_until(driver, lambda d: body_attribute(d, "data-state") in states, f"page never reached {states}")
    return body_attribute(driver, "data-state")


def shown(name: str, value: float | None, decimal: str) -> str:
    """What the page must show for the figure ``value``: the page's own rule,
    floor(x × 10 + 0.5) tenths, in the same floating-point steps."""
    if value is None:
        return "—"
    if name.endswith("_rate"):
        number = value * 100
    elif "hours" in name or name == "average_rating":
        number = value
    else:
        return str(value)
    tenths = math.floor(number * 10 + 0.5)
    return f"{tenths // 10}{decimal}{tenths % 10}"


def sign_in(driver: WebDriver, server: LiveServer, token: str, path: str = "/dashboard") -> None:
    driver.get(server.base_url + path)
    wait_for_state(driver, "login")
    driver.find_element(By.ID, "token").send_keys(token)
    driver.find_element(By.ID, "login-submit").click()


def set_date(driver: WebDriver, element_id: str, value: str) -> None:
    # Typing into a date input depends on the browser's locale; the value does not.
    driver.execute_script("arguments[0].value = arguments[1];", driver.find_element(By.ID, element_id), value)


def assert_token_kept_nowhere(driver: WebDriver, token: str) -> None:
    """The token is in no storage a script can read, and the session cookie is out of scripts' reach."""
    stored = driver.execute_script(
        "const all = {};"
        "for (const s of [sessionStorage, localStorage]) { for (let i = 0; i < s.length; i++) {"
        " all[s.key(i)] = s.getItem(s.key(i)); } }"
        "return JSON.stringify(all) + document.cookie;"
    )
    assert token not in stored
    assert COOKIE not in stored
    cookie = driver.get_cookie(COOKIE)
    assert cookie is not None
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"


def requested_urls(driver: WebDriver) -> list[str]:
    """Every address the page has fetched (documents, scripts, fetch and EventSource)."""
    urls: list[str] = driver.execute_script(
        "return [location.href].concat(performance.getEntriesByType('resource').map(e => e.name));"
    )
    return urls


def severe_console_entries(driver: webdriver.Chrome) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = driver.get_log("browser")  # type: ignore[no-untyped-call]
    # The page asks GET /api/v1/session whether it is signed in (it cannot read
    # the HttpOnly cookie); 401 is the answer "no", which Chromium logs as a failed load.
    return [entry for entry in entries if entry["level"] == "SEVERE" and SIGNED_OUT_PROBE not in entry["message"]]


def assert_kpis_match(driver: WebDriver, figures: dict[str, Any], decimal: str) -> None:
    for name in KPIS:
        element = driver.find_element(By.CSS_SELECTOR, f'[data-kpi="{name}"]')
        assert element.text == shown(name, figures[name], decimal), name
        raw = element.get_attribute("data-value") or ""
        assert (float(raw) if raw else None) == figures[name], name


# -- the journey -------------------------------------------------------------------------------


def test_a_leader_signs_in_filters_switches_language_and_opens_an_overdue_case(
    seeded_page_server: tuple[LiveServer, Seeded], browser: webdriver.Chrome
) -> None:
    server, seeded = seeded_page_server
    token = server.token(Role.LEADER, "leader-hk", seeded.agency)
    api = httpx.Client(
        base_url=server.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10, verify=LOOPBACK_TLS
    )

    # Step: the page asks for a token once and trades it for a session cookie no script can read.
    sign_in(browser, server, token)
    wait_for_state(browser, "ready")
    assert_token_kept_nowhere(browser, token)
    assert token not in browser.current_url
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "vi"
    assert browser.find_element(By.ID, "agency-filter").is_displayed() is False  # leaders see their own agency

    # Step: filter from the day before D to today, field reports only.
    start = (seeded.day - timedelta(days=1)).isoformat()
    end = datetime.now(HANOI).date().isoformat()
    set_date(browser, "period_start", start)
    set_date(browser, "period_end", end)
    Select(browser.find_element(By.ID, "kind")).select_by_value("report")
    browser.find_element(By.ID, "apply").click()
    query = {"period_start": start, "period_end": end, "kind": "report"}
    wait_until(
        browser,
        lambda d: body_attribute(d, "data-query") == urlencode(query) and body_attribute(d, "data-state") == "ready",
        "the filtered figures never arrived",
    )
    assert token not in browser.current_url
    assert dict(pair.split("=") for pair in urlsplit(browser.current_url).query.split("&")) == {**query, "lang": "vi"}

    # Step: every KPI shows exactly what the API gives for the same filter.
    expected = api.get("/api/v1/dashboard", params=query).json()
    assert expected["figures"]["overdue_now"] == 2
    assert_kpis_match(browser, expected["figures"], ",")
    assert browser.find_element(By.CSS_SELECTOR, '[data-kpi="average_rating"]').text == "4,0"
    assert browser.find_element(By.CSS_SELECTOR, '[data-kpi="on_time_rate"]').text == "50,0"

    # Step: the weekly chart is the server's SVG, inlined: a bar per series and week, the API's values.
    chart = browser.find_element(By.CSS_SELECTOR, "#chart svg")
    root = ET.fromstring(chart.get_attribute("outerHTML") or "")
    values = [int(bar.get("data-value", "-1")) for bar in root.iter() if bar.get("class") == "bar"]
    assert values == [week[series] for week in expected["weekly"]
                      for series in ("received", "resolved_on_time", "resolved_late")]  # fmt: skip
    assert len(values) >= 6

    # Step: the overdue list shows B then C, each linking to its history page.
    links = browser.find_elements(By.CSS_SELECTOR, "#overdue a.case-link")
    assert [link.text for link in links] == [item["code"] for item in expected["overdue"]["items"]]
    assert [link.text for link in links] == [seeded.codes[seeded.overdue_urgent], seeded.codes[seeded.unacknowledged]]
    assert severe_console_entries(browser) == []  # no script error, no blocked resource

    # Step: a picture for people.
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(SCREENSHOT))

    # Step: switch to English; the filter stays, labels and decimal points change.
    browser.find_element(By.ID, "lang-switch").click()
    wait_until(
        browser,
        lambda d: (
            d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
            and body_attribute(d, "data-state") == "ready"
        ),
        "the English page never loaded",
    )
    assert browser.find_element(By.CSS_SELECTOR, '[data-label="on_time_rate"]').text == "On-time rate"
    assert browser.find_element(By.CSS_SELECTOR, '[data-label="reopen_rate"]').text == "Reopen rate"
    assert browser.find_element(By.ID, "apply").text == "Apply"
    assert Select(browser.find_element(By.ID, "kind")).first_selected_option.get_attribute("value") == "report"
    assert body_attribute(browser, "data-query") == urlencode(query)
    assert_kpis_match(browser, expected["figures"], ".")
    assert "Resolved on time" in (browser.find_element(By.CSS_SELECTOR, "#chart svg").get_attribute("outerHTML") or "")

    # Step: open the most overdue case: its history page reads /api/v1/audit/{id} and shows it, or its error.
    browser.find_element(By.CSS_SELECTOR, "#overdue a.case-link").click()
    wait_until(browser, lambda d: urlsplit(d.current_url).path == f"/dashboard/cases/{seeded.overdue_urgent}",
               "the case link went elsewhere")  # fmt: skip
    state = wait_for_state(browser, "ready", "error")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    audit = api.get(f"/api/v1/audit/{seeded.overdue_urgent}")
    if audit.status_code == 200:
        assert state == "ready"
        assert browser.find_elements(By.CSS_SELECTOR, "#timeline tbody tr")
    else:
        assert state == "error"
        assert f"HTTP {audit.status_code}" in browser.find_element(By.ID, "status").text
    api.close()


def test_a_bad_token_asks_again_and_signing_out_forgets_the_token(
    seeded_page_server: tuple[LiveServer, Seeded], browser: WebDriver
) -> None:
    server, seeded = seeded_page_server
    browser.get(server.base_url + "/dashboard?lang=en")
    browser.delete_all_cookies()

    # Step: a forged token is refused by the API; the page asks again and opens no session.
    sign_in(browser, server, "not-a-token", "/dashboard?lang=en")
    wait_until(browser, lambda d: d.find_element(By.ID, "login-error").is_displayed(), "no error for a bad token")
    assert "invalid or has expired" in browser.find_element(By.ID, "login-error").text
    assert browser.get_cookie(COOKIE) is None

    # Step: an auditor signs in and gets the agency filter; signing out forgets the token.
    sign_in(browser, server, server.token(Role.AUDITOR, "inspector-01"), "/dashboard?lang=en")
    wait_for_state(browser, "ready")
    assert browser.find_element(By.ID, "agency-filter").is_displayed()
    assert browser.find_element(By.ID, "by-agency-section").is_displayed()
    Select(browser.find_element(By.ID, "agency")).select_by_value(seeded.agency)
    browser.find_element(By.ID, "apply").click()
    wait_until(browser, lambda d: f"agency={seeded.agency}" in body_attribute(d, "data-query")
               and body_attribute(d, "data-state") == "ready", "the agency filter never applied")  # fmt: skip
    assert browser.find_element(By.ID, "by-agency-section").is_displayed() is False
    cookie = browser.get_cookie(COOKIE)
    assert cookie is not None
    browser.find_element(By.ID, "logout").click()
    wait_for_state(browser, "login")
    wait_until(browser, lambda d: d.get_cookie(COOKIE) is None, "signing out left the cookie")
    # Step: the session has ended on the server too: its cookie, replayed, is refused.
    replayed = httpx.get(f"{server.base_url}/api/v1/session", cookies={COOKIE: cookie["value"]}, verify=LOOPBACK_TLS)
    assert replayed.status_code == 401
    browser.refresh()
    wait_for_state(browser, "login")


def test_a_leader_signs_in_once_stays_signed_in_across_reloads_and_sees_live_changes(
    seeded_page_server: tuple[LiveServer, Seeded], browser: webdriver.Chrome
) -> None:
    server, seeded = seeded_page_server
    # Signed out before any page loads (a dashboard loaded with the last test's
    # cookie would still be reading when the cookie goes), the console emptied.
    # Not from a page of the server: on a JSON page Chromium asks for
    # /favicon.ico, and that 404 could reach the console after it was emptied.
    browser.get("about:blank")
    browser.execute_cdp_cmd("Network.clearBrowserCookies", {})
    browser.get_log("browser")  # type: ignore[no-untyped-call]
    token = server.token(Role.LEADER, "leader-hk-live", seeded.agency)

    # Step: sign in once with the token.
    sign_in(browser, server, token, "/dashboard?lang=en")
    wait_for_state(browser, "ready")
    assert_token_kept_nowhere(browser, token)

    # Step: reload: still signed in, no form, and the worklist stream is open through the cookie.
    browser.refresh()
    wait_for_state(browser, "ready", "login")
    assert body_attribute(browser, "data-state") == "ready"
    assert browser.find_element(By.ID, "login").is_displayed() is False
    wait_until(browser, lambda d: d.find_element(By.ID, "live-status").get_attribute("data-live") == "on",
               "the live stream never opened")  # fmt: skip

    # Step: a citizen files a report in the agency's ward: it appears on the page, live.
    with server.client(Role.CITIZEN, "vneid:001099077777") as citizen:
        filed = citizen.post(
            "/api/v1/reports",
            json={"category": "pothole", "description": "Đèn đường hỏng", "location": {"ward": "HOAN_KIEM"}},
        ).json()
    wait_until(
        browser,
        lambda d: d.find_elements(By.CSS_SELECTOR, f'#live-events li[data-case-id="{filed["id"]}"]'),
        "the change never arrived through the EventSource",
    )
    row = browser.find_element(By.CSS_SELECTOR, f'#live-events li[data-case-id="{filed["id"]}"]')
    assert filed["code"] in row.text
    assert 0 < int(row.get_attribute("data-position") or 0) <= filed["position"]  # the write's last event
    wait_for_state(browser, "ready")  # the figures were read again at the change's position

    # Step: no address the page asked for carries the token or a ticket.
    urls = requested_urls(browser)
    assert any(url.startswith(server.base_url + "/api/v1/dashboard") for url in urls)
    for url in urls:
        assert token not in url
        assert "token" not in url.lower()
    assert severe_console_entries(browser) == []
    browser.find_element(By.ID, "logout").click()
    wait_for_state(browser, "login")


# -- the pages as HTTP resources -----------------------------------------------------------------


def test_the_pages_need_no_token_and_allow_only_their_own_resources(
    seeded_page_server: tuple[LiveServer, Seeded],
) -> None:
    server, seeded = seeded_page_server
    with httpx.Client(base_url=server.base_url, timeout=10, verify=LOOPBACK_TLS) as anonymous:
        for path in ("/dashboard", "/dashboard?lang=en", f"/dashboard/cases/{seeded.overdue_urgent}"):
            page = anonymous.get(path)
            assert page.status_code == 200, path
            assert page.headers["content-type"] == "text/html; charset=utf-8"
            policy = page.headers["content-security-policy"]
            assert "default-src 'none'" in policy
            assert "script-src 'self'" in policy
            assert "connect-src 'self'" in policy
        assert 'lang="en"' in anonymous.get("/dashboard?lang=en").text
        assert 'lang="vi"' in anonymous.get("/dashboard?lang=xx").text
        script = anonymous.get("/dashboard/static/dashboard.js")
        assert script.status_code == 200
        assert script.headers["content-type"].startswith("text/javascript")
        assert anonymous.get("/dashboard/static/dashboard.css").headers["content-type"].startswith("text/css")
        assert anonymous.get("/dashboard/static/secrets.txt").status_code == 404
        assert anonymous.get("/dashboard/cases/%3Cscript%3E").status_code == 404


def test_a_leader_sees_the_figures_of_each_official_and_the_long_delayed_list_an_officer_does_not(
    seeded_page_server: tuple[LiveServer, Seeded], browser: WebDriver
) -> None:
    # Hand count of the scenario (tests/e2e/conftest.py): officer-hk resolved A
    # on time and D late: 1, 1, 50,0 %; B (acknowledged, nobody assigned) and C
    # (never acknowledged) are overdue now, held by nobody; no watcher ran, so
    # nothing was missed or escalated. Working hours from receipt (D 09:00): A
    # at 11:00, 2 h; D at D+1 15:00, 3 h + 4 h + 4 h + 2 h = 13 h; of two
    # values the median (nearest rank) is the 1st, 2,0, the p90 the ⌈1.8⌉ = 2nd,
    # 13,0; A rated 4: one rating, 4,0; nothing reopened: 0,0 %.
    server, seeded = seeded_page_server
    browser.get(server.base_url + "/dashboard")
    browser.delete_all_cookies()
    sign_in(browser, server, server.token(Role.LEADER, "leader-hk-figures", seeded.agency))
    wait_for_state(browser, "ready")
    wait_until(browser, lambda d: d.find_element(By.ID, "accountability-section").is_displayed(), "no figures")

    def row(official: str) -> dict[str, str]:
        found = browser.find_element(By.CSS_SELECTOR, f'#accountability tr[data-official="{official}"]')
        cells = found.find_elements(By.TAG_NAME, "td")
        return {"name": cells[0].text, **{c.get_attribute("data-figure") or "": c.text for c in cells[1:]}}

    resolutions = {
        "median_hours_to_resolve": "2,0", "p90_hours_to_resolve": "13,0", "rated": "1", "average_rating": "4,0",
        "reopen_rate": "0,0 %",
    }  # fmt: skip
    assert row("") == {
        "name": "Cả cơ quan", "missed": "0", "escalations_caused": "0", "resolved_on_time": "1",
        "resolved_late": "1", "on_time_rate": "50,0 %", "overdue_now": "2", **resolutions,
    }  # fmt: skip
    assert row("officer-hk") == {
        "name": "officer-hk", "missed": "0", "escalations_caused": "0", "resolved_on_time": "1",
        "resolved_late": "1", "on_time_rate": "50,0 %", "overdue_now": "0", **resolutions,
    }  # fmt: skip
    assert row("(unassigned)") == {
        "name": "(chưa phân công)", "missed": "0", "escalations_caused": "0", "resolved_on_time": "0",
        "resolved_late": "0", "on_time_rate": "—", "overdue_now": "2", "median_hours_to_resolve": "—",
        "p90_hours_to_resolve": "—", "rated": "0", "average_rating": "—", "reopen_rate": "—",
    }  # fmt: skip

    # Step: the long-delayed list is the API's (beyond 5 working days, oldest first).
    with server.client(Role.LEADER, "leader-hk-figures", seeded.agency) as leader:
        expected = [item["code"] for item in leader.get("/api/v1/accountability").json()["long_delayed"]]
    links = browser.find_elements(By.CSS_SELECTOR, "#long-delayed a")
    assert [link.text for link in links] == expected
    assert set(expected) <= {seeded.codes[seeded.overdue_urgent], seeded.codes[seeded.unacknowledged]}
    assert browser.find_element(By.ID, "long-delayed-empty").is_displayed() == (expected == [])
    # The fees section (issue #19): shown to the leader; no fee was confirmed in the scenario.
    wait_until(browser, lambda d: d.find_element(By.ID, "fees-section").is_displayed(), "no fees section")
    assert browser.find_element(By.ID, "fees-empty").is_displayed()

    # Step: an officer of the agency gets the dashboard but not the figures.
    browser.find_element(By.ID, "logout").click()
    wait_for_state(browser, "login")
    sign_in(browser, server, server.token(Role.OFFICER, "officer-hk", seeded.agency))
    wait_for_state(browser, "ready")
    assert browser.find_element(By.ID, "accountability-section").is_displayed() is False


def test_the_leaders_page_shows_the_published_ranking_of_the_last_complete_month(
    seeded_page_server: tuple[LiveServer, Seeded], browser: WebDriver
) -> None:
    # The page shows what GET /public/ranking publishes (its default month), in its order.
    server, seeded = seeded_page_server
    browser.get(server.base_url + "/dashboard")
    browser.delete_all_cookies()
    sign_in(browser, server, server.token(Role.LEADER, "leader-hk-ranking", seeded.agency))
    wait_for_state(browser, "ready")
    wait_until(browser, lambda d: d.find_element(By.ID, "ranking-section").is_displayed(), "no ranking")
    published = httpx.get(f"{server.base_url}/public/ranking", verify=LOOPBACK_TLS).json()
    month = browser.find_element(By.ID, "ranking-month").text
    assert month == f"{published['month'][5:7]}/{published['month'][:4]}"
    rows = browser.find_elements(By.CSS_SELECTOR, "#ranking tbody tr")
    assert [row.get_attribute("data-agency") for row in rows] == [a["agency"] for a in published["agencies"]]
    for row, agency in zip(rows, published["agencies"], strict=True):
        cells = [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
        if agency["withheld"]:
            assert (cells[0], cells[2]) == ("—", "dưới mức tối thiểu")
        else:
            assert (cells[0], cells[2], cells[3]) == (
                str(agency["rank"]),
                str(agency["finished"]),
                shown("on_time_rate", agency["on_time_rate"], ",") + " %",
            )
    assert browser.find_element(By.ID, "ranking-empty").is_displayed() == (published["agencies"] == [])
