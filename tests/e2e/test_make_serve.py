"""``make serve PORT=… HOST=…`` serves where it is told, and the curl line printed follows it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_make_serve_passes_host_and_port_to_the_demo_and_the_server() -> None:
    dry_run = subprocess.run(
        ["make", "-n", "serve", "HOST=0.0.0.0", "PORT=8081"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert dry_run.returncode == 0, dry_run.stderr
    commands = [line for line in dry_run.stdout.splitlines() if "ihanoi demo" in line or "ihanoi serve" in line]
    assert len(commands) == 2, dry_run.stdout
    assert all("--host 0.0.0.0 --port 8081" in command for command in commands)


def test_the_demo_prints_curl_lines_for_the_port_the_server_will_use(tmp_path: Path) -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith("IHANOI_")}
    env.update(IHANOI_DATABASE_URL=f"sqlite:///{tmp_path / 'ihanoi.db'}", IHANOI_ENV="development")
    done = subprocess.run(
        [sys.executable, "-m", "ihanoi_server.cli", "demo", "--days", "1", "--host", "0.0.0.0", "--port", "8081"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    curl = [line for line in done.stdout.splitlines() if line.strip().startswith("curl ")]
    # Step: one line with the citizen's token, and the public statistics, which need none.
    assert curl[0].endswith(" http://127.0.0.1:8081/api/v1/me/cases"), done.stdout
    # Then a leader's deadline figures, with the leader's token, and the published ranking.
    assert curl[3].endswith(" http://127.0.0.1:8081/api/v1/accountability"), done.stdout
    assert [line.split("'")[1] for line in (*curl[1:3], curl[4])] == [
        "http://127.0.0.1:8081/public/stats?group_by=ward",
        "http://127.0.0.1:8081/public/stats.csv?group_by=agency",
        "http://127.0.0.1:8081/public/ranking",
    ]
    # Last, the home page, for a browser.
    assert "In a browser: http://127.0.0.1:8081/ links" in done.stdout.rstrip().splitlines()[-1], done.stdout
