"""Where read models live: one SQL database per deployment, two dialects.

Read models are written in one portable subset of SQL (``?`` placeholders,
``INSERT … ON CONFLICT … DO UPDATE``, ``BIGINT``/``TEXT``/``DOUBLE PRECISION``)
that SQLite and PostgreSQL both run; ``ViewDatabase`` hides the rest. A read
model that gains a column lists ``ALTER TABLE t ADD COLUMN IF NOT EXISTS c …``
after its ``CREATE TABLE``: PostgreSQL runs it as it is, SQLite (which has no
``IF NOT EXISTS`` there) only when the column is missing; a column whose
default is right for every existing row needs no rebuild. With the
SQLite store the views live in their own file beside the event store (so view
writes never queue behind command writes on SQLite's single writer lock); with
PostgreSQL they live in the event store's schema; the in-memory store uses an
in-memory SQLite database.

Every projection's position is a row of ``projection_tracking``. It is written
in the same transaction as the view rows it covers, with the same conditional
upsert as the ``eventsourcing`` tracking recorders: it only moves forward, and
an attempt to record a position already recorded fails and rolls the view
writes back. That is what makes each event apply exactly once.

The row also counts the events the projection has applied (``events``). A
position says how far a projection has read; the count says whether it read
everything up to there: had a reader ever passed over an event that committed
late, the log would hold more events up to the position than the count
(``ihanoi projections status``). A count is unknown (NULL) for rows written
before it existed, until the next rebuild.
"""

from __future__ import annotations

import functools
import re
import sqlite3
import threading
import uuid
import weakref
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ihanoi_core.eventstore.settings_env import store_kind
from ihanoi_core.eventstore.urls import postgres_conninfo, postgres_env, sqlite_path
from ihanoi_core.eventstore.wal import DEFAULT_LIMIT_MB, MB, WalKeeper, limit_connection
from ihanoi_core.settings import Settings

Row = dict[str, Any]

TRACKING_DDL = (
    "CREATE TABLE IF NOT EXISTS projection_tracking ("
    "name TEXT PRIMARY KEY, position BIGINT NOT NULL, updated_at DOUBLE PRECISION NOT NULL, events BIGINT)"
)


@functools.cache
def upsert_tracking(rows: int) -> str:
    """Move ``rows`` projections forward in one statement: it returns the name
    of each it moved, and none of one already at or past its new position."""
    return (
        "INSERT INTO projection_tracking (name, position, updated_at, events) VALUES "
        + ", ".join(["(?, ?, ?, ?)"] * rows)
        + " ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at, "
        "events = projection_tracking.events + excluded.events "
        "WHERE projection_tracking.position < excluded.position RETURNING name"
    )


# A column added to a read model's table after it was first created (see
# ``SQLiteViewDatabase._schema_statement``).
ADD_COLUMN = re.compile(r"ALTER TABLE (\w+) ADD COLUMN IF NOT EXISTS (\w+) (.+)", re.IGNORECASE | re.DOTALL)
# Projectors on PostgreSQL announce each committed batch here, so that servers
# following a read model another process runs see its new position at once.
POSITIONS_CHANNEL = "ihanoi_projection_positions"


@dataclass(frozen=True)
class Tracked:
    """A projection's tracking row."""

    position: int
    updated_at: float
    # Events applied up to ``position``; None where the row predates the count.
    events: int | None


class AlreadyAppliedError(Exception):
    """Raised inside a view transaction when the position being recorded is not
    beyond the projection's recorded position: the batch was applied before.
    The transaction rolls back, so nothing is applied twice."""

    def __init__(self, name: str, position: int) -> None:
        super().__init__(f"Projection {name!r} has already applied position {position}.")
        self.name = name
        self.position = position


class Cursor:
    """The slice of a DB-API cursor read models use, with ``?`` placeholders."""

    def __init__(self, raw: Any, translate: bool, *, pipelined: bool = False) -> None:
        self._raw = raw
        self._translate = translate
        self._pipelined = pipelined
        # The raw cursor of the last ``execute``: what the fetches read.
        self._answered = raw

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self._translate else sql

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        # In PostgreSQL's pipeline mode a cursor that ran executemany can
        # fetch the answer of an earlier statement than its last: there each
        # execute has a cursor of its own.
        self._answered = self._raw.connection.cursor() if self._pipelined else self._raw
        self._answered.execute(self._sql(sql), params)
        return self

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._raw.executemany(self._sql(sql), rows)

    def fetchall(self) -> list[Row]:
        # The rows first: in pipeline mode the description comes with them.
        rows = self._answered.fetchall()
        names = [column[0] for column in self._answered.description or ()]
        return [dict(zip(names, row, strict=True)) for row in rows]

    def fetchone(self) -> Row | None:
        row = self._answered.fetchone()
        if row is None:
            return None
        names = [column[0] for column in self._answered.description or ()]
        return dict(zip(names, row, strict=True))

    def record_position(self, name: str, position: int, now: float, events: int) -> None:
        """Move ``name`` to ``position``, having applied ``events`` more events,
        in this transaction; or raise ``AlreadyAppliedError`` (and so roll
        back) if it is not a step forward."""
        self.record_positions([(name, position, now, events)])

    def record_positions(self, moves: Sequence[tuple[str, int, float, int]]) -> None:
        """``record_position`` for each (name, position, now, events) of ``moves``,
        in one statement: a batch moves every read model it was applied to, and
        on PostgreSQL a round trip for each took a third of a live projector's
        samples (catching up in batches of 10: 490 -> 650 events/s, 2026-12-07).
        Raises ``AlreadyAppliedError`` for the first it did not move."""
        if not moves:
            return
        rows = self.execute(upsert_tracking(len(moves)), [value for move in moves for value in move]).fetchall()
        moved = {row["name"] for row in rows}
        for name, position, _, _ in moves:
            if name not in moved:
                raise AlreadyAppliedError(name, position)


