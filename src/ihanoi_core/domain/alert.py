"""Alert (cảnh báo): a public warning — a flood, a storm, bitter cold, bad air,
a power or water cut — issued by an agency as OASIS CAP 1.2 messages.

Lifecycle: ``draft → approved → issued → cancelled``. An officer (or leader)
of the issuing agency drafts it; a leader of that agency who did not write
the content approves it (four eyes: nobody publishes a warning alone); staff
issue it, which makes CAP message 1 (``msgType=Alert``). A leader may instead
reject what awaits approval or issue, with a reason (``rejected``, or
``revision_rejected`` for an update of an issued alert, whose last message
stays in force): nothing is published, and the content goes back to its
author to be revised and submitted again (revising makes it a draft, or a
revision, awaiting approval anew), or to be left. An issued alert is
updated by revising it (``revising``), approving the revision (four eyes
again, ``revision_approved``) and issuing it: each such message is a CAP
``Update`` that ``references`` every earlier message. A leader cancels an
issued alert with a reason: a CAP ``Cancel`` message. Until an update is
issued, the last issued message stays in force.

Whether an alert is in force is derived when asked (``is_active_at``), like
"overdue": issued, not cancelled, and not past its ``expires``; nothing is
stored when it expires.

The handler computes each message's identifier and sender (they name the
jurisdiction, which the domain does not know) and the domain records them,
with the wards the message covers, in the event: the notification outbox and
the public read models find everything a message says in its event.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import ClassVar, TypedDict
from uuid import UUID

from eventsourcing.domain import event

from ihanoi_core.domain.alert_values import AlertContent, AlertMessage, AlertSource, AlertStatus, MsgType
from ihanoi_core.domain.alert_values import AlertStatus as S
from ihanoi_core.domain.case import Case
from ihanoi_core.domain.checked_commands import Fields, checked_creation
from ihanoi_core.domain.four_eyes import FourEyesReview
from ihanoi_core.domain.values import Principal
from ihanoi_core.errors import RuleViolationError

MAX_REASON = 1000


class Envelope(TypedDict):
    """What each CAP message the alert sends (an ``Alert``, ``Update`` or
    ``Cancel``) records besides its kind: its identifier and sender (the
    handler's), the time it states, and the earlier messages it references."""

    identifier: str
    sender: str
    sent: datetime
    references: tuple[str, ...]


class Alert(FourEyesReview, Case):
    """A public warning, from draft to cancellation (see module docstring)."""

    kind: ClassVar[str] = "alert"
    REVIEWED: ClassVar[str] = "An alert"
    code_prefix: ClassVar[str] = "CB"
    FINAL_STATUSES: ClassVar[frozenset[str]] = frozenset({S.CANCELLED})
    TEXT_LIMITS: ClassVar[Mapping[str, int]] = {"reason": MAX_REASON}
    TRANSITIONS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "revise": (S.DRAFT, S.APPROVED, S.ISSUED, S.REVISING, S.REVISION_APPROVED, S.REJECTED, S.REVISION_REJECTED),
        "approve": (S.DRAFT, S.REVISING),
        "reject": (S.DRAFT, S.APPROVED, S.REVISING, S.REVISION_APPROVED),
        "issue": (S.APPROVED, S.REVISION_APPROVED),
        "cancel": (S.ISSUED, S.REVISING, S.REVISION_APPROVED, S.REVISION_REJECTED),
    }
    # No comment or assignment steps: an alert speaks only through its messages.
    UNTIL_FINAL: ClassVar[frozenset[str]] = frozenset()
    IN_FORCE: ClassVar[frozenset[str]] = frozenset({S.ISSUED, S.REVISING, S.REVISION_APPROVED, S.REVISION_REJECTED})

    STATUSES: ClassVar[tuple[str, ...]] = tuple(AlertStatus)

    # -- creation ---------------------------------------------------------

    @event("Drafted")
    def __init__(
        self,
        *,
        id: UUID,
        code: str,
        actor: Principal,
        agency: str,
        content: AlertContent,
        source: AlertSource | None,
        timestamp: datetime,
    ) -> None:
        self._begin(code, S.DRAFT, agency)
        self.content = content
        self.source = source
        # Who wrote the content now awaiting approval (the four-eyes rule).
        self.author = actor.subject
        self.approver: str | None = None
        self.messages: tuple[AlertMessage, ...] = ()
        self.cancel_reason: str | None = None
        # Why the content was last sent back (cleared by the next revision).
        self.rejection_reason: str | None = None
        # The upstream messages (CAP Update, Cancel) applied to an imported alert since ``source``.
        self.upstream: tuple[AlertSource, ...] = ()

    @checked_creation(__init__)
    @staticmethod
    def draft(fields: Fields) -> Fields:
        """Draft an alert of ``agency`` (content checked by the handler against
        the directory's wards: ``alert_values.check_content``)."""
        return fields

    # -- steps --------------------------------------------------------------

    def revise(self, actor: Principal, content: AlertContent, *, timestamp: datetime) -> None:
        """Replace the content: a draft's before approval (an approval given is
        withdrawn), or an issued alert's next update (issued with a new approval)."""
        self._require("revise")
        self._revise(actor=actor, content=content, timestamp=timestamp)

    @event("Revised")
    def _revise(self, actor: Principal, content: AlertContent, timestamp: datetime) -> None:
        self.content = content
        self.rejection_reason = None
        self._take_revision(actor)

    _approve = event("Approved")(FourEyesReview._approve)

    def reject(self, actor: Principal, reason: str, *, timestamp: datetime) -> None:
        """Send the content awaiting approval or issue back with a reason (an
        approval given is withdrawn). Nothing is published, so unlike approving
        it needs no second person: an author may withdraw their own draft."""
        self._take_step("reject", actor, timestamp, reason=reason)

    @event("Rejected")
    def _reject(self, actor: Principal, reason: str, timestamp: datetime) -> None:
        self.approver = None
        self.rejection_reason = reason
        self.status = S.REJECTED if not self.messages else S.REVISION_REJECTED

    def receive_upstream(self, actor: Principal, source: AlertSource, *, timestamp: datetime) -> None:
        """Record an upstream CAP message (Update or Cancel) applied to this
        imported alert; the same message is never applied twice."""
        if self.source is None:
            raise RuleViolationError(self.id, "upstream", "The alert was not imported from an upstream authority.")
        if source == self.source or source in self.upstream:
            raise RuleViolationError(self.id, "upstream", "That upstream message was applied already.")
        self._receive_upstream(actor=actor, source=source, timestamp=timestamp)

    @event("UpstreamReceived")
    def _receive_upstream(self, actor: Principal, source: AlertSource, timestamp: datetime) -> None:
        self.upstream = (*self.upstream, source)

    def issue(self, actor: Principal, *, identifier: str, sender: str, sent: datetime, timestamp: datetime) -> None:
        """Issue the approved content as the next CAP message: ``Alert`` the
        first time, then ``Update`` referencing every earlier message. ``sent``
        is ``timestamp`` as the message states it (whole seconds, local offset)."""
        self._require("issue")
        if self.content.expires <= timestamp:
            raise RuleViolationError(self.id, "expires", "The alert would expire before it is issued: revise it.")
        self._issue(
            actor=actor,
            msg_type=MsgType.UPDATE if self.messages else MsgType.ALERT,
            wards=self.content.wards,
            timestamp=timestamp,
            **self._envelope(identifier, sender, sent),
        )

    @event("Issued")
    def _issue(
        self,
        actor: Principal,
        identifier: str,
        sender: str,
        sent: datetime,
        msg_type: MsgType,
        references: tuple[str, ...],
        wards: tuple[str, ...],
        timestamp: datetime,
    ) -> None:
        message = AlertMessage(identifier, sender, sent, msg_type, references, self.content)
        self.messages = (*self.messages, message)
        self.status = S.ISSUED

    def cancel(
        self, actor: Principal, reason: str, *, identifier: str, sender: str, sent: datetime, timestamp: datetime
    ) -> None:
        """Withdraw an issued alert with a reason: a CAP ``Cancel`` message
        referencing every earlier message."""
        self._require("cancel")
        reason = self._require_text(self.id, "reason", reason, MAX_REASON)
        self._cancel(
            actor=actor,
            reason=reason,
            wards=self.issued.content.wards,
            timestamp=timestamp,
            **self._envelope(identifier, sender, sent),
        )

    @event("Cancelled")
    def _cancel(
        self,
        actor: Principal,
        reason: str,
        identifier: str,
        sender: str,
        sent: datetime,
        references: tuple[str, ...],
        wards: tuple[str, ...],
        timestamp: datetime,
    ) -> None:
        content = self.messages[-1].content
        message = AlertMessage(identifier, sender, sent, MsgType.CANCEL, references, content, note=reason)
        self.messages = (*self.messages, message)
        self.cancel_reason = reason
        self.public_note = reason
        self.status = S.CANCELLED

    def _envelope(self, identifier: str, sender: str, sent: datetime) -> Envelope:
        """The next message's envelope: it references every message sent before it."""
        references = tuple(message.reference for message in self.messages)
        return Envelope(identifier=identifier, sender=sender, sent=sent, references=references)

    # -- derived ------------------------------------------------------------

    @property
    def has_gone_out(self) -> bool:
        return bool(self.messages)

    @property
    def issued(self) -> AlertMessage:
        """The latest message issued (``IndexError`` before the first)."""
        return self.messages[-1]

    @property
    def wards(self) -> tuple[str, ...]:
        """The wards the alert covers now: its last message's, else its draft's."""
        return self.messages[-1].content.wards if self.messages else self.content.wards

    def is_active_at(self, moment: datetime) -> bool:
        """In force at ``moment``: issued, not cancelled, not yet expired."""
        return self.status in self.IN_FORCE and self.issued.content.expires > moment
