"""``projections status``, ``projections check`` and the read side tell the
truth about a read model that disagrees with the log.

The log is edited here the way the failure happens: an event commits at a
position the projector has already passed (before the PostgreSQL insert took
its lock, concurrent writers did exactly this). Status then shows the skipped
event instead of "lag 0", the check names the case, and a half-finished
parallel rebuild shows as fenced.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path

import httpx
import psycopg
import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.reports import AcknowledgeReport, SubmitReport
from ihanoi_core.commands.values import LocationIn
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.eventstore.urls import postgres_conninfo, sqlite_path
from ihanoi_core.settings import Settings
from ihanoi_projections.engine.check import check_read_models
from ihanoi_projections.read_side import READ_MODELS, ReadSide, status
from tests.conftest import LOOPBACK_TLS, make_settings
from tests.e2e.conftest import start_server, stop_server
from tests.integration.test_projections_cli import ihanoi

SECRET = "health-test-secret-key-health-test-secret"


def insert_at(app: Ihanoi, position: int, originator_id: uuid.UUID, version: int, topic: str, state: bytes) -> None:
    """Write one stored event at ``position`` directly, as a late commit would land."""
    table = app.recorder.events_table_name  # type: ignore[attr-defined]
    url = app.settings.database_url
    columns = "originator_id, originator_version, topic, state"
    if url.startswith("sqlite"):
        with sqlite3.connect(sqlite_path(url)) as conn:
            sql = f"INSERT INTO {table} (rowid, {columns}) VALUES (?, ?, ?, ?, ?)"
            conn.execute(sql, (position, originator_id.hex, version, topic, state))
        return
    with psycopg.connect(postgres_conninfo(url), autocommit=True) as conn:
        sql = f"INSERT INTO {table} (notification_id, {columns}) VALUES (%s, %s, %s, %s, %s)"
        conn.execute(sql, (position, originator_id, version, topic, state))


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_an_event_committed_behind_the_projections_shows_as_skipped_and_the_check_names_its_case(
    store: str, tmp_path: Path, request: pytest.FixtureRequest, citizen: Principal
) -> None:
    settings = make_settings(store, tmp_path, request).with_changes(secret_key=SECRET)
    app = Ihanoi(settings)
    read_side = ReadSide(app, settings, start=False)
    try:
        # Step: a report is filed and acknowledged; the read models catch up and are healthy.
        filed = app.handle(
            citizen, SubmitReport(category="pothole", description="Ổ gà", location=LocationIn("HOAN_KIEM"))
        )
        agency = app.directory.route("pothole", "HOAN_KIEM").code
        app.handle(Principal("officer-1", Role.OFFICER, agency), AcknowledgeReport(case=filed.case_id))
        read_side.catch_up()
        assert all(row.healthy and row.skipped == 0 for row in status(app, read_side.database))
        assert check_read_models(app, read_side.database).ok

        # Step: an event lands ten positions ahead (a gap), and the projector passes it.
        head = app.head_position()
        created, acknowledged = app.recorder.select_events(filed.case_id)
        insert_at(app, head + 10, filed.case_id, 3, acknowledged.topic, acknowledged.state)
        read_side.catch_up()
        assert read_side.projector.position == head + 10

        # Step: a new case's first event then commits inside the gap, behind every projection.
        late = uuid.uuid4()
        other_code = filed.code[:-6] + ("000001" if filed.code[-6:] != "000001" else "000002")
        assert filed.code.encode() in created.state
        # Encoded afresh for its own id: a sealed personal field opens only in the case it was sealed for.
        first = app.mapper.to_domain_event(created)
        copy = object.__new__(type(first))
        copy.__dict__.update({**vars(first), "originator_id": late, "code": other_code})
        insert_at(app, head + 5, late, 1, created.topic, app.mapper.to_stored_event(copy).state)
        assert read_side.catch_up() == 0, "nothing new beyond the projections' position"

        # Step: status shows one skipped event for each projection, not lag 0.
        rows = status(app, read_side.database)
        assert {row.name: (row.lag_events, row.skipped, row.healthy) for row in rows} == dict.fromkeys(
            READ_MODELS, (0, 1, False)
        )

        # Step: the check says so and names the case whose row is missing.
        report = check_read_models(app, read_side.database)
        kinds = {(difference.projection, difference.kind) for difference in report.differences}
        assert kinds == {(name, "skipped") for name in READ_MODELS}
        assert "the log holds" in report.differences[0].detail
    finally:
        read_side.close()
        app.close()

    # Step: the CLI exits 1 and prints the same, for a script to act on.
    env = {"IHANOI_DATABASE_URL": settings.database_url, "IHANOI_ENV": "test", "IHANOI_SECRET_KEY": SECRET}
    shown = ihanoi(env, "projections", "status", "--json")
    assert shown.returncode == 1, shown.stderr
    assert {json.loads(line)["skipped"] for line in shown.stdout.splitlines()} == {1}
    checked = ihanoi(env, "projections", "check")
    assert checked.returncode == 1, checked.stderr
    assert "DIFFERENT case_status (skipped)" in checked.stdout

    # Step: a server on this store is not ready, and says why.
    server = start_server(settings.database_url, tmp_path / "server.log", {"IHANOI_SECRET_KEY": SECRET})
    try:
        ready = httpx.get(f"{server.base_url}/readyz", timeout=10, verify=LOOPBACK_TLS)
    finally:
        stop_server(server)
    assert ready.status_code == 503
    assert ready.json()["code"] == "projections_inconsistent"
    assert ready.json()["inconsistent"]["case_status"] == "skipped 1 event"

    # Step: a rebuild applies the late event; everything agrees again.
    rebuilt = ihanoi(env, "projections", "rebuild", *READ_MODELS)
    assert rebuilt.returncode == 0, rebuilt.stderr
    checked = ihanoi(env, "projections", "check")
    assert checked.returncode == 0, checked.stdout
    assert checked.stdout.startswith("CONSISTENT")


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_a_case_row_that_lags_its_case_is_named_by_the_check(
    store: str, tmp_path: Path, request: pytest.FixtureRequest, citizen: Principal
) -> None:
    settings = make_settings(store, tmp_path, request).with_changes(secret_key=SECRET)
    app = Ihanoi(settings)
    read_side = ReadSide(app, settings, start=False)
    try:
        filed = app.handle(
            citizen, SubmitReport(category="pothole", description="Ổ gà", location=LocationIn("HOAN_KIEM"))
        )
        read_side.catch_up()
        # Step: someone with database access winds a row back a version.
        with read_side.database.transaction() as cursor:
            cursor.execute("UPDATE view_case_status SET version = 0 WHERE case_id = ?", (str(filed.case_id),))
        report = check_read_models(app, read_side.database)
        assert [(d.projection, d.kind) for d in report.differences] == [("case_status", "version")]
        assert str(filed.case_id) in report.differences[0].detail
        assert "is at version 0; the log has version 1" in report.differences[0].detail
    finally:
        read_side.close()
        app.close()


def test_a_half_finished_parallel_rebuild_shows_as_fenced(tmp_path: Path, citizen: Principal) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'ihanoi.db'}", env="test", secret_key=SECRET)
    app = Ihanoi(settings)
    read_side = ReadSide(app, settings, start=False)
    try:
        app.handle(citizen, SubmitReport(category="pothole", description="Ổ gà", location=LocationIn("HOAN_KIEM")))
        read_side.catch_up()
        # Step: a rebuild on two processes died after one partition recorded its position.
        with read_side.database.transaction() as cursor:
            cursor.record_position("worklist#0/2", 1, 0.0, 1)
        fenced = {row.name for row in status(app, read_side.database) if row.fenced}
        assert fenced == {"worklist"}
        assert [(d.projection, d.kind) for d in check_read_models(app, read_side.database).differences] == [
            ("worklist", "fenced")
        ]
    finally:
        read_side.close()
        app.close()