class ViewDatabase(ABC):
    """A SQL database holding read models and their tracking rows."""

    dialect: str

    @abstractmethod
    @contextmanager
    def transaction(self, *, pipelined: bool = False) -> Iterator[Cursor]:
        """A cursor inside one transaction, committed on success. ``pipelined``:
        on PostgreSQL, statements go out without waiting for each answer
        (pipeline mode), so an error surfaces at the next fetch or at the end,
        and the whole transaction is rolled back as ever."""

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self.transaction() as cursor:
            return cursor.execute(sql, params).fetchall()

    def create(self, statements: Sequence[str]) -> None:
        with self.transaction() as cursor:
            for statement in (TRACKING_DDL, *statements):
                self._schema_statement(cursor, statement)
            self._add_events_column(cursor)

    def _schema_statement(self, cursor: Cursor, statement: str) -> None:
        cursor.execute(statement)

    @abstractmethod
    def _add_events_column(self, cursor: Cursor) -> None:
        """Add ``projection_tracking.events`` to a table created before it existed."""

    def announce(self, cursor: Cursor) -> None:  # noqa: B027 - optional hook
        """Tell other processes, when ``cursor``'s transaction commits, that
        projection positions moved."""

    def positions(self) -> dict[str, tuple[int, float]]:
        return {name: (row.position, row.updated_at) for name, row in self.tracked().items()}

    def tracked(self) -> dict[str, Tracked]:
        rows = self.query("SELECT name, position, updated_at, events FROM projection_tracking")
        return {
            row["name"]: Tracked(
                int(row["position"]), float(row["updated_at"]), None if row["events"] is None else int(row["events"])
            )
            for row in rows
        }

    def position(self, name: str) -> int:
        rows = self.query("SELECT position FROM projection_tracking WHERE name = ?", (name,))
        return int(rows[0]["position"]) if rows else 0

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


class SQLiteViewDatabase(ViewDatabase):
    """Views in an SQLite file (or shared in-memory database), WAL mode.

    Each thread gets its own connection; writes take ``BEGIN IMMEDIATE`` so
    two writers never deadlock on a lock upgrade. A file's write-ahead log is
    kept under ``wal_limit_bytes`` by a ``WalKeeper`` (truncated on ``close``)."""

    dialect = "sqlite"

    def __init__(self, path: str, synchronous: str = "NORMAL", wal_limit_bytes: int = DEFAULT_LIMIT_MB * MB) -> None:
        self.path = path
        self.memory = path == ":memory:"
        self.uri = f"file:ihanoi-views-{uuid.uuid4().hex}?mode=memory&cache=shared" if self.memory else path
        self.synchronous = synchronous
        self.wal_limit_bytes = wal_limit_bytes
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        # This process's writers, one at a time (SQLite would serialise them
        # anyway): the WAL keeper holds it to truncate between two commits.
        self._write_lock = threading.Lock()
        self.wal_keeper: WalKeeper | None = None
        # An in-memory database lives as long as one connection to it is open.
        self._keeper = self._connect()
        self.create(())
        if not self.memory:
            # Its own connection, opened and closed by the keeper's thread. The
            # keeper holds no reference to this object, and stops (truncating
            # the log) when it is closed or collected.
            connect = functools.partial(_open_sqlite, path, False, synchronous, wal_limit_bytes)
            self.wal_keeper = WalKeeper(
                path, connect, self._write_lock, wal_limit_bytes, name="ihanoi-views-wal-keeper"
            ).start()
            weakref.finalize(self, self.wal_keeper.close)

    def _connect(self) -> sqlite3.Connection:
        conn = _open_sqlite(self.uri, self.memory, self.synchronous, self.wal_limit_bytes)
        with self._lock:
            self._all.append(conn)
        return conn

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    @contextmanager
    def transaction(self, *, pipelined: bool = False) -> Iterator[Cursor]:
        conn = self._connection()
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield Cursor(conn.cursor(), translate=False)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _schema_statement(self, cursor: Cursor, statement: str) -> None:
        # A column added to a read model after its table was first created is
        # declared ``ALTER TABLE t ADD COLUMN IF NOT EXISTS c …``, which
        # PostgreSQL runs as it is and SQLite does not know: add it here unless present.
        added = ADD_COLUMN.fullmatch(statement.strip())
        if added is None:
            cursor.execute(statement)
            return
        table, column, definition = added.groups()
        columns = {row["name"] for row in cursor.execute(f"PRAGMA table_info({table})").fetchall()}
        if column not in columns:
            cursor.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")

    def _add_events_column(self, cursor: Cursor) -> None:
        columns = {row["name"] for row in cursor.execute("PRAGMA table_info(projection_tracking)").fetchall()}
        if "events" not in columns:
            cursor.execute("ALTER TABLE projection_tracking ADD COLUMN events BIGINT")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        # A single SELECT is atomic on its own: no write lock needed.
        return Cursor(self._connection().execute(sql, params), translate=False).fetchall()

    def close(self) -> None:
        if self.wal_keeper is not None:
            self.wal_keeper.close()
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()


