"""Survey (khảo sát): an agency asks citizens questions and publishes what it learnt.

Lifecycle (DESIGN §3.4): ``draft → published (opens_at..closes_at) → closed →
results_published``. A leader drafts a survey for their own agency; its staff
set the questions (single choice, multiple choice, rating 1–5, free text, each
optionally required); the leader publishes it for an answer window, closes it
and publishes a summary of the results. Surveys carry no legal deadline, so
``due_at`` stays ``None``: the answer window is the survey's time.

Questions freeze at publication. DESIGN §3.4 says "frozen once the first answer
arrives", but answers are their own aggregates (``SurveyResponse``), not events
on the survey's stream, so the survey could only learn of its first answer by a
write to its own stream on every answer — which would serialise a million
answers through one stream. Publication is therefore the gate: questions change
only in draft, and no answer can exist before publication, so every answer was
given to exactly the questions the survey shows. A survey that needs other
questions is closed and drafted anew.

One response per respondent: a response's id is ``uuid5(survey_id, respondent)``
where the respondent is the citizen's subject or, for a survey that is anonymous
by design, a token the caller issues once per respondent (e.g. per invitation).
The store's uniqueness of ``(originator_id, version)`` then refuses a second
response, also when two race. An anonymous survey's response records a
pseudonymous actor and neither the subject nor the token.

Questions, answers and their checks are in ``questionnaire``.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import ClassVar
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from ihanoi_core.domain.case import Case
from ihanoi_core.domain.checked_commands import Fields, checked_creation
from ihanoi_core.domain.personal import ACTOR, declare_personal_data
from ihanoi_core.domain.questionnaire import Answer, Question, check_answer, check_questions
from ihanoi_core.domain.status_steps import entering
from ihanoi_core.domain.values import ANONYMOUS_SUBJECT, Principal, Role
from ihanoi_core.errors import RuleViolationError, ValidationError


class SurveyStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"
    RESULTS_PUBLISHED = "results_published"


VALUE_TYPES: dict[str, type] = {"survey_status": SurveyStatus}

S = SurveyStatus
PUBLIC_STATUSES = frozenset({S.PUBLISHED, S.CLOSED, S.RESULTS_PUBLISHED})
MAX_RESPONDENT_TOKEN = 200
# Recorded as the actor of an anonymous survey's responses instead of the citizen.
ANONYMOUS_RESPONDENT = Principal(ANONYMOUS_SUBJECT, Role.CITIZEN)


def response_id(survey_id: UUID, respondent: str) -> UUID:
    """The id of ``respondent``'s response to a survey: one per respondent."""
    return uuid5(survey_id, respondent)


