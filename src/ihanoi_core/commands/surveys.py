"""Commands on surveys (khảo sát).

A leader drafts a survey for their own agency; the agency's staff set its
questions while it is a draft; the leader publishes it for an answer window,
closes it and publishes a summary of the results. Citizens answer, once each
(``AnswerSurvey``): every response is its own ``SurveyResponse`` aggregate
whose deterministic id makes the store refuse a second one
(``ihanoi_core.errors.AlreadyAnsweredError``). The statuses each step is valid
from are ``Survey.TRANSITIONS``.

A draft is seen like any case (its agency's staff, auditors); a published,
closed or results-published survey is public: every citizen may read and
answer it, and partners may read it (``permissions.can_see``, DESIGN §2).

Questions and answers come in as ``QuestionIn`` and ``AnswerIn``, with the
bounds HTTP enforces when it decodes a body; ``value()`` gives the domain's
``Question`` and ``Answer`` and ``of(...)`` the input for one (to draft a
survey anew with another's questions).
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from msgspec import Meta

from ihanoi_core.commands.command import CaseCommand, CreateCommand
from ihanoi_core.commands.values import AwareDatetime, Input, Text
from ihanoi_core.domain.case import Case
from ihanoi_core.domain.questionnaire import Answer, Question, QuestionType
from ihanoi_core.domain.survey import Survey
from ihanoi_core.domain.values import Role
from ihanoi_core.permissions import CITIZEN, LEADER, STAFF

Option = Annotated[str, Meta(min_length=1, max_length=200)]


class QuestionIn(Input, frozen=True):
    """One question: a short stable ``id`` answers refer to, its text, its
    type, and for a choice question its options."""

    id: Annotated[str, Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")]
    text: Annotated[str, Meta(min_length=1, max_length=1000)]
    type: QuestionType
    required: bool = False
    options: Annotated[tuple[Option, ...], Meta(max_length=50)] = ()

    def value(self) -> Question:
        return Question(id=self.id, text=self.text, type=self.type, required=self.required, options=self.options)

    @classmethod
    def of(cls, question: Question) -> QuestionIn:
        return cls(
            id=question.id,
            text=question.text,
            type=question.type,
            required=question.required,
            options=tuple(question.options),
        )


class AnswerIn(Input, frozen=True):
    """One answer: ``choices`` for a choice question, ``rating`` (1–5) for a
    rating question, ``text`` for a free-text question."""

    question_id: Annotated[str, Meta(min_length=1, max_length=32)]
    choices: Annotated[tuple[Option, ...], Meta(max_length=50)] = ()
    rating: int | None = None
    text: Annotated[str, Meta(max_length=2000)] | None = None

    def value(self) -> Answer:
        return Answer(question_id=self.question_id, choices=self.choices, rating=self.rating, text=self.text)

    @classmethod
    def of(cls, answer: Answer) -> AnswerIn:
        return cls(
            question_id=answer.question_id, choices=tuple(answer.choices), rating=answer.rating, text=answer.text
        )


Questions = Annotated[tuple[QuestionIn, ...], Meta(max_length=100)]


class CreateSurvey(CreateCommand, frozen=True, kw_only=True):
    """Draft a survey for the caller's agency. Its staff set the questions until
    it is published; an anonymous survey never records who answered and takes
    one answer per respondent token."""

    name: ClassVar[str] = "create"
    creates: ClassVar[tuple[type[Case], ...]] = (Survey,)
    roles: ClassVar[frozenset[Role]] = LEADER

    title: Annotated[str, Meta(min_length=1, max_length=300)]
    description: Annotated[str, Meta(max_length=4000)] = ""
    anonymous: bool = False
    questions: Questions = ()


class SurveyCommand(CaseCommand, frozen=True, kw_only=True):
    """A command on a survey (its lifecycle; answering is ``AnswerSurvey``)."""

    family: ClassVar[type[Case]] = Survey
    roles: ClassVar[frozenset[Role]] = LEADER


class SetSurveyQuestions(SurveyCommand, frozen=True, kw_only=True):
    """Replace the draft's questions."""

    name: ClassVar[str] = "questions"
    step_name: ClassVar[str] = "set_questions"
    roles: ClassVar[frozenset[Role]] = STAFF
    questions: Questions


class TargetSurvey(SurveyCommand, frozen=True, kw_only=True):
    """Choose the wards whose people are invited to answer when the survey is
    published (those who chose the ward on their notification settings and
    consented to notifications); [] for the wards of the survey's agency. Draft only."""

    name: ClassVar[str] = "audience"
    step_name: ClassVar[str] = "target"
    wards: Annotated[
        list[Annotated[str, Meta(min_length=1, max_length=64)]],
        Meta(max_length=Survey.MAX_AUDIENCE_WARDS, description="ward codes of the directory (HOAN_KIEM)"),
    ]


class PublishSurvey(SurveyCommand, frozen=True, kw_only=True):
    """Publish for answers from opens_at until closes_at; the questions freeze."""

    name: ClassVar[str] = "publish"
    opens_at: AwareDatetime
    closes_at: AwareDatetime


class CloseSurvey(SurveyCommand, frozen=True, kw_only=True):
    """Stop taking answers."""

    name: ClassVar[str] = "close"


class PublishSurveyResults(SurveyCommand, frozen=True, kw_only=True):
    """Publish the summary of a closed survey's results."""

    name: ClassVar[str] = "publish-results"
    summary: Text


class AnswerSurvey(CaseCommand, frozen=True, kw_only=True):
    """Answer a published survey, once: the result names the new response
    (kind ``survey_response``) and the survey's code.

    A step of the survey (``answer``) that changes it not: it makes a response
    of its own, so it is not a ``SurveyCommand`` and has its own route
    (``POST /surveys/{id}/responses``, 201)."""

    name: ClassVar[str] = "responses"
    step_name: ClassVar[str] = "answer"
    family: ClassVar[type[Case]] = Survey
    roles: ClassVar[frozenset[Role]] = CITIZEN

    answers: Annotated[tuple[AnswerIn, ...], Meta(max_length=100)]
    respondent_token: Annotated[str, Meta(min_length=1, max_length=200)] | None = None
