"""The leader dashboard page shows businesses' inquiries answered on time per
agency (issue #18), in a real browser: a household business's inquiry filed
a month ago (seeded through the library) answered late over HTTP with its
explanation, another still open, then the Department of Finance's leader
signs in and reads 1 answered, 0.0 % on time, 1 waiting.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.business import SubmitBusinessInquiry
from ihanoi_core.domain.business_values import BusinessKind
from ihanoi_core.domain.values import Role
from ihanoi_core.settings import Settings
from tests.conftest import FakeClock
from tests.e2e.chromium import chromium
from tests.e2e.conftest import SECRET, start_server, stop_server
from tests.e2e.test_business_http import BASIS, OWNER, ok
from tests.e2e.test_dashboard_page import sign_in, wait_for_state, wait_until
from tests.integration.test_deadline_watcher import hanoi


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    with chromium() as driver:
        yield driver


def seed(database_url: str) -> list[str]:
    app = Ihanoi(
        Settings(database_url=database_url, env="test", secret_key=SECRET), clock=FakeClock(hanoi(2026, 10, 5, 9))
    )
    try:
        command = SubmitBusinessInquiry(tax_code=OWNER.organisation or "", business_kind=BusinessKind.HOUSEHOLD,
                                        topic="tax_fees", text="Hỏi về thuế khoán")  # fmt: skip
        return [str(app.handle(OWNER, command).case_id) for _ in range(2)]
    finally:
        app.close()


def test_the_leaders_page_shows_the_business_answer_rates(tmp_path: Path, browser: WebDriver) -> None:
    url = f"sqlite:///{tmp_path / 'ihanoi.db'}"
    late, _open = seed(url)
    server = start_server(url, tmp_path / "server.log")
    try:
        with server.client(Role.OFFICER, "officer-stc", "STC") as officer:
            body = {"answer": "Theo thông báo thuế", "legal_basis": BASIS, "late_explanation": "Chờ Cục Thuế"}
            answered = ok(officer.post(f"/api/v1/business-inquiries/{late}/answer", json=body))
        sign_in(
            browser,
            server,
            server.token(Role.LEADER, "leader-stc", "STC"),
            f"/dashboard?position={answered['position']}",
        )
        wait_for_state(browser, "ready")
        wait_until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#business tbody tr"), "no business row")
        [row] = browser.find_elements(By.CSS_SELECTOR, "#business tbody tr")
        cells = [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
        assert row.get_attribute("data-agency") == "STC"
        assert cells[1:] == ["1", "0,0 %", "1", "1"]
        assert not browser.find_element(By.ID, "business-empty").is_displayed()
    finally:
        stop_server(server)
