"""``/api/v1/complaints``: complaints (khiếu nại) and denunciations (tố cáo).

``POST /complaints`` files either kind (body field ``kind``); ``GET
/complaints/{id}`` reads one as the caller may see it — a denouncer's identity
stays sealed (a pseudonym) for everyone but the denouncer, the assigned handler
and the handling agency's leader; ``POST /complaints/{id}/{command}`` runs its
lifecycle. Both kinds share one collection and one route per command: a step
that exists for one kind only (``hold-dialogue``, ``decide`` for complaints;
``extend-preliminary-check``, ``conclude`` for denunciations) is 403 on the
other. Roles and from-states below are those the core enforces
(``ihanoi_core.commands.complaints``, ``Complaint.TRANSITIONS``,
``Denunciation.TRANSITIONS``); ``assign`` and ``comment`` are valid in every
status that is not final (closed, refused, withdrawn).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import msgspec
from msgspec import Meta
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ihanoi_core.domain.grievance_values import ComplainantIdentity, ComplaintKind, Complexity
from ihanoi_server.commands import CommandSpec, Empty, case_reader
from ihanoi_server.commands import legacy_command_routes as command_routes
from ihanoi_server.http import command_response, fingerprint, idempotency_key, principal, read_body, state
from ihanoi_server.routes.legacy_inputs import AssignIn, NoteIn, ReasonIn, ShortText, Text

Code = Annotated[str, Meta(min_length=1, max_length=64)]
LongText = Annotated[str, Meta(min_length=1, max_length=20_000)]
NationalId = Annotated[str, Meta(pattern=r"^[0-9]{9}([0-9]{3})?$")]
Phone = Annotated[str, Meta(max_length=30, pattern=r"^\+?[0-9 .-]{6,30}$")]


class ComplainantIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=200)]
    national_id: NationalId | None = None
    phone: Phone | None = None
    address: ShortText | None = None


class ComplaintIn(msgspec.Struct, forbid_unknown_fields=True):
    kind: ComplaintKind
    subject: Annotated[str, Meta(min_length=1, max_length=500)]
    content: LongText
    respondent_agency: Code
    ward: Code
    complainant: ComplainantIn
    decision_date: date | None = None
    first_case: Code | None = None


class RefuseIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Text
    legal_basis: ShortText


class ForwardIn(msgspec.Struct, forbid_unknown_fields=True):
    to_agency: Code
    reason: Text


class ExtendIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Text
    # Law on Denunciations Art. 30: "especially_complex" allows a second extension.
    complexity: Complexity = Complexity.COMPLEX


class DialogueIn(msgspec.Struct, forbid_unknown_fields=True):
    summary: LongText


class DecisionIn(msgspec.Struct, forbid_unknown_fields=True):
    decision: LongText


class ConclusionIn(msgspec.Struct, forbid_unknown_fields=True):
    conclusion: LongText


STAFF = ("officer", "leader")
OWNER = ("citizen (own)",)
RECEIVED = ("complaint: filed, forwarded", "denunciation: preliminary_check, forwarded")
NOT_FINAL = (
    "complaint: filed, forwarded, accepted, verifying, dialogue, decided",
    "denunciation: preliminary_check, forwarded, accepted, verifying, concluded",
)
COMMANDS = (
    CommandSpec("accept", "accept_complaint", Empty, ("leader",), RECEIVED,
                "Accept for resolution (thụ lý); the resolve clock starts."),
    CommandSpec("refuse", "refuse_complaint", RefuseIn, ("leader",), RECEIVED,
                "Refuse to accept, with the reason and its legal basis."),
    CommandSpec("forward", "forward_complaint", ForwardIn, STAFF, RECEIVED,
                "Forward to the competent agency, which receives it with a new clock."),
    CommandSpec("assign", "assign_complaint", AssignIn, ("complaint: officer, leader", "denunciation: leader"),
                NOT_FINAL, "Name the handler (for a denunciation, the one who may read the denouncer's identity)."),
    CommandSpec("start-verification", "start_verification", Empty, STAFF, ("accepted",),
                "The assigned handler starts verifying (xác minh); needs an assignee."),
    CommandSpec("hold-dialogue", "hold_dialogue", DialogueIn, ("complaint: officer, leader",),
                ("complaint: verifying, dialogue",), "Record a dialogue with the complainant (complaints only)."),
    CommandSpec("extend", "extend_complaint", ExtendIn, ("leader",),
                ("complaint: accepted, verifying, dialogue", "denunciation: accepted, verifying"),
                "Extend the resolve period, saying how complex the case is: a complaint once to the complex "
                "period; a denunciation once when complex, twice when especially complex (Law on Denunciations "
                "Art. 30). The handling agency's leader approves."),
    CommandSpec("extend-preliminary-check", "extend_preliminary_check", ReasonIn, ("denunciation: leader",),
                ("denunciation: preliminary_check, forwarded",),
                "Extend a denunciation's preliminary check once, 7 to 10 working days."),
    CommandSpec("decide", "decide_complaint", DecisionIn, ("complaint: leader",),
                ("complaint: verifying, dialogue",), "Issue the decision on a complaint."),
    CommandSpec("conclude", "conclude_denunciation", ConclusionIn, ("denunciation: leader",),
                ("denunciation: verifying",), "Issue the conclusion on a denunciation."),
    CommandSpec("close", "close_complaint", Empty, STAFF, ("complaint: decided", "denunciation: concluded"),
                "Close the file after the decision or conclusion."),
    CommandSpec("withdraw", "withdraw_complaint", ReasonIn, OWNER,
                ("complaint: filed, forwarded, accepted, verifying, dialogue",
                 "denunciation: preliminary_check, forwarded, accepted, verifying"),
                "The complainant or denouncer withdraws before the decision or conclusion."),
    CommandSpec("comment", "comment_complaint", NoteIn, STAFF, NOT_FINAL, "Add a progress note for the filer."),
)  # fmt: skip


async def create(request: Request) -> Response:
    """File a complaint or a denunciation. Roles: citizen. Idempotent with ``Idempotency-Key``."""
    who = principal(request)
    body = await read_body(request, ComplaintIn)
    key = idempotency_key(request)
    result = await run_in_threadpool(
        state(request).app.file_complaint,
        who,
        kind=body.kind,
        subject=body.subject,
        content=body.content,
        respondent_agency=body.respondent_agency,
        ward=body.ward,
        complainant=ComplainantIdentity(**msgspec.structs.asdict(body.complainant)),
        decision_date=body.decision_date,
        first_case=body.first_case,
        idempotency_key=key,
        request_fingerprint=fingerprint(body),
    )
    response = command_response(result, status=201 if result.created else 200)
    response.headers["Location"] = f"/api/v1/complaints/{result.case_id}"
    return response


routes = [
    Route("/api/v1/complaints", create, methods=["POST"], name="complaints:create"),
    Route(
        "/api/v1/complaints/{id}",
        case_reader(frozenset({"complaint", "denunciation"})),
        methods=["GET"],
        name="complaints:read",
    ),
    *command_routes("complaints", COMMANDS),
]
