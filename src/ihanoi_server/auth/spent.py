"""Spent credentials: logged-out sessions and used stream tickets, shared by every server process.

A session cookie and a stream ticket are signed, not stored, so any server
process can verify one without a look-up. What a signature cannot say is
"already used": a ticket opens one stream only, and a session ends when its
holder logs out, not merely when the browser forgets the cookie. So each
spent credential's id is a row of ``spent_credentials``, until the credential
would have expired anyway (then it is refused for its ``exp``, and the row is
purged).

The table lives in the view database: the one SQL database every server
process of a deployment already shares (the PostgreSQL schema, or the SQLite
``*.views.db`` file beside the event store). Not in the event log: a ticket
used or a logout is not a fact about a case, has no audit value, and must be
forgotten within hours. Spending is one ``INSERT … ON CONFLICT DO NOTHING``,
so of two processes redeeming the same ticket at once exactly one wins.
"""

from __future__ import annotations

import time

from ihanoi_projections.engine.database import ViewDatabase

DDL = (
    "CREATE TABLE IF NOT EXISTS spent_credentials ("
    "id TEXT PRIMARY KEY, kind TEXT NOT NULL, expires_at DOUBLE PRECISION NOT NULL)",
    "CREATE INDEX IF NOT EXISTS spent_credentials_expiry ON spent_credentials (expires_at)",
)
SPEND = "INSERT INTO spent_credentials (id, kind, expires_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING id"
PURGE = "DELETE FROM spent_credentials WHERE expires_at < ?"
IS_SPENT = "SELECT 1 AS spent FROM spent_credentials WHERE id = ?"


class SpentCredentials:
    """Ids of credentials that may no longer be used (see module docstring)."""

    def __init__(self, database: ViewDatabase) -> None:
        self.database = database
        database.create(DDL)

    def spend(self, credential_id: str, kind: str, expires_at: float, now: float | None = None) -> bool:
        """Record ``credential_id`` as spent; False when it already was."""
        now = time.time() if now is None else now
        with self.database.transaction() as cursor:
            cursor.execute(PURGE, (now,))
            return cursor.execute(SPEND, (credential_id, kind, expires_at)).fetchone() is not None

    def is_spent(self, credential_id: str) -> bool:
        return bool(self.database.query(IS_SPENT, (credential_id,)))
