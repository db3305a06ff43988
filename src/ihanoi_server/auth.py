"""Bearer tokens: who is calling.

A token is a JWT signed with ``IHANOI_SECRET_KEY`` (HS256) carrying ``sub``,
``role``, ``agency`` (staff) and ``exp``. ``ihanoi token`` issues them for
development; in production the city's identity provider does. Every failure
is the same 401 to the client (the reason goes to the log, never the token).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

import jwt

from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import IhanoiError

ALGORITHM = "HS256"
STAFF_ROLES = frozenset({Role.OFFICER, Role.LEADER})


class AuthenticationError(IhanoiError):
    """Raised when a request has no usable bearer token: missing, malformed,
    expired, forged, or naming an unknown role. Answered with 401."""

    code = "unauthenticated"


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

    def principal(self, secret: str, token: str) -> Principal:
        return self.verify(secret, token)[0]

    def verify(self, secret: str, token: str) -> tuple[Principal, float]:
        """The principal and the token's expiry (seconds since the epoch)."""
        key = (secret, token)
        with self._lock:
            hit = self._items.get(key)
        if hit is not None and hit[1] > time.time():
            return hit
        verified = verify_token(secret, token)
        with self._lock:
            self._items[key] = verified
            while len(self._items) > self.max_size:
                self._items.popitem(last=False)
        return verified


def verify_token(secret: str, token: str) -> tuple[Principal, float]:
    """The principal a valid token names and when the token expires."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["sub", "role", "exp"]})
    except jwt.PyJWTError as error:
        raise AuthenticationError(f"Invalid bearer token ({type(error).__name__}).") from None
    subject, role_name, agency = claims.get("sub"), claims.get("role"), claims.get("agency")
    if not isinstance(subject, str) or not subject or len(subject) > 200:
        raise AuthenticationError("Invalid bearer token (subject).")
    try:
        role = Role(str(role_name))
    except ValueError:
        raise AuthenticationError("Invalid bearer token (role).") from None
    if role is Role.SYSTEM:
        raise AuthenticationError("Invalid bearer token (role).")
    if role in STAFF_ROLES and not isinstance(agency, str):
        raise AuthenticationError("Invalid bearer token (staff without agency).")
    return Principal(subject, role, agency if role in STAFF_ROLES else None), float(claims["exp"])


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise AuthenticationError("Missing bearer token.")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("The Authorization header must be 'Bearer <token>'.")
    return token.strip()
