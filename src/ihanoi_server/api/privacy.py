"""Personal data: the caller's own (``/api/v1/me/data``), erasure requests and
their decisions (docs/privacy.md).

- ``GET /api/v1/me/data``: every personal datum held about the calling
  person (a citizen, or a person acting for a business) and every case it
  appears in (Law 91/2025/QH15: access, provision).
- ``POST /api/v1/me/erasure-requests``: the person asks for their personal
  data to be erased (201, with the request's ``id``).
- ``GET /api/v1/erasure-requests/{id}``: the request, for its requester and
  the data protection officer (``dpo``) or admin.
- ``POST /api/v1/erasure-requests/{id}/decision``: the ``dpo`` or admin
  decides. Granted, the subject's data key is destroyed (``erased``) — unless a
  retention rule holds one of their cases: then it is ``refused`` and
  ``holds`` names each rule, its legal basis and the case it holds.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from msgspec import Meta
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ihanoi_core.application import Ihanoi
from ihanoi_core.errors import ErasureRequestNotFoundError
from ihanoi_core.privacy.erasure import ErasureOutcome
from ihanoi_server.api.consent import ConsentView
from ihanoi_server.http import call_app, json_response, own_data, principal, read_body, state, view_of
from ihanoi_server.openapi.describe import document

Text = Annotated[str, Meta(min_length=1, max_length=2000)]


class ErasureRequestIn(msgspec.Struct, forbid_unknown_fields=True):
    """Why the citizen asks (kept with the request)."""

    reason: Text


class DecisionIn(msgspec.Struct, forbid_unknown_fields=True):
    """Grant or refuse, with the reason and the legal basis the citizen is told."""

    grant: bool
    reason: Text
    legal_basis: Text


class HoldView(msgspec.Struct):
    """A retention rule that keeps one of the subject's cases."""

    rule: str
    case: str
    kind: str
    legal_basis: str
    description: str


class ErasureOutcomeView(msgspec.Struct):
    """Where a request stands: ``requested``, ``erased`` or ``refused``;
    ``cases`` the codes erased (or held), ``position`` the log position."""

    id: UUID
    status: str
    cases: list[str]
    holds: list[HoldView]
    position: int


class ErasureRequestView(msgspec.Struct):
    """An erasure request and its decision."""

    id: UUID
    status: str
    requested_at: datetime
    reason: str
    decided_at: datetime | None
    decision_reason: str | None
    legal_basis: str | None
    rules: list[str]
    cases: list[str]
    version: int


class PersonalDatum(msgspec.Struct):
    """One personal field of one event: whose data it is and its value."""

    event: str
    version: int
    at: str
    field: str
    of: str
    value: Any


class DataRecord(msgspec.Struct):
    """One stream the subject's key seals: a case, a code registration, a survey response, a request."""

    id: str
    type: str
    kind: str | None
    code: str | None
    status: str | None
    personal_data: list[PersonalDatum]


class DataKeyView(msgspec.Struct):
    id: str
    created_at: str


class MyData(msgspec.Struct):
    """Everything held about you, machine-readable."""

    exported_at: str
    data_key: DataKeyView | None
    records: list[DataRecord]
    consents: list[ConsentView]
    also_held: list[str]


def outcome_body(outcome: ErasureOutcome) -> dict[str, Any]:
    return {
        "id": outcome.request_id,
        "status": outcome.status,
        "cases": list(outcome.cases),
        "holds": [msgspec.structs.asdict(view_of(HoldView, hold)) for hold in outcome.holds],
        "position": outcome.position,
    }


def request_id(request: Request) -> UUID:
    raw = request.path_params["id"]
    try:
        return UUID(raw)
    except ValueError:
        raise ErasureRequestNotFoundError(raw) from None


async def my_data(request: Request) -> Response:
    """Every personal datum held about you and every case it appears in. Roles: citizen, business."""
    return await own_data(request, Ihanoi.export_personal_data)


async def request_erasure(request: Request) -> Response:
    """Ask for your personal data to be erased. Roles: citizen, business."""
    who = principal(request)
    body = await read_body(request, ErasureRequestIn)
    outcome = await call_app(request, state(request).app.request_erasure, who, body.reason)
    response = json_response(outcome_body(outcome), status=201)
    response.headers["Location"] = f"/api/v1/erasure-requests/{outcome.request_id}"
    return response


async def read_request(request: Request) -> Response:
    """An erasure request and its decision. Roles: its requester; dpo, admin."""
    who = principal(request)
    return json_response(await call_app(request, state(request).app.get_erasure_request, who, request_id(request)))


async def decide(request: Request) -> Response:
    """Grant (erase, unless a retention rule holds) or refuse. Roles: dpo, admin."""
    who = principal(request)
    target = request_id(request)
    body = await read_body(request, DecisionIn)
    outcome = await call_app(
        request,
        state(request).app.decide_erasure,
        who,
        target,
        grant=body.grant,
        reason=body.reason,
        legal_basis=body.legal_basis,
    )
    return json_response(outcome_body(outcome))


routes = [
    Route("/api/v1/me/data", my_data, methods=["GET"], name="me:data"),
    Route("/api/v1/me/erasure-requests", request_erasure, methods=["POST"], name="me:erasure-requests"),
    Route("/api/v1/erasure-requests/{id}", read_request, methods=["GET"], name="erasure-requests:read"),
    Route("/api/v1/erasure-requests/{id}/decision", decide, methods=["POST"], name="erasure-requests:decide"),
]
SUBJECTS = ("citizen", "business")
document("me:data", response=MyData, roles=SUBJECTS)
document("me:erasure-requests", body=ErasureRequestIn, response=ErasureOutcomeView, status=201, roles=SUBJECTS)
OWN = tuple(f"{role} (own)" for role in SUBJECTS)
document("erasure-requests:read", response=ErasureRequestView, roles=(*OWN, "dpo", "admin"))
# 409: the request is decided already, or another decision won meanwhile.
document(
    "erasure-requests:decide",
    body=DecisionIn,
    response=ErasureOutcomeView,
    roles=("dpo", "admin"),
    more_problems=(409,),
)
