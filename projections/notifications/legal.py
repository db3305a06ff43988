"""Notices the law requires, and ``NoticeDelivered`` on their case (issue #14).

Two kinds of notice are part of handling the case, not a service the person
opted into, so they go to the verified channels without consent and cannot
be opted out of:

- ``dossier_apology``: the apology for a late dossier with its new
  appointment date (Decree 118/2025, queued by ``outbox``);
- ``decision_notice``: a dossier's result ready or its rejection, a
  complaint's decision or refusal to accept it, a denunciation's conclusion
  or refusal — the outcome the person must be told of (``decision_kind``).

Once the dispatcher has delivered one, it records ``NoticeDelivered``
(channel, notice id, delivery time; no address) on the case with
``RecordNoticeDelivered``, whose identity is the notice's deterministic id:
the case records each id once. The outbox row remembers that it was recorded
(``notice_recorded_at``); ``record_delivered_notices`` records every sent,
unrecorded legal notice — after each round that sent one, and once when a
dispatcher starts. So a dispatcher killed between the send and the record
(the notice is sent again, with the same idempotency key, and recorded), or
between the record and marking the row, never records a delivery twice; and a
command that fails (a concurrent change of the case) is retried by a later
round instead of holding the delivery back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

import structlog

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.notices import RecordNoticeDelivered
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import IhanoiError
from ihanoi_projections.engine.database import ViewDatabase
from ihanoi_projections.notifications.triggers import Trigger, register

log = structlog.get_logger("ihanoi.notifications")

OUTBOX = "notification_outbox"
RECORD_BATCH = 100
DISPATCHER = Principal("system:notification-dispatcher", Role.SYSTEM)
LEGAL_KINDS: tuple[str, ...] = ("dossier_apology", "decision_notice")
# The statuses that decide a case, by kind of case: the person is told whatever their settings.
DECISIONS: dict[str, frozenset[str]] = {
    "dossier": frozenset({"result_ready", "rejected"}),
    "complaint": frozenset({"decided", "refused"}),
    "denunciation": frozenset({"concluded", "refused"}),
}


def decision_kind(case_kind: str, status: str) -> str | None:
    """``decision_notice`` when ``status`` decides a case of ``case_kind``."""
    return "decision_notice" if status in DECISIONS.get(case_kind, ()) else None


@register
class LegalNoticesTrigger(Trigger):
    """The outbox's column for recorded deliveries (no steps: ``outbox`` queues these kinds)."""

    def schema(self) -> Sequence[str]:
        return (
            f"ALTER TABLE {OUTBOX} ADD COLUMN IF NOT EXISTS notice_recorded_at BIGINT",
            f"CREATE INDEX IF NOT EXISTS {OUTBOX}_notices ON {OUTBOX} (kind, notice_recorded_at)",
        )


def record_delivered_notices(app: Ihanoi, database: ViewDatabase, now: int, limit: int = RECORD_BATCH) -> int:
    """Record ``NoticeDelivered`` for the sent legal notices not yet recorded
    (``now``: microseconds, kept as when they were); how many were recorded
    (or found recorded already)."""
    marks = ", ".join("?" * len(LEGAL_KINDS))
    rows = database.query(
        f"SELECT notification_id, case_id, channel, kind, sent_at FROM {OUTBOX} WHERE kind IN ({marks})"
        " AND notice_recorded_at IS NULL AND state = 'sent' AND case_id IS NOT NULL ORDER BY sent_at LIMIT ?",
        [*LEGAL_KINDS, limit],
    )
    done = 0
    for row in rows:
        command = RecordNoticeDelivered(
            case=UUID(row["case_id"]),
            notice=UUID(row["notification_id"]),
            channel=row["channel"],
            kind=row["kind"],
            delivered_at=datetime.fromtimestamp(row["sent_at"] / 1_000_000, UTC),
        )
        try:
            app.handle(DISPATCHER, command)
        except IhanoiError as error:  # a concurrent change, say: a later round tries again
            log.warning("notice_not_recorded", kind=row["kind"], error=type(error).__name__)
            continue
        with database.transaction() as cursor:
            cursor.execute(
                f"UPDATE {OUTBOX} SET notice_recorded_at = ? WHERE notification_id = ?",
                (now, row["notification_id"]),
            )
        done += 1
    return done
