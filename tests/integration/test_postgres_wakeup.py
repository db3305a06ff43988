"""The LISTEN side of following the log on PostgreSQL (``PostgresWakeup``): a
NOTIFY from another session wakes the follower, a session the server ends is
opened again, and stopping does not wait for a notification to come. While it
listens, an idle follower reads the log about once a second instead of every
poll interval, and often again while its listener is lost."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import psycopg
import pytest

from ihanoi_projections.engine.following import LISTENING_POLL_SECONDS, Follower, PostgresWakeup
from tests.conftest import ADMIN_URL

CHANNEL = "ihanoi_wakeup_test"


class Wakes:
    """Counts wake-ups; ``after(n)`` waits until there have been more than ``n``."""

    def __init__(self) -> None:
        self.count = 0
        self._changed = threading.Condition()

    def __call__(self) -> None:
        with self._changed:
            self.count += 1
            self._changed.notify_all()

    def after(self, seen: int, timeout: float = 5.0) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self.count > seen, timeout)


def notify(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"NOTIFY {CHANNEL}")


def listening_sessions(database_url: str) -> list[int]:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND query = %s",
            (database_url.rsplit("/", 1)[1], f'LISTEN "{CHANNEL}"'),
        ).fetchall()
    return [int(row[0]) for row in rows]


def sessions_once(database_url: str, holds: Callable[[list[int]], bool]) -> list[int]:
    """The listening sessions, once they satisfy ``holds`` (or as they are after 5 s)."""
    deadline = time.monotonic() + 5
    while not holds(sessions := listening_sessions(database_url)) and time.monotonic() < deadline:
        time.sleep(0.02)
    return sessions


@pytest.mark.postgres
def test_a_notify_wakes_the_follower_an_ended_session_is_opened_again_and_stop_is_at_once(
    own_postgres_database: str,
) -> None:
    wakes = Wakes()
    wakeup = PostgresWakeup(own_postgres_database, wakes, (CHANNEL,)).start()
    try:
        # Step: listening, it wakes the follower once to read what was committed before.
        assert wakes.after(0)
        sessions = sessions_once(own_postgres_database, bool)
        assert len(sessions) == 1

        # Step: another session's NOTIFY wakes it.
        seen = wakes.count
        notify(own_postgres_database)
        assert wakes.after(seen)

        # Step: the server ends its session; it listens again on a new one, and wakes.
        seen = wakes.count
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (sessions[0],))
        assert wakes.after(seen)
        sessions_once(own_postgres_database, lambda now: now not in ([], sessions))
        seen = wakes.count
        notify(own_postgres_database)
        assert wakes.after(seen)
    finally:
        # Step: stopping ends the wait for a notification at once.
        started = time.monotonic()
        wakeup.stop()
        stopped_in = time.monotonic() - started
    assert stopped_in < 0.25
    wakeup.stop()  # again: nothing to do, and no write to the closed pipe
    assert not sessions_once(own_postgres_database, lambda now: not now)


class Counting(Follower):
    """A follower whose every step is one read of an idle log."""

    thread_name = "ihanoi-test-follower"
    failure_event = "test_follower_failed"

    def __init__(self, poll_interval: float) -> None:
        super().__init__(poll_interval)
        self.steps = 0

    @property
    def position(self) -> int:
        return 0

    def step(self) -> None:
        self.steps += 1
        self.idle()

    def reads_in(self, seconds: float) -> int:
        before = self.steps
        time.sleep(seconds)
        return self.steps - before


def until(holds: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not holds() and time.monotonic() < deadline:
        time.sleep(0.01)
    return holds()


@pytest.mark.postgres
def test_while_it_listens_an_idle_follower_reads_the_log_about_once_a_second_and_a_notify_wakes_it_at_once(
    own_postgres_database: str,
) -> None:
    polling = Counting(poll_interval=0.02).start()
    follower = Counting(poll_interval=0.02)
    listener = follower.listen(own_postgres_database, (CHANNEL,))
    follower.start()
    try:
        assert until(lambda: listener.listening)
        # Step: idle for two seconds it reads about twice; the follower without a listener, 50 times a second.
        assert follower.reads_in(2.0) <= 2 / LISTENING_POLL_SECONDS + 2
        assert polling.reads_in(1.0) >= 10

        # Step: just after a read of its own (the next one is a second away), another
        # session's NOTIFY wakes it at once.
        seen = follower.steps
        assert until(lambda: follower.steps > seen, timeout=2 * LISTENING_POLL_SECONDS)
        seen, sent = follower.steps, time.monotonic()
        notify(own_postgres_database)
        assert until(lambda: follower.steps > seen, timeout=LISTENING_POLL_SECONDS)
        assert time.monotonic() - sent < LISTENING_POLL_SECONDS / 2

        # Step: the server ends the LISTEN session: the follower polls often until it listens again.
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (sessions_once(own_postgres_database, bool)[0],))
        assert until(lambda: not listener.listening)
        assert follower.reads_in(0.5) >= 5  # within the second it waits before listening again
        assert until(lambda: listener.listening)
    finally:
        listener.stop()
        follower.stop()
        polling.stop()
    assert not listener.listening
