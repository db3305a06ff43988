"""Live case streams (Server-Sent Events).

``GET /api/v1/me/stream``: a citizen's own cases. ``GET /api/v1/worklist/stream``:
the cases of an officer's or leader's agency. Each change is one event::

    id: 1234
    event: case
    data: {"position":1234,"case_id":"…","code":"PA-261130-483920","kind":"report",
           "event":"Acknowledged","status":"acknowledged","agency":"UBND_HOAN_KIEM",
           "due_at":"…","public_note":null,"at":"…"}

The data never names a person (no owner, contact or identity; for a
denunciation never the denouncer). ``id`` is the log position: a client that
reconnects with ``Last-Event-ID`` (or ``?last_event_id=``) first receives
every change after it that it may see, in log order, then the live ones — none
twice, none missing. Without either, the stream starts at the head of the log.

A client that reads too slowly, whose token expires, or whose server stops is
sent ``event: reconnect`` (``too_slow``, ``token_expired``, ``server_stopping``)
and the stream ends; it resumes with its last id (and, after expiry, a new
token). Pings (SSE comments) keep proxies from timing out.

A web page's ``EventSource`` cannot send ``Authorization``: it opens a stream
with the session cookie (sent same-origin) or a single-use ``?ticket=``
(``auth.session_cookie.redeem_ticket``); the stream then ends with ``token_expired``
when the session, or the credential the ticket was asked with, ends.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable

import anyio
import msgspec
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ihanoi_projections.engine.live_tail import (
    Accepts,
    CaseChange,
    CaseChanges,
    CaseEvent,
    agency_cases,
    alerts_in,
    own_cases,
)
from ihanoi_server.api.alert_stream import AlertEvent, alert_event, stream_wards
from ihanoi_server.auth.session_cookie import redeem_ticket
from ihanoi_server.http import MAX_POSITION, principal, state, token_expires, view_of
from ihanoi_server.live import LiveFeed, Subscription
from ihanoi_server.openapi.describe import POSITION_SCHEMA, Header, Query, document
from ihanoi_server.problems import HttpProblem

PING_SECONDS = 15
SEND_TIMEOUT_SECONDS = 30
SHUTDOWN_GRACE_SECONDS = 2.0
RETRY_MILLISECONDS = 2000
REPLAY_PAGE = 500
SEP = "\n"


class ReconnectEvent(msgspec.Struct):
    """The ``data`` of the final ``event: reconnect``: the client should
    reconnect with ``Last-Event-ID: last_event_id``."""

    reason: str
    last_event_id: int
    detail: str


def case_event(change: CaseChange) -> ServerSentEvent:
    data = view_of(CaseEvent, change)
    return ServerSentEvent(msgspec.json.encode(data).decode(), event="case", id=str(change.position), sep=SEP)


def reconnect_event(reason: str, last_event_id: int, detail: str) -> ServerSentEvent:
    data = ReconnectEvent(reason, last_event_id, detail)
    return ServerSentEvent(msgspec.json.encode(data).decode(), event="reconnect", retry=RETRY_MILLISECONDS, sep=SEP)


def last_event_id(request: Request) -> int | None:
    """``Last-Event-ID`` (sent by EventSource on reconnect) over ``?last_event_id=``;
    each, when given, must be a log position (also the one that loses)."""
    given = [
        raw.strip()
        for raw in (request.headers.get("last-event-id"), *request.query_params.getlist("last_event_id"))
        if raw is not None and raw.strip()
    ]
    for raw in given:
        if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_POSITION:
            raise HttpProblem(400, "bad_last_event_id", "Last-Event-ID must be a log position, e.g. 1234.")
    return int(given[0]) if given else None


def feed(request: Request) -> LiveFeed:
    live: LiveFeed = request.app.state.live
    return live


Frame = Callable[[CaseChange], ServerSentEvent]


async def events(
    request: Request,
    subscription: Subscription,
    accepts: Accepts,
    resume_after: int | None,
    head: int,
    frame: Frame = case_event,
) -> AsyncIterator[ServerSentEvent]:
    """Replay what was missed, then follow the subscription; ``frame`` makes
    each change an SSE event (``event: case`` by default)."""
    live = feed(request)
    try:
        yield ServerSentEvent(comment="ihanoi case stream", retry=RETRY_MILLISECONDS, sep=SEP)
        sent = head
        if resume_after is not None and resume_after < head:
            reader = CaseChanges(state(request).app)
            sent = resume_after
            while True:
                changes, examined = await run_in_threadpool(reader.read, sent, REPLAY_PAGE, accepts)
                for change in changes:
                    yield frame(change)
                if examined == sent:
                    break
                sent = examined
        while (live_change := await subscription.get()) is not None:
            if live_change.position <= sent:
                continue  # Already replayed from the store.
            sent = live_change.position
            yield frame(live_change)
        if subscription.overflowed:
            reason, detail = "too_slow", "The stream fell too far behind; reconnect with your Last-Event-ID."
        elif subscription.expired:
            reason, detail = "token_expired", "Your token expired; reconnect with a new one and your Last-Event-ID."
        else:
            reason, detail = "server_stopping", "The server is stopping; reconnect with your Last-Event-ID."
        yield reconnect_event(reason, sent, detail)
    finally:
        live.unsubscribe(subscription)


async def open_stream(request: Request, accepts: Accepts, frame: Frame = case_event) -> Response:
    """Subscribe before anything is read, so the replay and the live changes meet."""
    resume_after = last_event_id(request)
    live = feed(request)
    subscription = live.subscribe(accepts)
    try:
        head = await run_in_threadpool(live.head)
    except BaseException:
        live.unsubscribe(subscription)
        raise
    # A position beyond the head (a log that was reset) resumes from the head.
    resume = min(resume_after, head) if resume_after is not None else None
    stopping = anyio.Event()

    expires = token_expires(request)

    async def end_on_shutdown_or_expiry() -> None:
        # The server is stopping, or the token that opened the stream expired:
        # end the subscription so the stream says goodbye and completes, rather
        # than being cut off mid-response (or following cases with a dead token).
        with anyio.move_on_after(max(0.0, expires - time.time()) if expires is not None else None):
            await stopping.wait()
            subscription.end()
            return
        subscription.expired = True
        subscription.end()

    return EventSourceResponse(
        events(request, subscription, accepts, resume, head, frame),
        ping=PING_SECONDS,
        sep=SEP,
        send_timeout=SEND_TIMEOUT_SECONDS,
        data_sender_callable=end_on_shutdown_or_expiry,
        shutdown_event=stopping,
        shutdown_grace_period=SHUTDOWN_GRACE_SECONDS,
        background=BackgroundTask(live.unsubscribe, subscription),
    )


async def me_stream(request: Request) -> Response:
    """Follow the changes of your own cases (citizens), and with ``?ward=``
    the alerts issued for those wards (``event: alert``)."""
    await redeem_ticket(request)
    own = own_cases(principal(request))  # the role is checked first
    wards = stream_wards(request, state(request).app.directory)
    if not wards:
        return await open_stream(request, own)
    alerts = alerts_in(wards)
    return await open_stream(
        request,
        lambda change: own(change) or alerts(change),
        lambda change: alert_event(change) if change.alert is not None and alerts(change) else case_event(change),
    )


async def worklist_stream(request: Request) -> Response:
    """Follow the changes of your agency's cases (officers and leaders)."""
    await redeem_ticket(request)
    return await open_stream(request, agency_cases(principal(request)))


