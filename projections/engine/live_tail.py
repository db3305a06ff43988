"""Live case changes: one tail of the log per server, fanned out to subscribers.

``LiveTail`` is a ``Follower`` (``ihanoi_projections.engine.following``): one thread
that follows the notification log, woken after each save in this process, by
PostgreSQL LISTEN/NOTIFY when another process writes, and otherwise polling.
Each new notification of a case becomes a ``CaseChange``: the case as it is
after the event (code, status, agency, due time, public note) plus who may
see it before and after, so a transfer reaches the agency the case left as
well as the one it went to. Each subscriber is handed the changes it
accepts, in log order. While nobody listens the tail reads no events: it
moves to the head, at most once a second (a stream's replay already holds
what it then reads again, and the stream skips it by position).

An alert's ``Issued`` and ``Cancelled`` changes carry its public notice
(``AlertNotice``: message type, wards, headline, CAP codes), which the
public ward stream and a citizen's stream report.

What a stream sends of a change (``event: case``) is its ``CaseEvent``: the
case after the event, never a person (no owner, contact or identity; for a
denunciation never the denouncer); the ``CaseChange`` adds, for the tail and
the streams only, who may see it and an alert's notice.

Who receives a change is decided here too, from its audiences and notice:
``own_cases`` (a citizen's), ``agency_cases`` (staff's) and ``alerts_in``
(the alerts of some wards) are the filters streams subscribe with.

``CaseChanges`` is the same derivation for one stream's replay of the past
("everything after position N that I may see"). Both read through a
``ChangeReader`` (``ihanoi_projections.engine.changes``), the projector's engine.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, Self
from uuid import UUID

import msgspec
import structlog
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Notification

from ihanoi_core.application import Ihanoi
from ihanoi_core.domain.alert import Alert
from ihanoi_core.domain.alert_values import ENGLISH, VIETNAMESE
from ihanoi_core.domain.case import Case
from ihanoi_core.domain.values import Principal
from ihanoi_core.eventstore.settings_env import store_kind
from ihanoi_core.permissions import can_see
from ihanoi_core.settings import Settings
from ihanoi_projections.engine.changes import Change, ChangeReader
from ihanoi_projections.engine.following import Follower
from ihanoi_projections.queries.access import FOLLOW_OWN_CASES, FOLLOW_WORKLIST, authorize

log = structlog.get_logger("ihanoi.live")

POLL_INTERVAL = 0.05
BATCH_SIZE = 500
# How often, at most, a tail nobody listens to moves to the head of the log.
PARKED_MOVE_SECONDS = 1.0
TAIL_REPLICAS = 10_000
REPLAY_REPLICAS = 2_000


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


class AlertNotice(msgspec.Struct, frozen=True):
    """What an issued or cancelled alert message tells the public: the alert
    (``code``) and the log position of the message, and what it says. Set on
    the ``CaseChange`` of an ``Issued`` or ``Cancelled`` event only (a draft,
    a revision or an approval tells the public nothing)."""

    position: int
    code: str
    msg_type: str
    identifier: str
    sequence: int
    wards: tuple[str, ...]
    event: str
    headline: str
    headline_en: str | None
    severity: str
    urgency: str
    certainty: str
    onset: datetime | None
    expires: datetime
    note: str | None


PUBLIC_ALERT_EVENTS = frozenset({"Issued", "Cancelled"})


def alert_notice(alert: Alert, event_name: str, position: int) -> AlertNotice | None:
    """The public notice of an alert's event at ``position``, if it issued a message."""
    if event_name not in PUBLIC_ALERT_EVENTS or not alert.messages:
        return None
    message = alert.issued
    content = message.content
    vi, en = content.text(VIETNAMESE), content.text(ENGLISH)
    assert vi is not None
    return AlertNotice(
        position=position,
        code=alert.code,
        msg_type=str(message.msg_type),
        identifier=message.identifier,
        sequence=len(alert.messages),
        wards=content.wards,
        event=vi.event,
        headline=vi.headline,
        headline_en=en.headline if en else None,
        severity=str(content.severity),
        urgency=str(content.urgency),
        certainty=str(content.certainty),
        onset=content.onset,
        expires=content.expires,
        note=message.note or None,
    )


