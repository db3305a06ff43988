"""Kill -9 under load: the server and a projection worker are killed again and
again while clients file reports, retrying each with its Idempotency-Key until
it is acknowledged. Afterwards every acknowledged report is in the log once and
in the read models, nothing else was created, and the read models agree with
the log (``projections check``) and the audit chain verifies.
"""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.domain.values import Role
from ihanoi_core.settings import Settings
from ihanoi_projections.audit_chain import verify_store
from ihanoi_projections.engine.check import check_read_models
from ihanoi_projections.read_side import ReadSide
from tests.e2e.conftest import SECRET, LiveServer, free_port, start_server, stop_server
from tests.integration.test_projection_workers import Worker

CLIENTS = 8
KILLS = 3
SECONDS_BETWEEN_KILLS = 2.5
REPORT = {"category": "pothole", "description": "Ổ gà", "location": {"ward": "HOAN_KIEM"}}


def file_until_stopped(
    server: LiveServer, client: int, stopping: threading.Event, acknowledged: dict[str, str], refused: list[str]
) -> None:
    """File reports one after another; retry each (same key) until the server answers it."""
    with server.client(Role.CITIZEN, f"vneid:{client:012d}") as http:
        while not stopping.is_set():
            key = f"crash-{client}-{uuid.uuid4().hex}"
            while True:
                try:
                    answer = http.post("/api/v1/reports", json=REPORT, headers={"Idempotency-Key": key})
                except httpx.TransportError:
                    time.sleep(0.05)  # the server is down: retry the same request
                    continue
                if answer.status_code in (200, 201):
                    acknowledged[key] = answer.json()["id"]
                    break
                if answer.status_code != 503:  # 503: starting up, retry
                    refused.append(f"{answer.status_code} {answer.text}")
                    return
                time.sleep(0.05)


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_killing_the_server_and_a_worker_under_load_loses_and_duplicates_nothing(
    store: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = f"sqlite:///{tmp_path / 'ihanoi.db'}" if store == "sqlite" else request.getfixturevalue("postgres_url")
    settings = Settings(database_url=url, env="test", secret_key=SECRET, postgres_pool_size=4)
    port = free_port()
    server = start_server(url, tmp_path / "server-0.log", port=port)
    worker = Worker(settings, ("worklist", "public_reports"), secret=SECRET)
    acknowledged: dict[str, str] = {}
    refused: list[str] = []
    stopping = threading.Event()
    clients = [
        threading.Thread(target=file_until_stopped, args=(server, n, stopping, acknowledged, refused))
        for n in range(CLIENTS)
    ]
    try:
        for client in clients:
            client.start()
        # Step: kill -9 the server and the worker in turn while the clients write; restart them.
        for kill in range(1, KILLS + 1):
            time.sleep(SECONDS_BETWEEN_KILLS)
            server.process.kill()
            server.process.wait(10)
            worker.kill()
            server = start_server(url, tmp_path / f"server-{kill}.log", port=port)
            worker = Worker(settings, ("worklist", "public_reports"), secret=SECRET)
        time.sleep(SECONDS_BETWEEN_KILLS)
    finally:
        stopping.set()
        for client in clients:
            client.join(60)
        stop_server(server)
        worker.stop()
    assert refused == []
    assert len(acknowledged) > CLIENTS * KILLS

    # Step: every acknowledged report is in the log once; nothing else was created.
    app = Ihanoi(settings)
    read_side = ReadSide(app, settings, start=False)
    try:
        read_side.catch_up()
        rows = read_side.models["case_status"].rows()  # type: ignore[attr-defined]
        assert sorted(row["case_id"] for row in rows) == sorted(acknowledged.values())
        # Step: the read models agree with the log and the chain verifies.
        report = check_read_models(app, read_side.database)
        assert report.ok, report.differences
        assert verify_store(app, read_side.database).ok
    finally:
        read_side.close()
        app.close()
