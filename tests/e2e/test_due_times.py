"""A due time reads the same everywhere: RFC 3339 with the +07:00 offset of
Asia/Ho_Chi_Minh (legal deadlines are local; docs/http-api.md, "Times").

One report is filed and acknowledged through the real server; its due time is
then read from the case itself, "my cases", the worklist, both live streams
and ``ihanoi audit show`` / ``history``, and must be the same text in each.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ihanoi_core.domain.values import Role
from tests.e2e.conftest import SECRET, LiveServer, start_server, stop_server
from tests.e2e.test_streams import Stream, act, file_report

CITIZEN = "vneid:001099012345"
HOAN_KIEM = "UBND_HOAN_KIEM"
RFC3339_HANOI = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+07:00$")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    running = start_server(f"sqlite:///{tmp_path / 'ihanoi.db'}", tmp_path / "server.log")
    yield running
    stop_server(running)


def test_lists_streams_the_case_and_the_audit_give_one_due_time_in_hanoi_time(
    server: LiveServer, tmp_path: Path
) -> None:
    citizen, officer = server.client(Role.CITIZEN, CITIZEN), server.client(Role.OFFICER, "officer-hk", HOAN_KIEM)
    with citizen, officer:
        # Step: a report is filed and acknowledged (which sets its resolution deadline).
        case = file_report(citizen)
        position = act(officer, case["id"], "acknowledge")

        # Step: the case itself says when it is due, in Hanoi time.
        due_at = citizen.get(f"/api/v1/reports/{case['id']}").json()["due_at"]
        assert RFC3339_HANOI.match(due_at), due_at

        # Step: the read-model lists say the same.
        mine = citizen.get("/api/v1/me/cases", params={"position": position}).json()["items"]
        assert [item["due_at"] for item in mine if item["case_id"] == case["id"]] == [due_at]
        work = officer.get("/api/v1/worklist", params={"position": position}).json()["items"]
        assert [item["due_at"] for item in work if item["case_id"] == case["id"]] == [due_at]

        # Step: so do both live streams, replayed from the start.
        for client, path in ((citizen, "/api/v1/me/stream"), (officer, "/api/v1/worklist/stream")):
            with Stream(client, path, last_event_id=0) as stream:
                acknowledged = next(e for e in iter(stream.next, None) if e.data["event"] == "Acknowledged")
            assert acknowledged.data["due_at"] == due_at

    # Step: and the audit tools, in every due time they print.
    env = {name: value for name, value in os.environ.items() if not name.startswith("IHANOI_")}
    env.update(IHANOI_DATABASE_URL=server.database_url, IHANOI_ENV="test", IHANOI_SECRET_KEY=SECRET)
    for command in (("show", case["id"], "--version", "2", "--json"), ("history", case["id"], "--json")):
        done = subprocess.run(
            [sys.executable, "-m", "ihanoi_server.cli", "audit", *command],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        printed = re.findall(r'"due_at":\s*"([^"]+)"', done.stdout)
        assert printed, done.stdout
        assert all(RFC3339_HANOI.match(text) for text in printed), printed
        assert due_at in printed
