"""PublicConsultation (lấy ý kiến về dự thảo): a draft policy or procedure put
to businesses and citizens, and the agency's synthesis report answering every
comment ("báo cáo tiếp thu, giải trình").

Staff of the drafting agency open it with the document (its URL and SHA-256,
so what was commented on is fixed), the audience and the window
(``opens_at`` … ``closes_at``). It is public: anyone may read it. Each
respondent has one comment (``ConsultationComment``, its own stream keyed by
``comment_id(consultation, respondent)``, like a survey response), which they
revise as often as they like until closing; the consultation numbers each
respondent's comment when it is first given (an event without the person).
After closing, staff answer each comment — accepted or explained, with a
reply and their own summary of it, nothing personal — and publish the
synthesis, which is refused while any comment is unanswered.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from ihanoi_core.domain.business_values import Audience, CommentAnswer, ConsultationStatus, Outcome
from ihanoi_core.domain.business_values import ConsultationStatus as S
from ihanoi_core.domain.case import Case
from ihanoi_core.domain.checked_commands import Fields, checked_creation
from ihanoi_core.domain.personal import ACTOR, ERASED, Personal, declare_personal_data
from ihanoi_core.domain.status_steps import entering
from ihanoi_core.domain.survey import response_id
from ihanoi_core.domain.values import Principal
from ihanoi_core.errors import RuleViolationError

MAX_COMMENT = 8000


# The id of a respondent's one comment on a consultation: derived like a survey response's.
comment_id = response_id


class Consultation(Case):
    """A public consultation on a draft (see module docstring)."""

    kind: ClassVar[str] = "consultation"
    code_prefix: ClassVar[str] = "TV"
    FINAL_STATUSES: ClassVar[frozenset[str]] = frozenset({S.SYNTHESIS_PUBLISHED})
    TRANSITIONS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "give_comment": (S.OPEN,),
        "close": (S.OPEN,),
        "answer_comment": (S.CLOSED,),
        "publish_synthesis": (S.CLOSED,),
    }
    UNTIL_FINAL: ClassVar[frozenset[str]] = frozenset()
    # Which respondents commented (their comments' ids) is for the agency only; others see how many.
    PERSONAL_FIELDS: ClassVar[tuple[str, ...]] = ("owner", "comments")

    STATUSES: ClassVar[tuple[str, ...]] = tuple(ConsultationStatus)

    def pseudonymised_fields(self) -> dict[str, object]:
        return {"comments": len(self.comments)}

    @event("Opened")
    def __init__(
        self,
        *,
        id: UUID,
        code: str,
        actor: Principal,
        agency: str,
        title: str,
        summary: str,
        document_url: str,
        document_sha256: str,
        audience: Audience,
        opens_at: datetime,
        closes_at: datetime,
        timestamp: datetime,
    ) -> None:
        self._begin(code, S.OPEN, agency)
        self.title = title
        self.summary = summary
        self.document_url = document_url
        self.document_sha256 = document_sha256
        self.audience = audience
        self.opens_at = opens_at
        self.closes_at = closes_at
        self.comments: tuple[UUID, ...] = ()
        self.answers: tuple[CommentAnswer, ...] = ()
        self.synthesis: str | None = None

    @checked_creation(__init__)
    @staticmethod
    def open(fields: Fields) -> Fields:
        """Open a consultation of ``agency`` on the document, taking comments
        from ``opens_at`` to ``closes_at``."""
        id, opens_at, closes_at = fields["id"], fields["opens_at"], fields["closes_at"]
        if closes_at <= opens_at or closes_at <= fields["timestamp"]:
            raise RuleViolationError(id, "window", "A consultation closes after it opens, and in the future.")
        title = Case._require_text(id, "title", fields["title"], 300)
        summary = Case._require_text(id, "summary", fields["summary"])
        return fields | {"title": title, "summary": summary, "audience": Audience(fields["audience"])}

    @property
    def is_public(self) -> bool:
        return True

    def takes_comments_at(self, at: datetime) -> bool:
        return self.status == S.OPEN and self.opens_at <= at < self.closes_at

    def number_of(self, comment: UUID) -> int | None:
        """The number of a respondent's comment (1, 2, …), if given."""
        return self.comments.index(comment) + 1 if comment in self.comments else None

    def register_comment(self, actor: Principal, comment: UUID, *, timestamp: datetime) -> int:
        """Number a respondent's first comment (``actor``: the system, not the person)."""
        self._require("give_comment")
        if not self.takes_comments_at(timestamp):
            raise RuleViolationError(
                self.id, "comment_window", f"Comments are taken until {self.closes_at:%Y-%m-%d %H:%M %z}."
            )
        if comment not in self.comments:
            self._register_comment(actor=actor, comment=comment, number=len(self.comments) + 1, timestamp=timestamp)
        number = self.number_of(comment)
        assert number is not None
        return number

    @event("CommentRegistered")
    def _register_comment(self, actor: Principal, comment: UUID, number: int, timestamp: datetime) -> None:
        self.comments = (*self.comments, comment)

    def close(self, actor: Principal, *, timestamp: datetime) -> None:
        """Stop taking comments, once the announced closing time has passed."""
        refusal = "A consultation is not closed before its announced end."
        self._take_step_when_due("close", actor, timestamp, "closes_at", refusal)

    _close = event("Closed")(entering(S.CLOSED))

    def answer_comment(
        self, actor: Principal, number: int, summary: str, outcome: Outcome, reply: str, *, timestamp: datetime
    ) -> None:
        """Answer comment ``number``: accepted or explained, with the reply (a second answer replaces it)."""
        self._require("answer_comment")
        if not 1 <= number <= len(self.comments):
            raise RuleViolationError(self.id, "number", f"There is no comment {number} (1 to {len(self.comments)}).")
        answer = CommentAnswer(
            number,
            self._require_text(self.id, "summary", summary, 2000),
            Outcome(outcome),
            self._require_text(self.id, "reply", reply),
        )
        self._answer_comment(actor=actor, answer=answer, timestamp=timestamp)

    @event("CommentAnswered")
    def _answer_comment(self, actor: Principal, answer: CommentAnswer, timestamp: datetime) -> None:
        kept = tuple(given for given in self.answers if given.number != answer.number)
        self.answers = tuple(sorted((*kept, answer), key=lambda given: given.number))

    def unanswered(self) -> list[int]:
        answered = {answer.number for answer in self.answers}
        return [number for number in range(1, len(self.comments) + 1) if number not in answered]

    def publish_synthesis(self, actor: Principal, summary: str, *, timestamp: datetime) -> None:
        """Publish the synthesis report: refused while any comment is unanswered."""
        self._require("publish_synthesis")
        if missing := self.unanswered():
            raise RuleViolationError(
                self.id, "unanswered", f"Every comment must be answered first; not yet: {', '.join(map(str, missing))}."
            )
        self._publish_synthesis(
            actor=actor, summary=self._require_text(self.id, "summary", summary), timestamp=timestamp
        )

    @event("SynthesisPublished")
    def _publish_synthesis(self, actor: Principal, summary: str, timestamp: datetime) -> None:
        self.synthesis = summary
        self.status = S.SYNTHESIS_PUBLISHED


class ConsultationComment(Aggregate):
    """One respondent's comment on one consultation, revised until closing:
    its own stream, keyed by ``comment_id``. Built by the comment handler."""

    kind: ClassVar[str] = "consultation_comment"

    @event("Given")
    def __init__(
        self, *, id: UUID, consultation_id: UUID, actor: Principal, section: str | None, text: str, timestamp: datetime
    ) -> None:
        self.consultation_id = consultation_id
        self.section = section
        self.text = text
        self.revisions = 0

    def revise(self, actor: Principal, section: str | None, text: str, *, timestamp: datetime) -> None:
        self._revise(actor=actor, section=section, text=text, timestamp=timestamp)

    @event("Revised")
    def _revise(self, actor: Principal, section: str | None, text: str, timestamp: datetime) -> None:
        self.section = section
        self.text = text
        self.revisions += 1


# The respondent's subject (the actor) and their words are theirs.
_TEXT = Personal("respondent", ERASED)
declare_personal_data(
    ConsultationComment, {"Given": {"actor": ACTOR, "text": _TEXT}, "Revised": {"actor": ACTOR, "text": _TEXT}}
)
