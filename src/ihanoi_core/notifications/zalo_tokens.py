"""Renewing the Zalo OA access token (docs/channels.md, "Zalo tokens").

A Zalo OA access token lives about 25 hours; the refresh token issued with
it renews it once (single use, valid about three months). The renewal is
``POST {IHANOI_ZALO_OAUTH_URL}/v4/oa/access_token`` with the app's secret key
in the ``secret_key`` header and the form fields ``refresh_token``,
``app_id`` and ``grant_type=refresh_token``; the answer is JSON with a new
``access_token``, a new ``refresh_token`` and ``expires_in`` (seconds). A
refusal comes as ``error``/``error_name``/``error_description`` fields,
sometimes with HTTP 200. (Sources, checked 2026-12-06: hexasync.vn "Zalo OA
API: Hướng dẫn cách lấy Access Token từ Refresh token";
beehexa.com/devdocs/zalo-oa-tutorial-creating-access-token;
github.com/ChatbotXIO/ChatbotX pull request 1019 for the error shape.)

``ZaloTokens`` holds the current pair: read from a ``TokenPairStore`` (the
view database's ``zalo_oa_tokens``, ``ihanoi_projections.notifications.
zalo_tokens``) when the pair stored there was renewed from the refresh token
the settings give now, else the settings' own pair. ``renew(stale)`` renews
once for a token the API called expired — under a lock, and not at all when
another thread renewed meanwhile (the refresh token is single use) — and
saves the new pair before using it.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Protocol

import httpx

from ihanoi_core.notifications.channels import DeliveryError, outbound_tls

RENEW_PATH = "/v4/oa/access_token"
TIMEOUT = 10.0


class TokenPairStore(Protocol):
    """Where the renewed pair survives restarts, keyed by the settings' refresh token (``seed``)."""

    def load(self, seed: str) -> tuple[str, str] | None:
        """The access and refresh tokens last saved for ``seed``, or None."""

    def save(self, seed: str, access_token: str, refresh_token: str) -> None: ...


def seed_of(refresh_token: str) -> str:
    """A short fingerprint of the configured refresh token (never the token itself)."""
    return hashlib.sha256(refresh_token.encode()).hexdigest()[:16]


class ZaloTokens:
    """The OA's current access token, renewed on demand (module docstring)."""

    def __init__(
        self,
        access_token: str,
        *,
        refresh_token: str | None = None,
        app_id: str | None = None,
        app_secret: str | None = None,
        oauth_url: str = "https://oauth.zaloapp.com",
        store: TokenPairStore | None = None,
        timeout: float = TIMEOUT,
    ) -> None:
        self.access_token = access_token
        self.refresh_token = refresh_token
        self.app_id = app_id
        self.app_secret = app_secret
        self.oauth_url = oauth_url.rstrip("/")
        self.store = store
        self.timeout = timeout
        self.lock = threading.Lock()
        self.seed = seed_of(refresh_token) if refresh_token else ""
        self.renewals = 0
        if store is not None and self.seed and (saved := store.load(self.seed)) is not None:
            self.access_token, self.refresh_token = saved

    @property
    def renewable(self) -> bool:
        return bool(self.refresh_token and self.app_id and self.app_secret)

    def renew(self, stale: str) -> str:
        """A fresh access token in place of ``stale`` (renewed once, whichever thread asks first)."""
        with self.lock:
            if self.access_token != stale:
                return self.access_token  # renewed meanwhile by another sender thread
            if not self.renewable:
                raise DeliveryError("Zalo OA access token expired and no refresh token is set", permanent=True)
            try:
                answer = httpx.post(
                    self.oauth_url + RENEW_PATH,
                    headers={"secret_key": self.app_secret or ""},
                    data={
                        "refresh_token": self.refresh_token or "",
                        "app_id": self.app_id or "",
                        "grant_type": "refresh_token",
                    },
                    timeout=self.timeout,
                    verify=outbound_tls(),
                )
                found = answer.json() if answer.content else {}
            except (httpx.HTTPError, ValueError) as error:
                raise DeliveryError(f"Zalo token renewal failed: {type(error).__name__}") from None
            if not isinstance(found, dict) or not found.get("access_token") or not found.get("refresh_token"):
                named = found.get("error_name") or found.get("error") if isinstance(found, dict) else None
                raise DeliveryError(f"Zalo token renewal refused ({named or answer.status_code})", permanent=True)
            access, refresh = str(found["access_token"]), str(found["refresh_token"])
            if self.store is not None:
                self.store.save(self.seed, access, refresh)
            self.access_token, self.refresh_token = access, refresh
            self.renewals += 1
            return access