routes = [
    Route("/api/v1/me/stream", me_stream, methods=["GET"], name="me:stream"),
    Route("/api/v1/worklist/stream", worklist_stream, methods=["GET"], name="worklist:stream"),
]

STREAM_FORMAT = (
    "Server-Sent Events. Each change: `id` = log position, `event: case`, `data` = a CaseEvent "
    "(JSON, nothing personal). Reconnect with `Last-Event-ID` to receive exactly the missed "
    "changes, in order; without it the stream starts at the head of the log. A too-slow client "
    f"gets `event: reconnect` (a ReconnectEvent) and is disconnected. A comment every {PING_SECONDS} s "
    "keeps the connection alive."
)


SSE_EVENT = {
    "type": "object",
    "description": "An endless text/event-stream; each event has an id (the log position), a name and JSON data.",
    "properties": {
        "id": {"type": "string"},
        "event": {"type": "string"},
        "data": {"type": "string"},
        "retry": {"type": "integer"},
    },
}


def document_stream(
    name: str,
    summary: str,
    who: str,
    roles: tuple[str, ...],
    *,
    extra_query: tuple[Query, ...] = (),
    extra_events: dict[str, type[msgspec.Struct]] | None = None,
) -> None:
    document(
        name,
        summary=summary,
        description=f"{who} {STREAM_FORMAT}",
        query=[
            Query("last_event_id", POSITION_SCHEMA, "Resume after this log position (Last-Event-ID wins)."),
            Query(
                "ticket",
                str,
                "A single-use stream ticket (POST /api/v1/stream-tickets), for a browser's "
                "EventSource, which cannot send Authorization; the session cookie works too. Never a token.",
            ),
            *extra_query,
        ],
        headers=[Header("Last-Event-ID", POSITION_SCHEMA, "The id of the last event you received: resume after it.")],
        # What a client reads is a sequence of events: the schema is one event's
        # fields (its ``data`` a JSON document, by ``event`` name in ``x-sse-events``).
        response=SSE_EVENT,
        media_type="text/event-stream",
        events={"case": CaseEvent, **(extra_events or {}), "reconnect": ReconnectEvent},
        roles=roles,
        problems=(400, 401, 403, 422) if extra_query else (400, 401, 403),
    )


document_stream(
    "me:stream",
    "Follow the changes of your own cases (and the alerts of your wards)",
    "Citizens: their own cases, and with `?ward=` (repeatable) every alert message issued for those wards "
    "as `event: alert` (an AlertEvent).",
    ("citizen",),
    extra_query=(
        Query("ward", {"type": "string", "maxLength": 64}, "A ward code whose alerts to follow (repeatable)."),
    ),
    extra_events={"alert": AlertEvent},
)
document_stream(
    "worklist:stream",
    "Follow the changes of your agency's cases",
    "Officers and leaders: cases routed to their agency, including the change that transfers one away.",
    ("officer", "leader"),
)
