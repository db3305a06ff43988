"""Replies and status updates to chat threads (issue #20, docs/channels.md).

Each ``Conversation.MessageReceived`` (of any channel, the hotline's too)
becomes one ``conversation_message`` row on the ``chat_intake`` channel: the
dispatcher runs the guided flow for the conversation's waiting messages when
it claims it (the webhook answers once the message is recorded). Each
``Conversation.ReplyQueued`` becomes one ``conversation_reply`` notice
to the conversation itself (recipient: the conversation's id; channel
``zalo_oa`` or ``messenger``), with the reply's id as its only value: the row
holds no address and no text; the dispatcher reads both from the
conversation when it sends (so an erased thread's queued replies are
cancelled). A report the thread became (``Converted``) is remembered in
``view_notification_conversation_cases``; each later status change of that
report made by someone else becomes a ``conversation_status`` notice (its code
and status) on the same thread. Ids come from the event like every notice's,
so nothing is queued twice across crashes or rebuilds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ihanoi_core.domain.case import Case
from ihanoi_core.domain.conversation import Conversation
from ihanoi_projections.engine.changes import Change
from ihanoi_projections.engine.database import Cursor, Row
from ihanoi_projections.notifications.notices import Notice
from ihanoi_projections.notifications.triggers import CONVERSATION_CASES, Trigger, TriggerStep, register

if TYPE_CHECKING:
    from ihanoi_projections.notifications.outbox import OutboxModel

# The outbox channel of each conversation channel (the hotline is answered by people).
CHAT_CHANNELS = {"zalo": "zalo_oa", "messenger": "messenger"}
# Not a channel to a person: the dispatcher runs the guided flow for the message (``process_messages``).
INTAKE_CHANNEL = "chat_intake"


@dataclass(slots=True)
class StatusStep(TriggerStep):
    """A status change of a case that may have come from a thread."""

    notice: Notice

    def decide(self, model: OutboxModel) -> None:
        trigger = next(t for t in model.triggers if isinstance(t, ConversationTrigger))
        found = trigger.known.get(self.notice.case_id)
        if found is None:
            return
        conversation, channel = found
        model.decide(replace(self.notice, channel=channel, recipient=conversation))


@register
class ConversationTrigger(Trigger):
    """Queues a thread's replies and its reports' status changes (module docstring)."""

    def __init__(self, model: OutboxModel) -> None:
        super().__init__(model)
        self.batch: dict[str, tuple[str, str]] = {}
        self.known: dict[str, tuple[str, str]] = {}

    def schema(self) -> Sequence[str]:
        return (
            f"CREATE TABLE IF NOT EXISTS {CONVERSATION_CASES} ("
            "case_id TEXT PRIMARY KEY, conversation TEXT NOT NULL, channel TEXT NOT NULL)",
        )

    def apply(self, change: Change) -> None:
        aggregate = change.case
        if isinstance(aggregate, Conversation) and change.event_name == "MessageReceived":
            if getattr(change.event, "queued", False):
                self.model.add_step(self._notice(change, aggregate, "conversation_message", INTAKE_CHANNEL))
        elif isinstance(aggregate, Conversation):
            channel = CHAT_CHANNELS.get(aggregate.channel)
            if channel is None:
                return
            event = change.event
            if change.event_name == "ReplyQueued":
                self.model.add_step(self._notice(change, aggregate, "conversation_reply", channel))
            elif change.event_name == "Converted" and event.case_kind == "report":
                self.batch[str(event.case_id)] = (str(aggregate.id), channel)
                self.known[str(event.case_id)] = (str(aggregate.id), channel)
        elif isinstance(aggregate, Case) and not change.created and change.before.get("status") != aggregate.status:
            actor = getattr(change.event, "actor", None)
            if actor is not None and aggregate.owner is not None and actor.subject == aggregate.owner:
                return  # The citizen did it: they know.
            params: dict[str, Any] = {"code": aggregate.code, "status": str(aggregate.status)}
            notice = Notice.about(change, aggregate, "conversation_status", params)
            self.model.add_step(StatusStep(notice))

    def _notice(self, change: Change, aggregate: Conversation, kind: str, channel: str) -> Notice:
        """A notice to the conversation itself: a reply to send, or a message for the flow."""
        event = change.event
        value = {"reply": event.reply_id} if kind == "conversation_reply" else {"message": event.message_id}
        return Notice.about(
            change, aggregate, kind, value, case_id="", urgent=True, channel=channel, recipient=str(aggregate.id)
        )

    def wanted(self, steps: Sequence[Any]) -> list[str]:
        cases = sorted({step.notice.case_id for step in steps if isinstance(step, StatusStep)} - set(self.known))
        for start in range(0, len(cases), 500):
            chunk = cases[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            query = f"SELECT case_id, conversation, channel FROM {CONVERSATION_CASES} WHERE case_id IN ({marks})"
            for row in self.model.database.query(query, chunk):
                self.known[row["case_id"]] = (row["conversation"], row["channel"])
        if len(self.known) > 50_000:
            self.known = dict(self.batch)
        return []

    def flush(self, cursor: Cursor) -> None:
        cursor.executemany(
            f"INSERT INTO {CONVERSATION_CASES} (case_id, conversation, channel) VALUES (?, ?, ?)"
            " ON CONFLICT (case_id) DO NOTHING",
            [(case, conversation, channel) for case, (conversation, channel) in sorted(self.batch.items())],
        )
        self.batch = {}

    def discard(self) -> None:
        for case in self.batch:
            self.known.pop(case, None)
        self.batch = {}

    def rows(self) -> list[Row]:
        query = f"SELECT * FROM {CONVERSATION_CASES} ORDER BY case_id"
        return [{"conversation_case": row} for row in self.model.database.query(query)]
