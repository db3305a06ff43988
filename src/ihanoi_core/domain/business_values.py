"""The values of the business portal (cổng tham vấn, đối thoại doanh nghiệp):
a business's kind, an inquiry's status and follow-ups, a consultation's
status, comments and answers, a dialogue session's status and questions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypedDict
from uuid import UUID

from ihanoi_core.domain.personal import ERASED, Personal
from ihanoi_core.domain.values import Clock, Principal


class BusinessKind(StrEnum):
    """An enterprise (doanh nghiệp) or a household business (hộ kinh doanh)."""

    ENTERPRISE = "enterprise"
    HOUSEHOLD = "household"


class InquiryStatus(StrEnum):
    """``open``: the agency must answer by ``due_at``; ``answered``: it did
    (a follow-up question opens it again); ``published``: the answer, made
    anonymous, is in the knowledge base with the business's consent."""

    OPEN = "open"
    ANSWERED = "answered"
    PUBLISHED = "published"


class InquirySubmission(TypedDict):
    """What an inquiry says, as its Submitted event records it: the business
    and its kind, the topic and procedure asked about, the question, and the
    agency that answers it on ``clock``."""

    id: UUID
    code: str
    actor: Principal
    business: str
    business_kind: BusinessKind
    topic: str
    procedure: str | None
    text: str
    agency: str
    clock: Clock
    timestamp: datetime


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A follow-up question of the business, when it was asked."""

    at: datetime
    text: str


class ConsultationStatus(StrEnum):
    """``open`` (taking comments between ``opens_at`` and ``closes_at``),
    ``closed``, ``synthesis_published`` (the report answering every comment)."""

    OPEN = "open"
    CLOSED = "closed"
    SYNTHESIS_PUBLISHED = "synthesis_published"


class Audience(StrEnum):
    """Whom a draft is put to: businesses, citizens, or both."""

    BUSINESSES = "businesses"
    CITIZENS = "citizens"
    EVERYONE = "everyone"


class Outcome(StrEnum):
    """How a synthesis report answers a comment: accepted (tiếp thu) or
    explained (giải trình: why the draft stays as it is)."""

    ACCEPTED = "accepted"
    EXPLAINED = "explained"


@dataclass(frozen=True, slots=True)
class CommentAnswer:
    """The synthesis report's answer to comment ``number``: the comment as
    the agency sums it up (``summary``, nothing personal), the outcome and the reply."""

    number: int
    summary: str
    outcome: Outcome
    reply: str


class SessionStatus(StrEnum):
    """``scheduled``, ``held`` (the meeting took place), ``minutes_published``,
    ``closed`` (every follow-up done)."""

    SCHEDULED = "scheduled"
    HELD = "held"
    MINUTES_PUBLISHED = "minutes_published"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class SessionQuestion:
    """A question of a dialogue session: registered beforehand or from the
    floor, by a business (its tax code, if one asked), and what became of it:
    answered on the record, or the inquiry it was turned into (its code), and
    whether that follow-up is closed."""

    number: int
    text: str
    from_floor: bool
    business: str | None = None
    answer: str | None = None
    inquiry: str | None = None
    followed_up: bool = False


# The filer's subject, their text and follow-ups are theirs.
INQUIRY_PERSONAL_DATA: Mapping[str, Mapping[str, Personal]] = {
    "Submitted": {"filer": Personal("filer", None, names_subject=True), "text": Personal("filer", ERASED)},
    "FollowUpAsked": {"text": Personal("filer", ERASED)},
}
INQUIRY_ERASED_STATE: Mapping[str, object] = {"owner": None, "text": ERASED, "follow_ups": ()}

VALUE_TYPES: dict[str, type] = {
    "business_kind": BusinessKind,
    "inquiry_status": InquiryStatus,
    "follow_up": FollowUp,
    "consultation_status": ConsultationStatus,
    "audience": Audience,
    "comment_outcome": Outcome,
    "comment_answer": CommentAnswer,
    "session_status": SessionStatus,
    "session_question": SessionQuestion,
}
