"""Question (câu hỏi, tổng đài hỏi đáp): what a citizen asks the automatic
switchboard, and what became of it.

A question is asked on a channel (app, web, Zalo, hotline) and, in the same
atomic save, either answered by the switchboard — the answer, the citations
it rests on (each with its retrieval score) and the confidence — or handed
off to a person: the agency that must answer, why (nothing found, too
unsure, a case code that is not the asker's …) and the due time, counted on
the working calendar from a rule of the directory (``question_answer``) whose
legal basis travels in the event's clock. A handed-off question is an open
case with an agency and a due time, so it is on that agency's worklist and
under the deadline watcher like any other case. Staff answer it (with the
answer's legal basis); the asker says whether an answer helped; staff may
record that the answer became a knowledge article.

The asker's subject and the question's text are the asker's personal data
(``QUESTION_PERSONAL_DATA``): sealed with their key, never in public read
models. The switchboard never invents: an answer exists only with a citation.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import ClassVar
from uuid import UUID

from eventsourcing.domain import event

from ihanoi_core.domain.case import Case
from ihanoi_core.domain.checked_commands import Fields, checked_creation, checked_step
from ihanoi_core.domain.personal import Personal
from ihanoi_core.domain.question_values import (
    QUESTION_ERASED_STATE,
    QUESTION_PERSONAL_DATA,
    Citation,
    QuestionChannel,
    QuestionStatus,
)
from ihanoi_core.domain.question_values import QuestionStatus as S
from ihanoi_core.domain.values import Clock, DeadlineCalendar, Principal
from ihanoi_core.errors import RuleViolationError

MAX_QUESTION = 2000
MAX_ANSWER = 8000
MAX_REASON = 200


class Question(Case):
    """A question to the switchboard (see module docstring)."""

    kind: ClassVar[str] = "question"
    code_prefix: ClassVar[str] = "HD"
    FINAL_STATUSES: ClassVar[frozenset[str]] = frozenset()
    PERSONAL_FIELDS: ClassVar[tuple[str, ...]] = ("owner", "text")
    TEXT_LIMITS: ClassVar[Mapping[str, int]] = {"article": 40}
    TRANSITIONS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "give_feedback": (S.ANSWERED, S.ANSWERED_BY_STAFF),
        "answer": (S.HANDED_OFF,),
        "promote": (S.ANSWERED_BY_STAFF,),
    }
    UNTIL_FINAL: ClassVar[frozenset[str]] = frozenset()
    PERSONAL_DATA: ClassVar[Mapping[str, Mapping[str, Personal]]] = QUESTION_PERSONAL_DATA
    ERASED_STATE: ClassVar[Mapping[str, object]] = QUESTION_ERASED_STATE

    STATUSES: ClassVar[tuple[str, ...]] = tuple(QuestionStatus)

    # -- creation ---------------------------------------------------------

    @event("Asked")
    def __init__(
        self,
        *,
        id: UUID,
        code: str,
        actor: Principal,
        asker: str | None,
        channel: QuestionChannel,
        text: str,
        timestamp: datetime,
    ) -> None:
        # Not a status of its own: an asked question is answered or handed off in the same save.
        self._begin(code, S.HANDED_OFF, None, owner=asker)
        self.channel = channel
        self.text = text
        self.answer_text: str | None = None
        self.citations: tuple[Citation, ...] = ()
        self.confidence: float = 0.0
        self.intent: str | None = None
        self.handoff_reason: str | None = None
        self.legal_basis: str | None = None
        self.helpful: bool | None = None
        self.article: str | None = None

    @checked_creation(__init__)
    @staticmethod
    def ask(fields: Fields) -> Fields:
        """A question, asked; it is answered or handed off before it is saved."""
        return fields | {"text": Case._require_text(fields["id"], "text", fields["text"], MAX_QUESTION)}

    # -- steps --------------------------------------------------------------

    @event("AutoAnswered")
    def _auto_answer(
        self,
        actor: Principal,
        answer: str,
        citations: tuple[Citation, ...],
        confidence: float,
        intent: str,
        generated: bool,
        timestamp: datetime,
    ) -> None:
        self.answer_text = answer
        self.citations = citations
        self.confidence = confidence
        self.intent = intent
        self.status = S.ANSWERED

    @checked_step(_auto_answer)
    def auto_answer(self, fields: Fields) -> Fields:
        """Answer from the sources: never without a citation."""
        if self.version != 1 or self.answer_text is not None:
            raise RuleViolationError(self.id, "auto_answer", "Only a question just asked is answered automatically.")
        if not fields["citations"]:
            raise RuleViolationError(self.id, "citations", "An answer must cite at least one source.")
        answer = self._require_text(self.id, "answer", fields["answer"], MAX_ANSWER)
        return fields | {"answer": answer, "confidence": round(fields["confidence"], 4)}

    def hand_off(
        self,
        actor: Principal,
        *,
        agency: str,
        reason: str,
        confidence: float,
        candidates: tuple[Citation, ...],
        clock: Clock,
        calendar: DeadlineCalendar,
        timestamp: datetime,
    ) -> None:
        """Give the question to a person of ``agency`` for ``reason``; the due
        time is ``clock``'s on the working calendar. ``candidates``: what the
        switchboard found but did not trust, for the person who answers."""
        if self.version != 1 or self.answer_text is not None:
            raise RuleViolationError(self.id, "hand_off", "Only a question just asked is handed off.")
        reason = self._require_text(self.id, "reason", reason, MAX_REASON)
        self._hand_off(
            actor=actor,
            agency=agency,
            reason=reason,
            confidence=round(confidence, 4),
            candidates=candidates,
            clock=clock,
            due_at=calendar.due(clock),
            timestamp=timestamp,
        )

    @event("HandedOff")
    def _hand_off(
        self,
        actor: Principal,
        agency: str,
        reason: str,
        confidence: float,
        candidates: tuple[Citation, ...],
        clock: Clock,
        due_at: datetime,
        timestamp: datetime,
    ) -> None:
        self.agency = agency
        self.handoff_reason = reason
        self.confidence = confidence
        self.clock = clock
        self.due_at = due_at
        self.status = S.HANDED_OFF

    def give_feedback(self, actor: Principal, helpful: bool, *, timestamp: datetime) -> None:
        """The asker says whether the answer helped (once; a second changes it)."""
        self._require("give_feedback")
        self._give_feedback(actor=actor, helpful=helpful, timestamp=timestamp)

    @event("FeedbackGiven")
    def _give_feedback(self, actor: Principal, helpful: bool, timestamp: datetime) -> None:
        self.helpful = helpful

    def answer(self, actor: Principal, answer: str, legal_basis: str, *, timestamp: datetime) -> None:
        """A person of the agency answers a handed-off question, with the
        answer's legal basis; its clock stops."""
        self._require("answer")
        answer = self._require_text(self.id, "answer", answer, MAX_ANSWER)
        legal_basis = self._require_text(self.id, "legal_basis", legal_basis, 1000)
        self._answer(actor=actor, answer=answer, legal_basis=legal_basis, timestamp=timestamp)

    @event("AnsweredByStaff")
    def _answer(self, actor: Principal, answer: str, legal_basis: str, timestamp: datetime) -> None:
        self.answer_text = answer
        self.legal_basis = legal_basis
        self.public_note = None
        self.clock = None
        self.due_at = None
        self.assignee = self.assignee or actor.subject
        self.status = S.ANSWERED_BY_STAFF

    def promote(self, actor: Principal, article: str, *, timestamp: datetime) -> None:
        """Record that the staff answer became the knowledge article ``article`` (its code)."""
        self._take_step("promote", actor, timestamp, article=article)

    @event("PromotedToArticle")
    def _promote(self, actor: Principal, article: str, timestamp: datetime) -> None:
        self.article = article
