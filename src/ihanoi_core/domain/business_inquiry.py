"""BusinessInquiry (phản ánh, kiến nghị, vướng mắc của doanh nghiệp): a
difficulty or question of a business, answered by the agency the directory
routes it to, by a due time.

A person acting for a business (``Role.BUSINESS``; the business is the tax
code on their token) submits it with a topic, an optional procedure of the
catalogue, the business's kind and the text. The handler routes it (the
procedure's agency, else the topic's) and starts its clock from the
directory's ``business_inquiry_answer`` rule, whose legal basis travels in
the event (a question of a dialogue session that staff turn into an inquiry
names the session and has no person); the deadline watcher reminds, records the miss and escalates it
like any other case. Everyone acting for the same business sees it and may
ask follow-up questions; one asked after the answer opens it again with a
new clock. The agency answers with the legal basis, and a late answer must
say why (``late_explanation``). With the business's consent, staff publish it
anonymised — a public question and answer they write, which may not carry
the tax code — into the knowledge base the Q&A switchboard searches. The
business rates the answer.

The filer's subject, their text and follow-ups are their personal data
(``INQUIRY_PERSONAL_DATA``); the tax code and kind identify the business and
stay out of every public view.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import ClassVar, Unpack
from uuid import UUID

from eventsourcing.domain import event

from ihanoi_core.domain.business_values import (
    INQUIRY_ERASED_STATE,
    INQUIRY_PERSONAL_DATA,
    BusinessKind,
    FollowUp,
    InquiryStatus,
    InquirySubmission,
)
from ihanoi_core.domain.business_values import InquiryStatus as S
from ihanoi_core.domain.case import Case
from ihanoi_core.domain.personal import Personal
from ihanoi_core.domain.values import Clock, DeadlineCalendar, Principal
from ihanoi_core.errors import RuleViolationError

MAX_TEXT = 4000
MAX_ANSWER = 8000
# Separators inside a number ("0100 109 106", "0100.109.106"), dropped before a tax code is sought.
_JOINERS = re.compile(r"(?<=[0-9])[ .\-](?=[0-9])")


class BusinessInquiry(Case):
    """A business's inquiry (see module docstring)."""

    kind: ClassVar[str] = "business_inquiry"
    code_prefix: ClassVar[str] = "DN"
    FINAL_STATUSES: ClassVar[frozenset[str]] = frozenset()
    PERSONAL_FIELDS: ClassVar[tuple[str, ...]] = ("owner", "text", "follow_ups")
    TRANSITIONS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "ask_follow_up": (S.OPEN, S.ANSWERED),
        "answer": (S.OPEN,),
        "consent_publication": (S.ANSWERED,),
        "publish": (S.ANSWERED,),
        "rate": (S.ANSWERED, S.PUBLISHED),
        "assign": (S.OPEN,),
    }
    UNTIL_FINAL: ClassVar[frozenset[str]] = frozenset()
    PERSONAL_DATA: ClassVar[Mapping[str, Mapping[str, Personal]]] = INQUIRY_PERSONAL_DATA
    ERASED_STATE: ClassVar[Mapping[str, object]] = INQUIRY_ERASED_STATE

    STATUSES: ClassVar[tuple[str, ...]] = tuple(InquiryStatus)

    @classmethod
    def submit(
        cls, *, calendar: DeadlineCalendar, session: str | None = None, **inquiry: Unpack[InquirySubmission]
    ) -> BusinessInquiry:
        """An inquiry of ``business`` routed to ``agency``, due by ``clock``:
        filed by a person acting for the business, or by staff turning a
        question of the dialogue session ``session`` (its code) into one."""
        id, actor, business = inquiry["id"], inquiry["actor"], inquiry["business"]
        if session is None and actor.organisation != business:
            raise RuleViolationError(id, "business", "An inquiry is filed by a person acting for its business.")
        if session is not None and not actor.is_staff:
            raise RuleViolationError(id, "session", "Staff turn a dialogue session's question into an inquiry.")
        inquiry["text"] = cls._require_text(id, "text", inquiry["text"], MAX_TEXT)
        inquiry["business_kind"] = BusinessKind(inquiry["business_kind"])
        filer = actor.subject if session is None else None
        return cls(**inquiry, filer=filer, due_at=calendar.due(inquiry["clock"]), session=session)

    @event("Submitted")
    def __init__(
        self,
        *,
        id: UUID,
        code: str,
        actor: Principal,
        filer: str | None,
        business: str,
        business_kind: BusinessKind,
        topic: str,
        procedure: str | None,
        text: str,
        agency: str,
        clock: Clock,
        due_at: datetime,
        session: str | None,
        timestamp: datetime,
    ) -> None:
        self._begin(code, S.OPEN, agency, owner=filer, clock=clock, due_at=due_at)
        self.business = business
        self.business_kind = business_kind
        self.topic = topic
        self.procedure = procedure
        self.text = text
        self.submitted_at = timestamp
        # The dialogue session whose question it was, if any (its code).
        self.session = session
        self.follow_ups: tuple[FollowUp, ...] = ()
        self.answer_text: str | None = None
        self.legal_basis: str | None = None
        self.late_explanation: str | None = None
        self.answered_at: datetime | None = None
        self.answered_late: bool | None = None
        self.publication_consent = False
        self.public_question: str | None = None
        self.public_answer: str | None = None
        self.rating: int | None = None
        self.rating_comment: str | None = None

    def ask_follow_up(
        self, actor: Principal, text: str, *, clock: Clock, calendar: DeadlineCalendar, timestamp: datetime
    ) -> None:
        """A follow-up question of the business; after an answer it opens
        the inquiry again, due by ``clock`` (while open, the due time stays)."""
        self._require("ask_follow_up")
        text = self._require_text(self.id, "text", text, MAX_TEXT)
        if self.status == S.ANSWERED:
            self._ask_follow_up(actor=actor, text=text, clock=clock, due_at=calendar.due(clock), timestamp=timestamp)
        else:
            self._ask_follow_up(actor=actor, text=text, clock=self.clock, due_at=self.due_at, timestamp=timestamp)

    @event("FollowUpAsked")
    def _ask_follow_up(
        self, actor: Principal, text: str, clock: Clock | None, due_at: datetime | None, timestamp: datetime
    ) -> None:
        self.follow_ups = (*self.follow_ups, FollowUp(timestamp, text))
        self.clock = clock
        self.due_at = due_at
        self.status = S.OPEN

    def answer(
        self, actor: Principal, answer: str, legal_basis: str, late_explanation: str | None, *, timestamp: datetime
    ) -> None:
        """The agency's answer with its legal basis; late, it must say why."""
        self._require("answer")
        answer = self._require_text(self.id, "answer", answer, MAX_ANSWER)
        legal_basis = self._require_text(self.id, "legal_basis", legal_basis, 1000)
        late = self.is_late(timestamp)
        explanation = self._explain_lateness(late, late_explanation, self._past_due())
        self._answer(
            actor=actor,
            answer=answer,
            legal_basis=legal_basis,
            late=late,
            late_explanation=explanation,
            due_at=self.due_at,
            timestamp=timestamp,
        )

    @event("Answered")
    def _answer(
        self,
        actor: Principal,
        answer: str,
        legal_basis: str,
        late: bool,
        late_explanation: str | None,
        due_at: datetime | None,
        timestamp: datetime,
    ) -> None:
        self.answer_text = answer
        self.legal_basis = legal_basis
        self.answered_late = late
        self.late_explanation = late_explanation
        self.answered_at = timestamp
        self.assignee = self.assignee or actor.subject
        self.clock = None
        self.due_at = None
        self.status = S.ANSWERED

    def consent_publication(self, actor: Principal, *, timestamp: datetime) -> None:
        """The business agrees that the answer be published, anonymised."""
        self._require("consent_publication")
        self._consent_publication(actor=actor, timestamp=timestamp)

    @event("PublicationConsented")
    def _consent_publication(self, actor: Principal, timestamp: datetime) -> None:
        self.publication_consent = True

    def publish(self, actor: Principal, question: str, answer: str | None, *, timestamp: datetime) -> None:
        """Publish the question and answer as staff word them for everyone:
        only with the business's consent, and never with its tax code."""
        self._require("publish")
        if not self.publication_consent:
            raise RuleViolationError(self.id, "consent", "The business has not consented to publication.")
        question = self._require_text(self.id, "question", question, MAX_TEXT)
        answer = self._require_text(self.id, "answer", answer or self.answer_text or "", MAX_ANSWER)
        root = self.business[:10]
        for name, text in (("question", question), ("answer", answer)):
            if root in _JOINERS.sub("", text):
                raise RuleViolationError(self.id, name, f"The published {name} must not carry the tax code.")
        self._publish(actor=actor, question=question, answer=answer, timestamp=timestamp)

    @event("Published")
    def _publish(self, actor: Principal, question: str, answer: str, timestamp: datetime) -> None:
        self.public_question = question
        self.public_answer = answer
        self.status = S.PUBLISHED

    def rate(self, actor: Principal, stars: int, comment: str | None, *, timestamp: datetime) -> None:
        """The business rates the answer, 1 to 5 (a second rating replaces it)."""
        self._require("rate")
        if not 1 <= stars <= 5:
            raise RuleViolationError(self.id, "stars", "A rating is 1 to 5 stars.")
        comment = self._require_text(self.id, "comment", comment, 1000) if comment else None
        self._rate(actor=actor, stars=stars, comment=comment, timestamp=timestamp)

    @event("Rated")
    def _rate(self, actor: Principal, stars: int, comment: str | None, timestamp: datetime) -> None:
        self.rating = stars
        self.rating_comment = comment