class CaseEvent(msgspec.Struct, frozen=True):
    """The ``data`` of an ``event: case`` (see module docstring)."""

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


class CaseChange(CaseEvent, frozen=True):
    """One event of a case, as streams report it: the ``CaseEvent`` a stream
    sends, and what decides who receives it. ``audiences`` holds the case's
    audience after the event and, when it differs, before it. ``alert`` is
    the public notice of an alert message (``alert_notice``)."""

    audiences: tuple[Audience, ...]
    alert: AlertNotice | None = None


Accepts = Callable[[CaseChange], bool]


def own_cases(who: Principal) -> Accepts:
    """A citizen's own cases (not every public survey they could read);
    ``ForbiddenError`` for any other role (``FOLLOW_OWN_CASES``)."""
    authorize(who, FOLLOW_OWN_CASES)

    def accepts(change: CaseChange) -> bool:
        return any(a.owner == who.subject and can_see(who, a) for a in change.audiences)

    return accepts


def agency_cases(who: Principal) -> Accepts:
    """Cases routed to the staff member's agency, before or after the change;
    ``ForbiddenError`` for anyone but staff of an agency (``FOLLOW_WORKLIST``)."""
    authorize(who, FOLLOW_WORKLIST)

    def accepts(change: CaseChange) -> bool:
        return any(can_see(who, a) for a in change.audiences)

    return accepts


def alerts_in(wards: tuple[str, ...] | None) -> Accepts:
    """Alert messages covering any of ``wards`` (every alert message when None)."""
    followed = frozenset(wards or ())

    def accepts(change: CaseChange) -> bool:
        notice = change.alert
        return notice is not None and (wards is None or not followed.isdisjoint(notice.wards))

    return accepts


def audience_before(replica: Aggregate) -> Mapping[str, Any]:
    """The part of the state before an event that a case change needs."""
    return {"audience": audience_of(replica)} if isinstance(replica, Case) else {}


def case_change(change: Change) -> CaseChange | None:
    """The change as streams report it; None when the aggregate is not a case
    (case-code index entries, survey responses)."""
    case = change.case
    if not isinstance(case, Case):
        return None
    before: Audience | None = change.before.get("audience")
    after = audience_of(case)
    return CaseChange(
        position=change.position,
        case_id=case.id,
        code=case.code,
        kind=case.kind,
        event=change.event_name,
        status=str(case.status),
        agency=case.agency,
        due_at=getattr(case, "due_at", None),
        public_note=getattr(case, "public_note", None),
        at=change.event.timestamp,
        audiences=(after,) if before is None or before == after else (after, before),
        alert=alert_notice(case, change.event_name, change.position) if isinstance(case, Alert) else None,
    )


class CaseChanges:
    """Reads ``CaseChange``s from the log. Not thread-safe: one per thread of use."""

    def __init__(self, app: Ihanoi, max_replicas: int = REPLAY_REPLICAS) -> None:
        self.app = app
        self._reader = ChangeReader(app, max_replicas=max_replicas, before=audience_before)

    def read(self, after: int, limit: int, accepts: Accepts) -> tuple[list[CaseChange], int]:
        """The accepted changes among the next ``limit`` notifications after
        ``after``, and the position of the last notification examined
        (``after`` itself when there is nothing new)."""
        notifications = self.app.recorder.select_notifications(start=after, limit=limit, inclusive_of_start=False)
        changes = [change for change in self.changes(notifications) if accepts(change)]
        return changes, notifications[-1].id if notifications else after

    def changes(self, notifications: Sequence[Notification]) -> list[CaseChange]:
        found = (case_change(change) for change in self._reader.changes(notifications))
        return [change for change in found if change is not None]


