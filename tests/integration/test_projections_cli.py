"""``ihanoi projections status|rebuild`` as an operator runs them: a real
process on a real SQLite store, reading its settings from the environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from ihanoi_core.application import Ihanoi
from ihanoi_core.settings import Settings
from ihanoi_core.simulation import SimulatedClock, simulate
from ihanoi_projections.read_side import READ_MODELS


def ihanoi(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ihanoi_server.cli", *args],
        env={**os.environ, **env}, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_rebuild_on_two_processes_then_status_shows_every_projection_at_the_head(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ihanoi.db'}"
    clock = SimulatedClock(datetime(2026, 11, 2, 1, 0, tzinfo=UTC))
    app = Ihanoi(Settings(database_url=url, env="test"), clock=clock)
    try:
        simulate(app, clock, seed=9, days=5, reports_per_day=60, complaints_per_day=6, dossiers_per_day=40,
                 surveys=1, answers_per_survey=30)  # fmt: skip
        head = app.head_position()
    finally:
        app.close()
    assert head >= 2000, "enough events for a rebuild on several processes"
    env = {"IHANOI_DATABASE_URL": url, "IHANOI_ENV": "test", "IHANOI_SECRET_KEY": "cli-test-secret-key-cli-test-secret"}

    # Step: bad arguments are refused before anything is touched.
    assert ihanoi(env, "projections", "rebuild", "--jobs", "0").returncode == 2
    assert ihanoi(env, "projections", "rebuild", "no_such_model").returncode == 2

    # Step: a rebuild of everything but the chain, on two processes, with its progress bar.
    rebuilt = ihanoi(env, "projections", "rebuild", "--jobs", "2")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert f"rebuilt from {head} events" in rebuilt.stdout
    assert f"{head}/{head}" in rebuilt.stderr  # the bar reached the end

    # Step: status lists every projection; the rebuilt ones are at the head, the
    # audit chain (left alone by default) has not started.
    status = ihanoi(env, "projections", "status", "--json")
    assert status.returncode == 0, status.stderr
    rows = {row["name"]: row for row in map(json.loads, status.stdout.splitlines())}
    assert set(rows) == set(READ_MODELS)
    for name, row in rows.items():
        expected = 0 if name == "audit_chain" else head
        assert (row["position"], row["head"], row["lag_events"]) == (expected, head, head - expected), name
