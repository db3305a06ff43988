"""Bearer tokens: who is calling.

A token is a JWT signed with ``IHANOI_SECRET_KEY`` (HS256) carrying ``sub``,
``role``, ``agency`` (staff) and ``exp``. ``ihanoi token`` issues them for
development; in production the city's identity provider does. A token that is
missing, malformed, forged or expired is the same 401 ``unauthenticated`` to
the client (the reason goes to the log, never the token). A *genuine* token
that breaks a rule of this server says which, since only the key's holder can
make one: ``token_lifetime_too_long`` when its ``exp`` lies further ahead than
``IHANOI_TOKEN_MAX_TTL`` (a stolen token must not stay valid for years), and
``unknown_agency`` when a staff token names an agency the directory does not
know (it would see no cases, or some other agency's after a directory change).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Container
from dataclasses import dataclass, field
from typing import Any

import jwt

from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import IhanoiError

ALGORITHM = "HS256"
STAFF_ROLES = frozenset({Role.OFFICER, Role.LEADER})
# How far the issuer's clock may run ahead of ours when the lifetime is checked.
CLOCK_SKEW_SECONDS = 60


class AuthenticationError(IhanoiError):
    """Raised when a request has no usable bearer token: missing, malformed,
    expired, forged, or naming an unknown role. Answered with 401."""

    code = "unauthenticated"


class TokenLifetimeError(AuthenticationError):
    """Raised when a genuine token's ``exp`` lies further ahead than the
    server's maximum token lifetime (``IHANOI_TOKEN_MAX_TTL``)."""

    code = "token_lifetime_too_long"

    def __init__(self, expires: float, max_lifetime: int) -> None:
        super().__init__(
            f"The bearer token is valid for longer than this server accepts ({max_lifetime} s); get a new one.",
            max_lifetime=max_lifetime,
        )
        self.expires = expires
        self.max_lifetime = max_lifetime


class UnknownAgencyError(AuthenticationError):
    """Raised when a genuine officer's or leader's token names an agency the
    directory does not know."""

    code = "unknown_agency"

    def __init__(self, agency: str) -> None:
        super().__init__(f"The bearer token names agency {agency[:64]!r}, which the directory does not know.")
        self.agency = agency


@dataclass(frozen=True)
class TokenRules:
    """What a token must satisfy besides its signature: signed with ``secret``,
    expiring at most ``max_lifetime`` seconds from now, and naming (staff) one
    of ``agencies``."""

    secret: str = field(repr=False)
    max_lifetime: int
    agencies: Container[str]


def issue_token(secret: str, principal: Principal, ttl_seconds: int = 3600, now: float | None = None) -> str:
    """A signed token for ``principal`` valid for ``ttl_seconds``."""
    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {
        "sub": principal.subject,
        "role": principal.role.value,
        "iat": issued,
        "exp": issued + ttl_seconds,
    }
    if principal.agency:
        claims["agency"] = principal.agency
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


class TokenCache:
    """Recently verified tokens, so a client's every request does not pay for
    signature verification again. An entry is used only until the token's own
    ``exp``; a different secret never shares entries."""

    def __init__(self, max_size: int = 10_000) -> None:
        self.max_size = max_size
        self._items: OrderedDict[tuple[str, str], tuple[Principal, float]] = OrderedDict()
        self._lock = threading.Lock()

    def principal(self, rules: TokenRules, token: str) -> Principal:
        return self.verify(rules, token)[0]

    def verify(self, rules: TokenRules, token: str) -> tuple[Principal, float]:
        """The principal and the token's expiry (seconds since the epoch)."""
        key = (rules.secret, token)
        with self._lock:
            hit = self._items.get(key)
        if hit is not None and hit[1] > time.time():
            return hit
        verified = verify_token(rules, token)
        with self._lock:
            self._items[key] = verified
            while len(self._items) > self.max_size:
                self._items.popitem(last=False)
        return verified


def verify_token(rules: TokenRules, token: str, now: float | None = None) -> tuple[Principal, float]:
    """The principal a valid token names and when the token expires."""
    try:
        claims = jwt.decode(token, rules.secret, algorithms=[ALGORITHM], options={"require": ["sub", "role", "exp"]})
    except jwt.PyJWTError as error:
        raise AuthenticationError(f"Invalid bearer token ({type(error).__name__}).") from None
    expires = float(claims["exp"])  # PyJWT checked it is a number in the future
    if expires > (time.time() if now is None else now) + rules.max_lifetime + CLOCK_SKEW_SECONDS:
        raise TokenLifetimeError(expires, rules.max_lifetime)
    subject, role_name, agency = claims.get("sub"), claims.get("role"), claims.get("agency")
    if not isinstance(subject, str) or not subject or len(subject) > 200:
        raise AuthenticationError("Invalid bearer token (subject).")
    try:
        role = Role(str(role_name))
    except ValueError:
        raise AuthenticationError("Invalid bearer token (role).") from None
    if role is Role.SYSTEM:
        raise AuthenticationError("Invalid bearer token (role).")
    if role in STAFF_ROLES:
        if not isinstance(agency, str):
            raise AuthenticationError("Invalid bearer token (staff without agency).")
        if agency not in rules.agencies:
            raise UnknownAgencyError(agency)
    return Principal(subject, role, agency if role in STAFF_ROLES else None), expires


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise AuthenticationError("Missing bearer token.")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("The Authorization header must be 'Bearer <token>'.")
    return token.strip()
