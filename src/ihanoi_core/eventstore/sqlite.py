"""The SQLite event store: the embedded default.

The library's recorder and factory, plus what the library leaves out: an
explicit ``PRAGMA synchronous`` on every connection, a write-ahead log kept
under a bound (``wal.py``) and lean paths for the hottest reads and the insert.

Durability choice for SQLite: WAL with ``synchronous=NORMAL`` (our default).
In WAL mode NORMAL never corrupts the database and loses nothing when the
*process* crashes: a committed command is in the WAL file before the call
returns. What it risks is a power cut or kernel crash: the last commits since
the previous WAL sync (at most those since the last checkpoint) can be rolled
back, because NORMAL fsyncs the WAL only at checkpoints. ``FULL`` fsyncs on
every commit and closes that window at roughly a third of the write rate on
this hardware; set ``IHANOI_SQLITE_SYNCHRONOUS=FULL`` where a lost
acknowledgement after a power cut is unacceptable — or run PostgreSQL, the
production store.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    ApplicationRecorder,
    IntegrityError,
    Notification,
    OperationalError,
    StoredEvent,
)
from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteConnection,
    SQLiteConnectionPool,
    SQLiteDatastore,
    SQLiteFactory,
)
from eventsourcing.utils import Environment

from ihanoi_core.errors import ConfigurationError
from ihanoi_core.eventstore.keys_sql import STREAM_BINDINGS, STREAMS
from ihanoi_core.eventstore.transcoder import uuid_from_hex
from ihanoi_core.eventstore.wal import DEFAULT_LIMIT_MB, MB, WalKeeper, limit_connection


def _notification(row: tuple[Any, ...], originator_id: UUID | str) -> Notification:
    """A ``Notification`` from a row of ``_select_page``, without the frozen
    dataclass's ``__init__`` (one ``object.__setattr__`` per field): reading the
    log for a replay builds one per event."""
    # Bypass (frozen dataclass __init__): one per event read. `make bench` prints the pay-off as
    # "Notifications built/s (no __init__)" (1.8–2.7 in five runs on 2026-12-07; benchmarks/bypasses.py).
    notification = object.__new__(Notification)
    fields = {"originator_id": originator_id, "originator_version": row[2], "topic": row[3], "state": row[4]}
    fields["id"] = row[0]
    object.__setattr__(notification, "__dict__", fields)
    return notification


def partition_of(originator_id: UUID, count: int) -> int:
    """Which of ``count`` partitions an aggregate falls in: the last byte of its
    id modulo ``count``. Every event of an aggregate falls in the same one, and
    SQL can read it from the stored hex id (``select_partition``)."""
    return (originator_id.int & 0xFF) % count


# Originator ids remembered by ``select_notifications`` (about 100 bytes each).
_MAX_IDS = 100_000


class _IhanoiSQLiteConnectionPool(SQLiteConnectionPool):
    """Connections with the chosen ``synchronous`` level and a WAL size limit."""

    def __init__(self, *, synchronous: str, wal_limit_bytes: int, **kwargs: Any) -> None:
        self.synchronous = synchronous
        self.wal_limit_bytes = wal_limit_bytes
        super().__init__(**kwargs)

    def _create_connection(self) -> SQLiteConnection:
        # Bypass (private ``_create_connection``/``_sqlite_conn``): the library has no hook for PRAGMAs.
        connection = super()._create_connection()
        if not self.is_sqlite_memory_mode:
            connection._sqlite_conn.execute(f"PRAGMA synchronous={self.synchronous}")
            limit_connection(connection._sqlite_conn, self.wal_limit_bytes)
        return connection


class IhanoiSQLiteApplicationRecorder(SQLiteApplicationRecorder):
    """The library's recorder with a lean path for the hottest read: the
    events of one case after a version. A single SELECT is atomic on its own,
    so it runs without the explicit BEGIN/ROLLBACK of the general path.

    An insert may carry the keys of its new streams (``STREAM_BINDINGS``, see
    ``keys_sql``): they are written in the events' own transaction."""

    binds_streams = True

    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name)
        self._select_all = (
            f"SELECT originator_version, topic, state FROM {self.events_table_name} "
            "WHERE originator_id=? ORDER BY originator_version"
        )
        self._select_after = (
            f"SELECT originator_version, topic, state FROM {self.events_table_name} "
            "WHERE originator_id=? AND originator_version>? ORDER BY originator_version"
        )
        self._select_page = (
            f"SELECT rowid, originator_id, originator_version, topic, state FROM {self.events_table_name} "
            "WHERE rowid>? AND rowid<=? ORDER BY rowid LIMIT ?"
        )
        # The hot paths below use connections of their own: one per reading
        # thread and one writer behind a lock. They skip the pool's Python-level
        # reader/writer interlocking, which WAL makes unnecessary for a file
        # (readers never block the writer). In-memory databases keep the pool.
        self._own_connections = not datastore.pool.is_sqlite_memory_mode
        self._local = threading.local()
        self._writer: sqlite3.Connection | None = None
        self._write_lock = threading.Lock()
        self._opened: list[sqlite3.Connection] = []
        self._ids: dict[str, UUID] = {}
        pool = datastore.pool
        self.wal_limit_bytes = (
            pool.wal_limit_bytes if isinstance(pool, _IhanoiSQLiteConnectionPool) else DEFAULT_LIMIT_MB * MB
        )
        # Started with the writer: a process that only reads grows no log.
        self._wal_keepers: list[WalKeeper] = []
        weakref.finalize(self, _close_all, self._opened, self._wal_keepers)

    @property
    def wal_keeper(self) -> WalKeeper | None:
        """What keeps the write-ahead log bounded, once this process has written."""
        return self._wal_keepers[0] if self._wal_keepers else None

    def close(self) -> None:
        """Stop keeping the log, after truncating it (called by the factory's
        ``close``, so by ``Application.close``). Connections stay open until
        the recorder is collected: other threads may still hold them."""
        for keeper in self._wal_keepers:
            keeper.close()

    def _connect(self) -> sqlite3.Connection:
        # Bypass (private ``_sqlite_conn``): hot paths skip the pool locking. `make bench` prints the pay-off as
        # "select_events: case loads/s", "select_notifications: log rows/s" and "insert_events: one-event
        # inserts/s" (3.3–3.6, 1.3–1.6 and 1.2–1.5 in five runs on 2026-12-07; benchmarks/bypasses.py).
        connection: sqlite3.Connection = self.datastore.pool._create_connection()._sqlite_conn
        self._opened.append(connection)
        return connection

    @contextmanager
    def _pooled(self, *, commit: bool) -> Iterator[sqlite3.Connection]:
        """A connection of the library's pool, when the recorder keeps none of its own."""
        with self.datastore.get_connection(commit=commit) as pooled:
            yield pooled._sqlite_conn

    def _reading(self) -> AbstractContextManager[sqlite3.Connection]:
        """A connection to read with: this thread's own, or a pooled one."""
        if not self._own_connections:
            return self._pooled(commit=False)
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = self._connect()
        return nullcontext(connection)

    def _writing(self) -> AbstractContextManager[sqlite3.Connection]:
        """A connection to write with: the recorder's one writer, under the write lock, or a pooled one."""
        return self._own_writer() if self._own_connections else self._pooled(commit=True)

    @contextmanager
    def _own_writer(self) -> Iterator[sqlite3.Connection]:
        with self._write_lock:
            if self._writer is None:
                self._writer = self._connect()
                # Checkpoints move the WAL into the database file and sync it:
                # done by a background thread, not inside a command's commit.
                self._writer.execute("PRAGMA wal_autocheckpoint=0")
                # The keeper's thread owns its connection and closes it itself:
                # closing a connection another thread is using crashes the
                # interpreter. It holds no reference to the recorder, whose
                # finalizer stops it.
                pool = self.datastore.pool
                keeper = WalKeeper(
                    pool.db_name, lambda: pool._create_connection()._sqlite_conn, self._write_lock, self.wal_limit_bytes
                )
                self._wal_keepers.append(keeper.start())
            yield self._writer

    def convert_originator_id(self, originator_id: str) -> UUID | str:
        if self.datastore.originator_id_type == "uuid":
            return uuid_from_hex(originator_id)
        return originator_id

    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        if lte is not None or desc or limit is not None:
            return super().select_events(originator_id, gt=gt, lte=lte, desc=desc, limit=limit)
        key = originator_id.hex if isinstance(originator_id, UUID) else originator_id
        with self._reading() as connection:
            # Without ``gt``, every version (the library allows 0 and below, as
            # its AggregateRecorderTestCase checks), not just those above 0.
            if gt is None:
                rows = connection.execute(self._select_all, (key,)).fetchall()
            else:
                rows = connection.execute(self._select_after, (key, gt)).fetchall()
        return [StoredEvent(originator_id, version, topic, state) for version, topic, state in rows]

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        """The library's query, as one statement (no BEGIN/ROLLBACK around a
        single SELECT) for the common case of no topic filter: this is what
        projections, streams and ``audit verify`` read the log with."""
        if topics:
            return super().select_notifications(start, limit, stop, topics, inclusive_of_start=inclusive_of_start)
        low = (start or 0) - (1 if inclusive_of_start and start else 0)
        high = stop if stop is not None else 2**63 - 1
        with self._reading() as connection:
            rows = connection.execute(self._select_page, (low, high, limit)).fetchall()
        return self._notifications(rows)

    def max_notification_id(self) -> int:
        """The library's query as one statement on this thread's reading
        connection, like ``select_notifications`` (6 µs; the library's pooled
        BEGIN … ROLLBACK takes 60 µs, measured on 2026-12-07): every command
        that changes nothing, the live tail on each save and ``/readyz`` ask
        for it. None when the log is empty, as the library's SQLite recorder
        answers too (its annotation says ``int``; the base recorder's says
        ``int | None``)."""
        with self._reading() as connection:
            return connection.execute(self.select_max_notification_id_statement).fetchone()[0]  # type: ignore[no-any-return]

    @property
    def can_select_partitions(self) -> bool:
        return self.datastore.originator_id_type == "uuid"

    def select_partition(self, start: int, limit: int, stop: int, index: int, count: int) -> list[Notification]:
        """The next ``limit`` notifications after ``start`` (up to ``stop``) of the
        aggregates in partition ``index`` of ``count`` (see ``partition_of``).
        SQLite skips the other partitions' rows, so they are never fetched."""
        suffixes = [f"{byte:02x}" for byte in range(256) if byte % count == index]
        sql = (
            f"SELECT rowid, originator_id, originator_version, topic, state FROM {self.events_table_name} "
            f"WHERE rowid>? AND rowid<=? AND substr(originator_id, -2) IN ({', '.join('?' * len(suffixes))}) "
            "ORDER BY rowid LIMIT ?"
        )
        with self._reading() as connection:
            rows = connection.execute(sql, (start, stop, *suffixes, limit)).fetchall()
        return self._notifications(rows)

    def _notifications(self, rows: list[Any]) -> list[Notification]:
        if self.datastore.originator_id_type != "uuid":
            return [_notification(row, row[1]) for row in rows]
        # A case's events share one id object: parsing hex costs more than a lookup.
        ids = self._ids
        if len(ids) > _MAX_IDS:
            ids.clear()
        return [_notification(row, ids.get(row[1]) or ids.setdefault(row[1], uuid_from_hex(row[1]))) for row in rows]

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        """One BEGIN … COMMIT on the writer connection, as the library does,
        minus its layers of context managers on this hot path."""
        with self._writing() as conn:
            try:
                conn.execute("BEGIN")
                positions = [
                    conn.execute(
                        self.insert_events_statement,
                        (
                            e.originator_id.hex if isinstance(e.originator_id, UUID) else e.originator_id,
                            e.originator_version,
                            e.topic,
                            e.state,
                        ),
                    ).lastrowid
                    for e in stored_events
                ]
                if bindings := kwargs.get(STREAM_BINDINGS):
                    conn.executemany(
                        f"INSERT INTO {STREAMS} (stream_id, key_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                        [(str(stream), key_id) for stream, key_id in bindings],
                    )
                conn.commit()
            except sqlite3.IntegrityError as error:
                conn.rollback()
                raise IntegrityError(error) from error
            except sqlite3.OperationalError as error:
                conn.rollback()
                raise OperationalError(error) from error
            except BaseException:
                conn.rollback()
                raise
        return [position for position in positions if position is not None]


