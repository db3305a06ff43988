"""The long-running commands log as ``docs/configuration.md`` says: JSON lines on stderr.

``ihanoi serve`` and ``ihanoi projections run`` run as real processes with
stdout and stderr kept apart; every stderr line must be a JSON object with an
event, a level and a timestamp (uvicorn's own start and stop lines included),
and stdout carries only what a script reads (``active`` for a worker).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

from tests.conftest import LOOPBACK_TLS
from tests.e2e.conftest import free_port, listens_on


def environment(tmp_path: Path) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("IHANOI_")}
    env.update(
        IHANOI_DATABASE_URL=f"sqlite:///{tmp_path / 'ihanoi.db'}", IHANOI_ENV="development", IHANOI_LOG_LEVEL="INFO"
    )
    return env


def json_lines(stderr: str) -> list[dict[str, Any]]:
    """Every line of ``stderr`` as a JSON object; fails on the first that is not."""
    records = []
    for line in stderr.splitlines():
        record = orjson.loads(line)
        assert isinstance(record, dict), line
        assert {"event", "level", "timestamp"} <= record.keys(), line
        records.append(record)
    return records


def test_serve_logs_json_lines_on_stderr_and_nothing_on_stdout(tmp_path: Path) -> None:
    # Step: start the server and wait until it answers.
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "ihanoi_server.cli", "serve", "--port", str(port)],
        env=environment(tmp_path),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        api = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5, verify=LOOPBACK_TLS)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and server.poll() is None:
            try:  # its own answer: another test's server may have taken the port first
                if listens_on(server.pid, port) and api.get("/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        assert api.get("/api/v1/no-such-thing").status_code == 404
        api.close()
    finally:
        # Step: stop it as a supervisor would.
        server.send_signal(signal.SIGTERM)
        stdout, stderr = server.communicate(timeout=20)

    # Step: stderr is JSON lines, uvicorn's included; stdout is empty.
    # uvicorn shuts down cleanly, then re-raises the signal it caught.
    assert server.returncode in (0, -signal.SIGTERM), stderr
    records = json_lines(stderr)
    events = [record["event"] for record in records]
    assert "started" in events
    assert "stopped" in events
    assert any(record.get("logger", "").startswith("uvicorn") and str(port) in record["event"] for record in records)
    assert stdout == ""


def test_a_projection_worker_logs_json_lines_on_stderr_and_says_active_on_stdout(tmp_path: Path) -> None:
    # Step: a worker becomes active on a fresh store.
    worker = subprocess.Popen(
        [sys.executable, "-m", "ihanoi_server.cli", "projections", "run", "case_status"],
        env=environment(tmp_path),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout is not None
        assert worker.stdout.readline() == "active\n"
    finally:
        worker.send_signal(signal.SIGTERM)
        stdout, stderr = worker.communicate(timeout=20)

    # Step: its log says so as JSON on stderr; stdout held only "active".
    assert worker.returncode == 0, stderr
    records = json_lines(stderr)
    assert {"event": "projection_active", "projections": ["case_status"], "level": "info"}.items() <= records[0].items()
    assert stdout == ""
