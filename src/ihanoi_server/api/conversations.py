"""Chat and hotline threads as the app and the officers see them (issue #20).

- ``POST /api/v1/me/channel-link-code``: a citizen's one-time code (8 digits,
  10 minutes) to send to the Zalo OA or the Messenger page as "liên kết
  <code>": the thread is then theirs, and so are the reports it files;
- ``GET /api/v1/conversations``: the triage list, threads that became no
  case (``?channel=``, ``?limit=``), for officers and leaders; with
  ``?case=<case id>``, the thread that case came from (the case's side of the link);
- ``GET /api/v1/conversations/figures``: per channel, conversations,
  messages and cases created (the dashboard's channel table);
- ``POST /api/v1/conversations/{id}/report``: an operator files a report for
  the thread (a hotline call: the caller hears the answer's ``code``), linked
  both ways; ``…/question``: the caller's question (an inquiry) goes to the
  Q&A switchboard instead, answered or handed to the agency that must answer.
"""

from __future__ import annotations

from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ihanoi_core.commands.questions import AskQuestion
from ihanoi_core.commands.reports import SubmitReport
from ihanoi_core.errors import ValidationError
from ihanoi_projections.queries import Queries
from ihanoi_server.http import call_app, command_response, json_response, principal, query_int, read_body, state
from ihanoi_server.openapi.describe import Query, document


async def link_code(request: Request) -> Response:
    """A one-time code that links a chat thread to the calling citizen. Roles: citizen."""
    code, expires = await call_app(request, state(request).app.issue_link_code, principal(request))
    return json_response({"code": code, "expires_at": expires.isoformat()}, status=201)


async def triage(request: Request) -> Response:
    """Threads that became no case, most recently heard from first. Roles: officer, leader."""
    server = state(request)
    queries = Queries(server.app, server.read_side)
    if (case := request.query_params.get("case")) is not None:
        return json_response(await call_app(request, queries.conversation_of_case, principal(request), case_id(case)))
    channel = request.query_params.get("channel")
    limit = query_int(request, "limit", 50, low=1, high=200)
    return json_response(
        await call_app(request, queries.conversation_triage, principal(request), channel=channel, limit=limit)
    )


def case_id(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise ValidationError({"case": "must be a case id (a UUID)"}) from None


async def figures(request: Request) -> Response:
    """Per channel: conversations, messages received and sent, cases created. Roles: officer, leader, auditor."""
    server = state(request)
    queries = Queries(server.app, server.read_side)
    return json_response(await call_app(request, queries.channel_figures, principal(request)))


async def report(request: Request) -> Response:
    """File a report for the thread as the operator; the caller hears its ``code``. Roles: officer, leader."""
    return await convert(request, await read_body(request, SubmitReport))


async def question(request: Request) -> Response:
    """Record the caller's question for the switchboard (an inquiry); its ``code``. Roles: officer, leader."""
    return await convert(request, await read_body(request, AskQuestion))


async def convert(request: Request, command: SubmitReport | AskQuestion) -> Response:
    stream = UUID(str(request.path_params["conversation"]))
    result = await call_app(request, state(request).app.convert_conversation, principal(request), stream, command)
    return command_response(result, status=201)


routes = [
    Route("/api/v1/me/channel-link-code", link_code, methods=["POST"], name="conversations:link_code"),
    Route("/api/v1/conversations", triage, methods=["GET"], name="conversations:triage"),
    Route("/api/v1/conversations/figures", figures, methods=["GET"], name="conversations:figures"),
    Route("/api/v1/conversations/{conversation:uuid}/report", report, methods=["POST"], name="conversations:report"),
    Route("/api/v1/conversations/{conversation:uuid}/question", question, methods=["POST"], name="conversations:ask"),
]
LINK = {"type": "object", "properties": {"code": {"type": "string"}, "expires_at": {"type": "string"}}}
document("conversations:link_code", response=LINK, status=201, roles=["citizen"])
document(
    "conversations:triage",
    response={"type": "array", "items": {"type": "object"}},
    roles=["officer", "leader"],
    query=[
        Query("channel", str, "zalo, messenger or hotline"),
        Query("limit", int, "1 to 200"),
        Query("case", str, "a case id: the thread that case came from, converted or not"),
    ],
)
document(
    "conversations:figures",
    response={"type": "array", "items": {"type": "object"}},
    roles=["officer", "leader", "auditor"],
)
document("conversations:report", body=SubmitReport, status=201, roles=["officer", "leader"])
document("conversations:ask", body=AskQuestion, status=201, roles=["officer", "leader"])
