"""The API explorer, ``GET /api/docs``, in real Chromium against the real server:
Swagger UI draws every operation of ``/openapi.json`` from the server's own
files, a pasted token files a report with the example body and reads it back,
and nothing leaves the origin."""

from __future__ import annotations

import json

import httpx
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from ihanoi_core.domain.values import Role
from tests.conftest import LOOPBACK_TLS
from tests.e2e.chromium import chromium
from tests.e2e.conftest import LiveServer

CITIZEN = "vneid:001099012345"
WAIT_SECONDS = 30
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def operation(driver: WebDriver, method: str, path: str) -> WebElement:
    """The explorer's block of one operation, by its method and path (one
    query: asking each block of the method in turn took a round trip each)."""
    found = driver.find_elements(
        By.XPATH,
        f"//div[contains(concat(' ', @class, ' '), ' opblock-{method} ')]"
        f"[.//*[contains(@class, 'opblock-summary-path') and @data-path='{path}']]",
    )
    assert len(found) == 1, f"{method.upper()} {path}: {len(found)} blocks in the explorer"
    return found[0]


def try_it(driver: WebDriver, method: str, path: str) -> tuple[str, str]:
    """Open an operation, press "Try it out" and "Execute" as it is filled in;
    the status and the body of the answer shown."""
    wait = WebDriverWait(driver, WAIT_SECONDS)
    block = operation(driver, method, path)
    driver.execute_script("arguments[0].scrollIntoView()", block)
    block.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
    wait.until(lambda d: block.find_elements(By.CSS_SELECTOR, ".try-out__btn"))[0].click()
    block.find_element(By.CSS_SELECTOR, ".btn.execute").click()
    answer = ".live-responses-table tbody"
    status = wait.until(lambda d: block.find_elements(By.CSS_SELECTOR, f"{answer} .response-col_status"))
    return status[0].text, block.find_element(By.CSS_SELECTOR, answer).text


def requested_urls(driver: webdriver.Chrome) -> set[str]:
    """Every http(s) address the page asked for (Chromium's network log)."""
    urls = set()
    for entry in driver.get_log("performance"):  # type: ignore[no-untyped-call]
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            url = message["params"]["request"]["url"]
            if url.startswith(("http:", "https:")):
                urls.add(url)
    return urls


def test_the_explorer_draws_every_operation_and_files_and_reads_with_a_pasted_token(sqlite_server: LiveServer) -> None:
    with (
        sqlite_server.client(Role.CITIZEN, CITIZEN) as citizen,
        httpx.Client(base_url=sqlite_server.base_url, verify=LOOPBACK_TLS) as anyone,
    ):
        filed = citizen.post(
            "/api/v1/reports",
            json={"category": "pothole", "description": "Ổ gà số 3 Tràng Tiền", "location": {"ward": "HOAN_KIEM"}},
        )
        assert filed.status_code == 201, filed.text
        code = filed.json()["code"]
        spec = anyone.get("/openapi.json").json()
    operations = sum(1 for item in spec["paths"].values() for method in item if method in METHODS)
    assert {"get"} == set(spec["paths"]["/api/docs"])

    with chromium(performance_log=True) as driver:
        wait = WebDriverWait(driver, WAIT_SECONDS)
        driver.get(f"{sqlite_server.base_url}/api/docs")
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock")) == operations, "not every operation")
        assert driver.find_element(By.CSS_SELECTOR, ".info .title").text.startswith(spec["info"]["title"])

        # Step: paste the citizen's token as the bearer scheme's value.
        driver.find_element(By.CSS_SELECTOR, ".btn.authorize").click()
        schemes = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".auth-container"))
        bearer = next(scheme for scheme in schemes if scheme.find_element(By.TAG_NAME, "h4").text.startswith("bearer"))
        bearer.find_element(By.TAG_NAME, "input").send_keys(sqlite_server.token(Role.CITIZEN, CITIZEN))
        bearer.find_element(By.CSS_SELECTOR, ".auth-btn-wrapper .authorize").click()
        driver.find_element(By.CSS_SELECTOR, ".auth-btn-wrapper .btn-done").click()

        # Step: file a report with the example body the explorer fills in.
        status, answer = try_it(driver, "post", "/api/v1/reports")
        assert status == "201", answer
        assert '"code": "PA-' in answer

        # Step: open "my cases", whose roles the explorer shows, and try it.
        status, answer = try_it(driver, "get", "/api/v1/me/cases")
        assert status == "200", answer
        assert code in answer
        assert "x-roles" in operation(driver, "get", "/api/v1/me/cases").text

        # The token stays in the page's memory; nothing was asked of another origin; no error.
        stored = driver.execute_script("return JSON.stringify([window.localStorage, window.sessionStorage])")
        assert "eyJ" not in stored
        urls = requested_urls(driver)
        assert f"{sqlite_server.base_url}/api/v1/me/cases" in urls
        assert all(url.startswith(sqlite_server.base_url + "/") for url in urls), urls
        assert driver.get_log("browser") == []  # type: ignore[no-untyped-call]


def test_the_page_and_its_files_come_from_the_server_and_nothing_else_is_served(sqlite_server: LiveServer) -> None:
    with httpx.Client(base_url=sqlite_server.base_url, verify=LOOPBACK_TLS) as anyone:
        page = anyone.get("/api/docs")
        assert page.status_code == 200
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        policy = page.headers["content-security-policy"]
        assert "default-src 'none'" in policy
        assert "script-src 'self'" in policy
        assert "connect-src 'self'" in policy
        for name, media_type in (
            ("swagger-ui-bundle.js", "text/javascript"),
            ("explorer.js", "text/javascript"),
            ("swagger-ui.css", "text/css"),
        ):
            assert f'"/api/docs/static/{name}"' in page.text
            file = anyone.get(f"/api/docs/static/{name}")
            assert file.status_code == 200, name
            assert file.headers["content-type"].startswith(media_type)
            assert file.headers["x-content-type-options"] == "nosniff"
            # Compressed for a client that takes gzip (httpx does, and decodes it), whole otherwise.
            assert file.headers["content-encoding"] == "gzip"
            assert file.headers["vary"] == "Accept-Encoding"
            whole = anyone.get(f"/api/docs/static/{name}", headers={"Accept-Encoding": "identity"})
            assert "content-encoding" not in whole.headers
            assert whole.content == file.content
            assert int(file.headers["content-length"]) < len(whole.content)
        for missing in ("index.html", "swagger-ui-standalone-preset.js", "..%2Fexplorer.py", "explorer.py"):
            answer = anyone.get(f"/api/docs/static/{missing}")
            assert answer.status_code == 404, missing
            assert answer.headers["content-type"] == "application/problem+json"
