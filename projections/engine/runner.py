"""Running projectors: a supervised background thread and the
single-active-worker lock.

``ProjectionRunner`` catches up, then follows the log: a ``Follower``
(``ihanoi_projections.engine.following``), woken after each save, by PostgreSQL
LISTEN/NOTIFY or by polling. A failing batch is logged with its traceback
and retried with backoff; nothing is skipped.

``ActiveLock`` makes a second worker for the same projection a hot standby:
on PostgreSQL a session advisory lock, on SQLite an exclusive file lock. Both
are released by the operating system if the holder dies, so the standby takes
over without anyone cleaning up. A server's in-process runner takes the same
locks (``Ownership``): of several servers and workers on one database, exactly
one applies each read model, and the others follow its position (announced on
PostgreSQL by NOTIFY, polled on SQLite) so read-your-writes still works.

A PostgreSQL session also ends when the server restarts or an operator ends
it, and its advisory locks with it. A standby then opens a new session and
tries again; a runner whose shared session ended stops applying what it held,
opens a new one and claims again, so at most one process applies a read model
once the locks are re-taken. (Two appliers meanwhile cost work, not
correctness: a batch is applied once, ``AlreadyAppliedError``.) A dedicated
worker (``active``) whose lock session ended stops, with ``WorkerLockLostError``,
for its supervisor to start it again as a standby: the standby that took the
lock over is then the only active one.
"""

from __future__ import annotations

import fcntl
import hashlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from types import TracebackType
from typing import IO

import psycopg
import structlog

from ihanoi_core.eventstore.settings_env import store_kind
from ihanoi_core.eventstore.urls import postgres_conninfo, postgres_env, sqlite_path
from ihanoi_core.settings import Settings
from ihanoi_projections.engine.database import AlreadyAppliedError, views_path
from ihanoi_projections.engine.following import Follower
from ihanoi_projections.engine.projector import Projector

log = structlog.get_logger("ihanoi.projections")

GATHER_SECONDS = 0.005
# How often an active worker makes sure its lock's session is still there.
LOCK_CHECK_SECONDS = 1.0
# How often a runner tries for the locks of read models another process applies.
CLAIM_INTERVAL = 0.5


class ProjectionRunner(Follower):
    """Runs one projector in a daemon thread until stopped. With an
    ``ownership``, it applies only the read models whose lock it holds, tries
    for the others now and then, and follows their positions meanwhile."""

    thread_name = "ihanoi-projections"
    failure_event = "projection_batch_failed"

    def __init__(
        self, projector: Projector, *, poll_interval: float = 0.02, ownership: Ownership | None = None
    ) -> None:
        super().__init__(poll_interval)
        self.projector = projector
        self.ownership = ownership
        self._next_claim = 0.0

    @property
    def position(self) -> int:
        return self.projector.position

    def wait(self, position: int, timeout: float, names: Sequence[str] | None = None) -> bool:
        return self.projector.wait(position, timeout, names)

    def _claim(self) -> None:
        """Take over the read models whose lock has become free; stop applying
        those whose lock ended with its session."""
        ownership = self.ownership
        if ownership is None or not ownership.claiming or time.monotonic() < self._next_claim:
            return
        self._next_claim = time.monotonic() + CLAIM_INTERVAL
        if lost := ownership.session_lost():
            self.projector.deactivate(lost)
        if ownership.complete:
            return
        if taken := ownership.claim():
            try:
                self.projector.activate(taken)
            except BaseException:
                # Not applied here after all (e.g. a rebuild fenced them): let go,
                # so that this process, or another, claims them again later.
                ownership.give_up(taken)
                raise
            log.info("projections_taken_over", projections=taken)

    def step(self) -> None:
        self._claim()
        self.projector.follow()
        try:
            applied = self.projector.run_batch() if self.projector.active else 0
        except AlreadyAppliedError:
            # Another worker applied this batch first; positions were re-read.
            return
        if not applied:
            self.idle()
        elif applied < self.projector.batch_size:
            # Under a stream of writes, wait a moment so the next batch
            # carries many events: each batch costs a transaction and a
            # flush per read model, whatever its size.
            self.pause(GATHER_SECONDS)

    def __enter__(self) -> ProjectionRunner:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


Connection = psycopg.Connection[tuple[object, ...]]


