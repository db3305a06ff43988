"""Messages from Zalo, Messenger and the hotline, as commands of the application.

- ``receive_message(delivery)``: record one message on its ``Conversation``
  with the message's ``MessageSeen`` index in one transaction (a retried or
  racing delivery records nothing); the webhook answers then. The message
  waits in the conversation's ``pending``.
- ``process_messages(stream)``: what the dispatcher runs for a message's
  ``conversation_message`` outbox row: the guided flow (``flow``) for each
  pending message in order, with its replies (the outbox turns them into
  notices the dispatcher sends through the channel's API, ``docs/channels.md``)
  saved with the message's ``MessageProcessed`` in one save. A confirmed
  report is filed through the command table (``SubmitReport``) under an
  idempotency key derived from the message, *before* that save: a crash
  between the two leaves the message pending, and running it again files
  nothing new and records it.
- ``issue_link_code(citizen)``: a one-time code the app shows; the channel
  user sends "liên kết <code>" and the thread is linked to the citizen, whose
  later reports are their own (``me/cases``). Unlinked threads file
  contact-only reports as the channel's partner principal, which no citizen owns.
- ``record_call(call_id, number, recording)``: a hotline call, on a
  conversation of channel ``hotline`` keyed by a keyed hash of the number.
- ``convert_conversation(principal, stream, command)``: an operator or officer
  files a report for a conversation (the call, a thread left unconverted),
  linked both ways; the result's code is what the caller hears.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any
from uuid import UUID

import msgspec
import structlog
from eventsourcing.persistence import IntegrityError

from ihanoi_core import errors
from ihanoi_core.channels.callers import caller_id
from ihanoi_core.channels.flow import Decision, Inbound, next_step
from ihanoi_core.channels.payloads import Delivery
from ihanoi_core.channels.photos import PhotoFetchError, fetch_photo
from ihanoi_core.commands.questions import AskQuestion
from ihanoi_core.commands.reports import SubmitReport
from ihanoi_core.commands.values import LocationIn
from ihanoi_core.domain.conversation import (
    CHANNELS,
    Conversation,
    LinkCode,
    MessageSeen,
    conversation_id,
    link_code_id,
    message_key,
)
from ihanoi_core.domain.personal import ERASED
from ihanoi_core.domain.question import Question
from ihanoi_core.domain.question_values import QuestionChannel
from ihanoi_core.domain.values import Channel, Principal, Role
from ihanoi_core.geometry import distance_km
from ihanoi_core.handlers.bus import CommandBus, CommandResult

log = structlog.get_logger("ihanoi.channels")
LINK_CODE_MINUTES = 10
FARTHEST_FROM_A_WARD_KM = 50.0
ATTEMPTS = 4
# Who files for a thread not linked to a citizen: the channel, like a partner app.
# The channel itself, as the actor of what arrives through it and of the replies.
CHANNEL_ACTORS = {channel: Principal(f"system:channel-{channel}", Role.SYSTEM) for channel in CHANNELS}
CHANNEL_FILERS = {
    "zalo": Principal("channel:zalo-oa", Role.PARTNER),
    "messenger": Principal("channel:messenger", Role.PARTNER),
}
REPORT_CHANNELS = {"zalo": Channel.ZALO, "messenger": Channel.MESSENGER, "hotline": Channel.HOTLINE}
OPERATORS = frozenset({Role.OFFICER, Role.LEADER})


class ConversationNotFoundError(errors.NotFoundError):
    """Raised when no conversation has the id asked for."""

    code = "conversation_not_found"

    def __init__(self, stream: UUID) -> None:
        super().__init__(f"No conversation {stream}.")
        self.stream = stream


@dataclass(frozen=True, slots=True)
class Received:
    """What a delivery did: ``replayed`` when its message was recorded before."""

    conversation: UUID
    replayed: bool
    position: int | None = None


class ConversationCommands(CommandBus):
    """Chat and hotline intake of ``Ihanoi`` (module docstring)."""

    def receive_message(self, delivery: Delivery) -> Received:
        """Record ``delivery``'s message on its conversation, with its
        ``MessageSeen`` index, in one save (a replay records nothing); the
        guided flow runs for it later (``process_messages``)."""
        external = f"{delivery.channel}:{delivery.user}"
        stream = conversation_id(delivery.channel, external)
        seen = message_key(delivery.channel, delivery.message_id)
        message = delivery.message
        for _ in range(ATTEMPTS):
            if self._stored(seen, MessageSeen) is not None:
                return Received(stream, replayed=True)
            now = self.clock()
            system = CHANNEL_ACTORS[delivery.channel]
            conversation = self._conversation(stream) or Conversation(
                id=stream, actor=system, channel=delivery.channel, external_user=external, timestamp=now
            )
            conversation.receive(
                system,
                delivery.message_id,
                message.kind,
                text=message.text,
                attachment=message.attachment,
                latitude=message.latitude,
                longitude=message.longitude,
                timestamp=now,
            )
            index = MessageSeen(id=seen, actor=system, conversation=stream, timestamp=now)
            try:
                recordings = self._store(conversation, uncached=(index,))
            except IntegrityError:
                continue  # A racing retry recorded it (found above next time), or another message came first.
            return Received(stream, replayed=False, position=recordings[-1].notification.id)
        raise errors.ConflictError(stream, "The conversation kept changing; the channel will retry.")

    def process_messages(self, stream: UUID) -> list[str]:
        """Run the guided flow for each message of the conversation still
        waiting for it, in order, each saved with its ``MessageProcessed`` (a
        message already processed is skipped, however often this runs); the
        codes of the reports filed."""
        codes: list[str] = []
        kept: dict[str, str | None] = {}  # a chat photo's URL → its sha256 in the library (fetched once)
        for _ in range(ATTEMPTS * 64):
            conversation = self._conversation(stream)
            if conversation is None or not conversation.pending:
                return codes
            try:
                code = self._process_next(conversation, kept)
            except IntegrityError:
                continue  # Another message or worker came first: read the conversation again.
            codes.extend([code] if code else [])
        raise errors.ConflictError(stream, "The conversation kept changing; it will be processed again.")

    def _process_next(self, conversation: Conversation, kept: dict[str, str | None]) -> str | None:
        """The flow for the conversation's first pending message, saved; the code of a report it filed."""
        message_id, held = next(iter(conversation.pending.items()))
        seen = message_key(conversation.channel, message_id)
        message = self._located(Inbound(**held))
        now = self.clock()
        system = CHANNEL_ACTORS[conversation.channel]
        categories = [(code, category.name_vi) for code, category in sorted(self.directory.categories.items())]
        decision = (
            Decision(conversation.step, conversation.draft)  # a call: the operator takes it from here
            if conversation.channel == "hotline"
            else next_step(conversation.step, conversation.draft, message, categories)
        )
        replies = list(decision.replies)
        used: list[LinkCode] = []
        code = None
        if decision.link_code is not None:
            replies.append(self._link(conversation, decision.link_code, used))
        if decision.question is not None:
            replies.append(self._answer(conversation, decision.question, seen))
        if decision.file:
            try:
                result = self._file(conversation, decision.extra, seen, kept, replies)
            except (errors.ValidationError, errors.RuleViolationError):
                # Processed, with the refusal as its reply: running it again would be refused again.
                replies.append("Chưa gửi được phản ánh này. Gõ 'phản ánh' để làm lại, hoặc gọi đường dây nóng.")
            else:
                conversation.convert(result_actor(conversation), result.case_id, result.code, "report", timestamp=now)
                code = result.code
                replies.append(f"Đã nhận phản ánh, mã {result.code}. Bạn sẽ nhận tin khi phản ánh được xử lý.")
        conversation.advance(system, decision.step, decision.draft, timestamp=now)
        for text in replies:
            conversation.reply(system, text, timestamp=now)
        conversation.processed(system, message_id, timestamp=now)
        self._store(conversation, uncached=tuple(used))
        return code

    def issue_link_code(self, principal: Principal) -> tuple[str, Any]:
        """A one-time code (8 digits, ``LINK_CODE_MINUTES`` long) that links a chat thread to ``principal``."""
        if principal.role is not Role.CITIZEN:
            raise errors.ForbiddenError("issue_link_code", principal.role)
        now = self.clock()
        expires = now + timedelta(minutes=LINK_CODE_MINUTES)
        for _ in range(ATTEMPTS):
            code = f"{secrets.randbelow(10**8):08d}"
            issued = LinkCode(
                id=link_code_id(code), actor=principal, subject=principal.subject, expires_at=expires, timestamp=now
            )
            try:
                self._store(uncached=(issued,))
            except IntegrityError:
                continue  # That code was issued before: draw another.
            return code, expires
        raise errors.ConflictError(link_code_id("-"), "Could not draw a fresh code; try again.")

    def record_call(self, call_id: str, number: str, recording: str) -> Received:
        """A hotline call: a conversation of the caller (by a keyed hash of the number) with the call as its message."""
        caller = caller_id(self.personal_keys, number)
        delivery = Delivery("hotline", caller, call_id, 0, Inbound("call", attachment=recording or None))
        return self.receive_message(delivery)

    def convert_conversation(
        self, principal: Principal, stream: UUID, command: SubmitReport | AskQuestion
    ) -> CommandResult:
        """File ``command`` for the conversation as the operator — a report, or
        the caller's question for the switchboard (an inquiry: answered, or
        handed to the agency that must answer it) — and link both ways
        (idempotent per conversation and number of cases)."""
        if principal.role not in OPERATORS:
            raise errors.ForbiddenError("convert_conversation", principal.role)
        conversation = self._conversation(stream)
        if conversation is None:
            raise ConversationNotFoundError(stream)
        if isinstance(command, SubmitReport):
            command = msgspec.structs.replace(command, channel=REPORT_CHANNELS[conversation.channel])
        else:
            command = msgspec.structs.replace(command, channel=QuestionChannel(conversation.channel))
        key = f"conversation:{stream}:{len(conversation.cases)}"
        result = self.handle(principal, command, idempotency_key=key)
        conversation.convert(principal, result.case_id, result.code, result.kind, timestamp=self.clock())
        if conversation.channel != "hotline":
            text = f"Tổng đài viên đã ghi nhận hồ sơ {result.code} cho bạn."
            conversation.reply(CHANNEL_ACTORS[conversation.channel], text, timestamp=self.clock())
        try:
            self._store(conversation)
        except IntegrityError:
            raise errors.ConflictError(stream, "The conversation changed meanwhile; convert it again.") from None
        return result

    def conversation_reply(self, stream: UUID, reply_id: str) -> tuple[str, str] | None:
        """The address and text of a queued reply (for the dispatcher); None once erased."""
        conversation = self._conversation(stream)
        address = self.conversation_address(stream)
        if conversation is None or address is None or reply_id not in conversation.replies:
            return None
        return address, conversation.replies[reply_id]

    def conversation_address(self, stream: UUID) -> str | None:
        """The channel's id of the thread's user; None once erased."""
        conversation = self._conversation(stream)
        if conversation is None or conversation.external_user in (None, ERASED):
            return None
        return conversation.external_user.partition(":")[2] or None

    # -- inside ---------------------------------------------------------------

    def _located(self, message: Inbound) -> Inbound:
        """The message with the ward of its shared location (the nearest ward centre within 50 km)."""
        if message.latitude is None or message.longitude is None:
            return message
        point = (message.latitude, message.longitude)
        nearest = min(
            ((distance_km(point, ward.centre), code) for code, ward in self.directory.wards.items() if ward.centre),
            default=None,
        )
        if nearest is None or nearest[0] > FARTHEST_FROM_A_WARD_KM:
            return message
        return replace(message, ward=nearest[1])

    def _link(self, conversation: Conversation, code: str, used: list[LinkCode]) -> str:
        issued = self._stored(link_code_id(code), LinkCode)
        if issued is None or issued.subject is None:
            return "Mã liên kết không đúng. Hãy lấy mã mới trong ứng dụng iHanoi."
        try:
            system = CHANNEL_ACTORS[conversation.channel]
            issued.use(system, conversation.id, timestamp=self.clock())
            conversation.link(system, issued.subject, timestamp=self.clock())
        except errors.IhanoiError:
            return "Mã liên kết đã dùng hoặc đã hết hạn. Hãy lấy mã mới trong ứng dụng iHanoi."
        used.append(issued)
        return "Đã liên kết với tài khoản iHanoi của bạn: phản ánh gửi từ đây sẽ hiện trong ứng dụng."

    def _answer(self, conversation: Conversation, text: str, seen: UUID) -> str:
        """An answer from the Q&A switchboard. A linked citizen's question is
        recorded as their own ``Question`` (answered, or handed off to an
        agency that must answer it by a due time); an unlinked user's is only
        looked up: it reads no one's case (the switchboard answers a case code
        from the asker's own cases, and the channel has none)."""
        if conversation.subject is not None:
            asker = Principal(conversation.subject, Role.CITIZEN)
            channel = QuestionChannel(conversation.channel)
            try:
                asked = self.handle(asker, AskQuestion(text=text[:2000], channel=channel), idempotency_key=f"q:{seen}")
            except errors.RuleViolationError:  # the directory names no agency to hand questions to
                return "Chưa tìm thấy câu trả lời; hãy gọi đường dây nóng của thành phố."
            conversation.convert(asker, asked.case_id, asked.code, "question", timestamp=self.clock())
            answer = self._load(asked.case_id, Question).answer_text
            if answer is None:
                return f"Câu hỏi {asked.code} đã được chuyển cho cơ quan có thẩm quyền trả lời."
            return answer[:1800]
        answerer = self.answerer
        resolution = None if answerer is None else answerer.resolve(CHANNEL_FILERS[conversation.channel], text)
        if resolution is None or resolution.answer is None:
            return "Chưa tìm thấy câu trả lời. Liên kết tài khoản iHanoi để gửi câu hỏi tới cơ quan có thẩm quyền."
        return resolution.answer[:1800]

    def _file(
        self,
        conversation: Conversation,
        draft: dict[str, Any],
        seen: UUID,
        kept: dict[str, str | None],
        replies: list[str],
    ) -> CommandResult:
        """File the draft; its photo is fetched into the photo library first
        (``channels.photos``), or the report goes without it and ``replies`` say so."""
        photo = draft.get("photo")
        if photo and photo not in kept:
            kept[photo] = self._keep_photo(photo)
        sha256 = kept.get(photo) if photo else None
        if photo and sha256 is None:
            replies.append("Không tải được ảnh bạn gửi; phản ánh được gửi không kèm ảnh.")
        category = self.directory.categories[draft["category"]]
        description = draft.get("description") or f"{category.name_vi} (qua {conversation.channel})"
        command = SubmitReport(
            category=category.code,
            description=description,
            location=LocationIn(ward=draft["ward"], latitude=draft.get("latitude"), longitude=draft.get("longitude")),
            channel=REPORT_CHANNELS[conversation.channel],
            photos=(sha256,) if sha256 else (),
        )
        return self.handle(result_actor(conversation), command, idempotency_key=f"conversation:{seen}")

    def _keep_photo(self, url: str) -> str | None:
        """The sha256 of the chat photo at ``url`` once in the photo library; None if it could not be kept."""
        settings = self.settings
        try:
            data = fetch_photo(url, max_bytes=settings.media_max_bytes, timeout=settings.channel_photo_timeout_seconds)
            return self.photos.add(data).sha256
        except (
            PhotoFetchError,
            errors.PhotoRefusedError,
            errors.PhotoTooLargeError,
            errors.UnsupportedPhotoError,
        ) as error:
            log.info("chat_photo_not_kept", reason=getattr(error, "reason", None) or type(error).__name__)
            return None

    def _conversation(self, stream: UUID) -> Conversation | None:
        return self._stored(stream, Conversation, cached=True)


def result_actor(conversation: Conversation) -> Principal:
    """Who files for the thread: the linked citizen, else the channel."""
    if conversation.subject is not None:
        return Principal(conversation.subject, Role.CITIZEN)
    return CHANNEL_FILERS[conversation.channel]
