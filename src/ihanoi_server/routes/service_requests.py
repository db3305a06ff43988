"""``/api/v1/service-requests``: one-stop-shop dossiers (hồ sơ dịch vụ công).

``POST /service-requests`` files a dossier for a procedure of the catalogue
(``/api/v1/procedures``); ``GET /service-requests/{id}`` reads it as the
caller may see it (applicant and documents only for the applicant and the
handling staff); ``POST /service-requests/{id}/{command}`` runs its lifecycle.

Money is a whole number of đồng in JSON (the đồng has no minor unit in use);
datetimes are RFC 3339 strings with an offset — a naive one is 422. Past its
appointment date a dossier moves only after the leader's apology with a new
date (``apologize``): the steps marked "on time" refuse until then (409).
While forwarded (liên thông) the partner agency's staff see the dossier and
``return`` it; ``assign`` and ``apologize`` stay with the handling agency.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import msgspec
from msgspec import Meta
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ihanoi_core.commands.values import Code, NationalId, Phone
from ihanoi_core.domain.service_request_values import ApplicantIdentity
from ihanoi_core.domain.values import Channel, Document
from ihanoi_core.errors import CaseNotFoundError
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
)
from ihanoi_server.openapi import CaseView, document
from ihanoi_server.routes.legacy_inputs import AssignIn, NoteIn, RateIn, ReasonIn, ShortText, Text, Url

KIND = "dossier"
MONEY_FIELDS = ("fee", "amount_due")
AwareDatetime = Annotated[datetime, Meta(tz=True)]
Sha256 = Annotated[str, Meta(pattern=r"^[0-9a-f]{64}$")]


class ApplicantIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=200)]
    national_id: NationalId
    phone: Phone | None = None
    address: ShortText | None = None


class DocumentIn(msgspec.Struct, forbid_unknown_fields=True):
    name: ShortText
    url: Url
    sha256: Sha256


Documents = Annotated[list[DocumentIn], Meta(min_length=1, max_length=50)]


class DossierIn(msgspec.Struct, forbid_unknown_fields=True):
    procedure: Code
    ward: Code
    applicant: ApplicantIn
    documents: Documents
    channel: Channel = Channel.WEB


class SupplementRequestIn(msgspec.Struct, forbid_unknown_fields=True):
    missing: Annotated[list[ShortText], Meta(min_length=1, max_length=50)]
    note: Text | None = None


class SupplementIn(msgspec.Struct, forbid_unknown_fields=True):
    documents: Documents


class PaymentRequestIn(msgspec.Struct, forbid_unknown_fields=True):
    amount: Annotated[int, Meta(gt=0, le=10**13)]
    note: Text | None = None


class PaymentIn(msgspec.Struct, forbid_unknown_fields=True):
    reference: Annotated[str, Meta(min_length=1, max_length=200)]


class OptionalNoteIn(msgspec.Struct, forbid_unknown_fields=True):
    note: Text | None = None


class ForwardIn(msgspec.Struct, forbid_unknown_fields=True):
    to_agency: Code
    working_days: Annotated[int, Meta(ge=1, le=365)]
    note: Text


class ApologyIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Text
    new_due: AwareDatetime


def documents(items: Sequence[DocumentIn]) -> tuple[Document, ...]:
    return tuple(Document(name=item.name, url=item.url, sha256=item.sha256) for item in items)


def supplement_kwargs(body: SupplementIn) -> dict[str, Any]:
    return {"documents": documents(body.documents)}


def supplement_request_kwargs(body: SupplementRequestIn) -> dict[str, Any]:
    return {"missing": tuple(body.missing), "note": body.note}


STAFF = ("officer", "leader")
OWNER = ("citizen (own)",)
NOT_FINAL = (
    "submitted",
    "received",
    "processing",
    "forwarded",
    "supplement_requested",
    "awaiting_payment",
    "suspended",
    "result_ready",
)
COMMANDS = (
    CommandSpec("receive", "receive_dossier", Empty, STAFF, ("submitted",),
                "Accept a complete dossier; the appointment date is computed."),
    CommandSpec("reject", "reject_dossier", ReasonIn, STAFF, ("submitted",), "Refuse to accept, with reasons."),
    CommandSpec("start-processing", "start_processing", Empty, STAFF, ("received",),
                "Begin processing (on time); the caller becomes the assignee unless one was named."),
    CommandSpec("request-supplement", "request_supplement", SupplementRequestIn, STAFF,
                ("submitted", "received", "processing"),
                "Ask for every missing document at once (on time); the clock pauses.",
                supplement_request_kwargs),
    CommandSpec("supplement", "supplement_dossier", SupplementIn, OWNER, ("supplement_requested",),
                "Supply every requested document; the clock resumes.", supplement_kwargs),
    CommandSpec("request-payment", "request_payment", PaymentRequestIn, STAFF, ("received", "processing"),
                "Ask for fees or taxes in whole đồng (on time); the clock pauses."),
    CommandSpec("confirm-payment", "confirm_payment", PaymentIn, STAFF, ("awaiting_payment",),
                "Record the payment reference; the clock resumes."),
    CommandSpec("suspend", "suspend_dossier", ReasonIn, ("leader",), ("received", "processing"),
                "Stop processing with a reason (on time); the clock pauses."),
    CommandSpec("resume", "resume_dossier", OptionalNoteIn, ("leader",), ("suspended",),
                "Resume a suspended dossier; the clock resumes."),
    CommandSpec("forward", "forward_dossier", ForwardIn, STAFF, ("processing",),
                "Send to a partner agency for its step (liên thông, on time), within the appointment date."),
    CommandSpec("return", "return_dossier", OptionalNoteIn, ("officer (partner agency)", "leader (partner agency)"),
                ("forwarded",), "The partner agency hands the dossier back."),
    CommandSpec("apologize", "apologize_for_delay", ApologyIn, ("leader (handling agency)",),
                ("received", "processing", "forwarded"),
                "Apologise for a delay with a new, later appointment date (phiếu xin lỗi)."),
    CommandSpec("mark-result-ready", "mark_result_ready", NoteIn, STAFF, ("processing",),
                "The result is ready for the applicant (on time); the clock stops."),
    CommandSpec("return-result", "return_result", Empty, STAFF, ("result_ready",),
                "The applicant has received the result."),
    CommandSpec("withdraw", "withdraw_dossier", ReasonIn, OWNER,
                ("submitted", "received", "processing", "forwarded", "supplement_requested", "awaiting_payment",
                 "suspended"), "The applicant withdraws the dossier before its result."),
    CommandSpec("rate", "rate_dossier", RateIn, OWNER, ("result_ready", "result_returned"),
                "Rate the service 1–5, once."),
    CommandSpec("assign", "assign_dossier", AssignIn, ("officer (handling agency)", "leader (handling agency)"),
                NOT_FINAL, "Name the officer who handles the dossier."),
    CommandSpec("comment", "comment_dossier", NoteIn, STAFF, NOT_FINAL, "Add a note the applicant can read."),
)  # fmt: skip


async def create(request: Request) -> Response:
    """File a dossier. Roles: citizen. Idempotent with ``Idempotency-Key``."""
    who = principal(request)
    body = await read_body(request, DossierIn)
    key = idempotency_key(request)
    result = await run_in_threadpool(
        state(request).app.submit_dossier,
        who,
        procedure=body.procedure,
        ward=body.ward,
        applicant=ApplicantIdentity(**msgspec.structs.asdict(body.applicant)),
        documents=documents(body.documents),
        channel=body.channel,
        idempotency_key=key,
        request_fingerprint=fingerprint(body),
    )
    response = command_response(result, status=201 if result.created else 200)
    response.headers["Location"] = f"/api/v1/service-requests/{result.case_id}"
    return response


async def read(request: Request) -> Response:
    """The dossier as the caller may see it, amounts as whole đồng. Roles:
    citizen (own), officer, leader (handling or partner agency), auditor."""
    who = principal(request)
    app = state(request).app
    ref = case_ref(request)

    def run() -> dict[str, Any]:
        data = app.get_case(who, ref)
        if data["kind"] != KIND:
            raise CaseNotFoundError(ref)
        return data

    data = await run_in_threadpool(run)
    for name in MONEY_FIELDS:
        if isinstance(data.get(name), Decimal):
            data[name] = int(data[name])
    return json_response(data, headers={"ETag": f'"{data["version"]}"'})


routes = [
    Route("/api/v1/service-requests", create, methods=["POST"], name="service-requests:create"),
    Route("/api/v1/service-requests/{id}", read, methods=["GET"], name="service-requests:read"),
    *command_routes("service-requests", COMMANDS),
]
document("service-requests:read", response=CaseView)
