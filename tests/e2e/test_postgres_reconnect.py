"""PostgreSQL ends every connection the server holds (a restart, a failover,
an operator's ``pg_terminate_backend``): the server's next commands and
queries succeed at once, on fresh connections, and lose nothing. While
PostgreSQL refuses connections, requests are answered 503 within
``IHANOI_POSTGRES_CONNECT_TIMEOUT``, and a command sent again with its
``Idempotency-Key`` once it is back is stored once."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from ihanoi_core.domain.values import Role
from ihanoi_core.settings import Settings
from ihanoi_server.observability import STORE_WAIT_SECONDS
from tests.conftest import LOOPBACK_TLS, allow_connections, end_connections
from tests.e2e.conftest import SECRET, LiveServer, start_server, stop_server
from tests.e2e.test_deadline_watcher_crash import start_watcher

REPORT = {"category": "pothole", "description": "Ổ gà trước số 12", "location": {"ward": "HOAN_KIEM"}}
CONNECT_TIMEOUT = 2


@pytest.fixture
def server(own_postgres_database: str, tmp_path: Path) -> Iterator[LiveServer]:
    extra = {"IHANOI_POSTGRES_CONNECT_TIMEOUT": str(CONNECT_TIMEOUT)}
    started = start_server(own_postgres_database, tmp_path / "server.log", extra)
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
    # Step: no request after the connections ended waited them out one by one
    # (psycopg_pool's own check backs off 1, 2, 4 … s before each: 3 s here for
    # the first command), and no read-model batch failed on one. The requests
    # before (the server's first read-your-writes waits for every read model's
    # first batch: 0.2-0.4 s on an idle machine, more on a loaded one) are not
    # what this step is about.
    requests = [entry for entry in logged if entry["event"] == "request"]
    second_post = [index for index, entry in enumerate(requests) if entry["method"] == "POST"][1]
    after = requests[second_post:]
    assert [entry["route"] for entry in after][:3] == [
        "/api/v1/reports",
        "/api/v1/reports/{id}",
        "/api/v1/me/cases",
    ], after
    assert max(entry["ms"] for entry in after) < 2500, after
    assert not [entry for entry in logged if entry["event"] == "projection_batch_failed"]


def unreachable(response: httpx.Response, started: float) -> None:
    """A 503 store_unreachable problem, within the connect timeout and a margin."""
    assert time.monotonic() - started < CONNECT_TIMEOUT * 4, response.text
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "5"
    assert response.json()["code"] == "store_unreachable"


@pytest.mark.postgres
def test_while_postgresql_refuses_connections_requests_get_503_and_a_command_sent_again_is_stored_once(
    server: LiveServer,
) -> None:
    with server.client(Role.CITIZEN) as citizen:
        first = ok(citizen.post("/api/v1/reports", json=REPORT), 201)
        ok(citizen.get(f"/api/v1/me/cases?position={first['position']}"))

        # Step: PostgreSQL goes away: it ends every connection and refuses new ones.
        allow_connections(server.database_url, False)
        end_connections(server.database_url)
        try:
            # Step: a command, a query and the readiness probe are each refused in time.
            key = {"Idempotency-Key": "report-during-the-outage"}
            started = time.monotonic()
            unreachable(citizen.post("/api/v1/reports", json=REPORT, headers=key), started)
            started = time.monotonic()
            unreachable(citizen.get(f"/api/v1/reports/{first['code']}"), started)
            started = time.monotonic()
            assert citizen.get("/readyz").status_code == 503
            # Open311 answers it in the spec's error shape.
            started = time.monotonic()
            georeport = httpx.get(f"{server.base_url}/open311/v2/requests.json", timeout=10, verify=LOOPBACK_TLS)
            assert time.monotonic() - started < CONNECT_TIMEOUT * 4
            assert georeport.status_code == 503, georeport.text
            assert georeport.headers["retry-after"] == "5"
            assert [entry["code"] for entry in georeport.json()] == [503]
        finally:
            allow_connections(server.database_url, True)

        # Step: PostgreSQL is back: the command sent again with its key is stored,
        # once, and sending it once more answers the same case.
        again = ok(citizen.post("/api/v1/reports", json=REPORT, headers=key), 201)
        assert ok(citizen.post("/api/v1/reports", json=REPORT, headers=key))["code"] == again["code"]
        listed = ok(citizen.get(f"/api/v1/me/cases?position={again['position']}"))
        assert sorted(item["code"] for item in listed["items"]) == sorted([first["code"], again["code"]])
    assert '"unexpected_error"' not in server.log()


def public_reads(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every GET that needs no token and no path parameter but the format (not the SSE streams)."""
    return [
        (path.replace("{format}", "json"), operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if method == "get"
        and operation.get("security") == []
        and "{" not in path.replace("{format}", "")
        and "text/event-stream" not in operation["responses"].get("200", {}).get("content", {})
    ]


@pytest.mark.postgres
def test_while_postgresql_refuses_connections_each_public_read_answers_a_status_its_openapi_entry_lists(
    server: LiveServer,
) -> None:
    reads = public_reads(httpx.get(f"{server.base_url}/openapi.json", timeout=10, verify=LOOPBACK_TLS).json())
    allow_connections(server.database_url, False)
    end_connections(server.database_url)
    try:
        # Step: all at once, each waiting out the connect timeout where it needs the store.
        with server.client() as anyone, ThreadPoolExecutor(len(reads)) as pool:
            statuses = list(pool.map(lambda read: anyone.get(read[0], timeout=30).status_code, reads))
    finally:
        allow_connections(server.database_url, True)
    # Step: a route that needs the store lists 503; one that does not still answers.
    answered = {path: status for (path, _), status in zip(reads, statuses, strict=True)}
    undocumented = {path: status for (path, operation), status in zip(reads, statuses, strict=True)
                    if str(status) not in operation["responses"]}  # fmt: skip
    assert undocumented == {}
    assert {path for path, status in answered.items() if status == 503} >= {"/public/alerts", "/readyz"}
    assert {path for path, status in answered.items() if status == 200} >= {"/healthz", "/map", "/metrics"}


def scrape(server: LiveServer) -> dict[str, float]:
    """The unlabelled samples and the sums of the labelled ones, by metric name."""
    samples: dict[str, float] = {}
    for line in httpx.get(f"{server.base_url}/metrics", timeout=30, verify=LOOPBACK_TLS).text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.split("{")[0].split(" ")[0], float(line.rsplit(" ", 1)[1])
            samples[name] = samples.get(name, 0.0) + value
    return samples


@pytest.mark.postgres
def test_metrics_answer_in_time_while_postgresql_refuses_connections_and_say_the_store_is_down(
    server: LiveServer,
) -> None:
    with server.client(Role.CITIZEN) as citizen:
        ok(citizen.post("/api/v1/reports", json=REPORT), 201)
    before = scrape(server)
    assert before["ihanoi_store_up"] == 1
    assert "ihanoi_projection_lag_events" in before
    allow_connections(server.database_url, False)
    end_connections(server.database_url)
    try:
        # Step: a request is refused; a scrape answers within the wait, without the store's figures.
        assert httpx.get(f"{server.base_url}/public/alerts", timeout=30, verify=LOOPBACK_TLS).status_code == 503
        started = time.monotonic()
        during = scrape(server)
        assert time.monotonic() - started < STORE_WAIT_SECONDS + 1.5
        assert during["ihanoi_store_up"] == 0
        assert "ihanoi_projection_lag_events" not in during
        assert during["ihanoi_http_requests_total"] > before["ihanoi_http_requests_total"]
        # Step: the next scrape too (the read it finds still waiting or a new one).
        assert scrape(server)["ihanoi_store_up"] == 0
    finally:
        allow_connections(server.database_url, True)
    # Step: PostgreSQL is back: the figures come back with it.
    deadline = time.monotonic() + 30
    while (after := scrape(server))["ihanoi_store_up"] != 1 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert after["ihanoi_store_up"] == 1
    assert "ihanoi_projection_lag_events" in after


@pytest.mark.postgres
def test_an_active_worker_whose_lock_session_ended_stops_and_its_standby_takes_over(
    own_postgres_database: str, tmp_path: Path
) -> None:
    settings = Settings(database_url=own_postgres_database, env="test", secret_key=SECRET)
    log = tmp_path / "watchers.log"
    # Step: two deadline watchers: the first active, the second (started once
    # the first is) a hot standby.
    first = start_watcher(settings, log)
    processes = [first]
    try:
        assert first.stdout is not None
        assert first.stdout.readline().strip() == b"active"
        second = start_watcher(settings, log)
        processes.append(second)
        assert second.stdout is not None
        deadline = time.monotonic() + 30
        while '"projection_standby"' not in log.read_text(errors="replace") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert second.poll() is None, log.read_text(errors="replace")

        # Step: PostgreSQL ends every session, the watchers' locks with them.
        end_connections(own_postgres_database)

        # Step: the active one sees its lock gone and stops, exit 1, for its
        # supervisor to start it again; the standby survives its own ended
        # session and becomes the only active one.
        assert first.wait(20) == 1
        assert second.stdout.readline().strip() == b"active"
        assert second.poll() is None
        logged = log.read_text(errors="replace")
        assert '"worker_lock_lost"' in logged
        assert "ended with its PostgreSQL session" in logged, logged
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(15)
            assert process.stdout is not None
            process.stdout.close()
