"""Conversation: one thread with a person on an outside channel (issue #20).

One aggregate per channel and external user (``conversation_id``: ``uuid5``
of both), for Zalo Official Account, Facebook Messenger and the hotline. It
records each message received (``MessageReceived``, carrying the channel's
own message id; it waits in ``pending`` until the guided flow has run for it,
``MessageProcessed``, saved with the flow's result) and each reply queued for
the channel (``ReplyQueued``: the notification outbox sends it, see
``docs/channels.md``), the guided flow's
step and draft (``FlowAdvanced``), the citizen it was linked to by a one-time
code (``Linked``: the VNeID subject), and each case it became
(``Converted``: a report, a question, or a case an operator filed from a
call). The case's side of the link is the triage read model's
``view_conversations`` (case id → conversation).

Webhook retries are no-ops: a message's ``MessageSeen`` index (id
``message_key(channel, message id)``) is saved in the same transaction as the
message, so the store's uniqueness of ``(id, version)`` refuses a second copy
however the retries race. A one-time link code is a ``LinkCode`` aggregate
(id ``link_code_id(code)``): issued to an authenticated citizen, used once.

Personal data: the external user id (``zalo:…``, ``messenger:…``, or for the
hotline a keyed hash of the caller's number) names the data subject whose key
seals the stream, so ``erase_subject("zalo:<user id>")`` shreds it; the
messages' text, attachments and coordinates, the replies' text (which may
echo the user's words), the draft and the linked subject are sealed too.
Pure: ids, times and texts come in as arguments.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from ihanoi_core.domain.checked_commands import Fields, checked_step
from ihanoi_core.domain.personal import ACTOR, ERASED, Personal, declare_personal_data
from ihanoi_core.domain.values import Principal
from ihanoi_core.errors import ConflictError, ValidationError

CONVERSATION_NAMESPACE = uuid5(NAMESPACE_URL, "https://ihanoi.local/conversation")
CHANNELS = ("zalo", "messenger", "hotline")
MESSAGE_KINDS = ("text", "image", "location", "sticker", "call")


def conversation_id(channel: str, external_user: str) -> UUID:
    """The one conversation of ``external_user`` (already prefixed, ``zalo:…``) on ``channel``."""
    return uuid5(CONVERSATION_NAMESPACE, f"{channel}\x1f{external_user}")


def message_key(channel: str, message_id: str) -> UUID:
    """The id of a received message's index: the same for every retry of its delivery."""
    return uuid5(CONVERSATION_NAMESPACE, f"message\x1f{channel}\x1f{message_id}")


def link_code_id(code: str) -> UUID:
    return uuid5(CONVERSATION_NAMESPACE, f"link-code\x1f{code}")


