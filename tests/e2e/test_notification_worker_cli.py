"""``ihanoi notifications run``: the dispatcher as a standby worker from the
command line, on a real SQLite file — it says ``active`` once it holds the
lock, serves its metrics on a loopback port, and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.conftest import LOOPBACK_TLS
from tests.e2e.conftest import SECRET, free_port


def test_the_dispatcher_runs_from_the_command_line_serves_metrics_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **{name: value for name, value in os.environ.items() if not name.startswith("IHANOI_")},
        "IHANOI_DATABASE_URL": f"sqlite:///{tmp_path / 'ihanoi.db'}",
        "IHANOI_ENV": "test",
        "IHANOI_SECRET_KEY": SECRET,
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "ihanoi_server.cli", "notifications", "run", "--metrics-port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # Step: it takes the lock and says so.
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "active"
        # Step: its metrics are served on the loopback port.
        assert httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10, verify=LOOPBACK_TLS).status_code == 200
    finally:
        # Step: SIGTERM stops it cleanly.
        worker.terminate()
        _, stderr = worker.communicate(timeout=30)
    assert worker.returncode == 0, stderr
    assert "dispatcher_active" in stderr
    assert "Traceback" not in stderr
