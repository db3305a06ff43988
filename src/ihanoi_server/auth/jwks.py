"""The identity provider's signing keys: its JSON Web Key Set (JWKS), fetched and cached.

The set is fetched on first use and again when it is older than its maximum
age, or when a token names a key id (``kid``) the set does not hold — that is
how a key rotation at the provider reaches us without a restart. Any two
fetches are at least the refetch interval apart, successful or not, so a flood
of tokens with made-up key ids, or an outage, costs the provider one request
per interval. When a fetch fails the keys already held stay in use, however
old: a provider that is down must not log everyone out. A token whose key is
not held while the last fetch failed is ``IdentityProviderUnavailableError``
(503), since the key may well be a new one; otherwise it is a plain 401.

Why not ``jwt.PyJWKClient``'s own cache (PyJWT 2.15): once its lifespan has
passed, a failed refetch fails every token although the keys were valid a
moment ago; its cooldown starts only after a *successful* fetch, so while the
provider is down each unknown key id (and, after expiry, each request) tries
again; and every lookup, cached or not, waits on one lock held during a fetch
of up to ``timeout`` seconds. We keep its fetch (http(s) only, no redirects, a
timeout, a JSON object required) and PyJWT's key parsing, and keep the policy
here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection

import jwt
import structlog

from ihanoi_core.errors import IhanoiError
from ihanoi_server.auth.tokens import AuthenticationError

log = structlog.get_logger("ihanoi.auth")
USER_AGENT = "ihanoi (JWKS client)"
# Longer key ids are not ones an identity provider hands out; cut them in logs.
MAX_LOGGED_KID = 64


class IdentityProviderUnavailableError(IhanoiError):
    """Raised when a token names a signing key the server does not hold and the
    identity provider's key set could not be fetched (its last fetch failed).
    Answered with 503 and ``Retry-After``."""

    code = "identity_provider_unavailable"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "The identity provider's signing keys cannot be fetched right now; try again shortly.",
            retry_after=retry_after,
        )
        self.retry_after = retry_after


class KeySet:
    """The signing keys published at ``url`` for ``algorithms``, by key id."""

    def __init__(
        self,
        url: str,
        algorithms: Collection[str],
        *,
        max_age: float,
        refetch_interval: float,
        timeout: float,
        fetch_on_lookup: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.algorithms = frozenset(algorithms)
        self.max_age = max_age
        self.refetch_interval = refetch_interval
        # False in the server: there ``KeyFetchMiddleware`` fetches, in a worker
        # thread, and ``key`` (called on the event loop) only looks up.
        self.fetch_on_lookup = fetch_on_lookup
        self.clock = clock
        # Used for its fetch only (cache_jwk_set=False): see the module docstring.
        self._client = jwt.PyJWKClient(url, cache_jwk_set=False, timeout=timeout, headers={"User-Agent": USER_AGENT})
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._last_fetch_failed = False
        self._fetching = False
        self._lock = threading.Lock()
        self.fetches = 0

    def key(self, kid: str) -> jwt.PyJWK:
        """The key with id ``kid`` (fetching the set first when it must and may,
        unless ``fetch_on_lookup`` is off); ``AuthenticationError`` when the set
        does not hold it."""
        if self.fetch_on_lookup:
            self.refresh_if_needed(kid)
        found = self._keys.get(kid)
        if found is not None:
            return found
        if self._last_fetch_failed:
            raise IdentityProviderUnavailableError(retry_after=max(1, round(self.refetch_interval)))
        raise AuthenticationError("Invalid bearer token (its key id is not in the identity provider's key set).")

    def wants_fetch(self, kid: str) -> bool:
        """Whether the set should be fetched now for ``kid``: it is missing, old,
        or lacks ``kid``, and the last fetch was at least the refetch interval ago."""
        now = self.clock()
        stale = self._fetched_at is None or now - self._fetched_at >= self.max_age or kid not in self._keys
        return stale and (self._attempted_at is None or now - self._attempted_at >= self.refetch_interval)

    def needs_network(self, kid: str) -> bool:
        """Whether ``refresh_if_needed(kid)`` would fetch, or wait for a fetch
        under way that may bring ``kid``: work for a worker thread."""
        return self.wants_fetch(kid) or (self._fetching and kid not in self._keys)

    def refresh_if_needed(self, kid: str) -> None:
        """Fetch the set when ``wants_fetch(kid)``. Callers that lack ``kid``
        while a fetch is under way wait for it rather than make their own; those
        holding it go on with the keys they have."""
        if not self.needs_network(kid):
            return
        with self._lock:
            if self.wants_fetch(kid):  # not fetched by another thread meanwhile
                self._fetch(kid)

    def _fetch(self, kid: str) -> None:
        self._attempted_at = self.clock()
        self.fetches += 1
        self._fetching = True
        try:
            # json.load's ValueError on a body that is not JSON is not wrapped by PyJWT.
            keys = self._signing_keys(jwt.PyJWKSet.from_dict(self._client.fetch_data()))
        except (jwt.PyJWTError, ValueError) as error:
            self._last_fetch_failed = True
            log.warning(
                "jwks_fetch_failed",
                url=self.url,
                error=type(error).__name__,
                reason=str(error)[:200],
                keys_kept=len(self._keys),
                kid=kid[:MAX_LOGGED_KID],
            )
            return
        finally:
            self._fetching = False
        self._keys, self._fetched_at, self._last_fetch_failed = keys, self._attempted_at, False
        log.info("jwks_fetched", url=self.url, kids=sorted(k[:MAX_LOGGED_KID] for k in keys))

    def _signing_keys(self, key_set: jwt.PyJWKSet) -> dict[str, jwt.PyJWK]:
        """Keys for signatures (``use`` sig or absent) with a key id, for an accepted algorithm."""
        keys = {
            key.key_id: key
            for key in key_set.keys
            if key.key_id and key.public_key_use in ("sig", None) and key.algorithm_name in self.algorithms
        }
        if not keys:
            raise jwt.PyJWKSetError("The key set holds no signing key for the accepted algorithms.")
        return keys
