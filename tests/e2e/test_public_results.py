"""Public results over real HTTP: ``/public/stats`` as JSON and as CSV (the
same figures), its minimum-volume rule, and a report's public page in a real
headless Chromium, in Vietnamese and in English (issue #13 item 3).

Before the server starts, the store gets the four reports of the dashboard
scenario (``tests/e2e/conftest.py``: received on a working day D over a week
ago, two resolved, one rated) and, the same day, a report whose description
and answer hold markup and that carries a photo and an attribute answer, and a
report rejected as spam. The page server keeps a minimum volume of 2, so its
groups show; the stores-parametrised test runs with the default of 10.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from datetime import time as time_of_day
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.reports import (
    AcknowledgeReport,
    AssignReport,
    RejectReport,
    ResolveReport,
    StartReport,
    SubmitReport,
)
from ihanoi_core.commands.values import ContactIn, LocationIn
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.settings import Settings
from tests.conftest import LOOPBACK_TLS, FakeClock
from tests.e2e.chromium import chromium
from tests.e2e.conftest import (
    CITIZEN,
    HANOI,
    OFFICER,
    WARD,
    LiveServer,
    Seeded,
    seed_last_weeks_cases,
    start_server,
    stop_server,
)
from tests.e2e.test_dashboard_page import severe_console_entries

MARKUP = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'
PHOTO = "https://photos.example.invalid/o-ga.jpg"
PRIVATE = ("Nguyễn Văn Riêng", "0912 345 678", CITIZEN, OFFICER)


@dataclass(frozen=True)
class PageSeed:
    dashboard: Seeded
    marked_up: str
    rejected: str
    position: int


def seed(database_url: str) -> PageSeed:
    """The dashboard scenario, then the marked-up and the rejected report on day D."""
    dashboard = seed_last_weeks_cases(database_url)
    clock = FakeClock(datetime.combine(dashboard.day, time_of_day(14), tzinfo=HANOI))
    app = Ihanoi(Settings(database_url=database_url, env="test", postgres_pool_size=2), clock=clock)
    try:
        citizen = Principal(CITIZEN, Role.CITIZEN)
        officer = Principal(OFFICER, Role.OFFICER, dashboard.agency)

        def file(description: str) -> UUID:
            return app.handle(citizen, SubmitReport(
                category="pothole", description=description, location=LocationIn(ward=WARD, address="Phố Hàng Bài"),
                media_urls=(PHOTO,), attributes={"road_type": "alley"},
                contact=ContactIn(name="Nguyễn Văn Riêng", phone="0912 345 678"),
            )).case_id  # fmt: skip

        marked_up, rejected = file(f"Ổ gà {MARKUP}"), file("Quảng cáo vay tiền")
        for command in (AcknowledgeReport(case=marked_up), AssignReport(case=marked_up, assignee=OFFICER),
                        StartReport(case=marked_up)):  # fmt: skip
            app.handle(officer, command)
        clock.advance(hours=1)
        app.handle(officer, ResolveReport(case=marked_up, answer=f"Đã vá. {MARKUP}"))
        last = app.handle(officer, RejectReport(case=rejected, reason="Tin rác, không phải phản ánh."))
        codes = {case: app.get_case(officer, case)["code"] for case in (marked_up, rejected)}
        return PageSeed(dashboard, codes[marked_up], codes[rejected], last.position)
    finally:
        app.close()


@pytest.fixture(scope="module")
def page_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, PageSeed]]:
    folder = tmp_path_factory.mktemp("public-page")
    url = f"sqlite:///{folder / 'ihanoi.db'}"
    seeded = seed(url)
    server = start_server(url, folder / "server.log", extra_env={"IHANOI_PUBLIC_STATS_MIN_COUNT": "2"})
    yield server, seeded
    stop_server(server)


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    with chromium() as driver:
        yield driver


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def as_csv(value: Any) -> str:
    """A JSON figure as the CSV writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def assert_csv_equals_json(as_json: dict[str, Any], rows: list[dict[str, str]]) -> None:
    expected = [("group", group["key"], group["name"], group["figures"]) for group in as_json["groups"]]
    expected.append(("total", "", "Tổng", as_json["total"]))
    assert len(rows) == len(expected)
    for row, (kind, key, name, figures) in zip(rows, expected, strict=True):
        assert (row["row"], row["key"], row["name"]) == (kind, key, name)
        assert {field: row[field] for field in figures} == {field: as_csv(value) for field, value in figures.items()}


