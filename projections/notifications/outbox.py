"""notifications: the outbox, a tracked projection of the log into notices.

Each event that should tell someone something becomes one row per recipient
and channel, in ``notification_outbox``, written in the same transaction as
this projection's position. A row's id is derived from the event (its
aggregate id and version), the recipient and the channel, and rows are
inserted with ``ON CONFLICT DO NOTHING``: a batch applied again after a crash,
or a rebuild from zero, meets the rows it wrote before and adds none, so no
notice is ever queued twice. Delivery state (attempts, leases, sent, dead)
lives in the same rows but is the dispatcher's: a rebuild never clears it.

Who hears what is decided here, from the log alone, as of each event: the
projection follows every person's ``Contactability`` (verified channels,
opt-outs) and ``Consent`` to notifications into ``view_notification_recipients``
(keyed by the pseudonym of the subject id, like "my cases") and their alert
wards into ``view_notification_alert_wards``, so a rebuild makes
the same decisions the live run made. Triggers:

- a status change of a citizen's own case (report, complaint, denunciation,
  dossier) made by someone else → ``case_status``;
- a dossier's supplement request → ``supplement_requested``; its payment
  request → ``payment_requested``;
- a late dossier's apology with the new appointment date → ``dossier_apology``
  (Decree 118/2025: sent whatever the opt-outs and consent, as case handling);
- a status that decides the case (a dossier's result or rejection, a
  complaint's decision or refusal, a denunciation's conclusion or refusal) →
  ``decision_notice``, also required (``legal``);
- a channel added → ``channel_verification`` to that channel (its one-time code);
- a public alert issued (its first message and each update) or cancelled →
  ``alert`` to everyone who chose one of the message's wards, as of that
  event (``alert_notices``).

The optional kinds need the person's consent to ``notifications`` and no
opt-out. Rows hold no address and no personal data: the recipient is the id of
their ``Contactability``, read by the dispatcher at delivery time, so an
erased person's queued notices find no address.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from ihanoi_core.domain.alert import Alert
from ihanoi_core.domain.case import Case
from ihanoi_core.domain.consent import Consent, Purpose
from ihanoi_core.domain.contactability import Contactability
from ihanoi_core.domain.contactability_values import OPTIONAL_KINDS
from ihanoi_core.domain.conversation import Conversation
from ihanoi_projections.engine.base import ReadModel
from ihanoi_projections.engine.changes import Change
from ihanoi_projections.engine.database import Cursor, Row
from ihanoi_projections.notifications.alert_notices import ALERT_WARDS, WardNotice, alert_rows, subscribers, ward_notice
from ihanoi_projections.notifications.case_notices import case_notice
from ihanoi_projections.notifications.ids import notification_id
from ihanoi_projections.notifications.notices import (
    ATTEMPTS,
    INSERT_NOTICE,
    OUTBOX,
    OUTBOX_SCHEMA,
    RECIPIENTS,
    UPSERT_RECIPIENT,
    Forget,
    Notice,
    Recipient,
    challenge_ref,
)
from ihanoi_projections.notifications.triggers import TRIGGER_TABLES, TriggerStep, build_triggers

MAX_CACHED_RECIPIENTS = 50_000


@dataclass(slots=True)
class _Batch:
    # In log order: a Notice, a WardNotice, or (subject key, change to the recipient).
    steps: list[Any] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    recipients: dict[str, Recipient] = field(default_factory=dict)
    # Contactabilities erased in this batch: their notices and attempts go.
    erased: list[str] = field(default_factory=list)


class OutboxModel(ReadModel):
    name = "notifications"
    # Only the recipients are derived state; the outbox keeps its delivery
    # state across rebuilds (``clear``).
    tables = (RECIPIENTS, ALERT_WARDS, *TRIGGER_TABLES)
    kinds = (Case, Alert, Contactability, Consent, Conversation)
    reads_before = frozenset({"status"})
    # A notice depends on the recipient's settings as of its event: the log's order matters.
    partitionable = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._batch = _Batch()
        # Recipients as last written (bounded): most batches touch few people.
        self._known: dict[str, Recipient] = {}
        self.triggers = build_triggers(self)  # kinds of notice decided in their own modules

    def schema(self) -> Sequence[str]:
        return (
            *OUTBOX_SCHEMA,
            f"CREATE TABLE IF NOT EXISTS {RECIPIENTS} ("
            "subject_key TEXT PRIMARY KEY, contactability TEXT, channels TEXT NOT NULL, opted_out TEXT NOT NULL,"
            " consent INTEGER NOT NULL)",
            f"ALTER TABLE {RECIPIENTS} ADD COLUMN IF NOT EXISTS consent_id TEXT",
            f"CREATE TABLE IF NOT EXISTS {ALERT_WARDS} ("
            "ward TEXT NOT NULL, subject_key TEXT NOT NULL, PRIMARY KEY (ward, subject_key))",
            f"CREATE INDEX IF NOT EXISTS {ALERT_WARDS}_subject ON {ALERT_WARDS} (subject_key)",
            *(statement for trigger in self.triggers for statement in trigger.schema()),
        )

    # -- applying -------------------------------------------------------------

    def apply(self, change: Change) -> None:
        for trigger in self.triggers:
            trigger.apply(change)
        aggregate = change.case
        if isinstance(aggregate, Alert):
            notice = ward_notice(change, aggregate, self.context.directory)
            if notice is not None:
                self._batch.steps.append(notice)
        elif isinstance(aggregate, Case):
            self._case(change, aggregate)
        elif isinstance(aggregate, Contactability):
            self._contactability(change, aggregate)
        elif isinstance(aggregate, Consent) and aggregate.purpose is Purpose.NOTIFICATIONS:
            if aggregate.subject is None:  # erased (``Withdrawn`` by the erasure)
                self._batch.steps.append(Forget("consent_id", str(aggregate.id)))
                return
            changes = {"consent": aggregate.is_given, "consent_id": str(aggregate.id)}
            self._batch.steps.append((self._key(aggregate.subject), changes))

    def add_step(self, step: Notice | TriggerStep) -> None:
        """Queue a step in log order (for the triggers)."""
        self._batch.steps.append(step)

    def recipient(self, key: str) -> Recipient | None:
        """A recipient as of the step being decided (for the triggers)."""
        return self._batch.recipients.get(key) or self._known.get(key)

    def erased_key(self, contactability: str) -> str | None:
        """The subject key of the person whose ``Contactability`` was erased (for the triggers)."""
        return self._find(Forget("contactability", contactability))

    def _key(self, subject: str) -> str:
        key = self.context.subject_key(subject)
        assert key is not None
        return key

    def _contactability(self, change: Change, person: Contactability) -> None:
        if change.event_name == "PersonalDataErased":
            self._batch.steps.append(Forget("contactability", str(person.id)))
            return
        if person.subject is None:
            return
        key = self._key(person.subject)
        verified = tuple(name for name, entry in sorted(person.channels.items()) if entry["verified"])
        self._batch.steps.append(
            (
                key,
                {
                    "contactability": str(person.id),
                    "channels": verified,
                    "opted_out": tuple(person.opted_out),
                    "wards": tuple(person.alert_wards),
                },
            )
        )
        event = change.event
        if change.event_name == "ChannelAdded" and event.challenge is not None:
            self._batch.steps.append(
                Notice.about(
                    change,
                    person,
                    "channel_verification",
                    {"channel": event.channel, "challenge": challenge_ref(event.challenge)},
                    subject_key=key,
                    case_id="",
                    urgent=True,
                    channel=event.channel,
                    recipient=str(person.id),
                )
            )

    def _case(self, change: Change, case: Case) -> None:
        if (notice := case_notice(change, case, self._key)) is not None:
            self._batch.steps.append(notice)

    # -- deciding and writing ---------------------------------------------------

    def prepare(self) -> None:
        """Decide each notice's recipients and channels, in log order, from the
        recipients as of that point of the batch."""
        batch = self._batch
        steps, batch.steps = batch.steps, []
        if not steps:
            return
        # The subscribers of the alerts' wards as last written; those who
        # change in this batch are followed step by step below.
        wards = {ward for step in steps if isinstance(step, WardNotice) for ward in step.wards}
        chosen = subscribers(self.database, wards)
        keys = [key for found in chosen.values() for key in found]
        keys.extend(
            step.subject_key if isinstance(step, Notice) else step[0]
            for step in steps
            if not isinstance(step, (WardNotice, Forget, TriggerStep))
        )
        for trigger in self.triggers:
            keys.extend(trigger.wanted(steps))
        self._load(keys)
        for step in steps:
            if isinstance(step, TriggerStep):
                step.decide(self)
                continue
            if isinstance(step, Notice):
                self.decide(step)
                continue
            if isinstance(step, WardNotice):
                batch.rows.extend(alert_rows(step, chosen, batch.recipients, self._recipient))
                continue
            if isinstance(step, Forget):
                if (forgotten := self._find(step)) is not None:
                    batch.recipients[forgotten] = Recipient()
                if step.column == "contactability":
                    batch.erased.append(step.aggregate_id)
                continue
            key, changes = step
            current = batch.recipients.get(key) or self._known.get(key) or Recipient()
            updated = Recipient(
                changes.get("contactability", current.contactability),
                changes.get("channels", current.channels),
                changes.get("opted_out", current.opted_out),
                changes.get("consent", current.consent),
                changes.get("wards", current.wards),
                changes.get("consent_id", current.consent_id),
            )
            batch.recipients[key] = updated

    def _find(self, forget: Forget) -> str | None:
        """The subject key of the person ``forget`` names: as this batch or the
        cache knows them, else as last written."""
        for known in (self._batch.recipients, self._known):
            for key, recipient in known.items():
                if getattr(recipient, forget.column) == forget.aggregate_id:
                    return key
        rows = self.database.query(
            f"SELECT subject_key FROM {RECIPIENTS} WHERE {forget.column} = ?", [forget.aggregate_id]
        )
        return str(rows[0]["subject_key"]) if rows else None

    def _recipient(self, key: str) -> Recipient | None:
        """A person's settings as of the step being decided."""
        return self._batch.recipients.get(key) or self._known.get(key)

    def decide(self, notice: Notice) -> None:
        recipient = self._batch.recipients.get(notice.subject_key) or self._known.get(notice.subject_key)
        if notice.channel is not None:
            channels: tuple[str, ...] = (notice.channel,)
            to = notice.recipient
        else:
            if recipient is None or recipient.contactability is None:
                return
            if notice.kind in OPTIONAL_KINDS and (not recipient.consent or notice.kind in recipient.opted_out):
                return
            channels = recipient.channels
            to = recipient.contactability
        params = orjson.dumps(notice.params, option=orjson.OPT_SORT_KEYS).decode()
        for channel in channels:
            self._batch.rows.append(
                (
                    str(notification_id(notice.aggregate_id, notice.version, to or "", channel)),
                    notice.position,
                    to,
                    channel,
                    notice.kind,
                    notice.kind,
                    params,
                    int(notice.urgent),
                    notice.case_id or None,
                    notice.created_at,
                    notice.created_at,
                )
            )

    def _load(self, keys: list[str]) -> None:
        """Read the recipients this batch needs and does not know yet."""
        wanted = sorted({key for key in keys if key not in self._known and key not in self._batch.recipients})
        if len(self._known) + len(wanted) > MAX_CACHED_RECIPIENTS:
            self._known.clear()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            rows = self.database.query(f"SELECT * FROM {RECIPIENTS} WHERE subject_key IN ({marks})", chunk)
            found = {row["subject_key"]: row for row in rows}
            wards: dict[str, list[str]] = {}
            for chosen in self.database.query(
                f"SELECT subject_key, ward FROM {ALERT_WARDS} WHERE subject_key IN ({marks}) ORDER BY ward", chunk
            ):
                wards.setdefault(chosen["subject_key"], []).append(chosen["ward"])
            for key in chunk:
                row = found.get(key)
                self._known[key] = (
                    Recipient()
                    if row is None
                    else Recipient(
                        row["contactability"],
                        tuple(filter(None, row["channels"].split(","))),
                        tuple(filter(None, row["opted_out"].split(","))),
                        bool(row["consent"]),
                        tuple(wards.get(key, ())),
                        row["consent_id"],
                    )
                )

    def flush(self, cursor: Cursor) -> None:
        self.prepare()
        batch = self._batch
        kept = {key: recipient for key, recipient in batch.recipients.items() if not recipient.is_nobody}
        cursor.executemany(UPSERT_RECIPIENT, [recipient.row(key) for key, recipient in kept.items()])
        cursor.executemany(
            f"DELETE FROM {RECIPIENTS} WHERE subject_key = ?", [(key,) for key in batch.recipients if key not in kept]
        )
        # Every recipient the batch touched: their wards as of its end.
        changed = list(batch.recipients)
        cursor.executemany(f"DELETE FROM {ALERT_WARDS} WHERE subject_key = ?", [(key,) for key in changed])
        cursor.executemany(
            f"INSERT INTO {ALERT_WARDS} (ward, subject_key) VALUES (?, ?)",
            [(ward, key) for key in changed for ward in batch.recipients[key].wards],
        )
        cursor.executemany(INSERT_NOTICE, batch.rows)
        # An erased person's notices and their delivery attempts, so that the
        # outbox holds nothing of them (a replay of the log never wrote them).
        erased = [(contactability,) for contactability in batch.erased]
        cursor.executemany(
            f"DELETE FROM {ATTEMPTS} WHERE notification_id IN"
            f" (SELECT notification_id FROM {OUTBOX} WHERE recipient = ?)",
            erased,
        )
        cursor.executemany(f"DELETE FROM {OUTBOX} WHERE recipient = ?", erased)
        for trigger in self.triggers:
            trigger.flush(cursor)
        self._known.update(batch.recipients)
        self._batch = _Batch()

    def discard(self) -> None:
        self._batch = _Batch()
        self._known.clear()
        for trigger in self.triggers:
            trigger.discard()

    # -- queries ------------------------------------------------------------------

    def rows(self) -> list[Row]:
        """The derived part of every row (not the delivery state), and the
        recipients: what a rebuild must reproduce."""
        notices = self.database.query(
            f"SELECT notification_id, position, recipient, channel, kind, template, params, urgent, case_id,"
            f" created_at FROM {OUTBOX} ORDER BY notification_id"
        )
        recipients = self.database.query(f"SELECT * FROM {RECIPIENTS} ORDER BY subject_key")
        wards = self.database.query(f"SELECT * FROM {ALERT_WARDS} ORDER BY subject_key, ward")
        triggered = [row for trigger in self.triggers for row in trigger.rows()]
        return [
            *notices,
            *({"recipient": row} for row in recipients),
            *({"alert_ward": row} for row in wards),
            *triggered,
        ]
