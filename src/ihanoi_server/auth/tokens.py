"""Bearer tokens: who is calling.

A token is a JWT, and its header's ``alg`` picks who verifies it:

* ``HS256``: signed with ``IHANOI_SECRET_KEY``, carrying ``sub``, ``role``,
  ``agency`` (staff) and ``exp``. ``ihanoi token`` issues them for development
  and tests. Once an identity provider is configured they are refused in
  production unless ``IHANOI_OIDC_ALLOW_HS256`` says otherwise
  (``TokenRules.secret`` is then None).
* the identity provider's public-key algorithms (RS256, ES256 …) when
  ``IHANOI_OIDC_ISSUER`` is set: verified against its published keys and its
  claims mapped to our roles (``identity_provider.py``).

Each verifier accepts only its own algorithms, so an HS256 token "signed" with
the provider's public key never meets that key, and ``none`` meets no verifier.

A token that is missing, malformed, forged or expired is the same 401
``unauthenticated`` to the client (the reason goes to the log, never the
token). A *genuine* token that breaks a rule of this server says which, since
only the key's holder can make one: ``token_lifetime_too_long`` when its
``exp`` lies further ahead than ``IHANOI_TOKEN_MAX_TTL`` (a stolen token must
not stay valid for years), and ``unknown_agency`` when a staff token names an
agency the directory does not know (it would see no cases, or some other
agency's after a directory change).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Container
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

import jwt

from ihanoi_core.domain import tax_code
from ihanoi_core.domain.business_values import BusinessKind
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
class VerifiedClaims:
    """What a verifier vouches for, before this server's own rules are applied."""

    subject: object
    role: Role
    agency: object
    # The token's ``exp``, and when this server stops accepting it (sooner under a maximum age).
    expires: float
    accepted_until: float
    # The organisation claim: a business's tax code (``Role.BUSINESS``), and its
    # kind claim: ``enterprise`` or ``household`` (optional).
    organisation: object = None
    organisation_kind: object = None


class Verified(NamedTuple):
    """A verified token: the principal, when the token stops being accepted and,
    for a business's person whose token says it, the business's kind."""

    principal: Principal
    accepted_until: float
    organisation_kind: BusinessKind | None = None


class TokenVerifier(Protocol):
    """Verifies tokens someone else signs: ``identity_provider.IdentityProvider``."""

    @property
    def algorithms(self) -> frozenset[str]:
        """The header ``alg`` values it verifies."""
        ...

    def verify(self, token: str, header: dict[str, Any], now: float) -> VerifiedClaims:
        """The claims of a token it verifies, or ``AuthenticationError``."""
        ...


@dataclass(frozen=True)
class TokenRules:
    """What a token must satisfy besides its signature: signed with ``secret``
    (HS256; None refuses those) or by the ``identity_provider``, expiring at most
    ``max_lifetime`` seconds from now, and naming (staff) one of ``agencies``."""

    secret: str | None = field(repr=False)
    max_lifetime: int
    agencies: Container[str]
    identity_provider: TokenVerifier | None = None


def issue_token(
    secret: str,
    principal: Principal,
    ttl_seconds: int = 3600,
    now: float | None = None,
    organisation_kind: BusinessKind | None = None,
) -> str:
    """A signed token for ``principal`` valid for ``ttl_seconds`` (a business's
    person: with the business's kind too, if given)."""
    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {
        "sub": principal.subject,
        "role": principal.role.value,
        "iat": issued,
        "exp": issued + ttl_seconds,
    }
    if principal.organisation:
        claims["organisation"] = principal.organisation
        if organisation_kind is not None:
            claims["organisation_kind"] = str(organisation_kind)
    elif principal.agency:
        claims["agency"] = principal.agency
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


