"""``/api/v1/payments`` and ``/webhooks/payments/{provider}``: cashless fees
(``docs/payments.md``).

``GET /api/v1/payments/{id}`` is a payment as the caller may see it (the
applicant, staff of the collecting agency, auditors) with its VietQR code
while it can be paid: the payload, the code as an SVG ``data:`` URL and links
to ``qr.png`` / ``qr.svg``. ``GET /api/v1/payments?dossier=`` lists a
dossier's payments; ``GET /api/v1/payments/collections`` the fees confirmed
per agency and day with the cashless share. Staff issue the receipt, refund
and expire through the command routes (``ihanoi_core.commands.payments``).

``POST /webhooks/payments/{provider}`` takes a gateway's signed callback:
the signature and the timestamp are checked over the raw body before it is
read (``ihanoi_core.payments.signatures``); a 2xx answer means the payment
event is saved (``recorded: false``: this transaction was recorded before).
A forged or stale callback is 401 and records nothing.
"""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ihanoi_core.commands.payments import PaymentCommand
from ihanoi_core.domain.payment_values import PaymentStatus
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import CaseNotFoundError, ValidationError
from ihanoi_core.payments.qr_image import MEDIA_TYPES, ImageFormat, data_url, render
from ihanoi_core.payments.signatures import SIGNATURE_HEADER, TIMESTAMP_HEADER, JsonCallback, adapter, verify
from ihanoi_core.payments.vietqr import VietQR
from ihanoi_projections.queries.payments import PaymentQueries
from ihanoi_server.api.commands import command_routes
from ihanoi_server.http import call_app, case_ref, json_response, principal, raw_body, state, wait_for_position
from ihanoi_server.openapi.describe import POSITION, Header, Query, document

PAYABLE = frozenset({PaymentStatus.REQUESTED})


class QrView(msgspec.Struct):
    """The VietQR code of a payment that can be paid: the EMVCo payload any
    bank app reads, the code as an SVG ``data:`` URL, and links to its images."""

    payload: str
    image: str
    png: str
    svg: str


class CallbackAnswer(msgspec.Struct):
    """What a gateway's callback did: the payment's code and status, and
    whether this callback recorded anything (false: a replay of a transaction
    already recorded)."""

    id: str
    code: str
    status: str
    recorded: bool
    position: int


def vietqr_of(data: dict[str, Any]) -> VietQR:
    payee = data["payee"]
    return VietQR(bank_bin=payee.bank_bin, account=payee.account, amount=data["total"], purpose=data["reference"])


def read_payment(request: Request, who: Principal) -> dict[str, Any]:
    data = state(request).app.get_case(who, case_ref(request))
    if data["kind"] != "payment":
        raise CaseNotFoundError(case_ref(request))
    return data


async def get_payment(request: Request) -> Response:
    """A payment, with its VietQR code while it can be paid. Roles: the applicant, the agency's staff, auditors."""
    who = principal(request)
    data = await call_app(request, read_payment, request, who)
    if data["status"] in PAYABLE:
        payload = vietqr_of(data).encode()
        base = f"/api/v1/payments/{data['id']}"
        data["vietqr"] = QrView(payload, data_url(payload), f"{base}/qr.png", f"{base}/qr.svg")
    else:
        data["vietqr"] = None
    return json_response(data, headers={"ETag": f'"{data["version"]}"'})


get_payment.reads_case = frozenset({"payment"})  # type: ignore[attr-defined]


def qr_endpoint(image_format: ImageFormat) -> Any:
    async def qr(request: Request) -> Response:
        who = principal(request)
        data = await call_app(request, read_payment, request, who)
        if data["status"] not in PAYABLE:
            raise CaseNotFoundError(case_ref(request))
        image = render(vietqr_of(data).encode(), image_format)
        return Response(image, media_type=MEDIA_TYPES[image_format], headers={"Cache-Control": "private, no-store"})

    qr.__name__ = f"qr_{image_format}"
    qr.__doc__ = f"The payment's VietQR code as {image_format.upper()} (404 once it cannot be paid)."
    return qr


