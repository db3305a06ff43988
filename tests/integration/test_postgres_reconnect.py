"""PostgreSQL ends every connection of an embedding program (a restart, a
failover, an operator's ``pg_terminate_backend``): its next command, rebuild
step and query succeed at once on fresh connections, from each of its pools
(the events', the personal-data keys', the read models'). While PostgreSQL
refuses connections, a command fails within about
``IHANOI_POSTGRES_CONNECT_TIMEOUT`` with an error ``store_unreachable`` knows."""

from __future__ import annotations

import select
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from eventsourcing.persistence import OperationalError

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.reports import AcknowledgeReport, SubmitReport
from ihanoi_core.commands.values import ContactIn, LocationIn
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.eventstore.postgres_sessions import SweepingCheck
from ihanoi_core.eventstore.probe import store_unreachable
from ihanoi_core.handlers.bus import CommandResult
from ihanoi_core.settings import Settings
from ihanoi_projections.engine.runner import ActiveLock
from ihanoi_projections.queries import Queries
from ihanoi_projections.read_side import ReadSide
from ihanoi_projections.worklist import WorklistModel
from tests.conftest import ADMIN_URL, allow_connections, end_connections
from tests.postgres_wire import client_messages

POOL_SIZE = 4


def submit(app: Ihanoi, citizen: Principal) -> CommandResult:
    filed = app.handle(
        citizen,
        SubmitReport(
            category="pothole",
            description="Ổ gà trước số 12",
            location=LocationIn(ward="HOAN_KIEM"),
            contact=ContactIn(name="Nguyễn Thị Hoa", phone="0912345678"),
        ),
    )
    assert filed.position is not None
    return filed


@pytest.mark.postgres
def test_the_next_command_and_query_succeed_at_once_after_postgresql_ends_every_connection(
    own_postgres_database: str, tmp_path: Path, citizen: Principal
) -> None:
    settings = Settings(
        database_url=own_postgres_database, env="test", postgres_pool_size=POOL_SIZE, media_dir=tmp_path / "media"
    )
    app = Ihanoi(settings)
    read_side = ReadSide(app, start=False)
    try:
        # Step: a report with the reporter's contact (sealed under a personal-data
        # key), projected and listed: every pool has connections open.
        submit(app, citizen)
        read_side.catch_up()
        assert len(Queries(app, read_side).my_cases(citizen)) == 1

        # Step: PostgreSQL ends them all (the events' pool alone holds POOL_SIZE).
        assert end_connections(own_postgres_database) >= POOL_SIZE + 2

        # Step: the next report, its projection and the list succeed, without
        # waiting out the dead connections one by one (psycopg_pool's own check
        # backs off 1, 2, 4 … s before each: 31 s for a pool of ten).
        started = time.monotonic()
        submit(app, citizen)
        read_side.catch_up()
        assert len(Queries(app, read_side).my_cases(citizen)) == 2
        assert time.monotonic() - started < 2.5
    finally:
        read_side.close()
        app.close()


def messages_sent(connection: psycopg.Connection[object], action: Callable[[], object], trace: Path) -> list[str]:
    """The types of the protocol messages the client sends during ``action``."""
    return [kind for kind, _ in client_messages(connection, action, trace)]


def arrives(connection: psycopg.Connection[object]) -> bool:
    """Wait up to 5 s for something from the server on the connection's socket."""
    readable, _, _ = select.select([connection.fileno()], [], [], 5)
    return bool(readable)


