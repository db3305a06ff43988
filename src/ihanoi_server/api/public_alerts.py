"""``/public/alerts``: issued alerts for everyone, no token (OASIS CAP 1.2).

- ``GET /public/alerts?ward=&active=``: the alerts as JSON, newest first;
  ``active=true`` those in force now (issued, not cancelled, not expired —
  decided at the time of the request), ``active=false`` the others.
- ``GET /public/alerts/{code}``: one alert as JSON, with the URL of each of
  its messages.
- ``GET /public/alerts/{code}.xml``: its latest CAP message
  (``application/cap+xml``); ``GET /public/alerts/{code}/{n}.xml`` its n-th
  (1 = the first Alert; then each Update and the Cancel). The URLs and the
  CAP identifiers never change.
- ``GET /public/alerts.atom``: the Atom index of the alerts in force, one
  entry per alert linking to its latest CAP message (the OASIS CAP feeds
  practice).
- ``GET /public/alerts/stream?ward=``: Server-Sent Events, one ``event:
  alert`` per message issued for those wards (every ward without ``ward``);
  resume with ``Last-Event-ID``.

Everything is read from the ``public_alerts`` read model (``?position=``
waits for a write, as elsewhere); nothing here names a person.
"""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ihanoi_core.cap.atom import ATOM_MEDIA_TYPE, FeedEntry, render_atom
from ihanoi_core.cap.render import CAP_MEDIA_TYPE
from ihanoi_core.errors import NotFoundError, ValidationError
from ihanoi_projections.engine.live_tail import Accepts, alerts_in
from ihanoi_projections.public_alerts import PublicAlert, PublicAlertFields
from ihanoi_projections.queries.alerts import AlertQueries
from ihanoi_server.api.alert_stream import AlertEvent, alert_event, stream_wards
from ihanoi_server.api.streams import ReconnectEvent, open_stream
from ihanoi_server.http import call_app, json_response, query_int, state, view_of, wait_for_position
from ihanoi_server.openapi.describe import POSITION, POSITION_SCHEMA, Header, Query, document

MAX_LIMIT = 200
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class AlertNotFoundError(NotFoundError):
    """Raised by the public alert routes when no issued alert (or no message of
    it) has that code (or number): drafts are never public."""

    code = "alert_not_found"

    def __init__(self, alert: str, sequence: int | None = None) -> None:
        what = f"message {sequence} of alert {alert}" if sequence is not None else f"issued alert {alert}"
        super().__init__(f"No {what}.", alert=alert, sequence=sequence)


class PublicAlertView(PublicAlertFields, frozen=True):
    """An issued alert as its latest message states it. ``status`` is
    ``issued`` or ``cancelled``; ``active`` says whether it is in force now;
    ``cap_url`` is its latest CAP message, ``messages`` every one of them."""

    cap_url: str
    messages: list[str]


class PublicAlertPage(msgspec.Struct):
    """Alerts, most recently sent first (one page of at most ``limit``)."""

    items: list[PublicAlertView]


def view(alert: PublicAlert) -> PublicAlertView:
    return view_of(
        PublicAlertView,
        alert,
        cap_url=f"/public/alerts/{alert.code}.xml",
        messages=[f"/public/alerts/{alert.code}/{n}.xml" for n in range(1, alert.sequence + 1)],
    )


def queries(request: Request) -> AlertQueries:
    server = state(request)
    return AlertQueries(server.app, server.read_side)


def active_param(request: Request) -> bool | None:
    raw = request.query_params.get("active")
    if raw is None or raw == "":
        return None
    if raw not in ("true", "false"):
        raise ValidationError({"active": "must be true or false"})
    return raw == "true"


async def list_alerts(request: Request) -> Response:
    """Issued alerts, newest first, optionally of one ward and active or not now."""
    wards = stream_wards(request, state(request).app.directory)
    if len(wards) > 1:
        raise ValidationError({"ward": "give one ward"})
    active = active_param(request)
    limit = query_int(request, "limit", 50, low=1, high=MAX_LIMIT)
    await wait_for_position(request)
    found = await call_app(
        request, queries(request).public_alerts, ward=wards[0] if wards else None, active=active, limit=limit
    )
    return json_response(PublicAlertPage([view(alert) for alert in found]))


async def read_alert(request: Request) -> Response:
    """One issued alert."""
    code: str = request.path_params["code"]
    await wait_for_position(request)
    found = await call_app(request, queries(request).public_alert, code)
    if found is None:
        raise AlertNotFoundError(code)
    return json_response(view(found))


def cap_response(document: bytes) -> Response:
    return Response(document, media_type=CAP_MEDIA_TYPE, headers={"Cache-Control": "public, max-age=60"})


async def latest_cap(request: Request) -> Response:
    """An issued alert's latest CAP 1.2 message."""
    code: str = request.path_params["code"]
    document = await call_app(request, queries(request).cap_document, code)
    if document is None:
        raise AlertNotFoundError(code)
    return cap_response(document)


