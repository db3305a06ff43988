"""The PostgreSQL event store: the library's recorder, with an insert that
commits in position order.

Positions (``notification_id``) come from a sequence. A sequence hands out
numbers when a transaction asks, not when it commits, so two concurrent inserts
can commit in the opposite order to their positions. A reader following the
log that has moved past position *n* + 1 would then never see *n* when it
commits a moment later: every read model would miss that event for good, and
the audit chain would call the log tampered.

The library prevents this by taking ``LOCK TABLE … IN EXCLUSIVE MODE`` before
inserting, so writers take positions and commit one at a time. Its faster
path, ``POSTGRES_ENABLE_DB_FUNCTIONS`` (one round trip through a PL/pgSQL
function), leaves the lock out in eventsourcing 9.5.6 — which is what lost 3
cases in 5,000 at 16 concurrent writers here. ``IhanoiPostgresApplicationRecorder``
keeps the one round trip and puts the lock back: its own function takes the
table lock, notifies listeners and inserts, all in the single statement's
transaction. ``SELECT`` never waits for that lock, so readers are not held up.

The cost is that commits of events are serialised (each holds the lock for
its WAL flush); ``make bench`` prints the resulting command rate beside the
raw-insert ceiling measured in the same run.

A save that gives new streams their data keys (``keys_sql.STREAM_BINDINGS``)
goes through a second function, ``ihanoi_insert_bound_events_{uuid,text}``,
which stores those bindings, before taking the lock, in the events' own
transaction, as the SQLite recorder does: no binding outlives a failed insert,
and the save is one round trip, not two.

How the pools of this store and of the personal-data keys deal with sessions
the server ended is in ``postgres_sessions``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore, PostgresFactory
from eventsourcing.utils import Environment, EnvType, retry
from psycopg.sql import SQL, Identifier

from ihanoi_core.eventstore.keys_sql import STREAM_BINDINGS, STREAMS
from ihanoi_core.eventstore.postgres_sessions import SweepingCheck
from ihanoi_core.eventstore.urls import postgres_conninfo, postgres_env

# eventsourcing 9.5's ``@retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)``
# on its recorders' reads and writes, and its pool timeout when none is set.
LIBRARY_ATTEMPTS = 10
DEFAULT_CONNECT_TIMEOUT = 30


class IhanoiPostgresApplicationRecorder(PostgresApplicationRecorder):
    """Inserts through ``ihanoi_insert_events_{uuid,text}``, which locks the
    events table before taking positions, and a save's new stream bindings
    through ``ihanoi_insert_bound_events_{uuid,text}`` (see the module docstring)."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        # A name of our own: the library's function (created by earlier
        # versions of ihanoi) stays as it was and is no longer called.
        self.pg_function_name_insert_events = f"ihanoi_insert_events_{datastore.originator_id_type}"
        schema = Identifier(datastore.schema)
        function = Identifier(self.pg_function_name_insert_events)
        table = Identifier(self.events_table_name)
        self.sql_invoke_pg_function_insert_events = SQL("SELECT * FROM {0}.{1}((%s))").format(schema, function)
        self.sql_create_pg_function_insert_events = SQL(
            "CREATE OR REPLACE FUNCTION {schema}.{function}(events {schema}.{event}[]) "
            "RETURNS SETOF bigint LANGUAGE plpgsql AS $BODY$ "
            "BEGIN "
            "SET LOCAL lock_timeout = '{lock_timeout}s'; "
            # Held until this statement's transaction commits: positions are
            # taken and committed by one writer at a time. SELECTs never wait.
            "LOCK TABLE {schema}.{table} IN EXCLUSIVE MODE; "
            "NOTIFY {channel}; "
            "RETURN QUERY INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state) "
            "SELECT originator_id, originator_version, topic, state FROM unnest(events) "
            "RETURNING notification_id; "
            "END; $BODY$"
        ).format(
            schema=schema,
            function=function,
            event=Identifier(self.stored_event_type_name),
            table=table,
            channel=Identifier(self.channel_name),
            lock_timeout=datastore.lock_timeout,
        )
        self.sql_create_statements[self.create_insert_function_statement_index] = (
            self.sql_create_pg_function_insert_events
        )
        self.pg_function_name_insert_bound = f"ihanoi_insert_bound_events_{datastore.originator_id_type}"
        bound = Identifier(self.pg_function_name_insert_bound)
        self.sql_invoke_pg_function_insert_bound = SQL("SELECT * FROM {0}.{1}(%s, %s, %s)").format(schema, bound)
        self.sql_create_statements.append(
            SQL(
                "CREATE OR REPLACE FUNCTION {schema}.{bound}("
                "events {schema}.{event}[], bound_streams text[], bound_keys text[]) "
                "RETURNS SETOF bigint LANGUAGE plpgsql AS $BODY$ "
                "BEGIN "
                "INSERT INTO {schema}.{streams} (stream_id, key_id) "
                "SELECT * FROM unnest(bound_streams, bound_keys) ON CONFLICT DO NOTHING; "
                "RETURN QUERY SELECT * FROM {schema}.{function}(events); "
                "END; $BODY$"
            ).format(
                schema=schema,
                bound=bound,
                event=Identifier(self.stored_event_type_name),
                streams=Identifier(STREAMS),
                function=function,
            )
        )

    # An insert stores its new stream bindings (``STREAM_BINDINGS``) in its own
    # transaction, through the bound function (created, like the library's, whether
    # or not POSTGRES_ENABLE_DB_FUNCTIONS sends other inserts through one).
    binds_streams = True

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        bindings: Sequence[tuple[Any, str]] | None = kwargs.get(STREAM_BINDINGS)
        if not bindings:
            return cast("Sequence[int] | None", super().insert_events(stored_events, **kwargs))
        return cast("Sequence[int]", self._insert_bound(stored_events, bindings))

    # The library's retry on its own inserts, for ours.
    @retry((InterfaceError, OperationalError), max_attempts=LIBRARY_ATTEMPTS, wait=0.2)
    def _insert_bound(self, stored_events: Sequence[StoredEvent], bindings: Sequence[tuple[Any, str]]) -> Sequence[int]:
        events = [
            self.construct_pg_stored_event(e.originator_id, e.originator_version, e.topic, e.state)
            for e in stored_events
        ]
        streams = [str(stream) for stream, _ in bindings]
        keys = [key for _, key in bindings]
        with self.datastore.get_connection() as connection, connection.cursor() as cursor:
            cursor.execute(self.sql_invoke_pg_function_insert_bound, (events, streams, keys), prepare=True)
            return [row[self.pg_function_name_insert_bound] for row in cursor.fetchall()]


