"""Delivering a notice to a chat thread (issue #20): its address and text
come from the ``Conversation`` at delivery time, never from the outbox row.

A ``conversation_reply`` sends the reply the conversation queued (by its id);
a ``conversation_status`` renders the ``case_status`` template for the
report's code and status. A conversation erased meanwhile (its channel user's
key destroyed) has no address any more: the notice is cancelled.

A ``conversation_message`` (channel ``chat_intake``) sends nothing: it runs
the guided flow for the conversation's waiting messages
(``process_messages``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from ihanoi_core.errors import ConflictError
from ihanoi_core.notifications.channels import Message
from ihanoi_projections.engine.database import Row
from ihanoi_projections.notifications.conversations import CHAT_CHANNELS as THREAD_CHANNELS

if TYPE_CHECKING:
    from ihanoi_projections.notifications.dispatcher import Dispatcher

# The outbox channels whose recipient is a conversation.
CHAT_CHANNELS = frozenset(THREAD_CHANNELS.values())


def deliver_to_conversation(dispatcher: Dispatcher, row: Row, params: dict[str, Any], started: int) -> str:
    """Deliver one claimed notice to its conversation; the outcome."""
    stream = UUID(row["recipient"])
    if row["kind"] == "conversation_reply":
        found = dispatcher.app.conversation_reply(stream, str(params.get("reply")))
        to, text = found if found is not None else (None, "")
    else:
        to = dispatcher.app.conversation_address(stream)
        text = dispatcher.render("case_status", "vi", {"case_kind": "report", "due_at": None, **params})[1]
    if to is None:
        return dispatcher.finish(row, "cancelled", started, "the conversation is gone (erased)", state="cancelled")
    message = Message(
        idempotency_key=row["notification_id"],
        channel=row["channel"],
        kind=row["kind"],
        to=to,
        language="vi",
        subject="",
        text=text,
    )
    return dispatcher.send(row, message, started)


def process_conversation(dispatcher: Dispatcher, row: Row, started: int) -> str:
    """Run the guided flow for the conversation's waiting messages (a
    ``conversation_message`` row); its outcome. Each message is saved with its
    ``MessageProcessed``: a row claimed again after a crash finds it done."""
    try:
        dispatcher.app.process_messages(UUID(row["recipient"]))
    except ConflictError as error:
        delay = dispatcher.backoff(row["attempts"])
        return dispatcher.finish(row, "retry", started, error.code, state="pending", next_at=started + delay)
    return dispatcher.finish(row, "sent", started, None, state="sent")
