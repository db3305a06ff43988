"""Consent: a data subject's consent to one purpose of processing beyond case
handling, given and withdrawn (Law 91/2025/QH15: the rights to consent and to
withdraw consent).

One aggregate per data subject and purpose. ``Opened`` names whose consent and
for which purpose; then ``Given`` (the channel it covers, if any, and the
version of the privacy notice the citizen agreed to) and ``Withdrawn`` (an
optional reason) alternate. Giving again while given under the same notice is
no event; under a new notice version it is a new ``Given``. Withdrawing what
is not given is ``ConsentNotGivenError`` when it was never given, and no event
when it is withdrawn already. Pure: the application finds the aggregate by its
id (``consent_id``) and checks that only the citizen acts on their own consent.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from ihanoi_core.domain.personal import ACTOR, Personal, declare_personal_data
from ihanoi_core.domain.values import Principal, required_text
from ihanoi_core.errors import ConflictError

MAX_NOTICE_VERSION = 64
MAX_CHANNEL = 200
MAX_REASON = 2000
CONSENT_NAMESPACE = uuid5(NAMESPACE_URL, "https://ihanoi.local/consent")


class Purpose(StrEnum):
    """What personal data is processed for, beyond handling the citizen's own cases."""

    # Notices of a case's progress sent to the citizen's phone or e-mail (issue #14).
    NOTIFICATIONS = "notifications"
    # Answering a satisfaction survey under one's identity rather than anonymously.
    SURVEY_IDENTITY = "survey_identity"


class ConsentStatus(StrEnum):
    GIVEN = "given"
    WITHDRAWN = "withdrawn"


VALUE_TYPES: dict[str, type] = {"consent_purpose": Purpose, "consent_status": ConsentStatus}


class ConsentNotGivenError(ConflictError):
    """Raised when a citizen withdraws a consent they never gave (HTTP 409)."""

    code = "consent_not_given"

    def __init__(self, consent_id: UUID, purpose: str) -> None:
        super().__init__(consent_id, f"No consent to {purpose} was ever given, so there is none to withdraw.")
        self.context.update(purpose=purpose)


def consent_id(subject: str, purpose: Purpose, generation: str = "") -> UUID:
    """The id of ``subject``'s consent to ``purpose``: deterministic, so a second
    give finds the first. ``generation`` tells apart the subject's lives across
    an erasure (the application passes the id of their data key)."""
    return uuid5(CONSENT_NAMESPACE, f"{subject}\x1f{purpose}\x1f{generation}")


class Consent(Aggregate):
    """One data subject's consent to one purpose, and its history."""

    kind: ClassVar[str] = "consent"

    @event("Opened")
    def __init__(self, *, id: UUID, actor: Principal, subject: str, purpose: Purpose, timestamp: datetime) -> None:
        self.subject: str | None = subject
        self.purpose = purpose
        self.status: ConsentStatus | None = None
        self.channel: str | None = None
        self.notice_version: str | None = None
        self.history: list[dict[str, Any]] = []

    @property
    def is_given(self) -> bool:
        return self.status is ConsentStatus.GIVEN

    def give(self, actor: Principal, *, notice_version: str, channel: str | None, timestamp: datetime) -> bool:
        """Give consent under ``notice_version``; ``False`` (no event) when it is
        given already under that notice and for that channel."""
        notice_version = required_text("notice_version", notice_version, MAX_NOTICE_VERSION)
        channel = required_text("channel", channel, MAX_CHANNEL) if channel and channel.strip() else None
        if self.is_given and (self.notice_version, self.channel) == (notice_version, channel):
            return False
        self._given(actor=actor, notice_version=notice_version, channel=channel, timestamp=timestamp)
        return True

    @event("Given")
    def _given(self, actor: Principal, notice_version: str, channel: str | None, timestamp: datetime) -> None:
        self.status = ConsentStatus.GIVEN
        self.notice_version = notice_version
        self.channel = channel
        self.history.append(
            {"event": "given", "at": timestamp, "notice_version": notice_version, "channel": channel, "reason": None}
        )

    def withdraw(self, actor: Principal, *, reason: str | None, timestamp: datetime) -> bool:
        """Withdraw consent (``actor``: the citizen, or the officer who erased
        them); ``False`` (no event) when withdrawn already."""
        if self.status is None:
            raise ConsentNotGivenError(self.id, str(self.purpose))
        if self.status is ConsentStatus.WITHDRAWN:
            return False
        reason = required_text("reason", reason, MAX_REASON) if reason and reason.strip() else None
        self._withdrawn(actor=actor, reason=reason, timestamp=timestamp)
        return True

    @event("Withdrawn")
    def _withdrawn(self, actor: Principal, reason: str | None, timestamp: datetime) -> None:
        self.status = ConsentStatus.WITHDRAWN
        self.history.append(
            {"event": "withdrawn", "at": timestamp, "notice_version": None, "channel": None, "reason": reason}
        )


# Whose consent it is (the subject's id names their data key), the citizen
# acting (every event records ``actor``; staff act in office); the channel
# (it may be a phone number or an address) and a withdrawal's reason are theirs.
declare_personal_data(
    Consent,
    {
        "Opened": {"subject": Personal("the data subject", None, names_subject=True), "actor": ACTOR},
        "Given": {"channel": Personal("the data subject", None), "actor": ACTOR},
        "Withdrawn": {"reason": Personal("the data subject", None), "actor": ACTOR},
    },
)