class Subscriber(Protocol):
    """What the tail hands changes to (a stream's buffer). ``offer`` and
    ``end`` are called on the tail's thread and must not block."""

    accepts: Accepts
    ended: bool

    def offer(self, changes: list[CaseChange]) -> None: ...

    def end(self) -> None: ...


class LiveTail(Follower):
    """The server's single tail of the log (see module docstring)."""

    thread_name = "ihanoi-live"
    failure_event = "live_tail_failed"

    def __init__(
        self,
        app: Ihanoi,
        settings: Settings | None = None,
        *,
        poll_interval: float = POLL_INTERVAL,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        super().__init__(poll_interval)
        self.app = app
        self.settings = settings or app.settings
        self.batch_size = batch_size
        self._position = 0
        self._next_move = 0.0
        self._changes = CaseChanges(app, max_replicas=TAIL_REPLICAS)
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()

    @property
    def position(self) -> int:
        """The position of the last notification the tail has read."""
        return self._position

    def head(self) -> int:
        """The position of the newest entry in the log."""
        return self.app.head_position()

    def start(self) -> Self:
        """Follow the log from its current head."""
        self._position = self.head()
        self.app.save_listeners.append(self.wake)
        if store_kind(self.settings) == "postgres":
            self.listen(self.settings.database_url)
        return super().start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop following and end every subscriber."""
        self._stopping.set()
        if self.wake in self.app.save_listeners:
            self.app.save_listeners.remove(self.wake)
        if self.listener is not None:
            self.listener.stop()
        super().stop(timeout)
        with self._lock:
            subscribers, self._subscribers = self._subscribers, []
        for subscriber in subscribers:
            subscriber.end()

    # -- subscribers ----------------------------------------------------------------

    def attach(self, subscriber: Subscriber) -> bool:
        """Hand ``subscriber`` every change it accepts that the tail reads from
        now on; False once the tail is stopping. A stream attaches *before* it
        reads the past, so nothing falls between the two (the tail reads the
        subscriber list after each read of the log: whatever a new subscriber
        misses was already committed, and so is in its replay)."""
        with self._lock:
            if self.stopping:
                return False
            self._subscribers.append(subscriber)
            return True

    def detach(self, subscriber: Subscriber) -> None:
        with self._lock:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

    def _listening(self) -> list[Subscriber]:
        with self._lock:
            return [subscriber for subscriber in self._subscribers if not subscriber.ended]

    # -- the tail ---------------------------------------------------------------------

    def follow(self) -> int:
        """Read the next batch and hand it to the subscribers; return how many
        notifications it held (0 when at the head)."""
        if not self._listening():
            # Nobody listens: move to the head without reading the events, at
            # most once a PARKED_MOVE_SECONDS (under load a wake comes with
            # every save). The head is read after the subscriber list, so a
            # stream that subscribes now reads a head at least as new, and the
            # tail reads on from here.
            now = time.monotonic()
            if now < self._next_move:
                return 0
            self._next_move = now + PARKED_MOVE_SECONDS
            head = self.head()
            if not self._listening():
                skipped, self._position = max(0, head - self._position), max(self._position, head)
                return skipped
        notifications = self.app.recorder.select_notifications(
            start=self._position, limit=self.batch_size, inclusive_of_start=False
        )
        if not notifications:
            return 0
        if subscribers := self._listening():
            changes = self._changes.changes(notifications)
            for subscriber in subscribers:
                try:
                    accepted = [change for change in changes if subscriber.accepts(change)]
                except Exception:  # A broken filter ends its own stream, not the tail.
                    log.exception("live_filter_failed", position=self._position)
                    subscriber.end()
                    continue
                if accepted:
                    subscriber.offer(accepted)
        self._position = notifications[-1].id
        return len(notifications)

    def step(self) -> None:
        if self.follow() < self.batch_size:
            self.idle()
