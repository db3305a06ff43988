"""All configuration in one place: the ``IHANOI_*`` environment variables.

``Settings.from_env()`` reads them (and a ``.env`` file when present) once, at
start-up; everything else receives a ``Settings`` instance explicitly. Tests
build ``Settings(...)`` directly and never touch ``os.environ``. Secrets are
kept out of ``repr`` so they never reach a log line.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from dotenv import dotenv_values

from ihanoi_core.errors import ConfigurationError
from ihanoi_core.settings.checks import check
from ihanoi_core.settings.env import settings_values

# Only ever used when IHANOI_ENV=development; a production start without
# IHANOI_SECRET_KEY fails instead of signing tokens with a published key.
DEVELOPMENT_SECRET_KEY = "ihanoi-development-only-secret-key-do-not-use-in-production"

# Likewise only in development and test: wraps the data keys that seal personal
# fields (docs/privacy.md). Published, so it protects nothing; a production
# start without IHANOI_PII_MASTER_KEY fails instead.
DEVELOPMENT_PII_MASTER_KEY = base64.b64encode(b"ihanoi-development-only-pii-key!").decode()
PII_MASTER_KEY_BYTES = 32

DEFAULT_TOKEN_MAX_TTL = 24 * 3600
# A browser session lasts a working day at most (and never beyond its token).
DEFAULT_SESSION_MAX_AGE = 8 * 3600
DEFAULT_STREAM_TICKET_TTL = 30

# OpenStreetMap's own tiles (https://operations.osmfoundation.org/policies/tiles/):
# fine for a demonstration and light use; a city deployment points at its own tile server.
DEFAULT_MAP_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
DEFAULT_MAP_TILE_ATTRIBUTION = "© OpenStreetMap contributors"

SQLiteSynchronous = Literal["OFF", "NORMAL", "FULL", "EXTRA"]


@dataclass(frozen=True)
class Settings:
    """Validated configuration. Field docs live in ``docs/configuration.md``."""

    database_url: str = "sqlite:///./ihanoi.db"
    env: Literal["development", "production", "test"] = "production"
    secret_key: str | None = field(default=None, repr=False)
    open311_api_keys: frozenset[str] = field(default=frozenset(), repr=False)
    jurisdiction: str = "hanoi.gov.vn"
    directory: Path | None = None
    cipher_key: str | None = field(default=None, repr=False)
    audit_key: str | None = field(default=None, repr=False)
    log_level: str = "INFO"
    sqlite_synchronous: SQLiteSynchronous = "NORMAL"
    sqlite_wal_limit_mb: int = 64
    postgres_pool_size: int = 8
    postgres_connect_timeout: int = 10
    projection_poll_interval: float = 0.02
    projection_batch_size: int = 2000
    # The fewest reports a group of the public statistics needs to be shown
    # (``/public/stats``): smaller groups are suppressed (mysociety/fixmystreet#1957).
    public_stats_min_count: int = 10
    # ``apply``: a running read side (``ihanoi serve``) applies every read model
    # whose worker lock it gets; ``follow``: it applies none and follows the
    # dedicated workers (``ihanoi projections run``).
    in_process_projections: Literal["apply", "follow"] = "apply"
    token_max_ttl: int = DEFAULT_TOKEN_MAX_TTL
    # The reverse proxies (addresses or networks, comma-separated; ``*``: any)
    # whose X-Forwarded-For and X-Forwarded-Proto ``ihanoi serve`` believes
    # (docs/operations.md, "Behind a reverse proxy").
    forwarded_allow_ips: str = "127.0.0.1"
    # Browser sessions (docs/sessions.md): the cookie's name (``__Host-`` is put
    # in front of it when it is ``Secure``), whether it is ``Secure`` (None: yes
    # except in development), its longest life, and a stream ticket's.
    session_cookie_name: str = "ihanoi_session"
    session_cookie_secure: bool | None = None
    session_max_age: int = DEFAULT_SESSION_MAX_AGE
    stream_ticket_ttl: int = DEFAULT_STREAM_TICKET_TTL
    # The city's identity provider (OpenID Connect). When ``oidc_issuer`` is set,
    # tokens signed with ``oidc_algorithms`` are verified against the key set at
    # ``oidc_jwks_url`` (docs/operations.md, "Identity provider").
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks_url: str | None = None
    oidc_algorithms: tuple[str, ...] = ("RS256", "ES256")
    oidc_role_claim: str = "role"
    oidc_agency_claim: str = "agency"
    oidc_organisation_claim: str = "organisation"
    oidc_organisation_kind_claim: str = "organisation_kind"
    # (value in the identity provider's role claim, our role name); empty: the values are our role names.
    oidc_role_map: tuple[tuple[str, str], ...] = ()
    oidc_leeway: int = 60
    oidc_max_token_age: int = 24 * 3600
    oidc_jwks_max_age: int = 600
    oidc_jwks_refetch_interval: int = 30
    oidc_jwks_timeout: float = 5.0
    # None: HS256 tokens are refused in production once an issuer is set, accepted in development and test.
    oidc_allow_hs256: bool | None = None
    # Comma-separated base64 keys of 32 bytes: the first wraps new data keys,
    # the others only unwrap (while ``ihanoi privacy rotate-master-key`` runs).
    pii_master_key: str | None = field(default=None, repr=False)
    # Photos (docs/photos.md): where they are kept and what an upload may be.
    media_dir: Path | None = None
    media_max_bytes: int = 10 * 1024 * 1024
    media_max_pixels: int = 40_000_000
    media_max_per_report: int = 10
    # The public map's basemap (``/map``): a tile URL template with {z}, {x}, {y}
    # (and optionally {s}, {r}); empty for no basemap. Its host is the only
    # place the page may load images from besides this server.
    map_tile_url: str = DEFAULT_MAP_TILE_URL
    map_tile_attribution: str = DEFAULT_MAP_TILE_ATTRIBUTION

    # Notifications (docs/notifications.md): where the adapters deliver, and how
    # the dispatcher retries. No SMTP URL / gateway URL: that channel's notices wait.
    notify_smtp_url: str | None = field(default=None, repr=False)
    notify_mail_from: str = "iHanoi <no-reply@ihanoi.local>"
    notify_gateway_url: str | None = None
    notify_gateway_token: str | None = field(default=None, repr=False)
    # (notice kind, the gateway's template id), e.g. ZNS template ids.
    notify_gateway_templates: tuple[tuple[str, str], ...] = ()
    # Web Push (RFC 8030/8291/8292): the VAPID key (base64url of the raw P-256
    # private key, ``ihanoi notifications vapid-keys``) and the contact in its
    # JWT (mailto: or https:). No key: Web Push notices wait in the outbox.
    notify_vapid_private_key: str | None = field(default=None, repr=False)
    notify_vapid_subject: str = "mailto:no-reply@ihanoi.local"
    notify_max_attempts: int = 8
    notify_backoff_seconds: float = 30.0
    notify_rate_per_second: float = 20.0
    notify_lease_seconds: float = 60.0
    notify_batch_size: int = 50
    # The deadline watcher (issue #16, docs/deadlines.md).
    deadline_poll_seconds: float = 30.0
    deadline_batch_size: int = 500
    # Where citizens reach this server (https://ihanoi.example.vn): notices link
    # to it; None: their links are paths, for the app to resolve.
    public_url: str | None = None
    # The Q&A switchboard's optional rephrasing (docs/questions.md): an
    # OpenAI-compatible chat-completions URL the operator runs; None: extractive answers.
    answer_generator_url: str | None = None
    answer_generator_model: str = "local"
    answer_generator_timeout: float = 2.0
    # Chat and hotline intake (docs/channels.md). No secret: that webhook answers 404.
    zalo_app_id: str | None = None
    zalo_oa_secret_key: str | None = field(default=None, repr=False)
    zalo_access_token: str | None = field(default=None, repr=False)
    zalo_api_url: str = "https://openapi.zalo.me"
    zalo_refresh_token: str | None = field(default=None, repr=False)
    zalo_app_secret: str | None = field(default=None, repr=False)
    zalo_oauth_url: str = "https://oauth.zaloapp.com"
    zalo_window_seconds: float = 300.0
    messenger_app_secret: str | None = field(default=None, repr=False)
    messenger_verify_token: str | None = field(default=None, repr=False)
    messenger_page_token: str | None = field(default=None, repr=False)
    messenger_api_url: str = "https://graph.facebook.com/v19.0"
    hotline_secret: str | None = field(default=None, repr=False)
    hotline_window_seconds: float = 300.0
    channel_photo_timeout_seconds: float = 5.0
    # Cashless fees (docs/payments.md): the account fees are paid into (no BIN
    # and account: request-payment stays the officer's bookkeeping, no VietQR
    # code), each gateway's shared secret (``provider=secret``), how far a
    # callback's timestamp may be from our clock, and how long a request pays.
    payments_bank_bin: str | None = None
    payments_account: str | None = None
    payments_account_name: str = "KHO BAC NHA NUOC HA NOI"
    payments_providers: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    payments_timestamp_window: int = 300
    payments_expiry_hours: int = 72

    def __post_init__(self) -> None:
        check(self)  # settings/checks.py: every value, at start-up

    @property
    def session_cookie_is_secure(self) -> bool:
        """Whether the session cookie is ``Secure``: as set, by default
        everywhere but development (``make serve`` on plain http)."""
        if self.session_cookie_secure is not None:
            return self.session_cookie_secure
        return self.env != "development"

    @property
    def hs256_tokens_accepted(self) -> bool:
        """Whether tokens signed with the secret key (HS256) are accepted: always
        without an identity provider; with one, as ``oidc_allow_hs256`` says, by
        default only in development and test."""
        if not self.oidc_issuer:
            return True
        if self.oidc_allow_hs256 is not None:
            return self.oidc_allow_hs256
        return self.env in ("development", "test")

    @property
    def jwt_secret(self) -> str:
        """The JWT signing key; the development default only in development/test."""
        if self.secret_key:
            return self.secret_key
        if self.env in ("development", "test"):
            return DEVELOPMENT_SECRET_KEY
        raise ConfigurationError("IHANOI_SECRET_KEY is required unless IHANOI_ENV=development.")

    @property
    def pii_master_keys(self) -> tuple[bytes, ...]:
        """The master keys that wrap personal-data keys, current first; the
        published development key only in development/test, and none (an
        in-memory store makes its own for the process) otherwise."""
        if not self.pii_master_key:
            if self.env in ("development", "test"):
                return (base64.b64decode(DEVELOPMENT_PII_MASTER_KEY),)
            return ()
        keys = []
        for part in self.pii_master_key.split(","):
            try:
                key = base64.b64decode(part.strip(), validate=True)
            except (binascii.Error, ValueError):
                key = b""
            if len(key) != PII_MASTER_KEY_BYTES:
                raise ConfigurationError(
                    f"IHANOI_PII_MASTER_KEY must be base64 keys of {PII_MASTER_KEY_BYTES} bytes, comma-separated "
                    "(current first); e.g. `python -c 'import base64, os; "
                    "print(base64.b64encode(os.urandom(32)).decode())'`."
                )
            keys.append(key)
        return tuple(keys)

    def with_changes(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, dotenv: Path | None = Path(".env")) -> Settings:
        """Read ``IHANOI_*`` from ``environ`` (default: the process environment)
        over the values of a ``.env`` file (when it exists)."""
        values: dict[str, str] = {}
        if dotenv is not None and dotenv.is_file():
            values.update({k: v for k, v in dotenv_values(dotenv).items() if v is not None})
        values.update(os.environ if environ is None else environ)
        return cls(**settings_values(values, cls))  # type: ignore[arg-type]
