"""Which requests the session cookie authenticates, and the CSRF defence around it.

``SessionCookieMiddleware`` looks at requests to ``/api/v1/…`` and the
dashboard's chart that carry **no** ``Authorization`` header (a bearer token
always wins and is never subject to these rules) but do carry the session
cookie:

1. **Same origin only.** ``Sec-Fetch-Site`` must be ``same-origin`` (or
   ``none``: typed into the address bar) and an ``Origin``, when sent, must
   name this server's own host. ``SameSite=Strict`` already keeps browsers from
   sending the cookie cross-site; this also refuses a sibling subdomain
   (``same-site``) and any browser that ignores SameSite.
2. **Unsafe methods need the CSRF token.** POST, PUT, PATCH and DELETE must
   carry ``X-CSRF-Token`` equal to the session's (``sessions.csrf_token``):
   a page of another origin can make a browser send the cookie with a form,
   but cannot read the token to send with it.
3. **Then the cookie is verified** (signature, expiry, principal) and checked
   against the spent sessions (logged out), and the request runs as the
   session's principal until the session's ``exp``, which a stream treats as
   its token's expiry.

Failures of 1 and 2 on an unsafe request are answered here, 403, before any
endpoint reads the body: nothing is stored. Every other failure (a stale
cookie on a public route, a cross-site GET) only stops the cookie from
authenticating: ``http.principal`` raises it for the routes that need a
principal, and public routes answer as they would without the cookie.

A stream may also be opened with ``?ticket=`` (``redeem_ticket``): the one
place a credential rides in an address, since it is short-lived, single-use
and opens nothing but that stream. A bearer token in an address is never read.
"""

from __future__ import annotations

import structlog
from starlette.requests import Request, cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from ihanoi_core.errors import IhanoiError
from ihanoi_server.auth.sessions import (
    CSRF_HEADER,
    CrossSiteRequestError,
    Session,
    SessionError,
    StreamTicketError,
    csrf_matches,
    read_ticket,
)
from ihanoi_server.auth.tokens import AuthenticationError
from ihanoi_server.http import SESSION_REFUSED as REFUSED
from ihanoi_server.problems import problem_for
from ihanoi_server.state import ServerState

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# What a cookie may authenticate: the JSON API and what the dashboard page reads.
COOKIE_PATHS = ("/api/v1/", "/dashboard/chart.svg")
# Where a cookie is never read: the login itself needs the bearer token.
LOGIN_PATH = "/api/v1/session"
SAME_ORIGIN_FETCH = frozenset({"same-origin", "none"})
log = structlog.get_logger("ihanoi.auth")


class SessionCookieMiddleware:
    """Authenticates cookie-carrying requests as the module docstring says."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope["path"]).startswith(COOKIE_PATHS):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        server: ServerState | None = getattr(request.app.state, "ihanoi", None)
        if server is None or "authorization" in request.headers:
            await self.app(scope, receive, send)
            return
        value = session_cookie(request, server.cookies.name)
        if value is None or (scope["path"] == LOGIN_PATH and request.method == "POST"):
            await self.app(scope, receive, send)
            return
        try:
            session = await authenticate(request, server, value)
        except (AuthenticationError, CrossSiteRequestError) as error:
            log.info("session_refused", code=error.code, reason=error.detail)
            if isinstance(error, CrossSiteRequestError) and request.method not in SAFE_METHODS:
                await problem_for(error)(scope, receive, send)
                return
            scope[REFUSED] = error
        else:
            scope["ihanoi.principal"] = session.principal
            scope["ihanoi.token_expires"] = session.expires
            scope["ihanoi.session"] = session
        await self.app(scope, receive, send)


async def authenticate(request: Request, server: ServerState, value: str) -> Session:
    """The session of a same-origin request's cookie, or why not (module docstring)."""
    check_same_origin(request)
    session = server.sessions.read(server.keys, value, server.token_rules.agencies)
    given = request.headers.get(CSRF_HEADER)
    if request.method not in SAFE_METHODS and not csrf_matches(server.keys, session.session_id, given):
        raise CrossSiteRequestError(
            "csrf_token_mismatch", "A request authenticated by the session cookie must send its X-CSRF-Token."
        )
    if await server.call(server.spent.is_spent, session.session_id):
        raise SessionError("The session has ended (logged out); sign in again.")
    return session


def check_same_origin(request: Request) -> None:
    """Refuse what another site sent (module docstring, rule 1)."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site.lower() not in SAME_ORIGIN_FETCH:
        detail = f"The session cookie is not accepted from a {fetch_site[:20]} request."
        raise CrossSiteRequestError("cross_site_request", detail)
    origin = request.headers.get("origin")
    if origin is not None and origin_host(origin) != request.headers.get("host", "").lower():
        detail = "The session cookie is accepted only from this server's own pages."
        raise CrossSiteRequestError("cross_site_request", detail)


def origin_host(origin: str) -> str | None:
    """``https://ihanoi.example:8443`` → ``ihanoi.example:8443``; ``null`` → None.

    The scheme is not compared: behind a TLS-terminating proxy this server sees
    http while the page is https (the cookie is ``Secure`` anyway)."""
    scheme, separator, host = origin.strip().lower().partition("://")
    if not separator or scheme not in ("http", "https") or not host or "/" in host:
        return None
    default_port = ":443" if scheme == "https" else ":80"
    return host.removesuffix(default_port) if host.endswith(default_port) else host


def session_cookie(request: Request, name: str) -> str | None:
    """The session cookie's value, or None (Starlette's lenient parser, as browsers send cookies)."""
    header = request.headers.get("cookie")
    if header is None or name not in header:
        return None
    return cookie_parser(header).get(name) or None


def refused(request: Request) -> IhanoiError | None:
    """Why the request's session cookie did not authenticate it (None: no cookie, or it did)."""
    error: IhanoiError | None = request.scope.get(REFUSED)
    return error


async def redeem_ticket(request: Request) -> None:
    """Authenticate a stream request by its ``?ticket=``, spending the ticket.

    The ticket's principal runs the stream until its ``until``; a bearer token
    in the request wins (the ticket is then not spent)."""
    value = request.query_params.get("ticket")
    if value is None or "authorization" in request.headers:
        return
    server: ServerState = request.app.state.ihanoi
    try:
        ticket = read_ticket(server.keys, value, server.token_rules.agencies)
        if not await server.call(server.spent.spend, ticket.ticket_id, "stream-ticket", ticket.expires):
            raise StreamTicketError("The stream ticket was used already; ask for a new one.")
    except StreamTicketError as error:
        log.info("stream_ticket_refused", reason=error.detail)
        raise
    request.scope["ihanoi.principal"] = ticket.principal
    request.scope["ihanoi.token_expires"] = ticket.until
    request.scope.pop(REFUSED, None)
