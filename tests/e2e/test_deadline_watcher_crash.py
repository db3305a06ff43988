"""Kill -9 of the active deadline watcher under load, on PostgreSQL: a second
watcher waiting as a hot standby takes over, and every threshold of every
clock is recorded exactly once — none twice, none lost (issue #16)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.reports import SubmitReport
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.settings import Settings
from tests.e2e.conftest import SECRET
from tests.integration.test_deadline_watcher import HOAN_KIEM, WATCH_EVENTS

REPORTS = 120
# The ward's reminders, miss and escalation; then the city's reminders and miss.
EXPECTED = [
    "DeadlineReminded",
    "DeadlineReminded",
    "DeadlineMissed",
    "EscalatedForOverdue",
    "DeadlineReminded",
    "DeadlineReminded",
    "DeadlineMissed",
]


def start_watcher(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "IHANOI_DATABASE_URL": settings.database_url,
        "IHANOI_ENV": "test",
        "IHANOI_SECRET_KEY": SECRET,
        "IHANOI_DEADLINE_BATCH_SIZE": "20",
    }
    with open(log, "ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "ihanoi_server.cli", "deadlines", "run"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=output,
        )


def watch_counts(app: Ihanoi, cases: list[UUID]) -> list[list[str]]:
    return [[type(e).__name__ for e in app.events.get(case) if type(e).__name__ in WATCH_EVENTS] for case in cases]


@pytest.mark.slow
def test_killing_the_active_watcher_under_load_loses_nothing_and_fires_nothing_twice(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings = Settings(
        database_url=request.getfixturevalue("postgres_url"), env="test", secret_key=SECRET, postgres_pool_size=2
    )
    # Step: 120 reports filed thirty days ago and left alone: all four thresholds
    # of each have passed, and the three of the city's own deadline as co-owner
    # (5 working days from the escalation, two working days after filing).
    filed_at = datetime.now(UTC) - timedelta(days=30)
    app = Ihanoi(settings, clock=lambda: filed_at)
    try:
        citizen = Principal("vneid:001099012345", Role.CITIZEN)
        cases = [
            app.handle(citizen, SubmitReport(category="pothole", description="Ổ gà", location=HOAN_KIEM)).case_id
            for _ in range(REPORTS)
        ]
        log = tmp_path / "watchers.log"
        # Step: the first watcher is active, the second a hot standby; the first is killed -9 mid-work.
        first = start_watcher(settings, log)
        assert first.stdout is not None
        assert first.stdout.readline().strip() == b"active"
        second = start_watcher(settings, log)
        # Killed once it has recorded something, after a random moment more: mid-work.
        started = time.monotonic()
        while not any(watch_counts(app, cases[:10])) and time.monotonic() - started < 60:
            time.sleep(0.05)
        time.sleep(random.Random(16).uniform(0.0, 0.3))
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert second.stdout is not None
        assert second.stdout.readline().strip() == b"active"
        # Step: the standby finishes the work.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and any(len(found) < len(EXPECTED) for found in watch_counts(app, cases)):
            time.sleep(0.5)
        time.sleep(1.0)  # Anything it would fire twice, it would have by now.
        second.send_signal(signal.SIGTERM)
        second.wait(15)
        for process in (first, second):
            assert process.stdout is not None
            process.stdout.close()
        # Step: every case holds its seven facts, once each, in order.
        assert watch_counts(app, cases) == [EXPECTED] * REPORTS
    finally:
        app.close()
