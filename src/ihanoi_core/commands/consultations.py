"""Commands of public consultations (lấy ý kiến dự thảo).

Staff of an agency open a consultation on a draft (document URL and SHA-256,
audience, window); citizens and businesses of its audience comment — one
comment each, revised as often as they like until it closes; staff close it
once its announced end has passed, answer each comment (accepted or
explained), and a leader publishes the synthesis report, refused while any
comment is unanswered. The statuses each step is valid from are
``Consultation.TRANSITIONS``.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from msgspec import Meta

from ihanoi_core.commands.command import CaseCommand, CreateCommand
from ihanoi_core.commands.values import AwareDatetime, Sha256, ShortText, Text, Url
from ihanoi_core.domain.business_values import Audience, Outcome
from ihanoi_core.domain.case import Case
from ihanoi_core.domain.consultation import Consultation
from ihanoi_core.domain.values import Role
from ihanoi_core.permissions import BUSINESS, CITIZEN, LEADER, STAFF

Title = Annotated[str, Meta(min_length=1, max_length=300)]
CommentText = Annotated[str, Meta(min_length=1, max_length=8000)]


class OpenConsultation(CreateCommand, frozen=True, kw_only=True):
    """Open a public consultation of the caller's agency on a draft: the
    document (its URL and SHA-256), the audience and the window for comments."""

    name: ClassVar[str] = "create"
    creates: ClassVar[tuple[type[Case], ...]] = (Consultation,)
    roles: ClassVar[frozenset[Role]] = STAFF

    title: Title
    summary: Text
    document_url: Url
    document_sha256: Sha256
    audience: Audience = Audience.EVERYONE
    opens_at: AwareDatetime
    closes_at: AwareDatetime


class ConsultationCommand(CaseCommand, frozen=True, kw_only=True):
    """A command on a public consultation."""

    family: ClassVar[type[Case]] = Consultation
    roles: ClassVar[frozenset[Role]] = STAFF


class GiveComment(ConsultationCommand, frozen=True, kw_only=True):
    """Comment on the draft (a citizen or business of its audience): one
    comment per respondent, which giving again revises until closing."""

    name: ClassVar[str] = "comment"
    # Not ``comment``: that is every case's public note (``Case.comment``).
    step_name: ClassVar[str] = "give_comment"
    roles: ClassVar[frozenset[Role]] = CITIZEN | BUSINESS
    text: CommentText
    section: ShortText | None = None


class CloseConsultation(ConsultationCommand, frozen=True, kw_only=True):
    """Stop taking comments (once the announced end has passed)."""

    name: ClassVar[str] = "close"


class AnswerComment(ConsultationCommand, frozen=True, kw_only=True):
    """Answer comment ``number`` for the synthesis report: accepted (tiếp
    thu) or explained (giải trình), with the reply and a summary of the
    comment that names nobody."""

    name: ClassVar[str] = "answer-comment"
    number: Annotated[int, Meta(ge=1, le=100_000)]
    summary: Annotated[str, Meta(min_length=1, max_length=2000)]
    outcome: Outcome
    reply: Text


class PublishSynthesis(ConsultationCommand, frozen=True, kw_only=True):
    """Publish the synthesis report (báo cáo tiếp thu, giải trình): refused
    while any comment is unanswered."""

    name: ClassVar[str] = "publish-synthesis"
    roles: ClassVar[frozenset[Role]] = LEADER
    summary: Text