# -- the statistics over HTTP ---------------------------------------------------------------


def test_the_statistics_are_the_same_as_json_and_as_csv(page_server: tuple[LiveServer, PageSeed]) -> None:
    server, seeded = page_server
    day = seeded.dashboard.day.isoformat()
    query: dict[str, str | int] = {"from": day, "to": day, "group_by": "ward", "position": seeded.position}
    with httpx.Client(base_url=server.base_url, timeout=10, verify=LOOPBACK_TLS) as anyone:  # no token
        as_json = anyone.get("/public/stats", params=query)
        assert as_json.status_code == 200, as_json.text
        figures = as_json.json()
        # Step: six reports of Hoàn Kiếm that day: three resolved (one late), one rated 4.
        assert figures["min_count"] == 2
        [hoan_kiem] = figures["groups"]
        assert hoan_kiem["key"] == WARD
        assert hoan_kiem["figures"]["received"] == 6
        assert (hoan_kiem["figures"]["resolved"], hoan_kiem["figures"]["resolved_on_time"]) == (3, 2)
        assert hoan_kiem["figures"]["average_rating"] is None  # one rating is fewer than two
        assert figures["total"] == hoan_kiem["figures"]
        # Step: the CSV, by its own address and by Accept, holds the same figures.
        by_path = anyone.get("/public/stats.csv", params=query)
        by_accept = anyone.get("/public/stats", params=query, headers={"Accept": "text/csv"})
        for answer in (by_path, by_accept):
            assert answer.headers["content-type"] == "text/csv; charset=utf-8"
            assert_csv_equals_json(figures, csv_rows(answer.text))
        assert all(private not in as_json.text + by_path.text for private in PRIVATE)
        # Step: a bad parameter is a 422 problem naming it.
        wrong = anyone.get("/public/stats", params={"group_by": "reporter", "period": "2026-13"})
        assert wrong.status_code == 422
        assert wrong.headers["content-type"].startswith("application/problem+json")
        assert set(wrong.json()["errors"]) == {"group_by", "period"}
        # Step: a year the store cannot count in (before 1970) or past 9998 (no next year to end the period)
        # is a 422 too, not a 500, by either address.
        for name, value in (("period", "0000"), ("period", "9999"), ("period", "9999-12"), ("from", "0001-01-01"),
                            ("to", "9999-12-31"), ("to", "0001-01-01")):  # fmt: skip
            for path in ("/public/stats", "/public/stats.csv"):
                refused = anyone.get(path, params={name: value})
                assert refused.status_code == 422, (path, name, value, refused.text)
                assert refused.json()["errors"] == {name: "must be between the years 1970 and 9998"}


def test_groups_below_the_default_minimum_volume_are_suppressed_on_both_stores(live_server: LiveServer) -> None:
    # Step: three reports in Hoàn Kiếm and one in Ba Đình, through the API.
    with (
        live_server.client(Role.CITIZEN) as citizen,
        httpx.Client(base_url=live_server.base_url, verify=LOOPBACK_TLS) as anyone,
    ):
        position = 0
        for ward in ("HOAN_KIEM", "HOAN_KIEM", "HOAN_KIEM", "BA_DINH"):
            filed = citizen.post("/api/v1/reports", json={
                "category": "pothole", "description": "Ổ gà", "location": {"ward": ward},
            })  # fmt: skip
            assert filed.status_code == 201, filed.text
            position = filed.json()["position"]
        # Step: with the default minimum of 10, every group and the total are suppressed, not zero.
        figures = anyone.get("/public/stats", params={"group_by": "ward", "position": position}).json()
        assert figures["min_count"] == 10
        assert [group["key"] for group in figures["groups"]] == ["BA_DINH", "HOAN_KIEM"]
        for shown in (figures["total"], *(group["figures"] for group in figures["groups"])):
            assert shown["suppressed"] is True
            assert {value for name, value in shown.items() if name != "suppressed"} == {None}
        assert_csv_equals_json(figures, csv_rows(anyone.get("/public/stats.csv", params={"group_by": "ward"}).text))


# -- a report's page in a browser ----------------------------------------------------------


