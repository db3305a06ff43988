"""The data-key tables in SQL: SQLite (the events' own file) and PostgreSQL
(the events' schema). What the tables hold is described in ``keys``.

A key is written before the events sealed with it, in a transaction of its
own, so no stored event names a key that was never stored; a key made for a
save that then fails stays unused. A save's new stream bindings go into the
events' own transaction (``STREAM_BINDINGS``: the SQLite recorder's insert,
PostgreSQL's insert function), so none outlives a failed save; ``bind``
stores them in a transaction of their own for a recorder that cannot. Those
commits of their own do not wait for the disk: the events' commit, later in
the same write-ahead log, flushes them too.

SQLite writes them with ``secure_delete`` on, so a destroyed wrapped key is
overwritten in the file rather than left in a free page, and truncates the
write-ahead log after a destruction when no reader holds it. PostgreSQL keeps
old row versions until vacuumed, and its WAL and backups keep them longer:
useless without the master key that wrapped them, which is why
``docs/privacy.md`` asks for master-key rotation on a schedule.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from ihanoi_core.eventstore.keys import KeyRow

KEYS = "personal_data_keys"
STREAMS = "personal_data_streams"
# The keyword argument of ``insert_events`` that carries a save's new bindings
# to a recorder that writes them in the events' transaction (SQLite's).
STREAM_BINDINGS = "personal_data_streams"
_T = TypeVar("_T")


def ddl(blob: str, integer: str) -> tuple[str, ...]:
    """The statements that create both tables (``blob``/``integer``: the dialect's types)."""
    return (
        f"CREATE TABLE IF NOT EXISTS {KEYS} (key_id TEXT PRIMARY KEY, subject_hash TEXT UNIQUE,"
        f" master_key TEXT, wrapped_key {blob}, created_at {integer} NOT NULL, destroyed_at {integer})",
        f"CREATE TABLE IF NOT EXISTS {STREAMS} (stream_id TEXT PRIMARY KEY, key_id TEXT NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS {STREAMS}_key ON {STREAMS} (key_id)",
    )


class SQLKeyTable:
    """The statements, in ``?`` placeholders; subclasses run them. Each can
    be run twice to the same effect (reads; inserts that skip a row already
    there; updates to the values given), so a write whose session was lost
    may simply be written again."""

    statements: tuple[str, ...] = ()

    def _write(self, statements: Sequence[tuple[str, Sequence[Any]]], *, durable: bool = True) -> None:
        """Run ``statements`` in one write transaction. One that is not
        ``durable`` may skip waiting for its flush: it writes what events
        about to be committed need, and their own durable commit flushes the
        log up to and past it."""
        raise NotImplementedError

    def _fetch(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """The rows of one SELECT, outside any explicit transaction."""
        raise NotImplementedError

    def create(self) -> None:
        self._write([(statement, ()) for statement in self.statements])

    def get(self, key_id: str) -> KeyRow | None:
        rows = self._fetch(
            f"SELECT key_id, master_key, wrapped_key, created_at, destroyed_at FROM {KEYS} WHERE key_id = ?", (key_id,)
        )
        return _row(rows[0]) if rows else None

    def find_subject(self, subject_hash: str) -> str | None:
        rows = self._fetch(f"SELECT key_id FROM {KEYS} WHERE subject_hash = ?", (subject_hash,))
        return str(rows[0][0]) if rows else None

    def insert(self, row: KeyRow, subject_hash: str | None) -> str:
        self._write(
            [
                (
                    f"INSERT INTO {KEYS} (key_id, subject_hash, master_key, wrapped_key, created_at) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (row.key_id, subject_hash, row.master_key, row.wrapped_key, row.created_at),
                )
            ],
            durable=False,
        )
        if subject_hash is None:
            return row.key_id
        # Another process may have made the subject's key a moment before.
        found = self.find_subject(subject_hash)
        assert found is not None
        return found

    def stream_key(self, stream_id: str) -> str | None:
        rows = self._fetch(f"SELECT key_id FROM {STREAMS} WHERE stream_id = ?", (stream_id,))
        return str(rows[0][0]) if rows else None

    def bind(self, bindings: Sequence[tuple[str, str]]) -> None:
        sql = f"INSERT INTO {STREAMS} (stream_id, key_id) VALUES (?, ?) ON CONFLICT DO NOTHING"
        self._write([(sql, binding) for binding in bindings], durable=False)

    def streams(self, key_id: str) -> list[str]:
        return [str(row[0]) for row in self._fetch(f"SELECT stream_id FROM {STREAMS} WHERE key_id = ?", (key_id,))]

    def destroy(self, key_id: str, at: int) -> None:
        self._write(
            [
                (
                    f"UPDATE {KEYS} SET wrapped_key = NULL, master_key = NULL, subject_hash = NULL, "
                    "destroyed_at = COALESCE(destroyed_at, ?) WHERE key_id = ?",
                    (at, key_id),
                )
            ]
        )

    def live(self) -> list[KeyRow]:
        return [
            _row(row)
            for row in self._fetch(
                f"SELECT key_id, master_key, wrapped_key, created_at, destroyed_at FROM {KEYS} "
                "WHERE wrapped_key IS NOT NULL ORDER BY key_id",
                (),
            )
        ]

    def rewrap(self, rows: Sequence[KeyRow]) -> None:
        # One transaction: a rotation stopped half-way leaves every key readable.
        sql = f"UPDATE {KEYS} SET master_key = ?, wrapped_key = ? WHERE key_id = ? AND wrapped_key IS NOT NULL"
        self._write([(sql, (row.master_key, row.wrapped_key, row.key_id)) for row in rows])

    def close(self) -> None:
        pass


def _row(row: tuple[Any, ...]) -> KeyRow:
    wrapped = bytes(row[2]) if row[2] is not None else None
    return KeyRow(str(row[0]), row[1], wrapped, int(row[3]), None if row[4] is None else int(row[4]))


class SQLiteKeyTable(SQLKeyTable):
    """The tables in the SQLite file of the events, on a connection of their own."""

    statements = ddl("BLOB", "INTEGER")

    def __init__(self, path: str, *, synchronous: str = "NORMAL", timeout: float = 10.0) -> None:
        self._connection = sqlite3.connect(path, timeout=timeout, check_same_thread=False, isolation_level=None)
        self._connection.execute("PRAGMA journal_mode=WAL")
        self._connection.execute(f"PRAGMA synchronous={synchronous}")
        self.synchronous = synchronous
        # A destroyed key's bytes are zeroed in the file, not left in free space.
        self._connection.execute("PRAGMA secure_delete=ON")
        self._lock = threading.Lock()

    def _fetch(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._connection.execute(sql, params).fetchall()

    def _write(self, statements: Sequence[tuple[str, Sequence[Any]]], *, durable: bool = True) -> None:
        with self._lock:
            connection = self._connection
            # NORMAL at most when not durable: the write-ahead log is one file,
            # so the events' later synced commit makes this one durable too.
            relaxed = not durable and self.synchronous in ("FULL", "EXTRA")
            if relaxed:
                connection.execute("PRAGMA synchronous=NORMAL")
            try:
                connection.execute("BEGIN IMMEDIATE")
                try:
                    for sql, params in statements:
                        connection.execute(sql, params)
                except BaseException:
                    connection.rollback()
                    raise
                connection.commit()
            finally:
                if relaxed:
                    connection.execute(f"PRAGMA synchronous={self.synchronous}")

    def destroy(self, key_id: str, at: int) -> None:
        super().destroy(key_id, at)
        # Best effort: the log's older copy of the page goes when no reader holds it.
        with self._lock:
            self._connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    def close(self) -> None:
        with self._lock:
            self._connection.close()


class PostgresKeyTable(SQLKeyTable):
    """The tables in the events' schema (``search_path`` of ``conninfo``)."""

    statements = ddl("BYTEA", "BIGINT")

    def __init__(self, conninfo: str, pool_size: int = 4, timeout: float = 10) -> None:
        # Here, not at module level: psycopg (~0.1 s) only for a PostgreSQL store.
        from psycopg_pool import ConnectionPool

        from ihanoi_core.eventstore.postgres_sessions import SweepingCheck

        # Every use is tried again on a lost session (``_run``): an idle
        # connection the server sent nothing is lent without a ping.
        check = SweepingCheck(retried=True)
        self._pool = ConnectionPool(
            conninfo,
            min_size=1,
            max_size=pool_size,
            kwargs={"autocommit": True},
            open=True,
            name="ihanoi-personal-data-keys",
            check=check,
            timeout=timeout,
        )
        check.pool = self._pool

    def _run(self, work: Callable[[Any], _T]) -> _T:
        from ihanoi_core.eventstore.postgres_sessions import again_on_lost_session

        return again_on_lost_session(self._pool, work)

    def _fetch(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        return self._run(lambda connection: connection.execute(sql.replace("?", "%s"), params).fetchall())

    def _write(self, statements: Sequence[tuple[str, Sequence[Any]]], *, durable: bool = True) -> None:
        def write(connection: Any) -> None:
            with connection.transaction():
                cursor = connection.cursor()
                if not durable:
                    # Its commit record precedes the events' in the WAL, which the
                    # events' own commit flushes: no wait of its own.
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")
                for sql, params in statements:
                    cursor.execute(sql.replace("?", "%s"), params)

        self._run(write)

    def create(self) -> None:
        def create(connection: Any) -> None:
            for statement in self.statements:
                connection.execute(statement)

        self._run(create)

    def insert(self, row: KeyRow, subject_hash: str | None) -> str:
        # One statement in its own transaction, one round trip: BEGIN, SET LOCAL, INSERT,
        # COMMIT and a lookup took five (a new subject's key: 1,430 against 550 a second
        # through the pool here, lookup first included). ``set_config``: as in ``bind``.
        rows = self._run(
            lambda connection: connection.execute(
                f"INSERT INTO {KEYS} (key_id, subject_hash, master_key, wrapped_key, created_at) "
                "SELECT %s::text, %s::text, %s::text, %s::bytea, %s::bigint "
                "FROM set_config('synchronous_commit', 'off', true) ON CONFLICT DO NOTHING RETURNING key_id",
                (row.key_id, subject_hash, row.master_key, row.wrapped_key, row.created_at),
            ).fetchall()
        )
        if rows or subject_hash is None:
            return row.key_id
        # The subject got a key from another session a moment before.
        found = self.find_subject(subject_hash)
        assert found is not None
        return found

    def bind(self, bindings: Sequence[tuple[str, str]]) -> None:
        # One statement in its own transaction: one round trip where BEGIN, SET
        # LOCAL, INSERT and COMMIT took four (2,900 against 1,450 bindings/s
        # through the pool here). ``set_config(…, true)`` is SET LOCAL for that
        # transaction: its commit does not wait for the flush, as in ``_write``.
        self._run(
            lambda connection: connection.execute(
                f"INSERT INTO {STREAMS} (stream_id, key_id) SELECT stream_id, key_id "
                "FROM unnest(%s::text[], %s::text[]) AS binding (stream_id, key_id), "
                "set_config('synchronous_commit', 'off', true) ON CONFLICT DO NOTHING",
                ([stream for stream, _ in bindings], [key for _, key in bindings]),
            )
        )

    def close(self) -> None:
        self._pool.close()
