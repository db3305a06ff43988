"""``/api/v1/questions`` and ``/api/v1/knowledge``: the Q&A switchboard
(tổng đài hỏi đáp), and ``GET /public/faq``.

``POST /api/v1/questions {"text": …}`` records the question and answers at
once: the answer, the citations it rests on (each quoting its source), the
confidence and whether it was ``handed_off`` — then an agency, a reason and a
due time. A citizen asks as themself; staff relaying a hotline call or a Zalo
message give ``channel``. The asker gives feedback
(``/questions/{id}/feedback``); staff of the agency a question was handed to
answer it (``/answer``) — it is on their ``GET /api/v1/worklist`` and under
the deadline watcher — and may record the article it became (``/promote``).
Staff draft, approve (a leader, four eyes), publish, revise and retire
knowledge articles under ``/api/v1/knowledge``. ``GET /public/faq?q=`` is a
search anyone may run: the sources the switchboard would cite, nothing
recorded, nothing personal. The commands come from
``ihanoi_core.commands.questions``.
"""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ihanoi_core.commands.command import summary_of
from ihanoi_core.commands.questions import ArticleCommand, AskQuestion, DraftArticle, QuestionCommand
from ihanoi_core.domain.question_values import Citation, SourceKind
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import CaseNotFoundError, NotFoundError, ValidationError
from ihanoi_projections.queries.questions import Switchboard
from ihanoi_server.api.commands import command_routes, create_route, read_route
from ihanoi_server.http import (
    call_app,
    idempotency_key,
    json_response,
    principal,
    query_int,
    read_body,
    state,
    wait_for_position,
)
from ihanoi_server.openapi.describe import POSITION, Query, document
from ihanoi_server.openapi.examples import with_example

MAX_QUERY = 500
RELAY = Principal("questions:answer", Role.SYSTEM)


class CitationView(msgspec.Struct):
    """A citation: the source (``kind``, ``ref``, ``title``), the field of it and
    the passage quoted, the retrieval score, and where anyone can read the
    source (``url``: the catalogue's procedure, the published article, the
    Open311 request; null for the asker's own case)."""

    kind: str
    ref: str
    title: str
    field: str
    quote: str
    score: float
    url: str | None


def source_url(citation: Citation) -> str | None:
    return {
        SourceKind.PROCEDURE: f"/api/v1/procedures/{citation.ref}",
        SourceKind.ARTICLE: f"/public/knowledge/{citation.ref}",
        SourceKind.REPORT: f"/open311/v2/requests/{citation.ref}.json",
        SourceKind.BUSINESS_ANSWER: f"/public/business-qa/{citation.ref}",
    }.get(citation.kind)


def citation_view(citation: Citation) -> CitationView:
    return CitationView(
        kind=citation.kind.value,
        ref=citation.ref,
        title=citation.title,
        field=citation.field,
        quote=citation.quote,
        score=citation.score,
        url=source_url(citation),
    )


class PublicArticle(msgspec.Struct):
    """A published knowledge article as the switchboard cites it."""

    code: str
    title: str
    body: str
    legal_basis: str
    source: str
    keywords: str | None


class AnswerView(msgspec.Struct):
    """A question as recorded: the answer and its citations, or the hand-off
    (agency, reason, due time). ``position``: the log position to wait for."""

    id: str
    code: str
    status: str
    answer: str | None
    citations: list[CitationView]
    confidence: float
    handed_off: bool
    agency: str | None
    reason: str | None
    due_at: str | None
    position: int


class FaqHit(msgspec.Struct):
    """A source the switchboard would cite, quoted by its main passage, with its score."""

    citation: CitationView
    score: float


class FaqPage(msgspec.Struct):
    query: str
    items: list[FaqHit]


