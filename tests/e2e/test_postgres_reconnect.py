"""PostgreSQL ends every connection the server holds (a restart, a failover,
an operator's ``pg_terminate_backend``): the server's next commands and
queries succeed at once, on fresh connections, and lose nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from ihanoi_core.domain.values import Role
from tests.conftest import end_connections
from tests.e2e.conftest import LiveServer, start_server, stop_server

REPORT = {"category": "pothole", "description": "Ổ gà trước số 12", "location": {"ward": "HOAN_KIEM"}}


@pytest.fixture
def server(own_postgres_database: str, tmp_path: Path) -> Iterator[LiveServer]:
    started = start_server(own_postgres_database, tmp_path / "server.log")
    yield started
    stop_server(started)


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@pytest.mark.postgres
def test_after_postgresql_ends_every_connection_the_next_requests_succeed_at_once(server: LiveServer) -> None:
    with server.client(Role.CITIZEN) as citizen:
        # Step: a report filed and read through every kind of connection the
        # server holds (events, personal-data keys, read models, the wake-up listener).
        first = ok(citizen.post("/api/v1/reports", json=REPORT), 201)
        ok(citizen.get(f"/api/v1/me/cases?position={first['position']}"))

        # Step: PostgreSQL ends them all.
        assert end_connections(server.database_url) >= 3

        # Step: the next command, a read of it and a read-your-writes list answer;
        # nothing is lost.
        second = ok(citizen.post("/api/v1/reports", json=REPORT), 201)
        assert ok(citizen.get(f"/api/v1/reports/{second['code']}"))["status"] == "submitted"
        listed = ok(citizen.get(f"/api/v1/me/cases?position={second['position']}"))
        assert {item["code"] for item in listed["items"]} == {first["code"], second["code"]}
        ok(citizen.get("/readyz"))
    logged = [orjson.loads(line) for line in server.log().splitlines()]
    # Step: no request waited out dead connections one by one (psycopg_pool's own
    # check backs off 1, 2, 4 … s before each: 3 s here for the first command),
    # and no read-model batch failed on one.
    requests = [entry for entry in logged if entry["event"] == "request"]
    assert max(entry["ms"] for entry in requests) < 2500, requests
    assert not [entry for entry in logged if entry["event"] == "projection_batch_failed"]
