"""Two servers and a projection worker on one PostgreSQL database, under load
from sixteen concurrent clients: what an operator scaling out does.

Every read model has exactly one active projector across the three processes
(no batch is applied twice, so no ``projection_batch_failed``), no created
case is missing from any read model, a citizen reads their write through
either server, the read models equal a rebuild row for row, the consistency
probe finds nothing and the audit chain verifies.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from ihanoi_core.application import Ihanoi
from ihanoi_core.domain.values import Role
from ihanoi_core.settings import Settings
from ihanoi_projections.audit_chain import verify_store
from ihanoi_projections.engine.check import check_read_models
from ihanoi_projections.read_side import READ_MODELS, ReadSide
from tests.e2e.conftest import SECRET, LiveServer, start_server, stop_server
from tests.integration.test_projection_workers import Worker

CLIENTS = 16
SECONDS = 8.0
REPORT = {"category": "pothole", "description": "Ổ gà", "location": {"ward": "HOAN_KIEM"}}
WORKER_NAMES = ("case_status", "public_reports")


def file_reports(servers: list[LiveServer], client: int, until: float, created: list[str], failures: list[str]) -> None:
    """Create reports on one server and read each back through the other,
    waiting for its position (read-your-writes across processes)."""
    subject = f"vneid:{client:012d}"
    writer, reader = servers[client % 2], servers[(client + 1) % 2]
    with writer.client(Role.CITIZEN, subject) as posting, reader.client(Role.CITIZEN, subject) as reading:
        while time.monotonic() < until:
            answer = posting.post("/api/v1/reports", json=REPORT)
            if answer.status_code != 201:
                failures.append(f"create: {answer.status_code} {answer.text}")
                return
            body: dict[str, Any] = answer.json()
            created.append(body["id"])
            mine = reading.get("/api/v1/me/cases", params={"position": body["position"], "limit": 1})
            if mine.status_code != 200 or mine.json()["items"][0]["case_id"] != body["id"]:
                failures.append(f"read-your-writes: {mine.status_code} {mine.text[:200]}")
                return


def test_two_servers_and_a_worker_share_the_read_models_without_a_failed_batch(
    postgres_url: str, tmp_path: Path
) -> None:
    settings = Settings(database_url=postgres_url, env="test", secret_key=SECRET, postgres_pool_size=4)
    # Step: a worker takes two read models; then two servers start on the same
    # database (they follow those two and share out the others).
    worker = Worker(settings, WORKER_NAMES, secret=SECRET)
    servers: list[LiveServer] = []
    try:
        assert worker.saw("active", timeout=30)
        servers += [start_server(postgres_url, tmp_path / f"server-{n}.log") for n in (1, 2)]
        # Step: sixteen clients create reports and read them back through the other server.
        created: list[str] = []
        failures: list[str] = []
        until = time.monotonic() + SECONDS
        clients = [
            threading.Thread(target=file_reports, args=(servers, n, until, created, failures)) for n in range(CLIENTS)
        ]
        for client in clients:
            client.start()
        for client in clients:
            client.join()
        assert failures == []
        assert len(created) > CLIENTS * 5
    finally:
        for server in servers:
            stop_server(server)
        worker.stop()

    # Step: no process ever applied a batch another one had applied.
    logs = [server.log() for server in servers]
    assert all("projection_batch_failed" not in log for log in logs), "\n".join(logs)

    # Step: the read models hold every case, match the log and verify.
    app = Ihanoi(settings)
    read_side = ReadSide(app, settings, start=False)
    try:
        read_side.catch_up()
        rows = read_side.models["case_status"].rows()  # type: ignore[attr-defined]
        assert set(created) <= {row["case_id"] for row in rows}
        report = check_read_models(app, read_side.database)
        assert report.ok, report.differences
        assert verify_store(app, read_side.database).ok
        live = {name: model.rows() for name, model in read_side.models.items()}  # type: ignore[attr-defined]
        read_side.projector.reset([name for name in READ_MODELS if name != "audit_chain"])
        read_side.catch_up()
        for name, model in read_side.models.items():
            assert model.rows() == live[name], f"{name} differs after a rebuild"  # type: ignore[attr-defined]
    finally:
        read_side.close()
        app.close()
