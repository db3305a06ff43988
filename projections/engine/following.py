"""Following the log: the supervised loop of every reader that keeps up with
new events, and the wake-ups that tell it there are some.

A ``Follower`` runs ``step`` in a daemon thread until stopped. It is woken at
once by the application after each save in the same process (``wake``), by
PostgreSQL LISTEN/NOTIFY across processes (``PostgresWakeup``), and otherwise
polls at a short interval (SQLite has no notifications between processes).
While its LISTEN session is up, a follower on PostgreSQL polls once a second
only, in case a notification was lost: an idle server read the log 50 times
a second in its projection runner and 20 in its live tail (69 statements a
second here), for nothing.
A failing step — the store did not answer, an event did not decode — is
logged with its traceback and retried from the same position with backoff:
skipping it would lose changes. The projection runner and the live tail are
followers.
"""

from __future__ import annotations

import os
import selectors
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import ClassVar, Self

import psycopg
import structlog

from ihanoi_core.eventstore.urls import postgres_conninfo

log = structlog.get_logger("ihanoi.projections")

# The event table's channel: the library NOTIFYs it on every insert.
EVENTS_CHANNEL = "cases_events"
MAX_BACKOFF = 5.0
LISTEN_RETRY_SECONDS = 1.0
# How often a follower whose LISTEN session is up reads the log unwoken.
LISTENING_POLL_SECONDS = 1.0


class Follower(ABC):
    """A daemon thread that calls ``step`` until stopped (see module docstring)."""

    # The thread's name, and the log event of a failed step.
    thread_name: ClassVar[str]
    failure_event: ClassVar[str]

    def __init__(self, poll_interval: float) -> None:
        self.poll_interval = poll_interval
        self.failures = 0
        self._wakeup = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.listener: PostgresWakeup | None = None

    @property
    @abstractmethod
    def position(self) -> int:
        """The log position followed so far (logged when a step fails)."""

    @abstractmethod
    def step(self) -> None:
        """Read on from ``position`` once, then wait as long as there is
        nothing more to read (``idle``/``pause``)."""

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._loop, name=self.thread_name, daemon=True)
        self._thread.start()
        return self

    def wake(self) -> None:
        """New events were saved: look now rather than at the next poll."""
        self._wakeup.set()

    def listen(self, database_url: str, channels: Sequence[str] = (EVENTS_CHANNEL,)) -> PostgresWakeup:
        """Be woken by PostgreSQL's notifications on ``channels``, and poll
        seldom while they can arrive; the caller stops the listener."""
        self.listener = PostgresWakeup(database_url, self.wake, channels).start()
        return self.listener

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the current step, then stop."""
        self._stopping.set()
        self._wakeup.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def idle(self) -> None:
        """Wait for a wake-up, or the poll interval (longer while notifications can arrive)."""
        listening = self.listener is not None and self.listener.listening
        self._wakeup.wait(max(self.poll_interval, LISTENING_POLL_SECONDS) if listening else self.poll_interval)

    def pause(self, seconds: float) -> None:
        """Wait ``seconds`` whatever wakes the follower (only stopping ends it)."""
        self._stopping.wait(seconds)

    def _loop(self) -> None:
        backoff = self.poll_interval
        while not self._stopping.is_set():
            # Cleared before reading: a save during the step wakes the next wait.
            self._wakeup.clear()
            try:
                self.step()
            except Exception:
                self.failures += 1
                log.exception(self.failure_event, position=self.position, backoff=backoff)
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            backoff = self.poll_interval


class PostgresWakeup:
    """LISTENs on the event table's channel, or the given channels, and calls
    ``wake`` for each notification. It waits on the connection's socket and on
    a pipe of its own, so ``stop`` ends the wait at once (a server's shutdown
    waited out a 0.5 s timeout on it)."""

    def __init__(
        self, database_url: str, wake: Callable[[], None], channels: Sequence[str] = (EVENTS_CHANNEL,)
    ) -> None:
        self.database_url = database_url
        self.wake = wake
        self.channels = tuple(channels)
        # Whether its LISTEN session is up, so that a notification wakes the follower.
        self.listening = False
        self._stopping = threading.Event()
        self._stop_reader, self._stop_writer = os.pipe()
        self._thread = threading.Thread(target=self._loop, name="ihanoi-listen", daemon=True)

    def start(self) -> PostgresWakeup:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._stopping.is_set():
            return  # stopped already: its pipe may be closed
        self._stopping.set()
        os.write(self._stop_writer, b"x")
        self._thread.join(5)
        if not self._thread.is_alive():
            os.close(self._stop_reader)
            os.close(self._stop_writer)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                with (
                    psycopg.connect(postgres_conninfo(self.database_url), autocommit=True) as conn,
                    selectors.DefaultSelector() as selector,
                ):
                    for channel in self.channels:
                        conn.execute(psycopg.sql.SQL("LISTEN {}").format(psycopg.sql.Identifier(channel)))
                    selector.register(conn.fileno(), selectors.EVENT_READ)
                    selector.register(self._stop_reader, selectors.EVENT_READ)
                    self.listening = True
                    try:
                        # What was committed while nobody listened (start-up, a lost
                        # connection) is read now, not at the next poll.
                        self.wake()
                        while not self._stopping.is_set():
                            # Something on the socket (a notification, or the
                            # server ending the session: read, it raises) or a stop.
                            if selector.select() and not self._stopping.is_set():
                                for _ in conn.notifies(timeout=0):
                                    self.wake()
                    finally:
                        self.listening = False
            except psycopg.Error:
                # Followers poll often again meanwhile, from now: a lost listener only slows them.
                self.wake()
                log.warning("listen_failed", channels=self.channels, exc_info=True)
                self._stopping.wait(LISTEN_RETRY_SECONDS)
