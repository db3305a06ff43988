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
(``Queries.survey_results`` in ``ihanoi_projections.queries``). The commands
are those of ``ihanoi_core.commands.surveys``. ``GET /surveys`` lists the
surveys the caller may answer now — published, within their answer window,
not answered yet (``Queries.open_surveys``) — for the roles that may answer
(citizens); every other role is 403.
"""

from __future__ import annotations

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ihanoi_core.commands.command import command_from_body
from ihanoi_core.commands.surveys import AnswerSurvey, CreateSurvey, SurveyCommand
from ihanoi_projections.survey_results import OpenSurvey, SurveyResults
from ihanoi_server.api.commands import command_routes, create_route
from ihanoi_server.http import (
    call_app,
    case_ref,
    command_response,
    json_response,
    principal,
    read_body,
    state,
    wait_for_position,
)
from ihanoi_server.openapi.describe import POSITION, CaseView, CaseWritten, document

AnswerBody = AnswerSurvey.body()


class OpenSurveyPage(msgspec.Struct):
    """The surveys you may answer now, closing soonest first, in one page
    (``next_cursor`` is always null: a city runs a handful at a time)."""

    items: list[OpenSurvey]
    next_cursor: str | None = None


async def list_open(request: Request) -> Response:
    """The surveys the caller may answer now: published, open, not answered yet. Roles: citizen."""
    who = principal(request)
    await wait_for_position(request)
    found = await run_in_threadpool(state(request).queries.open_surveys, who)
    return json_response(OpenSurveyPage(found), headers={"Cache-Control": "no-store"})


async def read(request: Request) -> Response:
    """The survey and whether it takes answers now. Roles: officer, leader (own
    agency), auditor; citizen, partner once published."""
    data = await run_in_threadpool(state(request).app.get_survey, principal(request), case_ref(request))
    return json_response(data, headers={"ETag": f'"{data["version"]}"'})


async def answer(request: Request) -> Response:
    """Answer a published survey, once. Roles: citizen."""
    who = principal(request)
    body = await read_body(request, AnswerBody)
    command = command_from_body(AnswerSurvey, case_ref(request), body)
    result = await call_app(request, state(request).app.handle, who, command)
    return command_response(result, status=201)


async def results(request: Request) -> Response:
    """Response counts and per-question tallies. Roles: officer, leader (own
    agency), auditor; everyone once the results are published."""
    who = principal(request)
    ref = case_ref(request)
    await wait_for_position(request)
    return json_response(await run_in_threadpool(state(request).queries.survey_results, who, ref))


routes = [
    Route("/api/v1/surveys", list_open, methods=["GET"], name="surveys:list"),
    create_route("surveys", CreateSurvey),
    Route("/api/v1/surveys/{id}", read, methods=["GET"], name="surveys:read"),
    Route("/api/v1/surveys/{id}/responses", answer, methods=["POST"], name="surveys:answer"),
    Route("/api/v1/surveys/{id}/results", results, methods=["GET"], name="surveys:results"),
    *command_routes("surveys", SurveyCommand),
]
document("surveys:list", response=OpenSurveyPage, query=[POSITION], problems=(401, 403, 422, 503))
document("surveys:read", response=CaseView)
document("surveys:results", response=SurveyResults, query=[POSITION])
document("surveys:answer", body=AnswerBody, response=CaseWritten, status=201)