async def message_cap(request: Request) -> Response:
    """One CAP 1.2 message of an issued alert, by number (1 = the first)."""
    code: str = request.path_params["code"]
    sequence: int = request.path_params["sequence"]
    document = await call_app(request, queries(request).cap_document, code, sequence)
    if document is None:
        raise AlertNotFoundError(code, sequence)
    return cap_response(document)


async def atom_feed(request: Request) -> Response:
    """The Atom index of the alerts in force now."""
    server = state(request)
    found = await call_app(request, queries(request).public_alerts, active=True, limit=MAX_LIMIT)
    base = str(request.base_url).rstrip("/")
    zone = server.app.timezone
    directory = server.app.directory
    entries = [
        FeedEntry(
            id=f"{base}/public/alerts/{alert.code}",
            title=alert.headline,
            summary=f"{alert.event} — {alert.severity}/{alert.urgency}/{alert.certainty} — {', '.join(alert.wards)}",
            updated=alert.sent.astimezone(zone),
            published=alert.first_sent.astimezone(zone),
            cap_url=f"{base}/public/alerts/{alert.code}.xml",
            author=alert.agency_name or alert.agency,
            categories=(alert.category,),
        )
        for alert in found
    ]
    # With nothing in force, the feed last changed when the log did; the epoch says "never".
    newest = max((alert.sent for alert in found), default=EPOCH)
    document = render_atom(
        feed_id=f"{base}/public/alerts.atom",
        title=f"Cảnh báo — {directory.jurisdiction_name}",
        self_url=f"{base}/public/alerts.atom",
        author=directory.jurisdiction_name,
        updated=newest.astimezone(zone),
        entries=entries,
    )
    return Response(document, media_type=ATOM_MEDIA_TYPE)


async def alert_stream(request: Request) -> Response:
    """Follow the alert messages issued for some wards (all without ``ward``)."""
    wards = stream_wards(request, state(request).app.directory)
    accepts: Accepts = alerts_in(wards or None)
    return await open_stream(request, accepts, alert_event)


routes = [
    Route("/public/alerts", list_alerts, methods=["GET"], name="public_alerts:list"),
    Route("/public/alerts.atom", atom_feed, methods=["GET"], name="public_alerts:atom"),
    # Before ``/public/alerts/{code}``: ``stream`` is no alert code.
    Route("/public/alerts/stream", alert_stream, methods=["GET"], name="public_alerts:stream"),
    Route("/public/alerts/{code}.xml", latest_cap, methods=["GET"], name="public_alerts:cap"),
    Route("/public/alerts/{code}/{sequence:int}.xml", message_cap, methods=["GET"], name="public_alerts:message"),
    Route("/public/alerts/{code}", read_alert, methods=["GET"], name="public_alerts:read"),
]

WARD = Query("ward", {"type": "string", "maxLength": 64}, "A ward code of the directory, e.g. HOAN_KIEM.")
CODE = {"code": {"type": "string", "maxLength": 64}}
document(
    "public_alerts:list",
    response=PublicAlertPage,
    query=[
        WARD,
        Query(
            "active",
            {"type": "string", "enum": ["true", "false", ""]},
            "Only those in force now (true) or not (false); empty, as absent: both.",
        ),
        Query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, "Page size (default 50)."),
        POSITION,
    ],
    auth="none",
    problems=(404, 422),
)
document("public_alerts:read", response=PublicAlertView, query=[POSITION], auth="none", problems=(404, 422), path=CODE)
CAP_DOCUMENT = {"type": "string", "description": "An OASIS CAP 1.2 <alert> document (UTF-8)."}
document("public_alerts:cap", response=CAP_DOCUMENT, media_type=CAP_MEDIA_TYPE, auth="none", problems=(404,), path=CODE)
document(
    "public_alerts:message",
    response=CAP_DOCUMENT,
    media_type=CAP_MEDIA_TYPE,
    auth="none",
    problems=(404,),
    path={**CODE, "sequence": {"type": "integer", "minimum": 1, "maximum": 1_000_000}},
)
document(
    "public_alerts:atom",
    response={"type": "string", "description": "An Atom 1.0 feed (RFC 4287)."},
    media_type=ATOM_MEDIA_TYPE,
    auth="none",
    problems=(),
)
document(
    "public_alerts:stream",
    description="Server-Sent Events: each alert message (Alert, Update, Cancel) issued for the wards named "
    "(`ward`, repeatable; every ward without it) as `event: alert` (an AlertEvent), `id` = log position. "
    "Reconnect with `Last-Event-ID` to receive exactly the missed messages, in order.",
    query=[
        Query("last_event_id", POSITION_SCHEMA, "Resume after this log position (Last-Event-ID wins)."),
        WARD,
    ],
    headers=[Header("Last-Event-ID", POSITION_SCHEMA, "The id of the last event you received: resume after it.")],
    response={"type": "string", "description": "An endless text/event-stream."},
    media_type="text/event-stream",
    events={"alert": AlertEvent, "reconnect": ReconnectEvent},
    auth="none",
    problems=(400, 422),
)
