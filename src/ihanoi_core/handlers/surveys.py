"""Handlers of the survey commands (``ihanoi_core.commands.surveys``).

A survey belongs to the agency of the leader who drafts it. An answer is not
an event on the survey: ``Survey.respond`` checks it and makes a
``SurveyResponse`` of its own, saved once per respondent (its id is derived
from the survey and the respondent, so the store refuses a second one:
``AlreadyAnsweredError``).
"""

from __future__ import annotations

from functools import partial

from eventsourcing.persistence import IntegrityError

from ihanoi_core.commands.surveys import (
    AnswerSurvey,
    CloseSurvey,
    CreateSurvey,
    PublishSurvey,
    PublishSurveyResults,
    SetSurveyQuestions,
    TargetSurvey,
)
from ihanoi_core.domain.survey import Survey, SurveyResponse
from ihanoi_core.domain.values import Principal
from ihanoi_core.errors import AlreadyAnsweredError, ValidationError
from ihanoi_core.handlers.bus import CommandBus, CommandResult
from ihanoi_core.handlers.table import Build, Context, creates, decides, decides_by_step, handles
from ihanoi_core.permissions import authorize


@creates(CreateSurvey)
def create(command: CreateSurvey, ctx: Context) -> Build:
    return partial(
        Survey.draft,
        agency=ctx.own_agency("a survey belongs to its creator's agency"),
        title=command.title,
        description=command.description,
        anonymous=command.anonymous,
        questions=tuple(question.value() for question in command.questions),
    )


@decides(SetSurveyQuestions)
def set_questions(survey: Survey, command: SetSurveyQuestions, ctx: Context) -> None:
    survey.set_questions(ctx.principal, tuple(question.value() for question in command.questions), timestamp=ctx.now)


@decides(TargetSurvey)
def target(survey: Survey, command: TargetSurvey, ctx: Context) -> None:
    survey.target(ctx.principal, command.wards, known=ctx.directory.wards, timestamp=ctx.now)


decides_by_step(PublishSurvey, CloseSurvey, PublishSurveyResults)


@handles(AnswerSurvey)
def answer(bus: CommandBus, principal: Principal, command: AnswerSurvey, expected_version: int | None) -> CommandResult:
    """Load and authorise the survey, let it check the answers, save the
    response. The result names the response and the survey's code."""
    if expected_version is not None:
        # A 422, not a crash: HTTP passes an If-Match header through as the expected version.
        raise ValidationError({"expected_version": "an answer is the respondent's own stream: send no If-Match"})
    survey = bus._load(bus.resolve_case_id(command.case), Survey)
    authorize(principal, survey, AnswerSurvey.step(), survey.id)
    answers = tuple(given.value() for given in command.answers)
    response = survey.respond(principal, answers, respondent_token=command.respondent_token, timestamp=bus.clock())
    try:
        # Straight to the event store, not through ``_store``: responses are
        # written once and never loaded by a command, so caching them would
        # only evict the cases that are.
        recordings = bus.events.put(response.collect_events())
    except IntegrityError:
        raise AlreadyAnsweredError(survey.id, response.id) from None
    bus._announce_saved()
    return CommandResult(
        case_id=response.id,
        code=survey.code,
        kind=SurveyResponse.kind,
        status=SurveyResponse.status,
        version=response.version,
        position=recordings[-1].notification.id,
        created=True,
    )