class TokenCache:
    """Recently verified tokens, so a client's every request does not pay for
    signature verification again. An entry is used only until the token's own
    ``exp``; a different secret never shares entries."""

    def __init__(self, max_size: int = 10_000) -> None:
        self.max_size = max_size
        self._items: OrderedDict[tuple[str | None, str], Verified] = OrderedDict()
        self._lock = threading.Lock()

    def principal(self, rules: TokenRules, token: str) -> Principal:
        return self.verify(rules, token)[0]

    def verify(self, rules: TokenRules, token: str) -> Verified:
        """The principal, when the token stops being accepted (seconds since the
        epoch) and the business's kind it carries."""
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


def verify_token(rules: TokenRules, token: str, now: float | None = None) -> Verified:
    """The principal a valid token names, when the token stops being accepted
    (its ``exp``, or sooner under the identity provider's maximum token age)
    and, for a business's person, the business's kind if the token says it."""
    now = time.time() if now is None else now
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise AuthenticationError(f"Invalid bearer token ({type(error).__name__}).") from None
    algorithm = header.get("alg")
    provider = rules.identity_provider
    if algorithm == ALGORITHM and rules.secret is not None:
        claims = verify_signed_here(rules.secret, token)
    elif provider is not None and isinstance(algorithm, str) and algorithm in provider.algorithms:
        claims = provider.verify(token, header, now)
    else:
        raise AuthenticationError("Invalid bearer token (its algorithm is not accepted here).")
    if claims.expires > now + rules.max_lifetime + CLOCK_SKEW_SECONDS:
        raise TokenLifetimeError(claims.expires, rules.max_lifetime)
    return Verified(principal_of(claims, rules.agencies), claims.accepted_until, organisation_kind_of(claims))


def verify_signed_here(secret: str, token: str) -> VerifiedClaims:
    """The claims of a token signed with this server's secret key (HS256)."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["sub", "role", "exp"]})
    except jwt.PyJWTError as error:
        raise AuthenticationError(f"Invalid bearer token ({type(error).__name__}).") from None
    try:
        role = Role(str(claims.get("role")))
    except ValueError:
        raise AuthenticationError("Invalid bearer token (role).") from None
    expires = float(claims["exp"])  # PyJWT checked it is a number in the future
    organisation = claims.get("organisation")
    return VerifiedClaims(
        claims.get("sub"), role, claims.get("agency"), expires, expires, organisation, claims.get("organisation_kind")
    )


def principal_of(claims: VerifiedClaims, agencies: Container[str]) -> Principal:
    """The principal verified claims name, under this server's rules: a subject
    of at most 200 characters, never the system role, staff of a known agency."""
    subject, role, agency = claims.subject, claims.role, claims.agency
    if not isinstance(subject, str) or not subject or len(subject) > 200:
        raise AuthenticationError("Invalid bearer token (subject).")
    if role is Role.SYSTEM:
        raise AuthenticationError("Invalid bearer token (role).")
    if role is Role.BUSINESS:
        organisation = claims.organisation
        if not isinstance(organisation, str) or len(organisation) > 20 or not tax_code.is_valid(organisation):
            raise AuthenticationError("Invalid bearer token (business without a valid tax code).")
        return Principal(subject, role, tax_code.normalise(organisation))
    if role not in STAFF_ROLES:
        return Principal(subject, role)
    if not isinstance(agency, str):
        raise AuthenticationError("Invalid bearer token (staff without agency).")
    if agency not in agencies:
        raise UnknownAgencyError(agency)
    return Principal(subject, role, agency)


def organisation_kind_of(claims: VerifiedClaims) -> BusinessKind | None:
    """The business's kind a business person's token says (None if it says
    none; a token of another role is not asked); any other value is refused."""
    kind = claims.organisation_kind
    if claims.role is not Role.BUSINESS or kind is None:
        return None
    if not isinstance(kind, str) or kind not in BusinessKind.__members__.values():
        raise AuthenticationError("Invalid bearer token (organisation kind: enterprise or household).")
    return BusinessKind(kind)


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise AuthenticationError("Missing bearer token.")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("The Authorization header must be 'Bearer <token>'.")
    return token.strip()
