"""Browser sessions and stream tickets: what a web page holds instead of a bearer token.

A page cannot keep a bearer token out of reach of its own scripts, and a
browser's ``EventSource`` cannot send one at all. So a page trades the token
once (``POST /api/v1/session``, after the city's OIDC login) for two things
this server signs itself:

* a **session cookie** (``HttpOnly``, ``Secure``, ``SameSite=Strict``,
  ``Path=/``): an HS256 JWT ``{typ: "session", sub, role, agency, sid, iat,
  exp}``. Its ``exp`` is the sooner of the token's own end and
  ``IHANOI_SESSION_MAX_AGE``, so a session never outlives the login that made
  it. ``sid`` is random: logging out records it as spent (``spent.py``), and
  the CSRF token is derived from it.
* a **stream ticket** (``POST /api/v1/stream-tickets``): an HS256 JWT
  ``{typ: "stream-ticket", sub, role, agency, jti, exp, until}`` valid for
  ``IHANOI_STREAM_TICKET_TTL`` seconds and for one stream only (its ``jti`` is
  spent when it opens one); ``until`` is when the credential that asked for it
  ends, and the stream ends then with ``token_expired``.

Each kind has its own key, derived from ``IHANOI_SECRET_KEY`` by HMAC with a
label (as the read models' pseudonym key is), and its own ``typ``: a cookie is
never a valid bearer token or ticket, and none of them is a valid cookie.
PyJWT (already pinned for the bearer tokens) signs and checks them; the
principal is checked again against the directory when it is read back.

The CSRF token of a session is ``HMAC(csrf key, sid)``: the page reads it from
``POST``/``GET /api/v1/session`` (a cross-site page cannot read those answers)
and sends it as ``X-CSRF-Token`` on every unsafe request (``middleware.py``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Container
from dataclasses import dataclass
from typing import Any

import jwt

from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.settings import Settings
from ihanoi_server.auth.tokens import ALGORITHM, AuthenticationError, VerifiedClaims, principal_of
from ihanoi_server.problems import HttpProblem

SESSION_TYPE = "session"
TICKET_TYPE = "stream-ticket"
# RFC 6265bis: a cookie named __Host-… is refused unless Secure, Path=/ and without Domain.
HOST_PREFIX = "__Host-"
CSRF_HEADER = "x-csrf-token"


class SessionError(AuthenticationError):
    """Raised when a session cookie is malformed, forged, expired or logged out. Answered with 401."""

    code = "session_invalid"


class StreamTicketError(AuthenticationError):
    """Raised when a stream ticket is malformed, forged, expired or already used. Answered with 401."""

    code = "stream_ticket_invalid"


class CrossSiteRequestError(HttpProblem):
    """Raised when a request that would be authenticated by the session cookie
    comes from another site (``Origin``, ``Sec-Fetch-Site``), or an unsafe one
    lacks the session's ``X-CSRF-Token``. Answered with 403."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(403, code, detail)


@dataclass(frozen=True)
class SessionKeys:
    """The keys of cookies, tickets and CSRF tokens, each derived from the secret key."""

    session: bytes
    ticket: bytes
    csrf: bytes

    @classmethod
    def from_secret(cls, secret: str) -> SessionKeys:
        def derive(label: bytes) -> bytes:
            return hmac.new(secret.encode(), label, hashlib.sha256).digest()

        return cls(derive(b"ihanoi session cookies"), derive(b"ihanoi stream tickets"), derive(b"ihanoi csrf tokens"))


@dataclass(frozen=True)
class Session:
    """A verified session: who, its id, and when it ends (seconds since the epoch)."""

    principal: Principal
    session_id: str
    expires: float


@dataclass(frozen=True)
class StreamTicket:
    """A verified stream ticket: who, its id, when it stops opening streams,
    and when a stream it opened must end."""

    principal: Principal
    ticket_id: str
    expires: float
    until: float


@dataclass(frozen=True)
class CookieRules:
    """How the session cookie is written: its name, ``Secure``, longest life."""

    name: str
    secure: bool
    max_age: int
    ticket_ttl: int

    @classmethod
    def from_settings(cls, settings: Settings) -> CookieRules:
        secure = settings.session_cookie_is_secure
        name = (HOST_PREFIX if secure else "") + settings.session_cookie_name
        return cls(name, secure, settings.session_max_age, settings.stream_ticket_ttl)

    def set_cookie(self, value: str, expires: float, now: float) -> str:
        """The ``Set-Cookie`` header value of a session ending at ``expires``."""
        max_age = max(0, int(expires - now))
        return f"{self.name}={value}; {self._attributes()}; Max-Age={max_age}"

    def clear_cookie(self) -> str:
        """The ``Set-Cookie`` header value that makes the browser forget the session."""
        return f"{self.name}=; {self._attributes()}; Max-Age=0"

    def _attributes(self) -> str:
        return "Path=/; HttpOnly; SameSite=Strict" + ("; Secure" if self.secure else "")


