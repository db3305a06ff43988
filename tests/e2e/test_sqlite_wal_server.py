"""The real server on SQLite keeps its write-ahead logs bounded under load
and truncates them when it stops.

Sixteen clients create reports through ``ihanoi serve`` (and two read cases
and lists back) for a few seconds while a sampler reads the size of the event
store's and the views database's ``-wal`` files every 10 ms; both stay under
the limit the server was given (``IHANOI_SQLITE_WAL_LIMIT_MB=16``). Before the
bound was kept, 30 s of this grew the event store's log to 357 MB, and it stayed that
size after a clean shutdown.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from ihanoi_core.domain.values import Role
from tests.e2e.conftest import LiveServer, start_server, stop_server
from tests.wal import MB, WalSampler, run_for, wal_size

pytestmark = pytest.mark.slow

SECONDS = 12
CREATING_CLIENTS = 16
# A quarter of the default limit, set through the environment as an operator would.
LIMIT_MB = 16
REPORT = {"category": "pothole", "description": "Ổ gà trước số 12 Hàng Bài", "location": {"ward": "HOAN_KIEM"}}


def test_a_loaded_server_keeps_both_write_ahead_logs_bounded_and_truncates_them_on_stop(tmp_path: Path) -> None:
    store = tmp_path / "ihanoi.db"
    views = tmp_path / "ihanoi.views.db"
    server: LiveServer = start_server(
        f"sqlite:///{store}",
        tmp_path / "server.log",
        {"IHANOI_LOG_LEVEL": "WARNING", "IHANOI_SQLITE_WAL_LIMIT_MB": str(LIMIT_MB)},
    )
    created = [0] * CREATING_CLIENTS
    reads = [0]

    def creating(n: int) -> Callable[[threading.Event], None]:
        def create(stop: threading.Event) -> None:
            with server.client(Role.CITIZEN, subject=f"vneid:0010990{n:05d}") as client:
                while not stop.is_set():
                    response = client.post("/api/v1/reports", json=REPORT)
                    assert response.status_code == 201, response.text
                    created[n] += 1

        return create

    def read(stop: threading.Event) -> None:
        with server.client(Role.CITIZEN, subject="vneid:001099000000") as client:
            while not stop.is_set():
                listed = client.get("/api/v1/me/cases")
                assert listed.status_code == 200, listed.text
                for case in listed.json()["items"][:3]:
                    assert client.get(f"/api/v1/reports/{case['case_id']}").status_code == 200
                reads[0] += 1

    try:
        # Step: sixteen clients create reports and two read theirs back, while the logs are sampled.
        with WalSampler(store, views) as sampler:
            run_for(SECONDS, *(creating(n) for n in range(CREATING_CLIENTS)), read, read)
            # Step: a clean stop (SIGTERM) ends the server's lifespan.
            stop_server(server)
    except BaseException:
        stop_server(server)
        raise
    # uvicorn re-raises SIGTERM once it has shut down cleanly; a kill after the grace period would be -9.
    assert server.process.returncode in (0, -signal.SIGTERM), server.log()
    summary = f"{sum(created)} creates, {reads[0]} reads: {sampler.report()}"
    assert sum(created) > 500, summary
    assert reads[0] > 20, summary
    assert sampler.high_water[store] < LIMIT_MB * MB, summary
    assert sampler.high_water[views] < LIMIT_MB * MB, summary
    # Step: the stopped server left no log behind (or an empty one).
    assert wal_size(store) == 0, summary
    assert wal_size(views) == 0, summary
