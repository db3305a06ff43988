"""Live case changes: one tail of the log per server, fanned out to streams.

``LiveFeed`` runs a single thread that follows the notification log — woken at
once by the application after each save in this process, by PostgreSQL
LISTEN/NOTIFY when another process writes, and otherwise polling every 50 ms
(SQLite has no notifications between processes). Each new notification
becomes a ``CaseChange``: the case as it is after the event (code, status,
agency, due time, public note) plus who may see it before and after, so a
transfer reaches the agency the case left as well as the one it went to.

Streams ``subscribe`` with a filter; the tail hands each subscriber the
changes it accepts, in log order, on the subscriber's event loop. A
subscriber's buffer is bounded: one that falls too far behind is ended
(``Subscription.overflowed``) and should reconnect with its last position —
the log, not this buffer, is the record, so nothing is lost.

``ChangeReader`` is the same derivation for one stream's replay of the past
("everything after position N that I may see"): it keeps its own replicas of
the cases it meets, loading a case from the store at the version just before
an event when it has not seen it yet.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import structlog
from eventsourcing.domain import Aggregate

from ihanoi_core.application import Ihanoi
from ihanoi_core.domain.case import Case
from ihanoi_core.eventstore.mutate import replay
from ihanoi_core.eventstore.settings_env import store_kind
from ihanoi_core.settings import Settings
from ihanoi_projections.runner import PostgresWakeup

log = structlog.get_logger("ihanoi.live")

POLL_INTERVAL = 0.05
BATCH_SIZE = 500
QUEUE_SIZE = 1000
MAX_BACKOFF = 5.0
TAIL_REPLICAS = 10_000


@dataclass(frozen=True, slots=True)
class Audience:
    """What the access rules (``permissions.can_see``) need to know about a
    case at one version. Kept for filtering; never sent to a client."""

    kind: str
    owner: str | None
    agencies: tuple[str, ...]
    is_public: bool


def audience_of(case: Case) -> Audience:
    return Audience(case.kind, case.owner, tuple(case.agencies), case.is_public)


@dataclass(frozen=True, slots=True)
class CaseChange:
    """One event of a case, as streams report it. ``audiences`` holds the
    case's audience after the event and, when it differs, before it."""

    position: int
    case_id: UUID
    code: str
    kind: str
    event: str
    status: str
    agency: str | None
    due_at: datetime | None
    public_note: str | None
    at: datetime
    audiences: tuple[Audience, ...]


Accepts = Callable[[CaseChange], bool]


class ChangeReader:
    """Turns notifications into ``CaseChange``s (see module docstring). Not
    thread-safe: one reader per thread of use."""

    def __init__(self, app: Ihanoi, max_replicas: int = 2_000) -> None:
        self.app = app
        self.max_replicas = max_replicas
        self._replicas: OrderedDict[UUID, Aggregate] = OrderedDict()

    def read(self, after: int, limit: int, accepts: Accepts) -> tuple[list[CaseChange], int]:
        """The accepted changes among the next ``limit`` notifications after
        ``after``, and the position of the last notification examined
        (``after`` itself when there is nothing new)."""
        notifications = self.app.recorder.select_notifications(start=after, limit=limit, inclusive_of_start=False)
        changes = [change for change in self.changes(notifications) if accepts(change)]
        return changes, notifications[-1].id if notifications else after

    def changes(self, notifications: Sequence[Any]) -> list[CaseChange]:
        found = []
        for notification in notifications:
            change = self._change(notification.id, self.app.mapper.to_domain_event(notification))
            if change is not None:
                found.append(change)
        return found

    def _change(self, position: int, event: Any) -> CaseChange | None:
        aggregate_id: UUID = event.originator_id
        version: int = event.originator_version
        replica = self._replicas.pop(aggregate_id, None)
        if replica is not None and replica.version != version - 1:
            replica = None
        if replica is None and version > 1:
            replica = self.app.repository.get(aggregate_id, version=version - 1, projector_func=replay)
        before = audience_of(replica) if isinstance(replica, Case) else None
        case = event.mutate(replica)
        if not isinstance(case, Case):
            return None  # Case-code index entries and survey responses are not cases.
        self._replicas[aggregate_id] = case
        if len(self._replicas) > self.max_replicas:
            self._replicas.popitem(last=False)
        after = audience_of(case)
        return CaseChange(
            position=position,
            case_id=case.id,
            code=case.code,
            kind=case.kind,
            event=type(event).__name__,
            status=str(case.status),
            agency=case.agency,
            due_at=getattr(case, "due_at", None),
            public_note=getattr(case, "public_note", None),
            at=event.timestamp,
            audiences=(after,) if before is None or before == after else (after, before),
        )