def _claims(principal: Principal, kind: str, ident: str, now: float, expires: float) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "typ": kind,
        "sub": principal.subject,
        "role": principal.role.value,
        "iat": int(now),
        "exp": int(expires),
        "jti": ident,
    }
    if principal.agency:
        claims["agency"] = principal.agency
    return claims


def _sign(
    key: bytes,
    kind: str,
    principal: Principal,
    now: float | None,
    until: float,
    life: float,
    ticket_until: int | None = None,
) -> tuple[str, str, float]:
    """A signed value of ``kind`` for ``principal`` with a fresh id, ending at
    ``until`` or after ``life`` seconds, whichever is sooner: (value, id, expiry).
    A stream ticket also carries ``ticket_until`` (its stream's end) as ``until``."""
    now = time.time() if now is None else now
    expires = float(int(min(until, now + life)))
    ident = secrets.token_urlsafe(16)
    claims = _claims(principal, kind, ident, now, expires)
    if ticket_until is not None:
        claims["until"] = ticket_until
    return jwt.encode(claims, key, algorithm=ALGORITHM), ident, expires


def issue_session(
    keys: SessionKeys, rules: CookieRules, principal: Principal, token_until: float, now: float | None = None
) -> tuple[str, Session]:
    """A signed cookie value for ``principal``, ending with its token or the longest session life."""
    value, session_id, expires = _sign(keys.session, SESSION_TYPE, principal, now, token_until, rules.max_age)
    return value, Session(principal, session_id, expires)


def read_session(keys: SessionKeys, value: str, agencies: Container[str]) -> Session:
    """The session a cookie value carries, or ``SessionError``."""
    claims = _decode(keys.session, value, SESSION_TYPE, SessionError, "session")
    return Session(_principal(claims, agencies, SessionError), str(claims["jti"]), float(claims["exp"]))


class SessionCache:
    """Recently verified cookie values, as ``tokens.TokenCache`` keeps bearer
    tokens: PyJWT's checks of a value take some 400 µs, the look-up here under
    one. An entry is used only until the session's ``exp``; whether the session
    was logged out is asked every time (``spent.py``), since another process
    may have ended it."""

    def __init__(self, max_size: int = 10_000) -> None:
        self.max_size = max_size
        self._items: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()

    def read(self, keys: SessionKeys, value: str, agencies: Container[str]) -> Session:
        with self._lock:
            hit = self._items.get(value)
        if hit is not None and hit.expires > time.time():
            return hit
        session = read_session(keys, value, agencies)
        with self._lock:
            self._items[value] = session
            while len(self._items) > self.max_size:
                self._items.popitem(last=False)
        return session


def issue_ticket(
    keys: SessionKeys, rules: CookieRules, principal: Principal, until: float, now: float | None = None
) -> tuple[str, StreamTicket]:
    """A signed single-use stream ticket for ``principal``."""
    value, ticket_id, expires = _sign(keys.ticket, TICKET_TYPE, principal, now, until, rules.ticket_ttl, int(until))
    return value, StreamTicket(principal, ticket_id, expires, float(int(until)))


def read_ticket(keys: SessionKeys, value: str, agencies: Container[str]) -> StreamTicket:
    """The ticket a ``?ticket=`` carries (not yet checked for reuse), or ``StreamTicketError``."""
    claims = _decode(keys.ticket, value, TICKET_TYPE, StreamTicketError, "stream ticket")
    until = claims.get("until")
    if not isinstance(until, int):
        raise StreamTicketError("Invalid stream ticket (until).")
    principal = _principal(claims, agencies, StreamTicketError)
    return StreamTicket(principal, str(claims["jti"]), float(claims["exp"]), float(until))


def csrf_token(keys: SessionKeys, session_id: str) -> str:
    """The session's CSRF token: only its holder (who can read our answers) knows it."""
    digest = hmac.new(keys.csrf, session_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def csrf_matches(keys: SessionKeys, session_id: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(csrf_token(keys, session_id).encode(), given.strip().encode())


def _decode(key: bytes, value: str, kind: str, error: type[AuthenticationError], what: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            value, key, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "role", "jti", "typ"]}
        )
    except jwt.ExpiredSignatureError:
        raise error(f"The {what} has expired; sign in again.") from None
    except jwt.PyJWTError as failure:
        raise error(f"Invalid {what} ({type(failure).__name__}).") from None
    if claims.get("typ") != kind or not isinstance(claims.get("jti"), str):
        raise error(f"Invalid {what} (type).")
    return claims


def _principal(claims: dict[str, Any], agencies: Container[str], error: type[AuthenticationError]) -> Principal:
    try:
        role = Role(str(claims.get("role")))
        expires = float(claims["exp"])
        return principal_of(VerifiedClaims(claims.get("sub"), role, claims.get("agency"), expires, expires), agencies)
    except (ValueError, AuthenticationError):
        raise error("Invalid credentials (principal).") from None
