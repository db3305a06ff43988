"""``/api/v1/reports``: field reports (phản ánh hiện trường).

``POST /reports`` files a report (citizen, partner, staff at the hotline);
``GET /reports`` is the public, PII-free feed; ``GET /reports/{id}`` the case
as the caller may see it; ``POST /reports/{id}/{command}`` its lifecycle.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ihanoi_core.domain.values import Channel, Contact, Location, Priority
from ihanoi_server.commands import CommandSpec, Empty, case_reader, command_routes
from ihanoi_server.http import call_app, command_response, fingerprint, idempotency_key, principal, read_body, state

Text = Annotated[str, Meta(min_length=1, max_length=4000)]
ShortText = Annotated[str, Meta(min_length=1, max_length=500)]
Url = Annotated[str, Meta(max_length=2000, pattern=r"^https?://\S+$")]


class LocationIn(msgspec.Struct, forbid_unknown_fields=True):
    ward: Annotated[str, Meta(min_length=1, max_length=64)]
    latitude: Annotated[float, Meta(ge=-90, le=90)] | None = None
    longitude: Annotated[float, Meta(ge=-180, le=180)] | None = None
    address: ShortText | None = None


class ContactIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(max_length=200)] | None = None
    phone: Annotated[str, Meta(max_length=30, pattern=r"^\+?[0-9 .-]{6,30}$")] | None = None
    email: Annotated[str, Meta(max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")] | None = None


class ReportIn(msgspec.Struct, forbid_unknown_fields=True):
    category: Annotated[str, Meta(min_length=1, max_length=100)]
    description: Text
    location: LocationIn
    priority: Priority = Priority.NORMAL
    channel: Channel = Channel.APP
    contact: ContactIn | None = None
    media_urls: Annotated[list[Url], Meta(max_length=10)] = []
    anonymous: bool = False


class AcknowledgeIn(msgspec.Struct, forbid_unknown_fields=True):
    priority: Priority | None = None


class AssignIn(msgspec.Struct, forbid_unknown_fields=True):
    assignee: Annotated[str, Meta(min_length=1, max_length=200)]


class NoteIn(msgspec.Struct, forbid_unknown_fields=True):
    note: Text


class AnswerIn(msgspec.Struct, forbid_unknown_fields=True):
    answer: Text


class ReasonIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Text


class DuplicateIn(msgspec.Struct, forbid_unknown_fields=True):
    original: Annotated[str, Meta(min_length=1, max_length=64)]


class TransferIn(msgspec.Struct, forbid_unknown_fields=True):
    to_agency: Annotated[str, Meta(min_length=1, max_length=64)]
    reason: Text


class NotResponsibleIn(msgspec.Struct, forbid_unknown_fields=True):
    responsible: ShortText


class RateIn(msgspec.Struct, forbid_unknown_fields=True):
    stars: Annotated[int, Meta(ge=1, le=5)]
    comment: Annotated[str, Meta(min_length=1, max_length=1000)] | None = None


STAFF = ("officer", "leader")
COMMANDS = (
    CommandSpec("acknowledge", "acknowledge_report", AcknowledgeIn, STAFF, ("submitted", "transferred"),
                "Receive the report for the agency; starts the resolve clock."),
    CommandSpec("assign", "assign_report", AssignIn, STAFF, ("acknowledged", "assigned", "in_progress"),
                "Name the officer who handles it."),
    CommandSpec("start", "start_report", Empty, STAFF, ("assigned",), "Work starts."),
    CommandSpec("comment", "comment_report", NoteIn, STAFF, ("any open status",), "Add a public note."),
    CommandSpec("resolve", "resolve_report", AnswerIn, STAFF, ("assigned", "in_progress"),
                "Resolve with a public answer; opens the reopen window."),
    CommandSpec("close", "close_report", Empty, STAFF, ("resolved",), "Close a resolved report."),
    CommandSpec("reject", "reject_report", ReasonIn, STAFF, ("submitted", "transferred", "acknowledged"),
                "Refuse with a reason."),
    CommandSpec("mark-duplicate", "mark_report_duplicate", DuplicateIn, STAFF,
                ("submitted", "transferred", "acknowledged", "assigned"), "Close as a duplicate of another report."),
    CommandSpec("transfer", "transfer_report", TransferIn, ("leader",),
                ("submitted", "transferred", "acknowledged", "assigned", "in_progress"),
                "Hand over to another agency."),
    CommandSpec("declare-not-responsible", "declare_report_not_responsible", NotResponsibleIn, STAFF,
                ("submitted", "transferred", "acknowledged"), "Close: another body is responsible."),
    CommandSpec("reopen", "reopen_report", ReasonIn, ("citizen (own)",), ("resolved", "closed"),
                "Reopen within 7 days of resolution."),
    CommandSpec("rate", "rate_report", RateIn, ("citizen (own)",), ("resolved", "closed"), "Rate the result 1–5."),
)  # fmt: skip


def to_location(body: LocationIn) -> Location:
    return Location(ward=body.ward, latitude=body.latitude, longitude=body.longitude, address=body.address)


async def create(request: Request) -> Response:
    """File a report. Roles: citizen, partner, officer, leader. Idempotent with ``Idempotency-Key``."""
    who = principal(request)
    body = await read_body(request, ReportIn)
    key = idempotency_key(request)
    contact = Contact(**msgspec.structs.asdict(body.contact)) if body.contact else None
    result = await call_app(
        request,
        state(request).app.submit_report,
        who,
        category=body.category,
        description=body.description,
        location=to_location(body.location),
        priority=body.priority,
        channel=body.channel,
        contact=contact,
        media_urls=tuple(body.media_urls),
        anonymous=body.anonymous,
        idempotency_key=key,
        request_fingerprint=fingerprint(body),
    )
    response = command_response(result, status=201 if result.created else 200)
    response.headers["Location"] = f"/api/v1/reports/{result.case_id}"
    return response


routes = [
    Route("/api/v1/reports", create, methods=["POST"], name="reports:create"),
    Route("/api/v1/reports/{id}", case_reader(frozenset({"report"})), methods=["GET"], name="reports:read"),
    *command_routes("reports", COMMANDS),
]
