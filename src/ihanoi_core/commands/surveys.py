"""Commands on surveys (khảo sát), with their permission rows.

A leader drafts a survey for their own agency; the agency's staff set its
questions while it is a draft; the leader publishes it for an answer window,
closes it and publishes a summary of the results. Citizens answer, once each:
every response is its own ``SurveyResponse`` aggregate whose deterministic id
makes the store refuse a second one (``AlreadyAnsweredError``).

Visibility is wider than for other cases, and only for surveys: a draft is seen
by the owning agency's staff (and auditors) like any case, but a published,
closed or results-published survey is public — every citizen may read and
answer it, and partners may read it (DESIGN §2: "read public data"). Survey
commands therefore authorise with ``survey_visible`` rather than the shared
``can_see``, which stays unchanged for every other kind of case.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from ihanoi_core.domain.questionnaire import Answer, Question
from ihanoi_core.domain.survey import Survey, SurveyResponse
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import (
    CaseNotFoundError,
    ConflictError,
    ValidationError,
)
from ihanoi_core.handlers.bus import CommandBus, CommandResult
from ihanoi_core.permissions import CITIZEN, LEADER, STAFF, authorize, authorize_create, can_see, register
from ihanoi_core.snapshots import case_snapshot

CAN_CREATE_SURVEY = LEADER
# Who may read a survey once it is published, besides those who see any case.
PUBLIC_READERS = frozenset({Role.CITIZEN, Role.PARTNER})

register(
    Survey.kind,
    {
        "set_questions": STAFF,
        "publish": LEADER,
        "close": LEADER,
        "publish_results": LEADER,
        "answer": CITIZEN,
    },
)


class AlreadyAnsweredError(ConflictError):
    """Raised by ``answer_survey`` when the respondent (the citizen, or the
    token of an anonymous survey) has already answered this survey — also when
    two answers raced and the other one was saved first. Nothing is saved."""

    code = "already_answered"

    def __init__(self, survey_id: UUID, response_id: UUID) -> None:
        super().__init__(survey_id, f"Survey {survey_id} has already been answered by this respondent.")
        self.context.update(response_id=str(response_id))
        self.survey_id = survey_id
        self.response_id = response_id


class SurveyCommands(CommandBus):
    """Survey commands and the survey query of the ``Ihanoi`` application."""

    def create_survey(
        self,
        principal: Principal,
        *,
        title: str,
        description: str,
        anonymous: bool = False,
        questions: tuple[Question, ...] = (),
        idempotency_key: str | None = None,
        request_fingerprint: str | None = None,
    ) -> CommandResult:
        """Draft a survey owned by the leader's agency. An anonymous survey
        never records who answered; it takes one answer per respondent token."""
        authorize_create(principal, Survey.kind, CAN_CREATE_SURVEY)
        agency = principal.agency
        if agency is None or self.directory.get_agency(agency) is None:
            raise ValidationError({"agency": "a survey belongs to its creator's agency; yours is unknown"})

        def build(case_id: UUID, code: str, now: datetime) -> Survey:
            return Survey.draft(
                id=case_id,
                code=code,
                actor=principal,
                agency=agency,
                title=title,
                description=description,
                anonymous=anonymous,
                questions=questions,
                timestamp=now,
            )

        return self._create(principal, Survey, CAN_CREATE_SURVEY, idempotency_key, build, request_fingerprint)

    def set_survey_questions(
        self,
        principal: Principal,
        case_id: UUID,
        *,
        questions: tuple[Question, ...],
        expected_version: int | None = None,
    ) -> CommandResult:
        """Replace a draft survey's questions."""
        return self._act(
            principal,
            case_id,
            Survey,
            "set_questions",
            lambda survey, now: survey.set_questions(principal, questions, timestamp=now),
            expected_version,
        )

    def publish_survey(
        self,
        principal: Principal,
        case_id: UUID,
        *,
        opens_at: datetime,
        closes_at: datetime,
        expected_version: int | None = None,
    ) -> CommandResult:
        """Publish a survey for answers from ``opens_at`` until ``closes_at``; its questions freeze."""
        return self._act(
            principal,
            case_id,
            Survey,
            "publish",
            lambda survey, now: survey.publish(principal, opens_at=opens_at, closes_at=closes_at, timestamp=now),
            expected_version,
        )

    def close_survey(
        self, principal: Principal, case_id: UUID, *, expected_version: int | None = None
    ) -> CommandResult:
        """Stop taking answers."""
        return self._act(
            principal,
            case_id,
            Survey,
            "close",
            lambda survey, now: survey.close(principal, timestamp=now),
            expected_version,
        )

    def publish_survey_results(
        self, principal: Principal, case_id: UUID, *, summary: str, expected_version: int | None = None
    ) -> CommandResult:
        """Publish the summary of a closed survey's results."""
        return self._act(
            principal,
            case_id,
            Survey,
            "publish_results",
            lambda survey, now: survey.publish_results(principal, summary, timestamp=now),
            expected_version,
        )

    def answer_survey(
        self,
        principal: Principal,
        survey_id: UUID | str,
        *,
        answers: tuple[Answer, ...],
        respondent_token: str | None = None,
    ) -> CommandResult:
        """Record a citizen's answers to an open survey, once per respondent.
        The result names the response (``case_id``, kind ``survey_response``)
        and the survey's code."""
        survey = self._load(self.resolve_case_id(survey_id), Survey)
        authorize(principal, survey, "answer", survey.id)
        response = survey.respond(principal, answers, respondent_token=respondent_token, timestamp=self.clock())
        try:
            # Straight to the event store, not through ``_store``: responses are
            # written once and never loaded by a command, so caching them would
            # only evict the cases that are.
            recordings = self.events.put(response.collect_events())
        except IntegrityError:
            raise AlreadyAnsweredError(survey.id, response.id) from None
        self._announce_saved()
        return CommandResult(
            case_id=response.id,
            code=survey.code,
            kind=SurveyResponse.kind,
            status=SurveyResponse.status,
            version=response.version,
            position=recordings[-1].notification.id,
            created=True,
        )

    # -- queries ------------------------------------------------------------

    def get_survey(self, principal: Principal, survey: UUID | str) -> dict[str, Any]:
        """A survey as the principal may see it, with whether it takes answers now."""
        case_id = self.resolve_case_id(survey)
        aggregate = self._load(case_id, Survey)
        if not can_see(principal, aggregate):
            raise CaseNotFoundError(case_id)
        data = case_snapshot(aggregate, principal)
        data["accepting_answers"] = aggregate.accepts_answers_at(self.clock())
        return data
