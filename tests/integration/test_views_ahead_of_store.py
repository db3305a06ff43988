"""Read models restored from a later backup than the event store: they have
applied positions the store now hands out again, so following it would skip
the events saved there. Nothing may run them until they are rebuilt; after
the rebuild every event, old and new, is in them."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from uuid import UUID

import psycopg
import pytest
from psycopg import sql

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.reports import SubmitReport
from ihanoi_core.commands.values import LocationIn
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.eventstore.postgres import IhanoiPostgresApplicationRecorder
from ihanoi_core.eventstore.urls import postgres_conninfo
from ihanoi_core.settings import Settings
from ihanoi_projections.case_status import CaseStatusModel
from ihanoi_projections.engine.database import open_view_database
from ihanoi_projections.engine.projector import ViewsAheadOfStoreError
from ihanoi_projections.engine.rebuild import rebuild
from ihanoi_projections.read_side import READ_MODELS, ReadSide, status
from tests.conftest import make_settings

CITIZEN = Principal("vneid:001099012345", Role.CITIZEN)


def report(app: Ihanoi) -> tuple[UUID, int]:
    pothole = SubmitReport(category="pothole", description="Ổ gà", location=LocationIn(ward="HOAN_KIEM"))
    filed = app.handle(CITIZEN, pothole)
    assert filed.position is not None
    return filed.case_id, filed.position


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_read_models_ahead_of_the_store_refuse_to_run_until_rebuilt(
    store: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings = make_settings(store, tmp_path, request)
    app = Ihanoi(settings)
    read_side = ReadSide(app, settings, start=False)
    kept = [report(app) for _ in range(3)]
    backup = back_up(settings, tmp_path)
    recorder = app.recorder
    table = recorder.events_table_name if isinstance(recorder, IhanoiPostgresApplicationRecorder) else ""
    later = [report(app) for _ in range(3)]
    read_side.catch_up()
    read_side.close()
    app.close()
    assert read_side.projector.position == later[-1][1]

    # Step: the store comes back from the backup; the views file does not.
    restore(settings, backup, table, kept[-1][1])
    app = Ihanoi(settings)
    try:
        assert app.head_position() == kept[-1][1]
        with pytest.raises(ViewsAheadOfStoreError, match=rf"up to position {later[-1][1]}.*\(position {kept[-1][1]}\)"):
            ReadSide(app, settings, start=False)
        # `ihanoi projections status` (and /readyz) say so too.
        views = open_view_database(settings)
        try:
            assert {row.name: row.health for row in status(app, views) if not row.healthy} == dict.fromkeys(
                READ_MODELS, "ahead of the store: made from another log; rebuild it"
            )
        finally:
            views.close()
        # Step: a case filed now takes a position the read models have passed.
        again = report(app)
        assert again[1] <= later[-1][1]

        # Step: rebuilt, they hold every case the store has, and follow it on.
        rebuild(app, settings, None)
        with pytest.raises(ViewsAheadOfStoreError, match=r"rebuild audit_chain`"):
            ReadSide(app, settings, start=False)
        rebuild(app, settings, ["audit_chain"])
        read_side = ReadSide(app, settings, start=False)
        try:
            after = report(app)
            read_side.catch_up()
            statuses = read_side.model(CaseStatusModel)
            assert {row["case_id"] for row in statuses.rows()} == {str(case) for case, _ in [*kept, again, after]}
        finally:
            read_side.close()
    finally:
        app.close()


def back_up(settings: Settings, tmp_path: Path) -> Path | None:
    """A consistent copy of a SQLite store (PostgreSQL: restored from the log itself, see ``restore``)."""
    if not settings.database_url.startswith("sqlite"):
        return None
    copy = tmp_path / "backup.db"
    with sqlite3.connect(tmp_path / "ihanoi.db") as source, sqlite3.connect(copy) as target:
        source.backup(target)
    return copy


def restore(settings: Settings, backup: Path | None, table: str, head: int) -> None:
    """Put the store back as it was at ``head``: the SQLite file from its
    backup; on PostgreSQL the events table as an older dump restores it, its
    later rows gone and its sequence set back."""
    if backup is not None:
        store = backup.with_name("ihanoi.db")
        for leftover in (store.with_name("ihanoi.db-wal"), store.with_name("ihanoi.db-shm")):
            leftover.unlink(missing_ok=True)
        backup.replace(store)
        return
    # Its connection searches the test's schema first.
    with psycopg.connect(postgres_conninfo(settings.database_url), autocommit=True) as connection:
        connection.execute(sql.SQL("DELETE FROM {} WHERE notification_id > %s").format(sql.Identifier(table)), (head,))
        connection.execute("SELECT setval(pg_get_serial_sequence(%s, 'notification_id'), %s)", (table, head))