def _open_sqlite(uri: str, memory: bool, synchronous: str, wal_limit_bytes: int) -> sqlite3.Connection:
    conn = sqlite3.connect(uri, uri=memory, isolation_level=None, check_same_thread=False, timeout=30)
    if not memory:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={synchronous}")
        limit_connection(conn, wal_limit_bytes)
    return conn


class PostgresViewDatabase(ViewDatabase):
    """Views in the event store's PostgreSQL schema, through a small pool."""

    dialect = "postgres"

    def create(self, statements: Sequence[str]) -> None:
        # Concurrent CREATE … IF NOT EXISTS can fail on the catalog ("tuple
        # concurrently updated") when workers start together: one at a time.
        with self.transaction() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('ihanoi views schema'))")
            for statement in (TRACKING_DDL, *statements):
                cursor.execute(statement)
            self._add_events_column(cursor)

    def _add_events_column(self, cursor: Cursor) -> None:
        cursor.execute("ALTER TABLE projection_tracking ADD COLUMN IF NOT EXISTS events BIGINT")

    def announce(self, cursor: Cursor) -> None:
        cursor.execute(f"NOTIFY {POSITIONS_CHANNEL}")

    def __init__(self, database_url: str, pool_size: int = 4, timeout: float = 10) -> None:
        # Here, not at module level: psycopg (~0.1 s) only for a PostgreSQL store.
        from psycopg_pool import ConnectionPool

        from ihanoi_core.eventstore.postgres_sessions import SweepingCheck

        env = postgres_env(database_url)
        self.schema = env.get("POSTGRES_SCHEMA", "public")
        # Checked on checkout, as the events' pool is: after PostgreSQL ends
        # every connection, no batch or query fails on a dead one. Without a
        # ping, unless the server sent something while the connection sat
        # idle: a query is read again on a lost session and a transaction
        # begun again. Autocommit: a transaction says BEGIN and COMMIT itself.
        check = SweepingCheck(retried=True)
        self.pool = ConnectionPool(
            postgres_conninfo(database_url), min_size=1, max_size=pool_size, open=True, name="ihanoi-views",
            check=check, timeout=timeout, kwargs={"autocommit": True},
        )  # fmt: skip
        check.pool = self.pool
        self.create(())

    @contextmanager
    def transaction(self, *, pipelined: bool = False) -> Iterator[Cursor]:
        from ihanoi_core.eventstore.postgres_sessions import transaction_on_live_session

        with transaction_on_live_session(self.pool) as conn, ExitStack() as stack:
            if pipelined:
                stack.enter_context(conn.pipeline())
            yield Cursor(stack.enter_context(conn.cursor()), translate=True, pipelined=pipelined)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        # One SELECT is atomic on its own: sent alone, without the BEGIN and
        # COMMIT of a transaction, it is one round trip where it took three
        # (every read of the API reads here). Read again on another connection
        # if the server ended the session under it.
        from ihanoi_core.eventstore.postgres_sessions import again_on_lost_session

        def read(conn: Any) -> list[Row]:
            with conn.cursor() as raw:
                return Cursor(raw, translate=True).execute(sql, params).fetchall()

        return again_on_lost_session(self.pool, read)

    def close(self) -> None:
        self.pool.close()


def open_view_database(settings: Settings) -> ViewDatabase:
    """The view database that goes with the configured event store."""
    kind = store_kind(settings)
    if kind == "memory":
        return SQLiteViewDatabase(":memory:")
    if kind == "sqlite":
        return SQLiteViewDatabase(
            str(views_path(sqlite_path(settings.database_url))),
            settings.sqlite_synchronous,
            settings.sqlite_wal_limit_mb * MB,
        )
    return PostgresViewDatabase(settings.database_url, timeout=settings.postgres_connect_timeout)


def views_path(store_path: str) -> Path:
    """``./ihanoi.db`` → ``./ihanoi.views.db``."""
    path = Path(store_path)
    return path.with_name(f"{path.stem}.views{path.suffix or '.db'}")
