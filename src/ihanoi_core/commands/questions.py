"""Commands of the Q&A switchboard (tổng đài hỏi đáp): questions and
knowledge articles.

A citizen asks (``AskQuestion``) on the app or the web; the Zalo and hotline
adapters, run by staff, ask with their channel and the same command. The
answer or the hand-off is decided when the question is recorded (see
``handlers.questions``). The asker says whether an answer helped; staff of
the agency a question was handed to answer it, with the answer's legal
basis, and may record the knowledge article it became.

Staff of an agency draft knowledge articles (title, body, legal basis and
source, each required); a leader other than the author approves; staff
publish; a published article is revised and approved again; a leader
retires it. The statuses each step is valid from are
``Question.TRANSITIONS`` and ``KnowledgeArticle.TRANSITIONS``.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from msgspec import Meta

from ihanoi_core.commands.command import CaseCommand, CreateCommand
from ihanoi_core.commands.steps import ApproveStep
from ihanoi_core.commands.values import Code, ShortText
from ihanoi_core.domain.case import Case
from ihanoi_core.domain.knowledge_article import KnowledgeArticle
from ihanoi_core.domain.question import Question
from ihanoi_core.domain.question_values import QuestionChannel
from ihanoi_core.domain.values import Role
from ihanoi_core.permissions import CITIZEN, LEADER, STAFF

QuestionText = Annotated[str, Meta(min_length=1, max_length=2000)]
AnswerText = Annotated[str, Meta(min_length=1, max_length=8000)]
Title = Annotated[str, Meta(min_length=1, max_length=300)]
Basis = Annotated[str, Meta(min_length=1, max_length=1000)]
Keywords = Annotated[tuple[Annotated[str, Meta(min_length=1, max_length=100)], ...], Meta(max_length=30)]


class AskQuestion(CreateCommand, frozen=True, kw_only=True):
    """Ask the switchboard: it answers with the sources it cites, or hands the
    question to a person of the responsible agency, who answers by a due time."""

    name: ClassVar[str] = "create"
    creates: ClassVar[tuple[type[Case], ...]] = (Question,)
    roles: ClassVar[frozenset[Role]] = CITIZEN | STAFF

    text: QuestionText
    channel: QuestionChannel = QuestionChannel.APP


class QuestionCommand(CaseCommand, frozen=True, kw_only=True):
    """A command on a question."""

    family: ClassVar[type[Case]] = Question
    roles: ClassVar[frozenset[Role]] = STAFF


class GiveFeedback(QuestionCommand, frozen=True, kw_only=True):
    """Say whether the answer helped (the asker)."""

    name: ClassVar[str] = "feedback"
    step_name: ClassVar[str] = "give_feedback"
    roles: ClassVar[frozenset[Role]] = CITIZEN
    helpful: bool


class AnswerQuestion(QuestionCommand, frozen=True, kw_only=True):
    """Answer a handed-off question, with the answer's legal basis (staff of its agency)."""

    name: ClassVar[str] = "answer"
    answer: AnswerText
    legal_basis: Basis


class PromoteQuestion(QuestionCommand, frozen=True, kw_only=True):
    """Record the knowledge article (its code) the staff answer became."""

    name: ClassVar[str] = "promote"
    article: Code


class DraftArticle(CreateCommand, frozen=True, kw_only=True):
    """Draft a knowledge article for the caller's agency; the switchboard
    cites it only once a leader other than its author has approved it and it
    is published."""

    name: ClassVar[str] = "create"
    creates: ClassVar[tuple[type[Case], ...]] = (KnowledgeArticle,)
    roles: ClassVar[frozenset[Role]] = STAFF

    title: Title
    # ``text``, not ``body``: a field hides the command's ``body()`` class method.
    text: AnswerText
    legal_basis: Basis
    source: Basis
    procedure: Code | None = None
    keywords: Keywords = ()


class ArticleCommand(CaseCommand, frozen=True, kw_only=True):
    """A command on a knowledge article."""

    family: ClassVar[type[Case]] = KnowledgeArticle
    roles: ClassVar[frozenset[Role]] = STAFF


class ReviseArticle(ArticleCommand, frozen=True, kw_only=True):
    """Change the working text; fields left out keep their value (an approval is withdrawn)."""

    name: ClassVar[str] = "revise"
    title: Title | None = None
    text: AnswerText | None = None
    legal_basis: Basis | None = None
    source: Basis | None = None
    procedure: Code | None = None
    keywords: Keywords | None = None


class ApproveArticle(ApproveStep, ArticleCommand, frozen=True, kw_only=True):
    """Approve the working text (four eyes: not by its author)."""


class PublishArticle(ArticleCommand, frozen=True, kw_only=True):
    """Publish the approved text: the switchboard cites it from now on."""

    name: ClassVar[str] = "publish"


class RetireArticle(ArticleCommand, frozen=True, kw_only=True):
    """Withdraw the article from the switchboard, with a reason."""

    name: ClassVar[str] = "retire"
    roles: ClassVar[frozenset[Role]] = LEADER
    reason: ShortText
