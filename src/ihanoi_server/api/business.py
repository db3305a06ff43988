"""``/api/v1/business-inquiries``: the business portal's inquiries (phản ánh,
kiến nghị, vướng mắc của doanh nghiệp, hộ kinh doanh), and
``GET /public/business-qa``: the answers published with the business's consent.

``POST /api/v1/business-inquiries`` (a ``business`` token: the tax code it
carries is the business the person acts for) files an inquiry; the answer
says where it went and by when (``agency``, ``due_at``, the clock's legal
basis). ``GET /api/v1/business-inquiries`` is the business's own list (every
inquiry of the business, whoever of its people filed it) or, for staff, their
agency's business worklist (``?all=true``: answered ones too);
``/answer-rates`` the on-time answer rates per agency (staff: their own;
auditors: any or all). The commands — follow-up, answer, consent, publish,
rate, assign — come from ``ihanoi_core.commands.business``. A published answer
is anonymised (no person, no tax code, no business's own words) and the Q&A
switchboard cites it (``/public/faq``). When the person's token says the
business's kind (``IHANOI_OIDC_ORGANISATION_KIND_CLAIM``), a filing may leave
``business_kind`` out; one that contradicts the token is a 422 field error.
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ihanoi_core.commands.business import InquiryCommand, SubmitBusinessInquiry
from ihanoi_core.commands.command import CreateCommand
from ihanoi_core.errors import NotFoundError, ValidationError
from ihanoi_projections.business_inquiries import AnswerRate, InquiryRow, PublishedAnswer
from ihanoi_projections.queries.business import BusinessQueries
from ihanoi_server.api.commands import command_routes, create_route, read_route
from ihanoi_server.http import (
    call_app,
    json_response,
    organisation_kind,
    principal,
    query_int,
    state,
    wait_for_position,
)
from ihanoi_server.openapi.describe import POSITION, Query, document

LIMIT = Query("limit", int, "At most 200 (default 50).")


class InquiryList(msgspec.Struct):
    """A business's inquiries, or an agency's business worklist."""

    items: list[InquiryRow]


class PublishedList(msgspec.Struct):
    """Published questions and answers: anonymised, no person, no business."""

    items: list[PublishedAnswer]


class AnswerRates(msgspec.Struct):
    """On-time answer rates per agency, counted now."""

    at: datetime
    agencies: list[AnswerRate]


def with_token_kind(request: Request, command: CreateCommand) -> CreateCommand:
    """The filing with the business's kind the token says: filled in when the
    body leaves it out, a field error when the body says another."""
    claimed = organisation_kind(request)
    if claimed is None or not isinstance(command, SubmitBusinessInquiry):
        return command
    if command.business_kind is None:
        return msgspec.structs.replace(command, business_kind=claimed)
    if command.business_kind != claimed:
        raise ValidationError({"business_kind": f"your token says the business is {claimed.value!r}"})
    return command


def queries(request: Request) -> BusinessQueries:
    app_state = state(request)
    return BusinessQueries(app_state.app, app_state.read_side)


async def list_inquiries(request: Request) -> Response:
    """A business's own inquiries; for staff, their agency's business worklist."""
    who = principal(request)
    raw_all = request.query_params.get("all", "false")
    if raw_all not in ("true", "false"):
        raise ValidationError({"all": "must be true or false"})
    limit = query_int(request, "limit", 50, low=1, high=200)
    await wait_for_position(request)
    found = await call_app(request, queries(request).inquiries, who, open_only=raw_all == "false", limit=limit)
    return json_response(InquiryList(found))


async def answer_rates(request: Request) -> Response:
    """On-time answer rates per agency (staff: their own; auditors: ``?agency=`` or all)."""
    who = principal(request)
    agency = request.query_params.get("agency") or None
    await wait_for_position(request)
    found = await call_app(request, queries(request).answer_rates, who, agency)
    return json_response(AnswerRates(state(request).app.clock(), found))


async def public_answers(request: Request) -> Response:
    """The published questions and answers (public, no token; nothing personal)."""
    limit = query_int(request, "limit", 50, low=1, high=200)
    await wait_for_position(request)
    return json_response(PublishedList(await call_app(request, queries(request).published, limit=limit)))


async def public_answer(request: Request) -> Response:
    """One published question and answer (public, no token; nothing personal): what the switchboard cites."""
    code: str = request.path_params["code"]
    await wait_for_position(request)
    found = await call_app(request, queries(request).published, code=code, limit=1)
    if not found:
        raise PublishedAnswerNotFoundError(code)
    return json_response(found[0])


class PublishedAnswerNotFoundError(NotFoundError):
    """Raised by ``GET /public/business-qa/{code}`` when no published answer has that code."""

    code = "business_answer_not_found"

    def __init__(self, answer: str) -> None:
        super().__init__(f"No published business answer {answer[:64]!r}.", answer=answer[:64])


routes = [
    create_route("business-inquiries", SubmitBusinessInquiry, with_token_kind),
    Route("/api/v1/business-inquiries", list_inquiries, methods=["GET"], name="business-inquiries:list"),
    Route(
        "/api/v1/business-inquiries/answer-rates", answer_rates, methods=["GET"], name="business-inquiries:answer-rates"
    ),
    read_route("business-inquiries", "business_inquiry"),
    *command_routes("business-inquiries", InquiryCommand),
    Route("/public/business-qa", public_answers, methods=["GET"], name="public_business_qa:list"),
    Route("/public/business-qa/{code}", public_answer, methods=["GET"], name="public_business_qa:read"),
]
document(
    "business-inquiries:list",
    response=InquiryList,
    roles=("officer", "leader", "business"),
    query=[Query("all", str, "`true`: staff see answered inquiries too."), LIMIT, POSITION],
)
document(
    "business-inquiries:answer-rates",
    response=AnswerRates,
    roles=("officer", "leader", "auditor"),
    query=[Query("agency", str, "An auditor's choice of agency; staff read their own."), POSITION],
)
document("public_business_qa:list", response=PublishedList, auth="none", problems=(422,), query=[LIMIT, POSITION])
document("public_business_qa:read", response=PublishedAnswer, auth="none", problems=(404, 422), query=[POSITION])
