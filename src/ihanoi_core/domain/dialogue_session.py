"""DialogueSession (hội nghị đối thoại với doanh nghiệp): the city's leader
taking businesses' questions and answering them point by point.

A leader schedules it (title, the leader who chairs, the agencies taking
part, when and where). Questions are registered beforehand — by a business
(its tax code kept, the person not: the registration is recorded by the
system) or by staff for one — and from the floor while it is held, by staff.
Each is answered on the record, or turned into a business inquiry with a
deadline (its code kept here) for an agency taking part to answer later. The
minutes are published once every question is answered or referred; the
session closes once each referred inquiry has been answered (follow-ups
tracked to closure). The agencies taking part see it like its own; it is a
public meeting, so everyone reads it — without which business asked what.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import ClassVar
from uuid import UUID

from eventsourcing.domain import event

from ihanoi_core.domain.business_values import SessionQuestion, SessionStatus
from ihanoi_core.domain.business_values import SessionStatus as S
from ihanoi_core.domain.case import Case
from ihanoi_core.domain.checked_commands import Fields, checked_creation
from ihanoi_core.domain.status_steps import entering
from ihanoi_core.domain.values import Principal
from ihanoi_core.errors import RuleViolationError

MAX_QUESTION = 4000


class DialogueSession(Case):
    """A dialogue session with businesses (see module docstring)."""

    kind: ClassVar[str] = "dialogue_session"
    code_prefix: ClassVar[str] = "DT"
    FINAL_STATUSES: ClassVar[frozenset[str]] = frozenset({S.CLOSED})
    TRANSITIONS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "register_question": (S.SCHEDULED, S.HELD),
        "record_held": (S.SCHEDULED,),
        "answer_question": (S.HELD,),
        "refer_question": (S.HELD,),
        "publish_minutes": (S.HELD,),
        "close_follow_up": (S.HELD, S.MINUTES_PUBLISHED),
        "close": (S.MINUTES_PUBLISHED,),
    }
    UNTIL_FINAL: ClassVar[frozenset[str]] = frozenset()
    # Which business asked what is for the organisers; everyone else reads the questions without it.
    PERSONAL_FIELDS: ClassVar[tuple[str, ...]] = ("owner", "questions")

    STATUSES: ClassVar[tuple[str, ...]] = tuple(SessionStatus)

    @property
    def is_public(self) -> bool:
        """A dialogue is a public meeting: anyone reads it and its minutes."""
        return True

    def pseudonymised_fields(self) -> dict[str, object]:
        return {"questions": tuple(replace(question, business=None) for question in self.questions)}

    @property
    def agencies(self) -> tuple[str, ...]:
        """The organising agency and those taking part (and any it was escalated to)."""
        return tuple(dict.fromkeys((*super().agencies, *self.participants)))

    @event("Scheduled")
    def __init__(
        self,
        *,
        id: UUID,
        code: str,
        actor: Principal,
        agency: str,
        title: str,
        chair: str,
        participants: tuple[str, ...],
        held_at: datetime,
        place: str,
        timestamp: datetime,
    ) -> None:
        self._begin(code, S.SCHEDULED, agency)
        self.title = title
        self.chair = chair
        self.participants = participants
        self.held_at = held_at
        self.place = place
        self.questions: tuple[SessionQuestion, ...] = ()
        self.minutes: str | None = None

    @checked_creation(__init__)
    @staticmethod
    def schedule(fields: Fields) -> Fields:
        """Schedule a session of ``agency`` chaired by ``chair``, with ``participants``."""
        id = fields["id"]
        if fields["held_at"] <= fields["timestamp"]:
            raise RuleViolationError(id, "held_at", "A dialogue session is scheduled in the future.")
        texts = {"title": 300, "chair": 200, "place": 500}
        return fields | {name: Case._require_text(id, name, fields[name], most) for name, most in texts.items()}

    def register_question(
        self, actor: Principal, text: str, from_floor: bool, business: str | None, *, timestamp: datetime
    ) -> int:
        """Register a question (beforehand, or from the floor once held); its number."""
        self._require("register_question")
        if from_floor != (self.status == S.HELD):
            raise RuleViolationError(
                self.id,
                "from_floor",
                "Questions are registered beforehand until the session is held, then from the floor.",
            )
        question = SessionQuestion(
            len(self.questions) + 1, self._require_text(self.id, "text", text, MAX_QUESTION), from_floor, business
        )
        self._register_question(actor=actor, question=question, timestamp=timestamp)
        return question.number

    @event("QuestionRegistered")
    def _register_question(self, actor: Principal, question: SessionQuestion, timestamp: datetime) -> None:
        self.questions = (*self.questions, question)

    def record_held(self, actor: Principal, *, timestamp: datetime) -> None:
        """The session took place (not before its time)."""
        refusal = "A session is recorded as held once its time has come."
        self._take_step_when_due("record_held", actor, timestamp, "held_at", refusal)

    _record_held = event("Held")(entering(S.HELD))

    def question(self, number: int) -> SessionQuestion:
        if not 1 <= number <= len(self.questions):
            raise RuleViolationError(self.id, "number", f"There is no question {number}.")
        return self.questions[number - 1]

    def _require_open_question(self, number: int) -> SessionQuestion:
        asked = self.question(number)
        if asked.answer is not None or asked.inquiry is not None:
            raise RuleViolationError(self.id, "number", f"Question {number} is already answered or referred.")
        return asked

    def answer_question(self, actor: Principal, number: int, answer: str, *, timestamp: datetime) -> None:
        """Answer question ``number`` on the record."""
        self._require("answer_question")
        self._require_open_question(number)
        self._answer_question(
            actor=actor, number=number, answer=self._require_text(self.id, "answer", answer), timestamp=timestamp
        )

    @event("QuestionAnswered")
    def _answer_question(self, actor: Principal, number: int, answer: str, timestamp: datetime) -> None:
        self._set(number, answer=answer)

    def refer_question(self, actor: Principal, number: int, inquiry: str, *, timestamp: datetime) -> None:
        """Record that question ``number`` became the business inquiry ``inquiry`` (its code)."""
        self._require("refer_question")
        self._require_open_question(number)
        self._refer_question(actor=actor, number=number, inquiry=inquiry, timestamp=timestamp)

    @event("QuestionReferred")
    def _refer_question(self, actor: Principal, number: int, inquiry: str, timestamp: datetime) -> None:
        self._set(number, inquiry=inquiry)

    def publish_minutes(self, actor: Principal, minutes: str, *, timestamp: datetime) -> None:
        """Publish the minutes: every question answered on the record or referred."""
        self._require("publish_minutes")
        if open_ := [q.number for q in self.questions if q.answer is None and q.inquiry is None]:
            raise RuleViolationError(self.id, "unanswered", f"Questions not yet answered or referred: {open_}.")
        self._publish_minutes(
            actor=actor, minutes=self._require_text(self.id, "minutes", minutes, 20000), timestamp=timestamp
        )

    @event("MinutesPublished")
    def _publish_minutes(self, actor: Principal, minutes: str, timestamp: datetime) -> None:
        self.minutes = minutes
        self.status = S.MINUTES_PUBLISHED

    def close_follow_up(self, actor: Principal, number: int, *, timestamp: datetime) -> None:
        """Record that the inquiry question ``number`` became has been answered
        (the handler checks the inquiry)."""
        self._require("close_follow_up")
        asked = self.question(number)
        if asked.inquiry is None or asked.followed_up:
            raise RuleViolationError(self.id, "number", f"Question {number} has no open follow-up.")
        self._close_follow_up(actor=actor, number=number, timestamp=timestamp)

    @event("FollowUpClosed")
    def _close_follow_up(self, actor: Principal, number: int, timestamp: datetime) -> None:
        self._set(number, followed_up=True)

    def close(self, actor: Principal, *, timestamp: datetime) -> None:
        """Close the session once every follow-up is closed."""
        self._require("close")
        if pending := [q.number for q in self.questions if q.inquiry is not None and not q.followed_up]:
            raise RuleViolationError(self.id, "follow_ups", f"Follow-ups still open: questions {pending}.")
        self._close(actor, timestamp)

    _close = event("Closed")(entering(S.CLOSED))

    def _set(self, number: int, **changes: object) -> None:
        questions = list(self.questions)
        questions[number - 1] = replace(questions[number - 1], **changes)  # type: ignore[arg-type]
        self.questions = tuple(questions)
