"""``/api/v1/consultations``: public consultations on draft policies and
procedures (lấy ý kiến dự thảo), and ``GET /public/consultations/{code}``.

Staff open one (``POST /api/v1/consultations``: title, summary, the
document's URL and SHA-256, audience, ``opens_at`` … ``closes_at``); anyone
with a token reads it (``GET /api/v1/consultations/{id}``: the count of
comments, not who gave them). A citizen or business of its audience comments
(``/comment``); commenting again revises their one comment until it closes.
Staff close it after the announced end (``/close``), answer each comment
(``/answer-comment``: accepted or explained) reading them at
``GET /api/v1/consultations/{id}/comments`` (a respondent reads their own
there), and a leader publishes the synthesis report (``/publish-synthesis``),
refused with 422 while any comment is unanswered. The public page
``/public/consultations/{code}`` shows the draft and, once published, the
synthesis: each comment as the agency summed it up, accepted or explained,
and the reply — nobody's name, nobody's words.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ihanoi_core.commands.consultations import ConsultationCommand, OpenConsultation
from ihanoi_core.domain.business_values import ConsultationStatus
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.handlers.consultations import comments_of
from ihanoi_server.api.commands import (
    PublicCaseList,
    command_routes,
    create_route,
    public_list,
    read_public_case,
    read_route,
)
from ihanoi_server.http import call_app, case_ref, json_response, principal, state, view_of, wait_for_position
from ihanoi_server.openapi.describe import POSITION, document

PUBLIC_READER = Principal("consultations:public", Role.SYSTEM)


class CommentView(msgspec.Struct):
    """A comment as its agency (or its own respondent) reads it, with the synthesis's answer."""

    number: int
    section: str | None
    text: str
    revisions: int
    updated_at: datetime
    outcome: str | None
    reply: str | None


class CommentList(msgspec.Struct):
    items: list[CommentView]


class SynthesisItem(msgspec.Struct):
    """One comment of the synthesis report: the agency's summary, the outcome, the reply."""

    number: int
    summary: str
    outcome: str
    reply: str


class PublicConsultation(msgspec.Struct):
    """A consultation as everyone may read it: the draft, the window, how
    many commented, and once published the synthesis answering each comment."""

    code: str
    title: str
    summary: str
    agency: str | None
    document_url: str
    document_sha256: str
    audience: str
    opens_at: datetime
    closes_at: datetime
    status: str
    comments: int
    synthesis: str | None
    answers: list[SynthesisItem]


async def list_comments(request: Request) -> Response:
    """The comments: every one for the agency's staff and auditors, one's own for a respondent."""
    who = principal(request)
    ref = case_ref(request)
    await wait_for_position(request)
    found = await call_app(request, comments_of, state(request).app, who, ref)
    return json_response(CommentList([CommentView(**item) for item in found]))


def public_view(data: dict[str, Any]) -> PublicConsultation:
    published = data["status"] == ConsultationStatus.SYNTHESIS_PUBLISHED
    answers = [view_of(SynthesisItem, a, outcome=a.outcome.value) for a in data["answers"]] if published else []
    return view_of(
        PublicConsultation,
        data,
        audience=str(data["audience"]),
        comments=len(data["comments"]),
        synthesis=data["synthesis"] if published else None,
        answers=answers,
    )


async def read_public(request: Request) -> Response:
    """A consultation and, once published, its synthesis report (public, no token; nothing personal)."""
    return json_response(public_view(await read_public_case(request, PUBLIC_READER, "consultation")))


routes = [
    create_route("consultations", OpenConsultation),
    read_route("consultations", "consultation"),
    Route("/api/v1/consultations/{id}/comments", list_comments, methods=["GET"], name="consultations:comments"),
    *command_routes("consultations", ConsultationCommand),
    Route("/public/consultations", public_list("consultation"), methods=["GET"], name="public_consultations:list"),
    Route("/public/consultations/{code}", read_public, methods=["GET"], name="public_consultations:read"),
]
document(
    "consultations:comments",
    response=CommentList,
    query=[POSITION],
    roles=("citizen (own)", "officer", "leader", "auditor", "business (own)"),
)
document("public_consultations:read", response=PublicConsultation, auth="none", problems=(404, 422), query=[POSITION])
document("public_consultations:list", response=PublicCaseList, auth="none", problems=(422,), query=[POSITION])