class Conversation(Aggregate):
    """One outside thread and what became of it (module docstring)."""

    kind: ClassVar[str] = "conversation"

    @event("Opened")
    def __init__(self, *, id: UUID, actor: Principal, channel: str, external_user: str, timestamp: datetime) -> None:
        if channel not in CHANNELS:
            raise ValidationError({"channel": f"must be one of {', '.join(CHANNELS)}"})
        self.channel = channel
        self.external_user: str | None = external_user
        self.subject: str | None = None
        self.received = 0
        self.sent = 0
        self.step = "idle"
        self.draft: dict[str, Any] = {}
        self.replies: dict[str, str] = {}
        # Messages recorded but not yet through the flow (message id → what it said), in order.
        self.pending: dict[str, dict[str, Any]] = {}
        self.cases: tuple[tuple[str, str, str], ...] = ()
        self.last_message_at: datetime = timestamp

    @event("MessageReceived")
    def _received(
        self,
        actor: Principal,
        message_id: str,
        message_kind: str,
        text: str | None,
        attachment: str | None,
        latitude: float | None,
        longitude: float | None,
        timestamp: datetime,
        queued: bool = False,  # False in the messages recorded before the flow ran apart from the webhook
    ) -> None:
        self.received += 1
        self.last_message_at = timestamp
        if queued:
            held = {"kind": message_kind, "text": text, "attachment": attachment}
            self.pending = {**self.pending, message_id: {**held, "latitude": latitude, "longitude": longitude}}

    @checked_step(_received)
    def receive(self, fields: Fields) -> Fields:
        """Record a message of the channel; it waits in ``pending`` for the guided flow."""
        if fields["message_kind"] not in MESSAGE_KINDS:
            raise ValidationError({"message": f"unknown message kind {fields['message_kind']!r}"})
        return fields | {"queued": True}

    def processed(self, actor: Principal, message_id: str, *, timestamp: datetime) -> None:
        """Record that ``message_id`` went through the guided flow (saved with the flow's result, once)."""
        if message_id not in self.pending:
            raise ConflictError(self.id, f"Message {message_id!r} is not waiting for the flow.")
        self._processed(actor=actor, message_id=message_id, timestamp=timestamp)

    @event("MessageProcessed")
    def _processed(self, actor: Principal, message_id: str, timestamp: datetime) -> None:
        self.pending = {key: value for key, value in self.pending.items() if key != message_id}

    def advance(self, actor: Principal, step: str, draft: Mapping[str, Any], *, timestamp: datetime) -> None:
        """Move the guided flow to ``step`` with ``draft`` (nothing when unchanged)."""
        if step != self.step or dict(draft) != self.draft:
            self._advanced(actor=actor, step=step, draft=dict(draft), timestamp=timestamp)

    @event("FlowAdvanced")
    def _advanced(self, actor: Principal, step: str, draft: dict[str, Any], timestamp: datetime) -> None:
        self.step = step
        self.draft = dict(draft)

    def reply(self, actor: Principal, text: str, *, timestamp: datetime) -> str:
        """Queue ``text`` for the channel; the reply's id (the outbox sends it once)."""
        if not text.strip():
            raise ValidationError({"text": "a reply must say something"})
        reply_id = str(uuid5(self.id, f"reply\x1f{self.version + 1}"))
        self._replied(actor=actor, reply_id=reply_id, text=text[:2000], timestamp=timestamp)
        return reply_id

    @event("ReplyQueued")
    def _replied(self, actor: Principal, reply_id: str, text: str, timestamp: datetime) -> None:
        self.sent += 1
        self.replies = {**self.replies, reply_id: text}

    def link(self, actor: Principal, subject: str, *, timestamp: datetime) -> None:
        """Link the thread to the citizen who showed the code in the app."""
        if self.subject is not None and self.subject != subject:
            raise ConflictError(self.id, "This conversation is linked to another citizen already.")
        if self.subject is None:
            self._linked(actor=actor, subject=subject, timestamp=timestamp)

    @event("Linked")
    def _linked(self, actor: Principal, subject: str, timestamp: datetime) -> None:
        self.subject = subject

    def convert(self, actor: Principal, case_id: UUID, code: str, case_kind: str, *, timestamp: datetime) -> None:
        """Record the case this thread became (once per case)."""
        if any(case == str(case_id) for case, _, _ in self.cases):
            return
        self._converted(actor=actor, case_id=case_id, code=code, case_kind=case_kind, timestamp=timestamp)

    @event("Converted")
    def _converted(self, actor: Principal, case_id: UUID, code: str, case_kind: str, timestamp: datetime) -> None:
        self.cases = (*self.cases, (str(case_id), code, case_kind))

    def erase_personal_data(self, actor: Principal, erasure: UUID, *, timestamp: datetime) -> None:
        """Record that the channel user was erased by ``erasure``: the thread has
        no address, no draft and no linked citizen any more (what they sent was
        sealed under the key the erasure destroys)."""
        self._personal_data_erased(actor=actor, erasure=erasure, timestamp=timestamp)

    @event("PersonalDataErased")
    def _personal_data_erased(self, actor: Principal, erasure: UUID, timestamp: datetime) -> None:
        self.external_user = ERASED
        self.subject = None
        self.step = "idle"
        self.draft = {}
        self.replies = {}
        self.pending = {}


class MessageSeen(Aggregate):
    """The index of one received message (id ``message_key``): saved with it, once."""

    @event("Recorded")
    def __init__(self, *, id: UUID, actor: Principal, conversation: UUID, timestamp: datetime) -> None:
        self.conversation = conversation


class LinkCode(Aggregate):
    """A one-time code an authenticated citizen shows in the app (id ``link_code_id``)."""

    @event("Issued")
    def __init__(self, *, id: UUID, actor: Principal, subject: str, expires_at: datetime, timestamp: datetime) -> None:
        self.subject: str | None = subject
        self.expires_at = expires_at
        self.used_by: UUID | None = None

    def use(self, actor: Principal, conversation: UUID, *, timestamp: datetime) -> None:
        if self.used_by is not None or timestamp >= self.expires_at:
            raise ValidationError({"code": "this code was used or has expired; ask the app for a new one"})
        self._used(actor=actor, conversation=conversation, timestamp=timestamp)

    @event("Used")
    def _used(self, actor: Principal, conversation: UUID, timestamp: datetime) -> None:
        self.used_by = conversation


SEALED_TEXT = Personal("channel user", None)
# Every event's ``actor``: the channel (a SYSTEM principal), an operator, or
# the citizen who asked for a code (then personal, as on every case event).
declare_personal_data(
    Conversation,
    {
        # ``zalo:<user id>`` etc.: it names the data subject whose key seals the thread.
        "Opened": {"external_user": Personal("channel user", ERASED, names_subject=True), "actor": ACTOR},
        "MessageReceived": {
            "text": SEALED_TEXT,
            "attachment": SEALED_TEXT,
            "latitude": SEALED_TEXT,
            "longitude": SEALED_TEXT,
            "actor": ACTOR,
        },
        "FlowAdvanced": {"draft": Personal("channel user", {}), "actor": ACTOR},
        # Ours, but it may echo what the user wrote (the flow's summary, an answer): theirs as much as the messages.
        "ReplyQueued": {"text": Personal("channel user", ERASED), "actor": ACTOR},
        "Linked": {"subject": Personal("linked citizen", ERASED), "actor": ACTOR},
        "Converted": {"actor": ACTOR},
        "MessageProcessed": {"actor": ACTOR},
        "PersonalDataErased": {"actor": ACTOR},
    },
)
declare_personal_data(MessageSeen, {"Recorded": {"actor": ACTOR}})
declare_personal_data(
    LinkCode,
    {"Issued": {"subject": Personal("citizen", ERASED, names_subject=True), "actor": ACTOR}, "Used": {"actor": ACTOR}},
)