def answer_view(data: dict[str, Any], position: int) -> dict[str, Any]:
    handed_off = data["status"] == "handed_off"
    due = data.get("due_at")
    return {
        "id": str(data["id"]),
        "code": data["code"],
        "status": data["status"],
        "answer": data.get("answer_text"),
        "citations": [citation_view(citation) for citation in data.get("citations") or ()],
        "confidence": data.get("confidence", 0.0),
        "handed_off": handed_off,
        "agency": data.get("agency"),
        "reason": data.get("handoff_reason"),
        "due_at": due.isoformat() if due is not None else None,
        "position": position,
    }


async def ask(request: Request) -> Response:
    who = principal(request)
    command = await read_body(request, AskQuestion)
    app = state(request).app

    def run() -> tuple[dict[str, Any], int, bool, dict[str, str]]:
        result = app.handle(who, command, idempotency_key=idempotency_key(request))
        try:
            data = app.get_case(who, result.case_id)
        except CaseNotFoundError:
            # Staff relaying a call may not see the question afterwards (it is
            # the agency's it was handed to, or nobody's), yet must read the
            # answer out: read as the system, and no Location to point them
            # there. The view below holds nothing personal.
            return app.get_case(RELAY, result.case_id), result.position, result.created, {}
        return data, result.position, result.created, {"Location": f"/api/v1/questions/{result.case_id}"}

    data, position, created, headers = await call_app(request, run)
    return json_response(answer_view(data, position), status=201 if created else 200, headers=headers)


ask.__doc__ = summary_of(AskQuestion)
ask.command_type = AskQuestion  # type: ignore[attr-defined]


async def faq(request: Request) -> Response:
    """Search what the switchboard can cite (public, no token; nothing recorded)."""
    text = (request.query_params.get("q") or "").strip()
    if not text or len(text) > MAX_QUERY:
        raise ValidationError({"q": f"give 1 to {MAX_QUERY} characters to search for"})
    limit = query_int(request, "limit", 5, low=1, high=20)
    await wait_for_position(request)
    switchboard = state(request).app.answerer
    if not isinstance(switchboard, Switchboard):
        return json_response(FaqPage(text, []))
    found = await call_app(request, switchboard.search, text, limit)
    return json_response(FaqPage(text, [FaqHit(citation_view(citation), score) for citation, score in found]))


async def read_article(request: Request) -> Response:
    """A published knowledge article (public, no token): what the switchboard cites."""
    code: str = request.path_params["code"]
    await wait_for_position(request)
    switchboard = state(request).app.answerer
    doc = None
    if isinstance(switchboard, Switchboard):
        doc = await call_app(request, switchboard.index.get, SourceKind.ARTICLE, code.strip().upper())
    if doc is None:
        raise ArticleNotFoundError(code)
    fields = doc.fields
    return json_response(
        PublicArticle(
            doc.ref, doc.title, fields["body"], fields["legal_basis"], fields["source"], fields.get("keywords")
        )
    )


class ArticleNotFoundError(NotFoundError):
    """Raised by ``GET /public/knowledge/{code}`` when no published article has that code."""

    code = "article_not_found"

    def __init__(self, article: str) -> None:
        super().__init__(f"No published knowledge article {article!r}.", article=article)
        self.article = article


routes = [
    Route("/api/v1/questions", ask, methods=["POST"], name="questions:create"),
    read_route("questions", "question"),
    *command_routes("questions", QuestionCommand),
    create_route("knowledge", DraftArticle),
    read_route("knowledge", "article"),
    *command_routes("knowledge", ArticleCommand),
    Route("/public/faq", faq, methods=["GET"], name="public_faq:search"),
    Route("/public/knowledge/{code}", read_article, methods=["GET"], name="public_knowledge:read"),
]
document(
    "questions:create",
    body=with_example(AskQuestion),
    response=AnswerView,
    status=201,
    roles=("citizen", "officer", "leader"),
)
document("public_knowledge:read", response=PublicArticle, query=[POSITION], auth="none", problems=(404, 422))
document(
    "public_faq:search",
    response=FaqPage,
    auth="none",
    problems=(422,),
    query=[
        Query("q", str, "What to search for, as a citizen would ask it."),
        Query("limit", int, "At most 20."),
        POSITION,
    ],
)
