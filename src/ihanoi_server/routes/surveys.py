"""``/api/v1/surveys``: surveys (khảo sát), their responses and results.

A leader drafts a survey for their agency (``POST /surveys``); the agency's
staff set its questions; the leader publishes it for an answer window, closes
it and publishes a summary. A draft is seen like any case (its agency's staff,
auditors); from publication on it is public to citizens and partners.
Citizens answer once each (``POST /surveys/{id}/responses``, 201; a second
answer is 409 ``already_answered``). ``GET /surveys/{id}/results`` reads the
``survey_results`` read model: the agency's staff and auditors at any time,
everyone authenticated once the results are published; it accepts
``?position=N`` to wait for one's own write, and judges access by the status
the read model has reached, so the results shown and the status match
(``Queries.survey_results`` in ``ihanoi_projections.queries``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

import msgspec
from msgspec import Meta
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ihanoi_core.domain.questionnaire import Answer, Question, QuestionType
from ihanoi_projections.survey_results import SurveyResults
from ihanoi_server.commands import CommandSpec, Empty
from ihanoi_server.commands import legacy_command_routes as command_routes
from ihanoi_server.http import (
    case_ref,
    command_response,
    fingerprint,
    idempotency_key,
    json_response,
    principal,
    read_body,
    state,
    wait_for_position,
)
from ihanoi_server.openapi import CaseView, document

AwareDatetime = Annotated[datetime, Meta(tz=True)]
Option = Annotated[str, Meta(min_length=1, max_length=200)]


class QuestionIn(msgspec.Struct, forbid_unknown_fields=True):
    id: Annotated[str, Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")]
    text: Annotated[str, Meta(min_length=1, max_length=1000)]
    type: QuestionType
    required: bool = False
    options: Annotated[list[Option], Meta(max_length=50)] = []


Questions = Annotated[list[QuestionIn], Meta(max_length=100)]


class SurveyIn(msgspec.Struct, forbid_unknown_fields=True):
    title: Annotated[str, Meta(min_length=1, max_length=300)]
    description: Annotated[str, Meta(max_length=4000)] = ""
    anonymous: bool = False
    questions: Questions = []


class QuestionsIn(msgspec.Struct, forbid_unknown_fields=True):
    questions: Questions


class PublishIn(msgspec.Struct, forbid_unknown_fields=True):
    opens_at: AwareDatetime
    closes_at: AwareDatetime


class SummaryIn(msgspec.Struct, forbid_unknown_fields=True):
    summary: Annotated[str, Meta(min_length=1, max_length=4000)]


class AnswerIn(msgspec.Struct, forbid_unknown_fields=True):
    question_id: Annotated[str, Meta(min_length=1, max_length=32)]
    choices: Annotated[list[Option], Meta(max_length=50)] = []
    rating: int | None = None
    text: Annotated[str, Meta(max_length=2000)] | None = None


class ResponseIn(msgspec.Struct, forbid_unknown_fields=True):
    answers: Annotated[list[AnswerIn], Meta(max_length=100)]
    respondent_token: Annotated[str, Meta(min_length=1, max_length=200)] | None = None


def questions(items: Sequence[QuestionIn]) -> tuple[Question, ...]:
    return tuple(
        Question(id=q.id, text=q.text, type=q.type, required=q.required, options=tuple(q.options)) for q in items
    )


def questions_kwargs(body: QuestionsIn) -> dict[str, Any]:
    return {"questions": questions(body.questions)}


COMMANDS = (
    CommandSpec("questions", "set_survey_questions", QuestionsIn, ("officer", "leader"), ("draft",),
                "Replace the draft's questions.", questions_kwargs),
    CommandSpec("publish", "publish_survey", PublishIn, ("leader",), ("draft",),
                "Publish for answers from opens_at until closes_at; the questions freeze."),
    CommandSpec("close", "close_survey", Empty, ("leader",), ("published",), "Stop taking answers."),
    CommandSpec("publish-results", "publish_survey_results", SummaryIn, ("leader",), ("closed",),
                "Publish the summary of a closed survey's results."),
)  # fmt: skip


async def create(request: Request) -> Response:
    """Draft a survey for the caller's agency. Roles: leader. Idempotent with ``Idempotency-Key``."""
    who = principal(request)
    body = await read_body(request, SurveyIn)
    key = idempotency_key(request)
    result = await run_in_threadpool(
        state(request).app.create_survey,
        who,
        title=body.title,
        description=body.description,
        anonymous=body.anonymous,
        questions=questions(body.questions),
        idempotency_key=key,
        request_fingerprint=fingerprint(body),
    )
    response = command_response(result, status=201 if result.created else 200)
    response.headers["Location"] = f"/api/v1/surveys/{result.case_id}"
    return response


async def read(request: Request) -> Response:
    """The survey and whether it takes answers now. Roles: officer, leader (own
    agency), auditor; citizen, partner once published."""
    data = await run_in_threadpool(state(request).app.get_survey, principal(request), case_ref(request))
    return json_response(data, headers={"ETag": f'"{data["version"]}"'})


async def answer(request: Request) -> Response:
    """Answer a published survey, once. Roles: citizen."""
    who = principal(request)
    body = await read_body(request, ResponseIn)
    answers = tuple(
        Answer(question_id=a.question_id, choices=tuple(a.choices), rating=a.rating, text=a.text) for a in body.answers
    )
    result = await run_in_threadpool(
        state(request).app.answer_survey,
        who,
        case_ref(request),
        answers=answers,
        respondent_token=body.respondent_token,
    )
    return command_response(result, status=201)


async def results(request: Request) -> Response:
    """Response counts and per-question tallies. Roles: officer, leader (own
    agency), auditor; everyone once the results are published."""
    who = principal(request)
    ref = case_ref(request)
    await wait_for_position(request)
    return json_response(await run_in_threadpool(state(request).queries.survey_results, who, ref))


routes = [
    Route("/api/v1/surveys", create, methods=["POST"], name="surveys:create"),
    Route("/api/v1/surveys/{id}", read, methods=["GET"], name="surveys:read"),
    Route("/api/v1/surveys/{id}/responses", answer, methods=["POST"], name="surveys:answer"),
    Route("/api/v1/surveys/{id}/results", results, methods=["GET"], name="surveys:results"),
    *command_routes("surveys", COMMANDS),
]
document("surveys:read", response=CaseView)
document("surveys:results", response=SurveyResults)