def test_a_reports_public_page_reads_in_vietnamese_and_english_with_nothing_run_from_its_text(
    page_server: tuple[LiveServer, PageSeed], browser: webdriver.Chrome
) -> None:
    server, seeded = page_server
    # Step: the page in Vietnamese, the default, needs no token and no script.
    browser.get(f"{server.base_url}/public/reports/{seeded.marked_up}?position={seeded.position}")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "vi"
    assert browser.find_element(By.TAG_NAME, "h1").text == f"Phản ánh {seeded.marked_up}"
    for landmark in ("header", "nav", "main", "footer"):
        assert len(browser.find_elements(By.TAG_NAME, landmark)) == 1, landmark
    assert browser.find_elements(By.TAG_NAME, "script") == []
    # Step: the description and the answer show their markup as text; none of it ran.
    description = browser.find_element(By.CSS_SELECTOR, '[data-field="description"]').text
    assert description == f"Ổ gà {MARKUP}"
    assert browser.find_element(By.CSS_SELECTOR, '[data-field="answer"]').text == f"Đã vá. {MARKUP}"
    assert browser.execute_script("return window.pwned === undefined")
    assert browser.find_element(By.CSS_SELECTOR, '[data-attribute="road_type"]').text == "Ngõ, ngách"
    assert browser.find_element(By.CSS_SELECTOR, '[data-field="status"]').text == "Đã xử lý xong"
    # Step: its photo has a text alternative; its timeline says what was done and when, never who.
    [photo] = browser.find_elements(By.CSS_SELECTOR, ".photos img")
    assert photo.get_attribute("src") == PHOTO
    assert photo.get_attribute("alt") == f"Ảnh 1 của phản ánh {seeded.marked_up}"
    steps = browser.find_elements(By.CSS_SELECTOR, ".timeline li")
    assert [step.get_attribute("data-step") for step in steps] == [
        "submitted",
        "acknowledged",
        "assigned",
        "in_progress",
        "resolved",
    ]
    assert all(step.find_element(By.TAG_NAME, "time").get_attribute("datetime") for step in steps)
    assert all(private not in browser.page_source for private in PRIVATE)
    # Step: the language switch gives the same page in English.
    browser.find_element(By.ID, "lang-switch").click()
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    assert browser.find_element(By.TAG_NAME, "h1").text == f"Report {seeded.marked_up}"
    assert browser.find_element(By.CSS_SELECTOR, '[data-field="status"]').text == "Resolved"
    assert browser.find_element(By.CSS_SELECTOR, ".photos img").get_attribute("alt") == (
        f"Photo 1 of report {seeded.marked_up}"
    )
    assert [h.text for h in browser.find_elements(By.TAG_NAME, "h2")] == [
        "Summary",
        "What was reported",
        "The agency's answer",
        "Photos",
        "Timeline",
    ]
    unresolvable_photo = "photos.example.invalid"
    assert [entry for entry in severe_console_entries(browser) if unresolvable_photo not in entry["message"]] == []


def test_a_rejected_reports_page_withholds_its_text_and_photos_and_an_unknown_code_is_404(
    page_server: tuple[LiveServer, PageSeed], browser: webdriver.Chrome
) -> None:
    server, seeded = page_server
    browser.get(f"{server.base_url}/public/reports/{seeded.rejected}?lang=en&position={seeded.position}")
    assert browser.find_elements(By.CSS_SELECTOR, '[data-field="description"]') == []
    assert browser.find_elements(By.TAG_NAME, "img") == []
    assert "Quảng cáo" not in browser.page_source
    assert browser.find_element(By.CSS_SELECTOR, '[data-field="answer"]').text == "Tin rác, không phải phản ánh."
    assert browser.find_elements(By.CSS_SELECTOR, ".timeline li")[-1].get_attribute("data-step") == "rejected"
    with httpx.Client(base_url=server.base_url, timeout=10, verify=LOOPBACK_TLS) as anyone:
        missing = anyone.get("/public/reports/PA-000101-000000")
        assert (missing.status_code, missing.json()["code"]) == (404, "report_not_found")
        page = anyone.get(f"/public/reports/{seeded.marked_up}")
        assert "default-src 'none'" in page.headers["content-security-policy"]
        assert page.headers["content-language"] == "vi"
    # A picture for people.
    browser.get(f"{server.base_url}/public/reports/{seeded.marked_up}")
    shot = Path(__file__).resolve().parents[2] / "test-output" / "public-report.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 0
