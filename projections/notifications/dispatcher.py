"""The dispatcher: delivers the outbox's notices, at least once to the
gateway and exactly once where the gateway honours idempotency keys.

A round claims a batch of due notices of the channels it has a sender for:
on PostgreSQL with ``FOR UPDATE SKIP LOCKED`` (two dispatchers never claim the
same row), on SQLite inside ``BEGIN IMMEDIATE`` (one writer at a time). A
claim sets ``state = 'sending'`` with a lease, and commits before anything is
sent: a dispatcher killed mid-send leaves rows whose lease runs out, and the
next round claims them again and sends them with the same idempotency key
(the notice's id), so the gateway delivers them once. An attempt is counted
for the notice in hand only: just before it is sent, one small committed
write marks it (``in_hand_at``) and counts its attempt, and recording the
outcome clears the mark. The rows that merely shared a batch with a notice
that killed the dispatcher come back unmarked and keep their count; the
notice that was in hand comes back marked, that attempt used (recorded as a
``crashed`` attempt), and once it has used ``notify_max_attempts`` it is dead
("the dispatcher died while sending it") instead of being sent again. Until then such notices go last in
their batch, the one in hand most recently the very last, so a notice that
kills dispatchers does not take its neighbours down with it again. A notice
that raises is a failed attempt like a refused one.

For each claimed notice the recipient's ``Contactability`` is read now (not
when the notice was queued): a channel removed or unverified since, or a
person erased, cancels the notice; quiet hours (for all but urgent notices)
put it back until they end. Each attempt is an operational row of
``notification_attempts`` — not an event. A failure is retried after
``notify_backoff_seconds`` × 2^(attempt−1), plus up to 50 % jitter; a
permanent one, or the last attempt, is dead (``ihanoi notifications
dead-letters``, ``retry``). Each channel is held to ``notify_rate_per_second``.

``run_dispatcher`` is the worker (``ihanoi notifications run``): one active
per store, others wait as hot standbys on the projection workers' lock.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import orjson
import psycopg
import structlog

from ihanoi_core.application import Ihanoi
from ihanoi_core.notifications.channels import DeliveryError, Message, Sender
from ihanoi_core.notifications.codes import code_for
from ihanoi_core.notifications.preferences import Contact
from ihanoi_core.settings import Settings
from ihanoi_projections.engine.database import Cursor, Row, ViewDatabase
from ihanoi_projections.notifications.chat import CHAT_CHANNELS, deliver_to_conversation, process_conversation
from ihanoi_projections.notifications.conversations import INTAKE_CHANNEL
from ihanoi_projections.notifications.legal import LEGAL_KINDS, RECORD_BATCH, record_delivered_notices
from ihanoi_projections.notifications.metering import Counters, RateLimit
from ihanoi_projections.notifications.notices import ATTEMPTS, OUTBOX, challenge_ref

log = structlog.get_logger("ihanoi.notifications")

LOCK_NAME = "notifications-dispatcher"
MICROS = 1_000_000
IDLE_SECONDS = 0.5
CRASHED = "its dispatcher died, or lost its lease, with it in hand"
MAX_BACKOFF_SECONDS = 6 * 3600.0


def now_micros() -> int:
    return int(time.time() * MICROS)


class Dispatcher:
    """Claims and delivers notices (module docstring)."""

    def __init__(
        self,
        app: Ihanoi,
        database: ViewDatabase,
        senders: Mapping[str, Sender],
        settings: Settings,
        *,
        worker: str | None = None,
        counters: Counters | None = None,
        clock: Callable[[], int] = now_micros,
        random_fraction: Callable[[], float] = random.random,
    ) -> None:
        self.app = app
        self.database = database
        self.senders = dict(senders)
        self.settings = settings
        self.worker = worker or uuid.uuid4().hex
        self.counters = counters or Counters()
        self.clock = clock
        self.random_fraction = random_fraction
        self.rate = RateLimit(settings.notify_rate_per_second)
        self.templates: Any = None
        self._recorded_once = False

    # -- claiming ---------------------------------------------------------------

    def claim(self, limit: int | None = None) -> list[Row]:
        """Take due notices (pending and due, or sending with a lapsed lease) of
        the channels this dispatcher can send. The attempt is counted when a
        notice is taken in hand (``deliver``), not here."""
        channels = sorted({*self.senders, INTAKE_CHANNEL})  # the flow of chat messages needs no sender
        now = self.clock()
        lease_until = now + int(self.settings.notify_lease_seconds * MICROS)
        marks = ", ".join("?" * len(channels))
        lock = " FOR UPDATE SKIP LOCKED" if self.database.dialect == "postgres" else ""
        sql = (
            f"UPDATE {OUTBOX} SET state = 'sending', lease_owner = ?, lease_until = ?"
            f" WHERE notification_id IN (SELECT notification_id FROM {OUTBOX} WHERE channel IN ({marks})"
            " AND ((state = 'pending' AND next_attempt_at <= ?) OR (state = 'sending' AND lease_until < ?))"
            f" ORDER BY next_attempt_at LIMIT ?{lock}) RETURNING *"
        )
        params = [self.worker, lease_until, *channels, now, now, limit or self.settings.notify_batch_size]
        with self.database.transaction() as cursor:
            rows = cursor.execute(sql, params).fetchall()
        # A notice that was in hand when a dispatcher died goes after the others, the latest such last:
        # should it kill this dispatcher too, the rest of the batch has been sent.
        rows.sort(key=lambda row: (row["in_hand_at"] or 0, row["next_attempt_at"], row["position"]))
        return rows

    def run_once(self) -> int:
        """Claim one batch and deliver it; how many notices were claimed. Then
        record ``NoticeDelivered`` for the legally required notices sent (and,
        in a dispatcher's first round, for any a dead one sent but did not
        record: ``legal``)."""
        rows = self.claim()
        legal = False
        for row in rows:
            legal |= self.deliver(row) == "sent" and row["kind"] in LEGAL_KINDS
        if legal or not self._recorded_once:
            self._recorded_once = True
            while record_delivered_notices(self.app, self.database, self.clock()) == RECORD_BATCH:
                pass
        return len(rows)

    def drain(self, timeout: float = 30.0) -> int:
        """Deliver until nothing is due (tests, the benchmark); how many were handled."""
        deadline = time.monotonic() + timeout
        total = 0
        while time.monotonic() < deadline and (done := self.run_once()):
            total += done
        return total

    # -- delivering ---------------------------------------------------------------

    def deliver(self, row: Row) -> str:
        """Deliver one claimed notice; its outcome: sent, retry, dead, cancelled,
        deferred, or lost (another dispatcher holds it now: nothing is done).

        A notice that raises (a kind this version cannot render, a bug) is
        retried and dead-lettered like a failed delivery, and the rest of the
        round goes on: no notice holds up the others. One that was in hand when
        its dispatcher died has used that attempt; after the last it is dead,
        not sent again."""
        started = self.clock()
        if row["in_hand_at"] is not None and row["attempts"] >= self.settings.notify_max_attempts:
            with self.database.transaction() as cursor:
                self._record_crash(cursor, row, started)
            detail = f"the dispatcher died while sending it, on its last attempt ({row['attempts']})"
            return self.finish(row, "dead", started, detail, state="dead")
        in_hand = self.take_in_hand(row, started)
        if in_hand is None:
            # Counted, not recorded: the notice's attempts are its new holder's.
            self.counters.count(row["channel"], "lost")
            return "lost"
        try:
            return self._deliver(in_hand, started)
        except Exception as error:
            log.exception("notification_failed", channel=row["channel"], kind=row["kind"])
            return self.failed(in_hand, started, f"{type(error).__name__} (see the dispatcher's log)")

    def take_in_hand(self, row: Row, started: int) -> Row | None:
        """Mark the notice in hand and count its attempt, committed before it is
        sent, so that a dispatcher that dies with it in hand leaves it marked
        (``finish`` clears the mark); the row as marked, or None if this
        dispatcher no longer holds its lease. A notice that comes back marked
        gets its lost attempt on record first (``crashed``)."""
        with self.database.transaction() as cursor:
            if row["in_hand_at"] is not None:
                self._record_crash(cursor, row, started)
            marked = cursor.execute(
                f"UPDATE {OUTBOX} SET in_hand_at = ?, attempts = attempts + 1"
                " WHERE notification_id = ? AND lease_owner = ? RETURNING attempts",
                (started, row["notification_id"], self.worker),
            ).fetchone()
        return None if marked is None else {**row, "in_hand_at": started, "attempts": marked["attempts"]}

    @staticmethod
    def _record_crash(cursor: Cursor, row: Row, now: int) -> None:
        """The attempt of a notice whose dispatcher died (or lost its lease) with
        it in hand, as an attempt row of its own: started when it was taken in
        hand, found ``now``."""
        cursor.execute(
            f"INSERT INTO {ATTEMPTS} (notification_id, attempt, channel, started_at, finished_at, outcome, detail)"
            " VALUES (?, ?, ?, ?, ?, 'crashed', ?) ON CONFLICT (notification_id, started_at) DO NOTHING",
            (row["notification_id"], row["attempts"], row["channel"], row["in_hand_at"], now, CRASHED),
        )

    def _deliver(self, row: Row, started: int) -> str:
        channel = row["channel"]
        params: dict[str, Any] = orjson.loads(row["params"])
        if channel == INTAKE_CHANNEL:  # a chat message for the guided flow, not a notice to send
            return process_conversation(self, row, started)
        if channel in CHAT_CHANNELS:  # to a chat thread, not a person's settings
            return deliver_to_conversation(self, row, params, started)
        contact = self.app.contact(UUID(row["recipient"]))
        to, why = self._address(row, params, contact)
        if to is None or contact is None:
            return self.finish(row, "cancelled", started, why, state="cancelled")
        if not row["urgent"] and (resume := self._after_quiet_hours(contact, started)) is not None:
            return self.finish(row, "deferred", started, "quiet hours", state="pending", next_at=resume, undo=True)
        if row["kind"] == "channel_verification":
            pending = contact.pending[channel]
            params = {**params, "code": code_for(self.app.code_key, UUID(row["recipient"]), channel, pending.challenge)}
        subject, text, html = self.render(row["kind"], contact.language, params)
        message = Message(
            idempotency_key=row["notification_id"],
            channel=channel,
            kind=row["kind"],
            to=to,
            language=contact.language,
            subject=subject,
            text=text,
            html=html if channel == "email" else None,
            params={key: value for key, value in params.items() if key not in ("challenge",)},
            keys=contact.push_keys if channel == "webpush" else None,
        )
        return self.send(row, message, started)

    def send(self, row: Row, message: Message, started: int) -> str:
        """Hand one rendered message to its channel's sender; the outcome, recorded."""
        self.rate.take(message.channel)
        try:
            self.senders[message.channel].send(message)
        except DeliveryError as error:
            if getattr(error, "gone", False):  # a push subscription the service no longer knows
                self.app.forget_push_subscription(UUID(row["recipient"]), message.to)
            return self.failed(row, started, error.detail, permanent=error.permanent)
        return self.finish(row, "sent", started, None, state="sent")

    def failed(self, row: Row, started: int, detail: str, *, permanent: bool = False) -> str:
        """A failed attempt: retried after a backoff, or dead if it is permanent or the last."""
        if permanent or row["attempts"] >= self.settings.notify_max_attempts:
            return self.finish(row, "dead", started, detail, state="dead")
        delay = self.backoff(row["attempts"])
        return self.finish(row, "retry", started, detail, state="pending", next_at=started + delay)

    def backoff(self, attempts: int) -> int:
        """Microseconds to wait after the ``attempts``-th failure: doubling, with jitter."""
        seconds = min(self.settings.notify_backoff_seconds * 2 ** max(0, attempts - 1), MAX_BACKOFF_SECONDS)
        return int(seconds * (1 + 0.5 * self.random_fraction()) * MICROS)

    def _address(self, row: Row, params: dict[str, Any], contact: Contact | None) -> tuple[str | None, str]:
        channel = row["channel"]
        if contact is None:
            return None, "the recipient is gone (erased)"
        if row["kind"] == "channel_verification":
            pending = contact.pending.get(channel)
            if pending is None or challenge_ref(pending.challenge) != params.get("challenge"):
                return None, "a newer code was sent, or the channel was verified or removed"
            if pending.expires_at.timestamp() * MICROS < self.clock():
                return None, "the code expired before it could be sent"
            return pending.address, ""
        address = contact.addresses.get(channel)
        return (address, "") if address else (None, f"no verified {channel} channel any more")

    def _after_quiet_hours(self, contact: Contact, now: int) -> int | None:
        """When quiet hours end, if ``now`` falls in them."""
        if contact.quiet_hours is None:
            return None
        start, end = contact.quiet_hours
        local = datetime.fromtimestamp(now / MICROS, UTC).astimezone(self.app.timezone)
        minute = local.hour * 60 + local.minute
        inside = start <= minute < end if start < end else (minute >= start or minute < end)
        if not inside:
            return None
        ends = local.replace(hour=end // 60, minute=end % 60, second=0, microsecond=0)
        if ends <= local:
            ends += timedelta(days=1)
        return int(ends.timestamp() * MICROS)

    def render(self, kind: str, language: str, params: dict[str, Any]) -> tuple[str, str, str]:
        if self.templates is None:
            from ihanoi_core.notifications.templates import Templates

            self.templates = Templates(self.app.timezone, self.settings.public_url)
        rendered: tuple[str, str, str] = self.templates.render(kind, language, params)
        return rendered

    def finish(
        self,
        row: Row,
        outcome: str,
        started: int,
        detail: str | None,
        *,
        state: str,
        next_at: int | None = None,
        undo: bool = False,
    ) -> str:
        """Record the attempt and the notice's new state, if this dispatcher
        still holds its lease."""
        finished = self.clock()
        with self.database.transaction() as cursor:
            cursor.execute(
                f"UPDATE {OUTBOX} SET state = ?, lease_owner = NULL, lease_until = NULL, in_hand_at = NULL,"
                " last_error = ?,"
                " next_attempt_at = COALESCE(?, next_attempt_at), attempts = attempts - ?,"
                f" sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END"
                " WHERE notification_id = ? AND lease_owner = ?",
                (state, detail, next_at, int(undo), state, finished, row["notification_id"], self.worker),
            )
            if not undo:
                cursor.execute(
                    f"INSERT INTO {ATTEMPTS} (notification_id, attempt, channel, started_at, finished_at, outcome,"
                    " detail) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (notification_id, started_at) DO NOTHING",
                    (row["notification_id"], row["attempts"], row["channel"], started, finished, outcome, detail),
                )
        latency = (finished - row["created_at"]) / MICROS if outcome == "sent" else None
        self.counters.count(row["channel"], outcome, latency)
        if outcome != "sent":
            log.info("notification_" + outcome, channel=row["channel"], kind=row["kind"], detail=detail)
        return outcome

    def close(self) -> None:
        for sender in {id(s): s for s in self.senders.values()}.values():
            sender.close()


def create_schema(database: ViewDatabase, statements: list[str], attempts: int = 5) -> None:
    """Create the outbox's tables, again if the first try lost a deadlock:
    on PostgreSQL its ``ALTER TABLE`` locks can meet the projections writing
    to the same tables when both start together."""
    for attempt in range(attempts):
        try:
            database.create(statements)
            return
        except psycopg.errors.DeadlockDetected:
            if attempt == attempts - 1:
                raise
            log.warning("dispatcher_schema_retry", attempt=attempt + 1)
            time.sleep(0.2 * (attempt + 1))


def run_dispatcher(
    settings: Settings,
    stopping: threading.Event,
    *,
    senders: Mapping[str, Sender] | None = None,
    registry: Any = None,
    on_active: Callable[[], None] | None = None,
) -> None:
    """Deliver notices until ``stopping`` is set, as the one active dispatcher
    of the store (a second waits as a hot standby)."""
    from ihanoi_core.notifications.senders import build_senders
    from ihanoi_projections.engine.base import ProjectionContext
    from ihanoi_projections.engine.database import open_view_database
    from ihanoi_projections.engine.runner import active
    from ihanoi_projections.notifications.zalo_tokens import ViewTokenStore
    from ihanoi_projections.read_side import build_models, pseudonym_key

    with active(settings, [LOCK_NAME], stopping, on_active) as held:
        if not held:
            return
        app = Ihanoi(settings)
        database = open_view_database(settings)
        # The outbox's tables, should no projection have made them yet.
        context = ProjectionContext(app.directory, app.calendar, pseudonym_key(settings))
        models = build_models(["notifications"], database, context)
        create_schema(database, [statement for model in models for statement in model.schema()])
        if senders is None:
            senders = build_senders(settings, zalo_tokens=ViewTokenStore(database))
        dispatcher = Dispatcher(app, database, senders, settings, counters=Counters(registry))
        log.info("dispatcher_started", channels=sorted(dispatcher.senders))
        try:
            while not stopping.is_set():
                try:
                    if not dispatcher.run_once():
                        stopping.wait(IDLE_SECONDS)
                except Exception:
                    log.exception("dispatch_round_failed")
                    stopping.wait(IDLE_SECONDS * 4)
        finally:
            dispatcher.close()
            database.close()
            app.close()
