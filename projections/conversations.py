"""conversations: the chat and hotline threads, for triage and the dashboard (issue #20).

One row per ``Conversation`` (``view_conversations``): its channel, how many
messages came in and went out, the guided flow's step, whether it is linked
to a citizen, how many cases it became and the first of them (the case's
side of the link: case id → conversation), and when it was opened and last
heard from. Nothing personal: no user id, no text, no number. Officers read
the threads that became no case (``worklist``) and turn them into reports;
the dashboard reads the per-channel figures (``figures``).
"""

from __future__ import annotations

from typing import Any

from ihanoi_core.domain.conversation import Conversation
from ihanoi_projections.engine.base import LatestStateModel, ViewTable, from_micros, micros
from ihanoi_projections.engine.database import Row

TABLE = "view_conversations"
VIEW_TABLE = ViewTable(
    TABLE,
    {
        "conversation_id": "TEXT PRIMARY KEY",
        "channel": "TEXT NOT NULL",
        "received": "INTEGER NOT NULL",
        "sent": "INTEGER NOT NULL",
        "step": "TEXT NOT NULL",
        "linked": "INTEGER NOT NULL",
        "cases": "INTEGER NOT NULL",
        "case_id": "TEXT",
        "case_code": "TEXT",
        "opened_at": "BIGINT NOT NULL",
        "last_message_at": "BIGINT NOT NULL",
        "position": "BIGINT NOT NULL",
    },
    indexes={"triage": "cases, last_message_at", "case": "case_id"},
)


class ConversationsModel(LatestStateModel):
    name = "conversations"
    view_table = VIEW_TABLE
    kinds = (Conversation,)

    def row(self, conversation: Conversation, position: int) -> tuple[Any, ...] | None:
        first = conversation.cases[0] if conversation.cases else (None, None, None)
        return (
            str(conversation.id),
            conversation.channel,
            conversation.received,
            conversation.sent,
            conversation.step,
            int(conversation.subject is not None),
            len(conversation.cases),
            first[0],
            first[1],
            micros(conversation.created_on),
            micros(conversation.last_message_at),
            position,
        )

    def worklist(self, *, channel: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """Threads that became no case, most recently heard from first."""
        where, params = ("cases = 0", [])
        if channel is not None:
            where, params = ("cases = 0 AND channel = ?", [channel])
        rows = self.database.query(
            f"SELECT * FROM {TABLE} WHERE {where} ORDER BY last_message_at DESC, conversation_id LIMIT ?",
            [*params, limit],
        )
        return [public(row) for row in rows]

    def of_case(self, case_id: str) -> dict[str, Any] | None:
        rows = self.database.query(f"SELECT * FROM {TABLE} WHERE case_id = ?", [case_id])
        return public(rows[0]) if rows else None

    def figures(self) -> list[dict[str, Any]]:
        """Per channel: conversations, messages received and sent, cases created, threads left without one."""
        rows = self.database.query(
            f"SELECT channel, COUNT(*) AS conversations, SUM(received) AS received, SUM(sent) AS sent,"
            f" SUM(cases) AS cases, SUM(CASE WHEN cases = 0 THEN 1 ELSE 0 END) AS without_case"
            f" FROM {TABLE} GROUP BY channel ORDER BY channel"
        )
        return [{key: row[key] if key == "channel" else int(row[key] or 0) for key in row} for row in rows]

    def rows(self) -> list[Row]:
        return self.database.query(f"SELECT * FROM {TABLE} ORDER BY conversation_id")


def public(row: Row) -> dict[str, Any]:
    """A row as the triage list shows it (times as datetimes: RFC 3339 in UTC, like every time the API answers)."""
    return {
        "conversation": row["conversation_id"],
        "channel": row["channel"],
        "received": row["received"],
        "sent": row["sent"],
        "step": row["step"],
        "linked": bool(row["linked"]),
        "cases": row["cases"],
        "case_id": row["case_id"],
        "case_code": row["case_code"],
        "opened_at": from_micros(row["opened_at"]),
        "last_message_at": from_micros(row["last_message_at"]),
    }