class ActiveLock:
    """Held by the one active worker of a projection; others wait as standbys.
    On PostgreSQL the lock lives in a session: its own connection, or a
    ``shared`` one that holds several locks (and that its owner closes)."""

    def __init__(self, settings: Settings, name: str, shared: Connection | None = None) -> None:
        self.settings = settings
        self.name = name
        self._conn: Connection | None = None
        self._shared = shared
        self._held = False
        self._file: IO[bytes] | None = None
        kind = store_kind(settings)
        if kind == "postgres":
            schema = postgres_env(settings.database_url).get("POSTGRES_SCHEMA", "public")
            digest = hashlib.blake2b(f"ihanoi-projection:{schema}:{name}".encode(), digest_size=8).digest()
            self.key = int.from_bytes(digest, "big", signed=True)
        elif kind == "sqlite":
            self.path = views_path(sqlite_path(settings.database_url)).with_suffix(f".{name}.lock")
        else:
            raise ValueError("Worker processes need a SQLite file or PostgreSQL, not the in-memory store.")

    def try_acquire(self) -> bool:
        """Whether this process holds the lock now. A session of its own that
        PostgreSQL ended (a restart) is opened again on the next try; a shared
        one's error is its owner's (``Ownership``)."""
        if store_kind(self.settings) == "postgres":
            connection = self._shared
            if connection is None:
                try:
                    if self._conn is None:
                        self._conn = psycopg.connect(postgres_conninfo(self.settings.database_url), autocommit=True)
                    row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
                except psycopg.OperationalError:
                    log.warning("projection_lock_session_lost", projection=self.name, exc_info=True)
                    self._drop_session()
                    return False
            else:
                row = connection.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
            self._held = bool(row and row[0])
            return self._held
        if self._file is None:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "ab")  # noqa: SIM115 - held for the worker's lifetime
        try:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def acquire(self, stopping: threading.Event, interval: float = 0.5) -> bool:
        """Wait as a standby until this worker is the active one (or is stopped)."""
        announced = False
        while not stopping.is_set():
            if self.try_acquire():
                return True
            if not announced:
                log.info("projection_standby", projection=self.name)
                announced = True
            stopping.wait(interval)
        return False

    def alive(self) -> bool:
        """Whether the lock is still held: on PostgreSQL, whether its own
        session still answers (a file lock lasts as long as the process; a
        shared session is its owner's to check, ``Ownership.session_lost``)."""
        connection = self._conn
        if connection is None:
            return True
        try:
            connection.execute("SELECT 1")
        except psycopg.OperationalError:
            return False
        return True

    def share(self, connection: Connection) -> None:
        """Hold the lock in ``connection`` from now on: the session it was
        held in has ended, and the lock with it."""
        self._shared = connection
        self._held = False

    def _drop_session(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self._held = False

    def release(self) -> None:
        if self._shared is not None and self._held and not self._shared.closed:
            # Should the session have ended, the lock went with it.
            with suppress(psycopg.OperationalError):
                self._shared.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
        self._held = False
        self._drop_session()
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> ActiveLock:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


@contextmanager
def active(
    settings: Settings, names: Sequence[str], stopping: threading.Event, on_active: Callable[[], None] | None = None
) -> Iterator[bool]:
    """Hold the active locks of ``names`` for the body of a ``with``: the
    worker waits as a hot standby while another holds any of them, then says
    ``True`` (after ``on_active``), or ``False`` when ``stopping`` was set
    first. Releases them on the way out. One place for the workers' standby."""
    if store_kind(settings) == "memory":
        raise ValueError("Worker processes need a SQLite file or PostgreSQL store, not the in-memory one.")
    locks = [ActiveLock(settings, name) for name in names]
    lost = threading.Event()
    try:
        if not all(lock.acquire(stopping) for lock in locks):
            yield False
            return
        if on_active is not None:
            on_active()
        done = threading.Event()
        watch = threading.Thread(target=_watch, args=(locks, done, stopping, lost), name="ihanoi-lock-watch")
        watch.start()
        try:
            yield True
        finally:
            # Stopped before the locks are let go, so that it never takes their release for a loss.
            done.set()
            watch.join()
        if lost.is_set():
            raise WorkerLockLostError(
                f"The lock of {', '.join(names)} ended with its PostgreSQL session; stopped, to run again as a standby."
            )
    finally:
        for lock in locks:
            lock.release()


class WorkerLockLostError(RuntimeError):
    """An active worker's lock ended with its PostgreSQL session (a restart): a
    standby may hold it now."""


def _watch(
    locks: Sequence[ActiveLock], done: threading.Event, stopping: threading.Event, lost: threading.Event
) -> None:
    """Until ``done``: stop the worker (``stopping``) when one of its locks is no longer held."""
    while not done.wait(LOCK_CHECK_SECONDS):
        if not all(lock.alive() for lock in locks):
            log.error("worker_lock_lost", projections=[lock.name for lock in locks])
            lost.set()
            stopping.set()
            return


class Ownership:
    """The locks of a set of read models, held by this process for those it
    applies. Another process (a worker, another server) may hold some: this
    one then follows them until their holder stops."""

    def __init__(self, settings: Settings, names: Sequence[str]) -> None:
        # On PostgreSQL one session holds all of this process's locks.
        self.settings = settings
        self._connection: Connection | None = None
        if store_kind(settings) == "postgres":
            self._connection = psycopg.connect(postgres_conninfo(settings.database_url), autocommit=True)
        self.locks = {name: ActiveLock(settings, name, self._connection) for name in names}
        self.held: set[str] = set()
        # False: apply nothing, only follow (IHANOI_IN_PROCESS_PROJECTIONS=follow).
        self.claiming = True

    @property
    def complete(self) -> bool:
        return len(self.held) == len(self.locks)

    def claim(self) -> list[str]:
        """Try for every lock not held yet; return the names newly held."""
        if not self.claiming:
            return []
        taken = [name for name, lock in self.locks.items() if name not in self.held and lock.try_acquire()]
        self.held.update(taken)
        return taken

    def session_lost(self) -> list[str]:
        """On PostgreSQL, whether the session holding these locks has ended (a
        restart, an operator's ``pg_terminate_backend``): if so, a new one is
        opened and the names whose locks ended with the old one are returned,
        no longer held (``claim`` may take them again)."""
        if self._connection is None:
            return []
        try:
            self._connection.execute("SELECT 1")
            return []
        except psycopg.OperationalError:
            log.warning("projection_lock_session_lost", projections=sorted(self.held), exc_info=True)
        self._connection.close()
        self._connection = psycopg.connect(postgres_conninfo(self.settings.database_url), autocommit=True)
        for lock in self.locks.values():
            lock.share(self._connection)
        lost, self.held = sorted(self.held), set()
        return lost

    def give_up(self, names: Sequence[str]) -> None:
        """Release the locks of ``names``, held until now."""
        for name in names:
            self.locks[name].release()
            self.held.discard(name)

    def release(self) -> None:
        for lock in self.locks.values():
            lock.release()
        self.held.clear()
        if self._connection is not None:
            self._connection.close()