@pytest.mark.postgres
def test_the_events_pool_checks_an_idle_connection_without_a_round_trip_unless_the_server_sent_it_something(
    postgres_database: str, tmp_path: Path
) -> None:
    check = SweepingCheck(retried=True)
    trace = tmp_path / "trace.txt"
    with psycopg.connect(postgres_database, autocommit=True) as connection:
        # A connection nothing has come for: the check asks its socket, not the server.
        assert messages_sent(connection, lambda: check(connection), trace) == []
        # A pool whose uses are not tried again (the read models') still pings.
        assert messages_sent(connection, lambda: SweepingCheck()(connection), trace) == ["Query"]

        # A notification came while it sat idle: the check pings, which reads it.
        connection.execute("LISTEN ihanoi_check")
        with psycopg.connect(postgres_database, autocommit=True) as other:
            other.execute("NOTIFY ihanoi_check")
        assert arrives(connection)
        assert messages_sent(connection, lambda: check(connection), trace) == ["Query"]
        assert messages_sent(connection, lambda: check(connection), trace) == []

        # The server ended it: the check finds out and says so.
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (connection.info.backend_pid,))
        assert arrives(connection)
        with pytest.raises(psycopg.OperationalError):
            check(connection)


@pytest.mark.postgres
def test_while_postgresql_refuses_connections_a_command_fails_in_time_as_store_unreachable(
    own_postgres_database: str, tmp_path: Path, citizen: Principal
) -> None:
    timeout = 2
    settings = Settings(
        database_url=own_postgres_database, env="test", postgres_connect_timeout=timeout, media_dir=tmp_path / "media"
    )
    app = Ihanoi(settings)
    try:
        filed = submit(app, citizen)
        officer = Principal("officer-hk", Role.OFFICER, app.directory.route("pothole", "HOAN_KIEM").code)
        allow_connections(own_postgres_database, False)
        end_connections(own_postgres_database)

        # Step: a command on the case (the events' pool) and a new case (the
        # personal-data keys' pool first) each wait about the timeout (not ten
        # times it, as the library's ten attempts each waiting the whole timeout
        # would), then fail with an error that says the store did not answer.
        commands: list[Callable[[], CommandResult]] = [
            lambda: app.handle(officer, AcknowledgeReport(case=filed.case_id)),
            lambda: submit(app, citizen),
        ]
        for command in commands:
            started = time.monotonic()
            with pytest.raises((OperationalError, psycopg.OperationalError)) as failed:
                command()
            assert time.monotonic() - started < timeout * 3
            assert store_unreachable(failed.value), repr(failed.value)
    finally:
        allow_connections(own_postgres_database, True)
        app.close()
    assert not store_unreachable(RuntimeError("no such table: stored_events"))


@pytest.mark.postgres
def test_after_postgresql_ends_the_lock_sessions_a_running_read_side_claims_again_and_takes_over(
    own_postgres_database: str, tmp_path: Path, citizen: Principal
) -> None:
    settings = Settings(database_url=own_postgres_database, env="test", media_dir=tmp_path / "media")
    app = Ihanoi(settings)
    # Step: a worker applies one read model (it holds its lock); the server's
    # running read side applies the others and follows that one.
    worker = ActiveLock(settings, WorklistModel.name)
    assert worker.try_acquire()
    read_side = ReadSide(app, settings)
    standby = ActiveLock(settings, WorklistModel.name)
    try:
        assert read_side.ownership is not None
        assert WorklistModel.name not in read_side.ownership.held
        assert not standby.try_acquire()

        # Step: PostgreSQL ends every session, the locks' too: the worker's lock is free.
        end_connections(own_postgres_database)

        # Step: the standby, trying again, survives its ended session; the read
        # side notices its own ended, claims again and takes the worker's model over.
        standby.try_acquire()  # raised AdminShutdown before: its session had ended
        standby.release()  # and gives the lock up, if it got it, for the read side to take
        deadline = time.monotonic() + 10
        while WorklistModel.name not in read_side.ownership.held and time.monotonic() < deadline:
            time.sleep(0.1)
        assert read_side.ownership.complete
        position = submit(app, citizen).position
        assert position is not None
        assert read_side.wait(position, timeout=10)
        assert read_side.model(WorklistModel).rows()
    finally:
        standby.release()
        worker.release()
        read_side.close()
        app.close()
