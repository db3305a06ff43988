"""``/api/v1/session`` (a browser session for a bearer token) and ``/api/v1/stream-tickets``.

In a city deployment the page's front door is the identity provider's OpenID
Connect login (the authorization-code flow, run by the deployment's gateway or
the page); what it ends with, the ID or access token, is what the page posts
here once, as ``Authorization: Bearer``. For development the dashboard takes a
pasted ``ihanoi token`` instead. From then on the browser holds only the
session cookie, which no script can read, and the CSRF token of the answer.

``GET`` answers who the session is (and its CSRF token again, for a page
reloaded); ``DELETE`` logs out: the session is spent for every server process
and the browser told to forget the cookie. A stream ticket lets an
``EventSource`` open one stream (``?ticket=``) without any lasting credential
in its address. See ``auth/sessions.py`` for the formats, ``auth/session_cookie.py`` for
the CSRF rules and ``docs/sessions.md`` for the walk-through.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ihanoi_core.domain.values import Role
from ihanoi_core.errors import ForbiddenError
from ihanoi_server.auth.session_cookie import check_same_origin
from ihanoi_server.auth.sessions import Session, csrf_token, issue_session, issue_ticket
from ihanoi_server.http import json_response, principal, state, token_expires
from ihanoi_server.openapi.describe import document

NO_STORE = {"Cache-Control": "no-store"}
# Who has a stream to open: citizens their own cases, staff their agency's worklist.
STREAM_ROLES = frozenset({Role.CITIZEN, Role.OFFICER, Role.LEADER})


class SessionView(msgspec.Struct):
    """Who the session is, until when, and the token to send as ``X-CSRF-Token``
    with every unsafe request the cookie authenticates (null when the request
    was authenticated by a bearer token, which needs none)."""

    subject: str
    role: str
    agency: str | None
    expires_at: datetime
    csrf_token: str | None


class SignedOut(msgspec.Struct):
    """The answer to a logout: whether a live session was ended."""

    signed_out: bool


class StreamTicketView(msgspec.Struct):
    """A single-use ticket: open a stream with ``?ticket=`` before ``expires_at``;
    the stream ends (``token_expired``) at ``stream_until``."""

    ticket: str
    expires_at: datetime
    stream_until: datetime


def moment(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def session_view(request: Request, session: Session | None) -> SessionView:
    who = principal(request)
    expires = session.expires if session is not None else token_expires(request) or time.time()
    csrf = csrf_token(state(request).keys, session.session_id) if session is not None else None
    return SessionView(who.subject, who.role.value, who.agency, moment(expires), csrf)


async def open_session(request: Request) -> Response:
    """Open a browser session for your bearer token: sets the session cookie."""
    check_same_origin(request)  # a page of another site must not log a browser in (login CSRF)
    who = principal(request)
    server = state(request)
    value, session = issue_session(server.keys, server.cookies, who, token_expires(request) or time.time())
    headers = {**NO_STORE, "Set-Cookie": server.cookies.set_cookie(value, session.expires, time.time())}
    return json_response(session_view(request, session), status=201, headers=headers)


async def read_session(request: Request) -> Response:
    """Who your session is, and its CSRF token."""
    principal(request)
    return json_response(session_view(request, request.scope.get("ihanoi.session")), headers=NO_STORE)


async def close_session(request: Request) -> Response:
    """Log out: the session ends on every server and the browser forgets the cookie."""
    server = state(request)
    session: Session | None = request.scope.get("ihanoi.session")
    if session is not None:
        await server.call(server.spent.spend, session.session_id, "session", session.expires)
    headers = {**NO_STORE, "Set-Cookie": server.cookies.clear_cookie()}
    return json_response(SignedOut(session is not None), headers=headers)


async def create_stream_ticket(request: Request) -> Response:
    """A single-use ticket to open a live stream from a web page. Roles: citizen, officer, leader."""
    who = principal(request)
    if who.role not in STREAM_ROLES:
        raise ForbiddenError("open_a_stream", who.role.value)
    server = state(request)
    until = token_expires(request) or time.time()
    value, ticket = issue_ticket(server.keys, server.cookies, who, until)
    body = StreamTicketView(value, moment(ticket.expires), moment(ticket.until))
    return json_response(body, status=201, headers=NO_STORE)


routes = [
    Route("/api/v1/session", open_session, methods=["POST"], name="session:open"),
    Route("/api/v1/session", read_session, methods=["GET"], name="session:read"),
    Route("/api/v1/session", close_session, methods=["DELETE"], name="session:close"),
    Route("/api/v1/stream-tickets", create_stream_ticket, methods=["POST"], name="stream-tickets:create"),
]

COOKIE = (
    "The cookie is HttpOnly, SameSite=Strict, Path=/, Secure (named `__Host-…`) unless "
    "IHANOI_SESSION_COOKIE_SECURE=false, and ends with the token or after IHANOI_SESSION_MAX_AGE, "
    "whichever is sooner. Requests it authenticates must come from this server's own pages "
    "(Origin, Sec-Fetch-Site); unsafe ones must send `X-CSRF-Token` (403 otherwise)."
)
document(
    "session:open",
    description="Trade a bearer token (after the city's OIDC login, or `ihanoi token` in development) for a "
    "browser session cookie. The bearer token is required: a cookie cannot open another session. " + COOKIE,
    response=SessionView,
    status=201,
    problems=(401, 403),
)
document(
    "session:read",
    description="Who the request is authenticated as (session cookie or bearer token), until when, and the "
    "session's CSRF token.",
    response=SessionView,
    problems=(401, 403),
)
document(
    "session:close",
    description="Log out. With a live session cookie (and its `X-CSRF-Token`) the session is ended on every "
    "server; the answer always clears the cookie.",
    response=SignedOut,
    auth="none",
    problems=(403,),
)
document(
    "stream-tickets:create",
    description="A ticket for `GET /api/v1/me/stream?ticket=…` or `/api/v1/worklist/stream?ticket=…`, for "
    "a browser's EventSource, which cannot send an Authorization header. Valid for IHANOI_STREAM_TICKET_TTL "
    "seconds and one stream; the stream ends with `token_expired` when the credential that asked for the "
    "ticket (token or session) ends. Whether the stream is yours to follow is checked when it opens.",
    response=StreamTicketView,
    status=201,
    problems=(401, 403),
)
