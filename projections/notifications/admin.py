"""What operators see and do with the outbox: ``ihanoi notifications
status|dead-letters|retry`` and the server's ``/metrics`` gauges.

Rows name no person: a recipient is the id of their ``Contactability``, and
the error of the last attempt is the adapter's (a status code, a class of
failure), never an address.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from ihanoi_projections.engine.database import ViewDatabase
from ihanoi_projections.notifications.notices import OUTBOX, OUTBOX_SCHEMA

STATES = ("pending", "sending", "sent", "dead", "cancelled")


@dataclass(frozen=True, slots=True)
class ChannelStatus:
    channel: str
    pending: int
    sending: int
    sent: int
    dead: int
    cancelled: int
    # Seconds the oldest due notice has waited (0 when none is due).
    oldest_due_seconds: float


# Whether a table is there, as an unqualified name in a query would find it.
TABLE_EXISTS = {
    "sqlite": "SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = ?",
    "postgres": "SELECT 1 AS found WHERE to_regclass(?) IS NOT NULL",
}


def ensure_outbox(database: ViewDatabase) -> None:
    """Make the outbox's tables on a new deployment, where no projection has
    yet (the commands then find nothing, not an SQL error). Only then: on
    PostgreSQL its statements wait for the dispatcher's locks even when
    there is nothing to make."""
    if not database.query(TABLE_EXISTS[database.dialect], (OUTBOX,)):
        database.create(OUTBOX_SCHEMA)


def outbox_status(database: ViewDatabase, now: float | None = None) -> list[ChannelStatus]:
    """Per channel: notices in each state, and how long the oldest due one waited."""
    now_us = int((time.time() if now is None else now) * 1_000_000)
    counts: dict[str, dict[str, int]] = {}
    for row in database.query(f"SELECT channel, state, COUNT(*) AS n FROM {OUTBOX} GROUP BY channel, state"):
        counts.setdefault(row["channel"], {})[row["state"]] = int(row["n"])
    oldest = {
        row["channel"]: row["oldest"]
        for row in database.query(
            f"SELECT channel, MIN(next_attempt_at) AS oldest FROM {OUTBOX}"
            " WHERE state IN ('pending', 'sending') AND next_attempt_at <= ? GROUP BY channel",
            (now_us,),
        )
    }
    return [
        ChannelStatus(
            channel,
            pending=by_state.get("pending", 0),
            sending=by_state.get("sending", 0),
            sent=by_state.get("sent", 0),
            dead=by_state.get("dead", 0),
            cancelled=by_state.get("cancelled", 0),
            oldest_due_seconds=(
                max(0.0, (now_us - oldest[channel]) / 1_000_000) if oldest.get(channel) is not None else 0.0
            ),
        )
        for channel, by_state in sorted(counts.items())
    ]


def dead_letters(database: ViewDatabase, limit: int = 100) -> list[dict[str, Any]]:
    """Dead notices, newest first: what, to which channel, how often tried, why."""
    return database.query(
        f"SELECT notification_id, channel, kind, case_id, position, attempts, last_error FROM {OUTBOX}"
        " WHERE state = 'dead' ORDER BY position DESC LIMIT ?",
        (limit,),
    )


def retry(database: ViewDatabase, ids: list[str] | None = None, now: float | None = None) -> int:
    """Put dead notices (these, or all) back in the queue with a fresh count of
    attempts; how many. Their past attempts stay on record."""
    now_us = int((time.time() if now is None else now) * 1_000_000)
    sql = (
        f"UPDATE {OUTBOX} SET state = 'pending', attempts = 0, in_hand_at = NULL, next_attempt_at = ?"
        " WHERE state = 'dead'"
    )
    params: list[Any] = [now_us]
    if ids:
        sql += f" AND notification_id IN ({', '.join('?' * len(ids))})"
        params += ids
    with database.transaction() as cursor:
        rows = cursor.execute(sql + " RETURNING notification_id", params).fetchall()
    return len(rows)
