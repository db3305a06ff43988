"""Tokens from the city's identity provider (OpenID Connect), and the claims
that make them one of our principals.

With ``IHANOI_OIDC_ISSUER``, ``IHANOI_OIDC_AUDIENCE`` and ``IHANOI_OIDC_JWKS_URL``
set, a token whose header names one of ``IHANOI_OIDC_ALGORITHMS`` (RS256 and
ES256 by default) is accepted when:

* its ``kid`` names a key of the provider's key set (``jwks.KeySet``) whose
  algorithm is the token's, and the signature verifies with it;
* ``iss`` is the issuer and ``aud`` holds the audience, exactly;
* ``exp`` is in the future and ``nbf``/``iat`` are not, give or take
  ``IHANOI_OIDC_LEEWAY`` seconds of clock skew;
* ``iat`` is at most ``IHANOI_OIDC_MAX_TOKEN_AGE`` seconds ago;
* the role claim (``IHANOI_OIDC_ROLE_CLAIM``, a string or a list of strings)
  holds exactly one value that maps to our roles through ``IHANOI_OIDC_ROLE_MAP``
  (without a map, the values must be our role names); never ``system``.

``sub`` becomes the principal's subject and, for officers and leaders, the
agency claim (``IHANOI_OIDC_AGENCY_CLAIM``) its agency, which the directory
must know (``tokens.principal_of``); for a ``business`` person, the organisation
claim (``IHANOI_OIDC_ORGANISATION_CLAIM``) the tax code they act for and, if
the provider says it, the kind claim (``IHANOI_OIDC_ORGANISATION_KIND_CLAIM``)
the business's kind (``enterprise`` or ``household``). A claim name is first looked up as it is
(``https://hanoi.gov.vn/agency``), then as a dotted path into nested objects
(``realm_access.roles``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from ihanoi_core.domain.values import Role
from ihanoi_core.settings import Settings
from ihanoi_server.auth.jwks import KeySet
from ihanoi_server.auth.tokens import AuthenticationError, VerifiedClaims, bearer_token

REQUIRED_CLAIMS = ["iss", "aud", "sub", "exp", "iat"]


@dataclass(frozen=True)
class IdentityProvider:
    """The provider whose tokens ``issuer``, for ``audience``, signed with ``keys``."""

    issuer: str
    audience: str
    keys: KeySet
    role_claim: str = "role"
    agency_claim: str = "agency"
    organisation_claim: str = "organisation"
    organisation_kind_claim: str = "organisation_kind"
    # Values of the role claim → our roles; empty: the values are our role names.
    role_map: Mapping[str, Role] = field(default_factory=dict)
    leeway: int = 60
    max_token_age: int = 24 * 3600

    @classmethod
    def from_settings(cls, settings: Settings, *, fetch_on_lookup: bool = True) -> IdentityProvider | None:
        """The provider ``IHANOI_OIDC_*`` configure, or None without an issuer
        (``fetch_on_lookup``: see ``KeySet``)."""
        if not (settings.oidc_issuer and settings.oidc_audience and settings.oidc_jwks_url):
            return None
        keys = KeySet(
            settings.oidc_jwks_url,
            settings.oidc_algorithms,
            max_age=settings.oidc_jwks_max_age,
            refetch_interval=settings.oidc_jwks_refetch_interval,
            timeout=settings.oidc_jwks_timeout,
            fetch_on_lookup=fetch_on_lookup,
        )
        return cls(
            issuer=settings.oidc_issuer,
            audience=settings.oidc_audience,
            keys=keys,
            role_claim=settings.oidc_role_claim,
            agency_claim=settings.oidc_agency_claim,
            organisation_claim=settings.oidc_organisation_claim,
            organisation_kind_claim=settings.oidc_organisation_kind_claim,
            role_map={value: Role(role) for value, role in settings.oidc_role_map},
            leeway=settings.oidc_leeway,
            max_token_age=settings.oidc_max_token_age,
        )

    @property
    def algorithms(self) -> frozenset[str]:
        return self.keys.algorithms

    def verify(self, token: str, header: dict[str, Any], now: float) -> VerifiedClaims:
        """The claims of a token this provider signed (see the module docstring)."""
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthenticationError("Invalid bearer token (no key id).")
        key = self.keys.key(kid)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=sorted(self.algorithms),
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": REQUIRED_CLAIMS},
            )
            issued, expires = float(claims["iat"]), float(claims["exp"])
        except jwt.PyJWTError as error:
            raise AuthenticationError(f"Invalid bearer token ({type(error).__name__}).") from None
        except (TypeError, ValueError):
            raise AuthenticationError("Invalid bearer token (iat or exp is not a number).") from None
        if now - issued > self.max_token_age + self.leeway:
            raise AuthenticationError("Invalid bearer token (issued longer ago than the maximum token age).")
        role = role_of(claims, self.role_claim, self.role_map)
        agency = claim(claims, self.agency_claim)
        organisation, kind = claim(claims, self.organisation_claim), claim(claims, self.organisation_kind_claim)
        accepted_until = min(expires, issued + self.max_token_age)
        return VerifiedClaims(claims["sub"], role, agency, expires, accepted_until, organisation, kind)

    def kid_to_fetch(self, authorization: str | None) -> str | None:
        """The key id of the request's token when the key set should be fetched
        for it (or a fetch under way awaited) before it is verified."""
        try:
            header = jwt.get_unverified_header(bearer_token(authorization))
        except (AuthenticationError, jwt.PyJWTError):
            return None
        kid, algorithm = header.get("kid"), header.get("alg")
        if not isinstance(kid, str) or not kid or not isinstance(algorithm, str) or algorithm not in self.algorithms:
            return None
        return kid if self.keys.needs_network(kid) else None


def claim(claims: Mapping[str, Any], name: str) -> Any:
    """The claim called ``name``, else the one at the dotted path ``name``; None when absent."""
    if name in claims:
        return claims[name]
    value: Any = claims
    for part in name.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def role_of(claims: Mapping[str, Any], role_claim: str, role_map: Mapping[str, Role]) -> Role:
    """Our role for the role claim's values: exactly one of them must map to one."""
    value = claim(claims, role_claim)
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    roles = {role for item in values if isinstance(item, str) and (role := our_role(item, role_map)) is not None}
    if not roles:
        raise AuthenticationError("Invalid bearer token (no role this server knows).")
    if len(roles) > 1:
        # Which of them was meant is not ours to guess; one role per token.
        raise AuthenticationError("Invalid bearer token (more than one role).")
    return roles.pop()


def our_role(value: str, role_map: Mapping[str, Role]) -> Role | None:
    if role_map:
        return role_map.get(value)
    try:
        role = Role(value)
    except ValueError:
        return None
    # The system role acts for the server itself; no token may claim it.
    return None if role is Role.SYSTEM else role


class KeyFetchMiddleware:
    """Fetches the identity provider's key set in a worker thread when a
    request's token needs it, before an endpoint verifies the token on the event
    loop. The server's key set never fetches on lookup (``fetch_on_lookup``
    off), so the loop never waits on the provider: a token whose key this
    fetch did not bring is refused like any unknown key."""

    def __init__(self, app: ASGIApp, provider: IdentityProvider) -> None:
        self.app = app
        self.provider = provider

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            authorization = dict(scope.get("headers") or []).get(b"authorization")
            kid = self.provider.kid_to_fetch(authorization.decode("latin-1") if authorization else None)
            if kid is not None:
                await run_in_threadpool(self.provider.keys.refresh_if_needed, kid)
        await self.app(scope, receive, send)
