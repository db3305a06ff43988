"""``ihanoi deadlines run --metrics-port``: the watcher serves its Prometheus
metrics (issue #16). A report filed thirty days ago passes its seven
thresholds (the ward's four, the city's three as co-owner); the metrics say so."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.reports import SubmitReport
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.settings import Settings
from tests.conftest import LOOPBACK_TLS
from tests.e2e.conftest import SECRET, free_port
from tests.integration.test_deadline_watcher import HOAN_KIEM


def fired(text: str) -> float:
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("ihanoi_deadline_thresholds_fired_total{")
    )


def test_the_watcher_serves_its_metrics(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ihanoi.db'}"
    filed_at = datetime.now(UTC) - timedelta(days=30)
    app = Ihanoi(Settings(database_url=url, env="test", secret_key=SECRET), clock=lambda: filed_at)
    try:
        citizen = Principal("vneid:001099012345", Role.CITIZEN)
        app.handle(citizen, SubmitReport(category="pothole", description="Ổ gà", location=HOAN_KIEM))
    finally:
        app.close()
    port = free_port()
    env = {**os.environ, "IHANOI_DATABASE_URL": url, "IHANOI_ENV": "test", "IHANOI_SECRET_KEY": SECRET}
    with open(tmp_path / "watcher.log", "wb") as log:
        watcher = subprocess.Popen(
            [sys.executable, "-m", "ihanoi_server.cli", "deadlines", "run", "--metrics-port", str(port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=log,
        )
    try:
        assert watcher.stdout is not None
        assert watcher.stdout.readline().strip() == b"active"
        # Step: the metrics show the seven thresholds fired, one main clock watched, no lag.
        deadline, text = time.monotonic() + 60, ""
        while time.monotonic() < deadline:
            text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5, verify=LOOPBACK_TLS).text
            if fired(text) >= 7 and 'ihanoi_deadline_clocks_watched{track="escalated"} 1.0' in text:
                break
            time.sleep(0.2)
        assert fired(text) == 7, text
        assert 'ihanoi_deadline_thresholds_fired_total{threshold="missed"} 2.0' in text
        assert 'ihanoi_deadline_clocks_watched{track="main"} 1.0' in text
        assert "ihanoi_deadline_lag_seconds 0.0" in text
    finally:
        watcher.send_signal(signal.SIGTERM)
        watcher.wait(15)
        if watcher.stdout is not None:
            watcher.stdout.close()
