"""What the outbox writes, and what it knows of a person while it decides:
its tables' names and statements, a notice an event calls for (``Notice``),
a recipient as of the event being projected (``Recipient``), an erased person
to forget (``Forget``). The outbox itself is ``outbox``; the triggers that
make notices are its sibling modules.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from ihanoi_projections.engine.base import micros

if TYPE_CHECKING:
    from eventsourcing.domain import Aggregate

    from ihanoi_projections.engine.changes import Change

OUTBOX = "notification_outbox"
ATTEMPTS = "notification_attempts"
RECIPIENTS = "view_notification_recipients"
# The outbox and its attempts: kept across rebuilds, read and changed by the
# dispatcher and by `ihanoi notifications status|dead-letters|retry` too.
OUTBOX_SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {OUTBOX} ("
    "notification_id TEXT PRIMARY KEY, position BIGINT NOT NULL, recipient TEXT NOT NULL,"
    " channel TEXT NOT NULL, kind TEXT NOT NULL, template TEXT NOT NULL, params TEXT NOT NULL,"
    " urgent INTEGER NOT NULL, case_id TEXT, created_at BIGINT NOT NULL,"
    " state TEXT NOT NULL, attempts INTEGER NOT NULL, next_attempt_at BIGINT NOT NULL,"
    " lease_owner TEXT, lease_until BIGINT, sent_at BIGINT, last_error TEXT)",
    # When the dispatcher took the notice in hand (NULL when none has): see its module.
    f"ALTER TABLE {OUTBOX} ADD COLUMN IF NOT EXISTS in_hand_at BIGINT",
    f"CREATE INDEX IF NOT EXISTS {OUTBOX}_due ON {OUTBOX} (state, next_attempt_at)",
    f"CREATE TABLE IF NOT EXISTS {ATTEMPTS} ("
    "notification_id TEXT NOT NULL, attempt INTEGER NOT NULL, channel TEXT NOT NULL,"
    " started_at BIGINT NOT NULL, finished_at BIGINT NOT NULL, outcome TEXT NOT NULL, detail TEXT,"
    " PRIMARY KEY (notification_id, started_at))",
)

INSERT_NOTICE = (
    f"INSERT INTO {OUTBOX} (notification_id, position, recipient, channel, kind, template, params, urgent,"
    " case_id, created_at, state, attempts, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?)"
    " ON CONFLICT (notification_id) DO NOTHING"
)
UPSERT_RECIPIENT = (
    f"INSERT INTO {RECIPIENTS} (subject_key, contactability, channels, opted_out, consent, consent_id)"
    " VALUES (?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (subject_key) DO UPDATE SET contactability = excluded.contactability,"
    " channels = excluded.channels, opted_out = excluded.opted_out, consent = excluded.consent,"
    " consent_id = excluded.consent_id"
)


def challenge_ref(challenge: str) -> str:
    """Names a one-time-code challenge without revealing it (the dispatcher
    sends a code only for the challenge a row was made for)."""
    return hashlib.sha256(challenge.encode()).hexdigest()[:32]


@dataclass(slots=True)
class Recipient:
    """What the outbox knows of one person, as of the event being projected."""

    contactability: str | None = None
    channels: tuple[str, ...] = ()
    opted_out: tuple[str, ...] = ()
    consent: bool = False
    wards: tuple[str, ...] = ()  # whose alerts they hear of (``view_notification_alert_wards``)
    consent_id: str | None = None  # their ``Consent`` to notifications

    def row(self, key: str) -> tuple[Any, ...]:
        channels, opted_out = ",".join(self.channels), ",".join(self.opted_out)
        return (key, self.contactability, channels, opted_out, int(self.consent), self.consent_id)

    @property
    def is_nobody(self) -> bool:
        """Nothing to keep of them (never enrolled, or erased): no row."""
        return self.contactability is None and self.consent_id is None and not self.wards


@dataclass(frozen=True, slots=True)
class Forget:
    """An erased person, found by the id of their ``Contactability`` or
    ``Consent`` (their subject id reads as erased): they become nobody."""

    column: str  # "contactability" or "consent_id"
    aggregate_id: str


@dataclass(slots=True)
class Notice:
    """A notice a case event calls for, before its recipients are known."""

    position: int
    aggregate_id: UUID
    version: int
    subject_key: str
    kind: str
    params: dict[str, Any]
    case_id: str
    created_at: int
    urgent: bool = False
    channel: str | None = None  # one channel only (a one-time code)
    recipient: str | None = None  # known already (a one-time code)

    @classmethod
    def about(
        cls,
        change: Change,
        aggregate: Aggregate,
        kind: str,
        params: dict[str, Any],
        *,
        subject_key: str = "",
        case_id: str | None = None,
        urgent: bool = False,
        channel: str | None = None,
        recipient: str | None = None,
    ) -> Notice:
        """The notice of ``kind`` that ``change`` of ``aggregate`` calls for, at
        its position and version and timed by its event; ``case_id`` is the
        aggregate's id unless given (``""`` for a notice about no case)."""
        return cls(
            change.position,
            aggregate.id,
            aggregate.version,
            subject_key,
            kind,
            params,
            str(aggregate.id) if case_id is None else case_id,
            micros(change.event.timestamp) or 0,
            urgent,
            channel,
            recipient,
        )

    def to(self, subject_key: str, kind: str | None = None) -> Notice:
        """The same notice for another person (and of another ``kind``), as
        an ordinary one: not urgent, on any channel, recipient to be found."""
        return Notice(
            self.position,
            self.aggregate_id,
            self.version,
            subject_key,
            kind or self.kind,
            self.params,
            self.case_id,
            self.created_at,
        )