class Survey(Case):
    """A survey of an agency, from draft to published results."""

    kind: ClassVar[str] = "survey"
    code_prefix: ClassVar[str] = "KS"
    FINAL_STATUSES: ClassVar[frozenset[str]] = frozenset({S.RESULTS_PUBLISHED})
    TRANSITIONS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "set_questions": (S.DRAFT,),
        "target": (S.DRAFT,),
        "publish": (S.DRAFT,),
        "close": (S.PUBLISHED,),
        "publish_results": (S.CLOSED,),
        "answer": (S.PUBLISHED,),
    }
    MAX_TITLE = 300
    MAX_DESCRIPTION = 4000
    MAX_SUMMARY = 4000
    MAX_AUDIENCE_WARDS = 200
    # The wards whose people are invited when it is published (issue #14);
    # none targeted: the wards its agency serves (a class default, so surveys
    # drafted before targeting existed load with none).
    audience: tuple[str, ...] = ()

    STATUSES: ClassVar[tuple[str, ...]] = tuple(SurveyStatus)

    # -- creation ---------------------------------------------------------

    @event("Drafted")
    def __init__(
        self,
        *,
        id: UUID,
        code: str,
        actor: Principal,
        agency: str,
        title: str,
        description: str,
        anonymous: bool,
        questions: tuple[Question, ...],
        timestamp: datetime,
    ) -> None:
        self._begin(code, S.DRAFT, agency)
        self.title = title
        self.description = description
        self.anonymous = anonymous
        self.questions = questions
        self.opens_at: datetime | None = None
        self.closes_at: datetime | None = None
        self.published_at: datetime | None = None
        self.closed_at: datetime | None = None
        self.results_summary: str | None = None
        self.results_published_at: datetime | None = None

    @checked_creation(__init__)
    @staticmethod
    def draft(fields: Fields) -> Fields:
        """Draft a survey for ``agency``; questions may follow until publication."""
        title = Survey._require_text(None, "title", fields["title"], Survey.MAX_TITLE)
        description = fields["description"].strip()
        if len(description) > Survey.MAX_DESCRIPTION:
            raise RuleViolationError(None, "description", f"description exceeds {Survey.MAX_DESCRIPTION} characters.")
        return fields | {
            "title": title,
            "description": description,
            "anonymous": bool(fields["anonymous"]),
            "questions": check_questions(fields["questions"]),
        }

    # -- staff commands ---------------------------------------------------

    def set_questions(self, actor: Principal, questions: Iterable[Question], *, timestamp: datetime) -> None:
        """Replace the question list (to add, change, remove or reorder); draft only."""
        self._require("set_questions")
        self._set_questions(actor=actor, questions=check_questions(questions), timestamp=timestamp)

    @event("QuestionsSet")
    def _set_questions(self, actor: Principal, questions: tuple[Question, ...], timestamp: datetime) -> None:
        self.questions = questions

    def target(self, actor: Principal, wards: Iterable[str], *, known: Container[str], timestamp: datetime) -> None:
        """Choose the wards (directory codes) whose people are invited to
        answer when the survey is published; none: its agency's wards. Draft only."""
        self._require("target")
        chosen = tuple(sorted(set(wards)))
        if len(chosen) > self.MAX_AUDIENCE_WARDS:
            raise ValidationError({"wards": f"at most {self.MAX_AUDIENCE_WARDS} wards"})
        unknown = [ward for ward in chosen if ward not in known]
        if unknown:
            raise ValidationError({"wards": f"unknown ward {unknown[0]!r}"})
        self._target(actor=actor, wards=chosen, timestamp=timestamp)

    @event("AudienceTargeted")
    def _target(self, actor: Principal, wards: tuple[str, ...], timestamp: datetime) -> None:
        self.audience = wards

    def publish(self, actor: Principal, *, opens_at: datetime, closes_at: datetime, timestamp: datetime) -> None:
        """Publish for answers from ``opens_at`` until (excluding) ``closes_at``;
        the questions are frozen from now on."""
        self._require("publish")
        if not self.questions:
            raise RuleViolationError(self.id, "questions", "A survey needs at least one question to be published.")
        errors = {
            name: "must include a time zone"
            for name, moment in (("opens_at", opens_at), ("closes_at", closes_at))
            if moment.utcoffset() is None
        }
        if not errors:
            if closes_at <= opens_at:
                errors["closes_at"] = "must be after opens_at"
            elif closes_at <= timestamp:
                errors["closes_at"] = "must be in the future"
        if errors:
            raise ValidationError(errors)
        self._publish(actor=actor, opens_at=opens_at, closes_at=closes_at, timestamp=timestamp)

    @event("Published")
    def _publish(self, actor: Principal, opens_at: datetime, closes_at: datetime, timestamp: datetime) -> None:
        self.status = S.PUBLISHED
        self.opens_at = opens_at
        self.closes_at = closes_at
        self.published_at = timestamp

    def close(self, actor: Principal, *, timestamp: datetime) -> None:
        """Stop taking answers (before or after ``closes_at``)."""
        self._take_step("close", actor, timestamp)

    _close = event("Closed")(entering(S.CLOSED, stamp="closed_at"))

    def publish_results(self, actor: Principal, summary: str, *, timestamp: datetime) -> None:
        """Publish the summary of a closed survey's results (the tallies are the
        ``survey_results`` read model's)."""
        self._require("publish_results")
        summary = self._require_text(self.id, "summary", summary, self.MAX_SUMMARY)
        self._publish_results(actor=actor, summary=summary, timestamp=timestamp)

    @event("ResultsPublished")
    def _publish_results(self, actor: Principal, summary: str, timestamp: datetime) -> None:
        self.status = S.RESULTS_PUBLISHED
        self.results_summary = summary
        self.public_note = summary
        self.results_published_at = timestamp

    # -- answering ----------------------------------------------------------

    @property
    def is_public(self) -> bool:
        """Published (or later): every citizen may read it."""
        return self.status in PUBLIC_STATUSES

    def accepts_answers_at(self, moment: datetime) -> bool:
        return (
            self.status == S.PUBLISHED
            and self.opens_at is not None
            and self.closes_at is not None
            and self.opens_at <= moment < self.closes_at
        )

    def respond(
        self,
        actor: Principal,
        answers: Iterable[Answer],
        *,
        respondent_token: str | None,
        timestamp: datetime,
    ) -> SurveyResponse:
        """A new response of ``actor`` (or, anonymous by design, of the token's
        holder) with the answers checked against the questions. Saving it fails
        on the store's uniqueness when this respondent has answered before."""
        self._require("answer")
        if not self.accepts_answers_at(timestamp):
            window = f"{self.opens_at:%Y-%m-%d %H:%M %z} to {self.closes_at:%Y-%m-%d %H:%M %z}"
            raise RuleViolationError(self.id, "answer_window", f"The survey takes answers from {window} only.")
        respondent, recorded_actor = self._respondent(actor, respondent_token)
        return SurveyResponse(
            id=response_id(self.id, respondent),
            survey_id=self.id,
            survey_code=self.code,
            actor=recorded_actor,
            answers=self.check_answers(answers),
            timestamp=timestamp,
        )

    def _respondent(self, actor: Principal, token: str | None) -> tuple[str, Principal]:
        """Who the response is unique for, and the actor recorded in its event."""
        if not self.anonymous:
            if token is not None:
                raise ValidationError({"respondent_token": "only an anonymous survey takes a respondent token"})
            return actor.subject, actor
        if not isinstance(token, str) or not token.strip() or len(token) > MAX_RESPONDENT_TOKEN:
            problem = f"an anonymous survey needs a token of 1 to {MAX_RESPONDENT_TOKEN} characters"
            raise ValidationError({"respondent_token": problem})
        return token, ANONYMOUS_RESPONDENT

    def check_answers(self, answers: Iterable[Answer]) -> tuple[Answer, ...]:
        """The answers in question order and canonical form; ``ValidationError``
        naming each bad one (``answers.q2``) when any breaks a rule."""
        questions = {question.id: question for question in self.questions}
        errors: dict[str, str] = {}
        given: dict[str, Answer] = {}
        for index, answer in enumerate(answers):
            if not isinstance(answer, Answer):
                errors[f"answers[{index}]"] = "must be an Answer"
            elif answer.question_id not in questions:
                errors[f"answers.{answer.question_id}"] = "no such question in this survey"
            elif answer.question_id in given:
                errors[f"answers.{answer.question_id}"] = "answered more than once"
            else:
                given[answer.question_id] = answer
        checked: list[Answer] = []
        for question in self.questions:
            given_answer = given.get(question.id)
            if given_answer is None or given_answer.is_blank:
                if question.required:
                    errors[f"answers.{question.id}"] = "is required"
                continue
            result = check_answer(question, given_answer)
            if isinstance(result, str):
                errors[f"answers.{question.id}"] = result
            else:
                checked.append(result)
        if errors:
            raise ValidationError(errors)
        return tuple(checked)


class SurveyResponse(Aggregate):
    """One respondent's answers to one survey: its own small stream, keyed by
    ``response_id(survey_id, respondent)``. Built by ``Survey.respond``."""

    kind: ClassVar[str] = "survey_response"
    status: ClassVar[str] = "submitted"

    @event("Submitted")
    def __init__(
        self,
        *,
        id: UUID,
        survey_id: UUID,
        survey_code: str,
        actor: Principal,
        answers: tuple[Answer, ...],
        timestamp: datetime,
    ) -> None:
        self.survey_id = survey_id
        self.survey_code = survey_code
        self.answers = answers


# The respondent's own subject (the actor); an anonymous survey's stand-in is no person.
declare_personal_data(SurveyResponse, {"Submitted": {"actor": ACTOR}})