async def list_payments(request: Request) -> Response:
    """A dossier's payments (``?dossier=`` its id or code), newest first. Roles: whoever can see the dossier."""
    who = principal(request)
    dossier = request.query_params.get("dossier")
    if not dossier or len(dossier) > 100:
        raise ValidationError({"dossier": "give the dossier's id or code"})
    await wait_for_position(request)
    queries = PaymentQueries(state(request).app, state(request).read_side)
    items = await call_app(request, queries.of_dossier, who, dossier)
    return json_response({"items": items, "next_cursor": None})


async def collections(request: Request) -> Response:
    """Fees confirmed per agency and day, with the cashless share. Roles: staff (own agency), auditors."""
    who = principal(request)
    await wait_for_position(request)
    params = request.query_params
    queries = PaymentQueries(state(request).app, state(request).read_side)
    figures = await call_app(
        request,
        lambda: queries.collections(
            who, since=params.get("since"), until=params.get("until"), agency=params.get("agency")
        ),
    )
    return json_response(figures)


async def callback(request: Request) -> Response:
    """A gateway's signed confirmation of a transfer (HMAC-SHA256; see docs/payments.md). Roles: the gateway."""
    provider: str = request.path_params["provider"]
    server = state(request)
    body = await raw_body(request)
    settings = server.settings
    verify(
        dict(settings.payments_providers),
        provider,
        request.headers,
        body,
        now=server.app.clock(),
        window=settings.payments_timestamp_window,
    )
    command = adapter(provider).command(provider, body)
    gateway = Principal(f"gateway:{provider}", Role.SYSTEM)
    result = await call_app(request, server.app.handle, gateway, command)
    answer = CallbackAnswer(str(result.case_id), result.code, result.status, result.changed, result.position)
    return json_response(answer, status=200)


routes = [
    Route("/api/v1/payments", list_payments, methods=["GET"], name="payments:list"),
    Route("/api/v1/payments/collections", collections, methods=["GET"], name="payments:collections"),
    Route("/api/v1/payments/{id}", get_payment, methods=["GET"], name="payments:read"),
    Route("/api/v1/payments/{id}/qr.png", qr_endpoint("png"), methods=["GET"], name="payments:qr_png"),
    Route("/api/v1/payments/{id}/qr.svg", qr_endpoint("svg"), methods=["GET"], name="payments:qr_svg"),
    *command_routes("payments", PaymentCommand),
    Route("/webhooks/payments/{provider}", callback, methods=["POST"], name="payments:callback"),
]
IMAGE = {"type": "string", "format": "binary"}
STAFF_AND_OWNER = ("citizen", "officer", "leader", "auditor")
document("payments:read", roles=STAFF_AND_OWNER, problems=(401, 404))
document("payments:qr_png", response=IMAGE, media_type="image/png", roles=STAFF_AND_OWNER, problems=(401, 404))
document("payments:qr_svg", response=IMAGE, media_type="image/svg+xml", roles=STAFF_AND_OWNER, problems=(401, 404))
document(
    "payments:list",
    roles=STAFF_AND_OWNER,
    query=[Query("dossier", str, "The dossier's id or code."), POSITION],
    problems=(401, 404, 422),
)
document(
    "payments:collections",
    roles=("officer", "leader", "auditor"),
    query=[
        Query("since", str, "First local day, YYYY-MM-DD (default: 29 days before today)."),
        Query("until", str, "Last local day, YYYY-MM-DD (default: today)."),
        Query("agency", str, "An auditor's choice of agency (staff always read their own)."),
        POSITION,
    ],
    problems=(401, 403, 422),
)
document(
    "payments:callback",
    body=JsonCallback,
    response=CallbackAnswer,
    auth="none",
    headers=[
        Header(TIMESTAMP_HEADER, str, "Unix seconds when the gateway sent it; within the window of our clock."),
        Header(SIGNATURE_HEADER, str, "sha256= and the hex HMAC-SHA256 of '<timestamp>.<raw body>'."),
    ],
    problems=(401, 404, 409, 413, 422),
)