def _close_all(connections: list[sqlite3.Connection], keepers: list[WalKeeper]) -> None:
    for keeper in keepers:
        keeper.close()
    for connection in connections:
        connection.close()


class IhanoiSQLiteFactory(SQLiteFactory):
    """The library's SQLite factory with a chosen ``synchronous`` level, a
    bounded write-ahead log (``SQLITE_WAL_LIMIT_MB``) and the lean application
    recorder, whose log it truncates on ``close``."""

    application_recorder_class = IhanoiSQLiteApplicationRecorder

    SQLITE_SYNCHRONOUS = "SQLITE_SYNCHRONOUS"
    SQLITE_WAL_LIMIT_MB = "SQLITE_WAL_LIMIT_MB"

    def __init__(self, env: Environment | dict[str, str] | None) -> None:
        super().__init__(env)
        synchronous = (self.env.get(self.SQLITE_SYNCHRONOUS) or "NORMAL").upper()
        if synchronous not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ConfigurationError(f"Unknown SQLite synchronous level {synchronous!r}.")
        limit = self.env.get(self.SQLITE_WAL_LIMIT_MB) or str(DEFAULT_LIMIT_MB)
        if not limit.isdigit() or int(limit) < 1:
            raise ConfigurationError(f"SQLite WAL limit must be a whole number of megabytes, not {limit!r}.")
        datastore = self.datastore
        datastore.pool = _IhanoiSQLiteConnectionPool(
            synchronous=synchronous,
            wal_limit_bytes=int(limit) * MB,
            db_name=datastore.pool.db_name,
            lock_timeout=datastore.pool.lock_timeout,
        )
        self._recorders: list[IhanoiSQLiteApplicationRecorder] = []

    def application_recorder(self) -> ApplicationRecorder:
        recorder = super().application_recorder()
        if isinstance(recorder, IhanoiSQLiteApplicationRecorder):
            self._recorders.append(recorder)
        return recorder

    def close(self) -> None:
        for recorder in self._recorders:
            recorder.close()
        super().close()