class IhanoiPostgresFactory(PostgresFactory):
    """The library's PostgreSQL factory with the ordered insert, and its pool's
    check (``POSTGRES_PRE_PING``) a ``SweepingCheck``."""

    application_recorder_class = IhanoiPostgresApplicationRecorder

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        pool = self.datastore.pool
        # The library passes the plain check_connection and has no setting for
        # another. psycopg_pool keeps it in ``_check`` (3.2 to 3.3); should that
        # stop taking effect, tests/integration/test_postgres_reconnect.py fails.
        if pool._check is not None:
            pool._check = SweepingCheck(pool, retried=True)
        # The library tries each read and write LIBRARY_ATTEMPTS times, each
        # waiting up to the pool's timeout for a connection: while PostgreSQL is
        # down a request would wait ten times POSTGRES_CONNECT_TIMEOUT. Each wait
        # is a tenth of it, so all of them together take about the setting.
        pool.timeout = float(self.env.get(self.POSTGRES_CONNECT_TIMEOUT) or DEFAULT_CONNECT_TIMEOUT) / LIBRARY_ATTEMPTS


@contextmanager
def postgres_ddl_lock(database_url: str) -> Iterator[None]:
    """Let one process at a time create the schema's tables. Run by two sessions
    at once, the library's ``CREATE OR REPLACE FUNCTION`` (and ``CREATE … IF NOT
    EXISTS``) can fail with "tuple concurrently updated": servers and workers
    starting together would crash."""
    key = f"ihanoi ddl {postgres_env(database_url).get('POSTGRES_SCHEMA', 'public')}"
    with psycopg.connect(postgres_conninfo(database_url), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (key,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (key,))
