"""Headless Chromium for the page tests: Debian's ``chromium`` driven by its
``chromedriver`` through Selenium (a test tool's own browser download cannot
work on a machine without internet; ``make browser`` installs both)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
# As the machine notes say: without the background-networking flags Chromium
# keeps calling home, and this network refuses it.
CHROMIUM_FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    "--window-size=1280,1900", "--lang=vi",
)  # fmt: skip


@contextmanager
def chromium(*, performance_log: bool = False) -> Iterator[webdriver.Chrome]:
    """A fresh headless Chromium with its own profile, keeping the console log
    (and the network log when ``performance_log``); quit on exit."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.fail("Chromium and ChromeDriver are missing: run `make browser` (Debian chromium, chromium-driver).")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    logs = {"browser": "ALL", "performance": "ALL"} if performance_log else {"browser": "ALL"}
    options.set_capability("goog:loggingPrefs", logs)
    with tempfile.TemporaryDirectory(prefix="ihanoi-chromium-") as profile:
        options.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
        try:
            yield driver
        finally:
            driver.quit()
