"""Keeping an SQLite write-ahead log under a bound.

In WAL mode every commit is appended to ``<file>-wal``; a checkpoint copies the
logged pages back into the database file, and the log is written again from its
start only once a checkpoint has copied *every* frame and no reader still reads
an older one. SQLite's own checkpoints (and the PASSIVE ones ihanoi used to
run) never wait: under a steady stream of commits each one finishes behind the
writer, the log is never rewound and the file grows without bound (four threads
creating reports grew it by 1.2 GB in 15 seconds; it stayed that size after
shutdown).

A ``WalKeeper`` thread per database file fixes that, in rounds every
``POLL_INTERVAL`` seconds:

- a PASSIVE checkpoint at least every ``PASSIVE_INTERVAL`` seconds copies what it
  can without holding anyone up (with ``synchronous=NORMAL`` it is also what
  syncs the log to disk);
- once the log passes a quarter of the limit, a PASSIVE checkpoint copies the
  bulk, then, holding the process's writer lock so that no commit slips in,
  a TRUNCATE checkpoint copies the rest, waits for readers still reading old
  frames (readers starting meanwhile read the database file and are not waited
  for) and truncates the log to zero bytes. It waits at most ``BUSY_MS``
  (``PATIENT_BUSY_MS`` once the log is past half the limit), so a command
  waits a few milliseconds at most, up to a second only in a round that needs
  patience; after a patient round that failed the keeper leaves commands
  alone for ``RETRY_AFTER``;
- on ``close`` the keeper truncates the log one last time.

The bound therefore holds as long as no reader keeps a read transaction open
for seconds; ``journal_size_limit`` (see ``limit_connection``) also trims the
log whenever SQLite rewinds it by itself.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager

import structlog

log = structlog.get_logger("ihanoi.sqlite")

# Keeper threads call into SQLite only while holding this lock, and a fork
# waits for it. A child forked while another thread is inside SQLite can
# inherit SQLite's internal mutexes locked and hang on its first query; the
# parallel rebuild forks its workers while the parent's keepers run.
_IN_SQLITE = threading.Lock()
os.register_at_fork(before=_IN_SQLITE.acquire, after_in_parent=_IN_SQLITE.release, after_in_child=_IN_SQLITE.release)

MB = 2**20
DEFAULT_LIMIT_MB = 64  # the default of IHANOI_SQLITE_WAL_LIMIT_MB (Settings.sqlite_wal_limit_mb)
# Seconds between looks at the log's size (a stat call): at the fastest rate
# measured (about 80 MB/s of log from four writing threads) the log grows some
# 8 MB between two looks, inside the margin between trigger and limit (three
# quarters of the limit: 12 MB at the smallest limit the settings take, 16 MB).
POLL_INTERVAL = 0.1
PASSIVE_INTERVAL = 0.5
# How long a truncating checkpoint waits for readers of old frames, holding
# the writer lock: normally, and when the log is past half its limit.
BUSY_MS = 50
PATIENT_BUSY_MS = 1000
# After a truncation that readers held up: commands get this long before the
# keeper holds them up again (a reader that keeps a transaction open for
# minutes would otherwise stall every command for most of that time).
RETRY_AFTER = 1.0
# How long the last checkpoint at close waits for readers.
CLOSING_BUSY_MS = 5000


def wal_size(database: str) -> int:
    """The size of ``database``'s write-ahead log in bytes (0 when there is none)."""
    try:
        return os.stat(f"{database}-wal").st_size
    except FileNotFoundError:
        return 0


def trigger_bytes(limit_bytes: int) -> int:
    """The log size at which the keeper truncates: a quarter of the limit,
    leaving three quarters for the rounds in which readers make it wait."""
    return limit_bytes // 4


def limit_connection(connection: sqlite3.Connection, limit_bytes: int) -> None:
    """Have SQLite trim the log back to the truncation threshold whenever it
    rewinds it (and when the last connection closes)."""
    connection.execute(f"PRAGMA journal_size_limit={trigger_bytes(limit_bytes)}").fetchall()


class WalKeeper:
    """Keeps the write-ahead log of the SQLite file ``database`` under
    ``limit_bytes`` (see the module docstring).

    ``connect`` opens a connection for the keeper's thread (which alone uses
    and closes it); ``write_lock`` is what this process's writers hold while
    they write, so that no commit lands between the last copied frame and the
    truncation."""

    def __init__(
        self,
        database: str,
        connect: Callable[[], sqlite3.Connection],
        write_lock: AbstractContextManager[object],
        limit_bytes: int,
        *,
        name: str = "ihanoi-wal-keeper",
    ) -> None:
        self.database = database
        self.limit_bytes = limit_bytes
        self.trigger_bytes = trigger_bytes(limit_bytes)
        self.high_water = 0
        self.truncations = 0
        self._connect = connect
        self._write_lock = write_lock
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> WalKeeper:
        self._thread.start()
        return self

    def close(self, timeout: float = 10.0) -> None:
        """Stop the thread after a last truncating checkpoint (waiting up to
        ``CLOSING_BUSY_MS`` for readers)."""
        self._stopping.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _run(self) -> None:
        try:
            with _IN_SQLITE:
                connection = self._connect()
        except sqlite3.Error:
            return
        try:
            last_passive = retry_after = time.monotonic()
            while not self._stopping.wait(POLL_INTERVAL):
                size = wal_size(self.database)
                self.high_water = max(self.high_water, size)
                now = time.monotonic()
                try:
                    if size >= self.trigger_bytes and now >= retry_after:
                        patient = size >= self.limit_bytes // 2
                        if not self._truncate(connection, PATIENT_BUSY_MS if patient else BUSY_MS) and patient:
                            retry_after = now + RETRY_AFTER
                        last_passive = time.monotonic()
                    elif size and now - last_passive >= PASSIVE_INTERVAL:
                        with _IN_SQLITE:
                            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                        last_passive = time.monotonic()
                except sqlite3.Error as error:
                    if not os.path.exists(self.database):
                        return  # the file went away with the application: nothing left to keep
                    # A keeper that stopped here would leave the log unbounded again: try on.
                    log.warning("sqlite_wal_checkpoint_failed", database=self.database, error=str(error))
                    retry_after = time.monotonic() + RETRY_AFTER
            self._truncate(connection, CLOSING_BUSY_MS)
        except sqlite3.Error:
            pass  # at close: the next start's first truncation will do
        finally:
            with _IN_SQLITE:
                connection.close()

    def _truncate(self, connection: sqlite3.Connection, busy_ms: int) -> bool:
        """Copy every frame into the database and truncate the log; False when
        readers (or another process's writer) held it up beyond ``busy_ms``."""
        with _IN_SQLITE:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        with self._write_lock, _IN_SQLITE:
            connection.execute(f"PRAGMA busy_timeout={busy_ms}").fetchall()
            busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            size = wal_size(self.database)
            if size >= self.limit_bytes:
                log.warning(
                    "sqlite_wal_over_limit",
                    database=self.database,
                    wal_mb=round(size / MB, 1),
                    limit_mb=self.limit_bytes // MB,
                    reason="readers or another process kept the checkpoint from finishing",
                )
            return False
        self.truncations += 1
        return True
