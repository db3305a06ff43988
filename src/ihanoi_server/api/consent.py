"""Consent to purposes beyond case handling (docs/privacy.md, "Consent").

- ``GET /api/v1/me/consents``: every purpose with its state (``given``,
  ``withdrawn`` or ``null`` when never given) and its history, oldest first.
- ``PUT /api/v1/me/consents/{purpose}``: give it, under the privacy notice
  version the citizen read (and for a channel, if any). Giving again under the
  same notice and channel records nothing (``changed: false``).
- ``DELETE /api/v1/me/consents/{purpose}``: withdraw it (an optional
  ``?reason=``). Withdrawing what was never given is 409
  ``consent_not_given``; what is withdrawn already records nothing.

Only a citizen, for themself. An unknown purpose is 422 ``validation_error``.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import Meta
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ihanoi_core.application import Ihanoi
from ihanoi_core.domain.consent import MAX_CHANNEL, MAX_NOTICE_VERSION, MAX_REASON, Purpose
from ihanoi_core.errors import ValidationError
from ihanoi_core.privacy.consent import ConsentOutcome
from ihanoi_server.http import call_app, json_response, own_data, principal, read_body, state
from ihanoi_server.openapi.describe import Query, document

PURPOSE_PATH = {"purpose": {"type": "string", "enum": [str(purpose) for purpose in Purpose]}}


class GiveConsentIn(msgspec.Struct, forbid_unknown_fields=True):
    """The privacy notice version the citizen agreed to, and the channel it covers (if any)."""

    notice_version: Annotated[str, Meta(min_length=1, max_length=MAX_NOTICE_VERSION)]
    channel: Annotated[str, Meta(min_length=1, max_length=MAX_CHANNEL)] | None = None


class ConsentEntry(msgspec.Struct):
    """One ``given`` or ``withdrawn`` of the history."""

    event: str
    at: str
    notice_version: str | None
    channel: str | None
    reason: str | None


class ConsentView(msgspec.Struct):
    """One purpose: its current state (``null`` when never given) and history."""

    purpose: str
    status: str | None
    notice_version: str | None
    channel: str | None
    history: list[ConsentEntry]


class ConsentChange(msgspec.Struct):
    """A purpose after a give or a withdrawal: ``changed`` whether an event was
    recorded, ``position`` its log position (``null`` when nothing changed)."""

    purpose: str
    status: str | None
    changed: bool
    version: int
    position: int | None
    consent: ConsentView


async def my_consents(request: Request) -> Response:
    """Every purpose with its state and history. Roles: citizen."""
    return await own_data(request, Ihanoi.consents)


async def give(request: Request) -> Response:
    """Give consent to a purpose. Roles: citizen."""
    who = principal(request)
    body = await read_body(request, GiveConsentIn)
    purpose = request.path_params["purpose"]
    outcome = await call_app(
        request, state(request).app.give_consent, who, purpose, notice_version=body.notice_version, channel=body.channel
    )
    return json_response(await _change(request, outcome))


async def withdraw(request: Request) -> Response:
    """Withdraw consent to a purpose. Roles: citizen."""
    who = principal(request)
    reason = request.query_params.get("reason")
    if reason is not None and len(reason) > MAX_REASON:
        raise ValidationError({"reason": f"at most {MAX_REASON} characters"})
    purpose = request.path_params["purpose"]
    outcome = await call_app(request, state(request).app.withdraw_consent, who, purpose, reason=reason)
    return json_response(await _change(request, outcome))


async def _change(request: Request, outcome: ConsentOutcome) -> dict[str, Any]:
    views = await call_app(request, state(request).app.consents, principal(request))
    view = next(view for view in views if view["purpose"] == outcome.purpose)
    return {
        "purpose": outcome.purpose,
        "status": outcome.status,
        "changed": outcome.changed,
        "version": outcome.version,
        "position": outcome.position,
        "consent": view,
    }


routes = [
    Route("/api/v1/me/consents", my_consents, methods=["GET"], name="me:consents"),
    Route("/api/v1/me/consents/{purpose}", give, methods=["PUT"], name="me:consents:give"),
    Route("/api/v1/me/consents/{purpose}", withdraw, methods=["DELETE"], name="me:consents:withdraw"),
]
document("me:consents", response=list[ConsentView], roles=("citizen",))
# 409: the consent changed meanwhile (another device's request won).
document(
    "me:consents:give",
    body=GiveConsentIn,
    response=ConsentChange,
    roles=("citizen",),
    path=PURPOSE_PATH,
    more_problems=(409,),
)
document(
    "me:consents:withdraw",
    response=ConsentChange,
    roles=("citizen",),
    path=PURPOSE_PATH,
    query=(Query("reason", str, "Why you withdraw (optional; kept with the withdrawal, sealed like your data)."),),
    problems=(401, 403, 404, 409, 422, 503),
)