class Subscription:
    """One stream's bounded buffer of live changes, filled by the tail thread
    and read on the event loop that created it."""

    def __init__(self, accepts: Accepts, max_size: int, loop: asyncio.AbstractEventLoop) -> None:
        self.accepts = accepts
        self.max_size = max_size
        self.overflowed = False
        self.expired = False
        self.ended = False
        self._loop = loop
        self._items: deque[CaseChange] = deque()
        self._ready = asyncio.Event()

    def offer(self, changes: list[CaseChange]) -> None:
        """From any thread: queue ``changes`` for the stream."""
        self._call_soon(self._put, changes)

    def end(self) -> None:
        """From any thread: no more changes will come (the server is stopping)."""
        self._call_soon(self._finish)

    async def get(self) -> CaseChange | None:
        """The next change, or None once the subscription has ended (check
        ``overflowed`` to tell a slow consumer from a stopping server)."""
        while not self._items:
            if self.ended:
                return None
            self._ready.clear()
            await self._ready.wait()
        return self._items.popleft()

    def _call_soon(self, callback: Callable[..., None], *args: Any) -> None:
        try:
            self._loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:  # The loop is closed: nobody is reading any more.
            self.ended = True

    def _put(self, changes: list[CaseChange]) -> None:
        if self.ended:
            return
        if len(self._items) + len(changes) > self.max_size:
            # Too slow: drop what is buffered and end; the stream tells the
            # client to resume from the last position it actually received.
            self.overflowed = True
            self._items.clear()
            self._finish()
            return
        self._items.extend(changes)
        self._ready.set()

    def _finish(self) -> None:
        self.ended = True
        self._ready.set()


class LiveFeed:
    """The server's single tail of the log (see module docstring)."""

    def __init__(
        self,
        app: Ihanoi,
        settings: Settings,
        *,
        poll_interval: float = POLL_INTERVAL,
        batch_size: int = BATCH_SIZE,
        queue_size: int = QUEUE_SIZE,
    ) -> None:
        self.app = app
        self.settings = settings
        self.poll_interval = poll_interval
        self.batch_size = batch_size
        self.queue_size = queue_size
        self.position = 0
        self._reader = ChangeReader(app, max_replicas=TAIL_REPLICAS)
        self._subscribers: list[Subscription] = []
        self._lock = threading.Lock()
        self._wakeup = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._listener: PostgresWakeup | None = None

    # -- running ------------------------------------------------------------------

    def start(self) -> LiveFeed:
        """Follow the log from its current head."""
        self.position = self.head()
        self.app.save_listeners.append(self.wake)
        if store_kind(self.settings) == "postgres":
            self._listener = PostgresWakeup(self.settings.database_url, self.wake).start()
        self._thread = threading.Thread(target=self._loop, name="ihanoi-live", daemon=True)
        self._thread.start()
        return self

    def wake(self) -> None:
        """New events were saved: look now rather than at the next poll."""
        self._wakeup.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop following and end every subscription (their streams close)."""
        self._stopping.set()
        self._wakeup.set()
        if self.wake in self.app.save_listeners:
            self.app.save_listeners.remove(self.wake)
        if self._listener is not None:
            self._listener.stop()
        if self._thread is not None:
            self._thread.join(timeout)
        with self._lock:
            subscribers, self._subscribers = self._subscribers, []
        for subscriber in subscribers:
            subscriber.end()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def head(self) -> int:
        """The position of the newest entry in the log."""
        return self.app.recorder.max_notification_id() or 0

    # -- subscribers ----------------------------------------------------------------

    def subscribe(self, accepts: Accepts) -> Subscription:
        """On the event loop: receive every change ``accepts`` approves that the
        tail reads from now on. A stream subscribes *before* it reads the past,
        so nothing falls between the two (the tail reads the subscriber list
        after each read of the log: whatever a new subscriber misses was
        already committed, and so is in its replay)."""
        subscription = Subscription(accepts, self.queue_size, asyncio.get_running_loop())
        with self._lock:
            if self._stopping.is_set():
                subscription.ended = True
            else:
                self._subscribers.append(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            if subscription in self._subscribers:
                self._subscribers.remove(subscription)

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subscribers)

    # -- the tail ---------------------------------------------------------------------

    def follow(self) -> int:
        """Read the next batch and hand it to the subscribers; return how many
        notifications it held (0 when at the head)."""
        with self._lock:
            idle = not any(not s.ended for s in self._subscribers)
        if idle:
            # Nobody listens: move to the head without reading the events. The
            # head is read after the subscriber list, so a stream that subscribes
            # now reads a head at least as new, and the tail reads on from here.
            head = self.head()
            with self._lock:
                idle = not any(not s.ended for s in self._subscribers)
            if idle:
                skipped, self.position = max(0, head - self.position), max(self.position, head)
                return skipped
        notifications = self.app.recorder.select_notifications(
            start=self.position, limit=self.batch_size, inclusive_of_start=False
        )
        if not notifications:
            return 0
        with self._lock:
            subscribers = [s for s in self._subscribers if not s.ended]
        if subscribers:
            changes = self._reader.changes(notifications)
            for subscriber in subscribers:
                try:
                    accepted = [change for change in changes if subscriber.accepts(change)]
                except Exception as error:  # A broken filter ends its own stream, not the tail.
                    log.error("live_filter_failed", error=type(error).__name__)
                    subscriber.end()
                    continue
                if accepted:
                    subscriber.offer(accepted)
        self.position = notifications[-1].id
        return len(notifications)

    def _loop(self) -> None:
        backoff = self.poll_interval
        while not self._stopping.is_set():
            self._wakeup.clear()
            try:
                read = self.follow()
            except Exception as error:
                # The store did not answer or an event did not decode: retry
                # the same batch later; skipping it would lose changes.
                log.error("live_tail_failed", error=type(error).__name__, position=self.position)
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            backoff = self.poll_interval
            if read < self.batch_size:
                self._wakeup.wait(self.poll_interval)
