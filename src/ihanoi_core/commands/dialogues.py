"""Commands of dialogue sessions with businesses (hội nghị đối thoại).

A leader schedules a session (title, chair, the agencies taking part, when
and where). A business registers a question beforehand; staff register one
for a business beforehand or from the floor once the session is held. Staff
answer each on the record or turn it into a business inquiry with a
deadline (``refer``), a leader publishes the minutes, and staff close each
follow-up once its inquiry is answered, then the session. The statuses each
step is valid from are ``DialogueSession.TRANSITIONS``.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from msgspec import Meta

from ihanoi_core.commands.business import TaxCode, Topic
from ihanoi_core.commands.command import CaseCommand, CreateCommand
from ihanoi_core.commands.values import AwareDatetime, Code, Name, ShortText, Text
from ihanoi_core.domain.business_values import BusinessKind
from ihanoi_core.domain.case import Case
from ihanoi_core.domain.dialogue_session import DialogueSession
from ihanoi_core.domain.values import Role
from ihanoi_core.permissions import BUSINESS, LEADER, STAFF

Number = Annotated[int, Meta(ge=1, le=10_000)]


class ScheduleSession(CreateCommand, frozen=True, kw_only=True):
    """Schedule a dialogue session of the caller's agency: its chair, the
    agencies taking part, when and where."""

    name: ClassVar[str] = "create"
    creates: ClassVar[tuple[type[Case], ...]] = (DialogueSession,)
    roles: ClassVar[frozenset[Role]] = LEADER

    title: Annotated[str, Meta(min_length=1, max_length=300)]
    chair: Name
    participants: Annotated[tuple[Code, ...], Meta(max_length=50)] = ()
    held_at: AwareDatetime
    place: ShortText


class SessionCommand(CaseCommand, frozen=True, kw_only=True):
    """A command on a dialogue session."""

    family: ClassVar[type[Case]] = DialogueSession
    roles: ClassVar[frozenset[Role]] = STAFF


class RegisterQuestion(SessionCommand, frozen=True, kw_only=True):
    """Register a question: a business beforehand (for itself), staff
    beforehand for a business or from the floor once the session is held."""

    name: ClassVar[str] = "register-question"
    roles: ClassVar[frozenset[Role]] = STAFF | BUSINESS
    text: Text
    from_floor: bool = False
    tax_code: TaxCode | None = None


class RecordSessionHeld(SessionCommand, frozen=True, kw_only=True):
    """Record that the session took place (once its time has come)."""

    name: ClassVar[str] = "held"
    step_name: ClassVar[str] = "record_held"


class AnswerSessionQuestion(SessionCommand, frozen=True, kw_only=True):
    """Answer a question on the record."""

    name: ClassVar[str] = "answer"
    step_name: ClassVar[str] = "answer_question"
    number: Number
    answer: Text


class ReferQuestion(SessionCommand, frozen=True, kw_only=True):
    """Turn a business's question into a business inquiry of an agency taking
    part, due by the directory's ``business_inquiry_answer`` rule."""

    name: ClassVar[str] = "refer"
    step_name: ClassVar[str] = "refer_question"
    number: Number
    agency: Code
    topic: Topic
    business_kind: BusinessKind = BusinessKind.ENTERPRISE


class PublishMinutes(SessionCommand, frozen=True, kw_only=True):
    """Publish the minutes (every question answered or referred)."""

    name: ClassVar[str] = "publish-minutes"
    roles: ClassVar[frozenset[Role]] = LEADER
    minutes: Annotated[str, Meta(min_length=1, max_length=20000)]


class CloseFollowUp(SessionCommand, frozen=True, kw_only=True):
    """Close the follow-up of a referred question once its inquiry is answered."""

    name: ClassVar[str] = "close-follow-up"
    number: Number


class CloseSession(SessionCommand, frozen=True, kw_only=True):
    """Close the session once every follow-up is closed."""

    name: ClassVar[str] = "close"
