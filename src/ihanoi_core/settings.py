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
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from dotenv import dotenv_values

from ihanoi_core.domain.values import Role
from ihanoi_core.errors import ConfigurationError
from ihanoi_core.settings_env import settings_values

# Only ever used when IHANOI_ENV=development; a production start without
# IHANOI_SECRET_KEY fails instead of signing tokens with a published key.
DEVELOPMENT_SECRET_KEY = "ihanoi-development-only-secret-key-do-not-use-in-production"

# Likewise only in development and test: wraps the data keys that seal personal
# fields (docs/privacy.md). Published, so it protects nothing; a production
# start without IHANOI_PII_MASTER_KEY fails instead.
DEVELOPMENT_PII_MASTER_KEY = base64.b64encode(b"ihanoi-development-only-pii-key!").decode()
PII_MASTER_KEY_BYTES = 32

# HS256 keys shorter than the hash are guessable offline from one token (RFC 7518 §3.2).
MIN_SECRET_KEY_BYTES = 32
DEFAULT_TOKEN_MAX_TTL = 24 * 3600
# A browser session lasts a working day at most (and never beyond its token).
DEFAULT_SESSION_MAX_AGE = 8 * 3600
DEFAULT_STREAM_TICKET_TTL = 30
# What an identity provider may sign with: public-key algorithms only, so a
# token can never be verified with a key the server also publishes (no HS*, no none).
IDENTITY_PROVIDER_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
# Where a key set may be fetched over plain HTTP in production: this machine only.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})

# OpenStreetMap's own tiles (https://operations.osmfoundation.org/policies/tiles/):
# fine for a demonstration and light use; a city deployment points at its own tile server.
DEFAULT_MAP_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
DEFAULT_MAP_TILE_ATTRIBUTION = "© OpenStreetMap contributors"
MAX_TILE_ATTRIBUTION = 300
# A cookie name that needs no quoting anywhere (RFC 6265 token, narrowed).
COOKIE_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")

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
        scheme = self.database_url.split(":", 1)[0]
        if scheme not in ("sqlite", "postgresql", "postgres", "memory"):
            raise ConfigurationError(
                f"IHANOI_DATABASE_URL must start with sqlite:, postgresql:, postgres: or memory:, not {scheme!r}."
            )
        if self.sqlite_synchronous not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ConfigurationError("IHANOI_SQLITE_SYNCHRONOUS must be OFF, NORMAL, FULL or EXTRA.")
        if self.sqlite_wal_limit_mb < 4:
            raise ConfigurationError("IHANOI_SQLITE_WAL_LIMIT_MB must be at least 4 (megabytes).")
        if self.in_process_projections not in ("apply", "follow"):
            raise ConfigurationError("IHANOI_IN_PROCESS_PROJECTIONS must be apply or follow.")
        if self.env not in ("development", "production", "test"):
            raise ConfigurationError("IHANOI_ENV must be development, production or test.")
        if self.media_max_bytes < 1024:
            raise ConfigurationError("IHANOI_MEDIA_MAX_BYTES must be at least 1024 (bytes).")
        if self.media_max_pixels < 10_000:
            raise ConfigurationError("IHANOI_MEDIA_MAX_PIXELS must be at least 10000.")
        if not 1 <= self.media_max_per_report <= 100:
            raise ConfigurationError("IHANOI_MEDIA_MAX_PER_REPORT must be from 1 to 100.")
        if self.token_max_ttl <= 0:
            raise ConfigurationError("IHANOI_TOKEN_MAX_TTL must be a positive number of seconds.")
        if self.public_stats_min_count < 1:
            raise ConfigurationError("IHANOI_PUBLIC_STATS_MIN_COUNT must be a whole number of at least 1.")
        self._check_sessions()
        self._check_payments()
        if self.pii_master_key is not None:
            self.pii_master_keys  # noqa: B018 - refuse a malformed key at start-up
        self._check_notifications()
        self._check_identity_provider()
        self._check_map_tiles()
        # Development keeps working with any key: it signs with a published one anyway.
        if (
            self.secret_key
            and self.env != "development"
            and len(self.secret_key.encode("utf-8")) < MIN_SECRET_KEY_BYTES
        ):
            raise ConfigurationError(
                f"IHANOI_SECRET_KEY must be at least {MIN_SECRET_KEY_BYTES} bytes unless IHANOI_ENV=development "
                f"(it has {len(self.secret_key.encode('utf-8'))}); e.g. `python -c 'import secrets; "
                "print(secrets.token_urlsafe(32))'`."
            )

    def _check_map_tiles(self) -> None:
        if self.map_tile_url:
            url = urlsplit(self.map_tile_url)
            placeholders = all(part in self.map_tile_url for part in ("{z}", "{x}", "{y}"))
            host = (url.hostname or "").replace("{s}", "a")
            if url.scheme not in ("https", "http") or not host or not placeholders or url.username or url.password:
                raise ConfigurationError(
                    "IHANOI_MAP_TILE_URL must be an http(s):// tile URL template with {z}, {x} and {y} "
                    "(e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png), or empty for no basemap."
                )
        if len(self.map_tile_attribution) > MAX_TILE_ATTRIBUTION:
            raise ConfigurationError(f"IHANOI_MAP_TILE_ATTRIBUTION must be at most {MAX_TILE_ATTRIBUTION} characters.")

    def _check_sessions(self) -> None:
        if not COOKIE_NAME.fullmatch(self.session_cookie_name) or self.session_cookie_name.startswith("__"):
            raise ConfigurationError(
                "IHANOI_SESSION_COOKIE_NAME must be 1 to 64 letters, digits, '_' or '-', not starting with '__' "
                "(the server adds __Host- itself when the cookie is Secure)."
            )
        # A cookie without Secure travels in clear text: only on a developer's own plain-http server.
        if self.session_cookie_secure is False and self.env == "production":
            raise ConfigurationError(
                "IHANOI_SESSION_COOKIE_SECURE=false is for plain-http development only, not IHANOI_ENV=production."
            )
        if self.session_max_age <= 0:
            raise ConfigurationError("IHANOI_SESSION_MAX_AGE must be a positive number of seconds.")
        if not 1 <= self.stream_ticket_ttl <= 300:
            raise ConfigurationError("IHANOI_STREAM_TICKET_TTL must be from 1 to 300 seconds.")

    @property
    def session_cookie_is_secure(self) -> bool:
        """Whether the session cookie is ``Secure``: as set, by default
        everywhere but development (``make serve`` on plain http)."""
        if self.session_cookie_secure is not None:
            return self.session_cookie_secure
        return self.env != "development"

    def _check_notifications(self) -> None:
        if self.notify_smtp_url and urlsplit(self.notify_smtp_url).scheme not in ("smtp", "smtps"):
            raise ConfigurationError("IHANOI_NOTIFY_SMTP_URL must be smtp://[user:password@]host[:port] or smtps://.")
        if self.notify_gateway_url and urlsplit(self.notify_gateway_url).scheme not in ("http", "https"):
            raise ConfigurationError("IHANOI_NOTIFY_GATEWAY_URL must be an http:// or https:// URL.")
        if self.notify_max_attempts < 1 or self.notify_batch_size < 1:
            raise ConfigurationError("IHANOI_NOTIFY_MAX_ATTEMPTS and IHANOI_NOTIFY_BATCH_SIZE must be at least 1.")
        for name in ("notify_backoff_seconds", "notify_rate_per_second", "notify_lease_seconds"):
            if getattr(self, name) <= 0:
                raise ConfigurationError(f"IHANOI_{name.upper()} must be a positive number.")
        if self.answer_generator_timeout <= 0:
            raise ConfigurationError("IHANOI_ANSWER_GENERATOR_TIMEOUT must be a positive number of seconds.")
        if self.answer_generator_url is not None and not self.answer_generator_url.startswith(("http://", "https://")):
            raise ConfigurationError("IHANOI_ANSWER_GENERATOR_URL must be an http:// or https:// URL.")
        for name in ("zalo_api_url", "zalo_oauth_url", "messenger_api_url"):
            if not getattr(self, name).startswith(("http://", "https://")):
                raise ConfigurationError(f"IHANOI_{name.upper()} must be an http:// or https:// URL.")
        for name in ("zalo_window_seconds", "hotline_window_seconds", "channel_photo_timeout_seconds"):
            if getattr(self, name) <= 0:
                raise ConfigurationError(f"IHANOI_{name.upper()} must be a positive number of seconds.")
        if self.deadline_poll_seconds <= 0 or self.deadline_batch_size < 1:
            raise ConfigurationError(
                "IHANOI_DEADLINE_POLL_SECONDS must be positive and IHANOI_DEADLINE_BATCH_SIZE at least 1."
            )

    def _check_identity_provider(self) -> None:
        given = {
            "IHANOI_OIDC_ISSUER": self.oidc_issuer,
            "IHANOI_OIDC_AUDIENCE": self.oidc_audience,
            "IHANOI_OIDC_JWKS_URL": self.oidc_jwks_url,
        }
        missing = [name for name, value in given.items() if not value]
        if len(missing) not in (0, 3):
            raise ConfigurationError(
                "IHANOI_OIDC_ISSUER, IHANOI_OIDC_AUDIENCE and IHANOI_OIDC_JWKS_URL go together; "
                f"missing: {', '.join(missing)}."
            )
        if self.oidc_jwks_url:
            url = urlsplit(self.oidc_jwks_url)
            if url.scheme not in ("https", "http") or not url.hostname:
                raise ConfigurationError("IHANOI_OIDC_JWKS_URL must be an https:// URL.")
            # Over plain HTTP anyone on the path could hand the server their own keys.
            if url.scheme == "http" and self.env == "production" and url.hostname not in LOOPBACK_HOSTS:
                raise ConfigurationError("IHANOI_OIDC_JWKS_URL must be https:// in production (http only on loopback).")
        refused = sorted(set(self.oidc_algorithms) - IDENTITY_PROVIDER_ALGORITHMS)
        if refused or not self.oidc_algorithms:
            allowed = ", ".join(sorted(IDENTITY_PROVIDER_ALGORITHMS))
            raise ConfigurationError(
                f"IHANOI_OIDC_ALGORITHMS must name public-key algorithms ({allowed}), "
                f"not {', '.join(refused) or 'none'}."
            )
        if not self.oidc_role_claim or not self.oidc_agency_claim:
            raise ConfigurationError("IHANOI_OIDC_ROLE_CLAIM and IHANOI_OIDC_AGENCY_CLAIM must name a claim.")
        ours = {role.value for role in Role if role is not Role.SYSTEM}
        for value, role in self.oidc_role_map:
            if not value or role not in ours:
                raise ConfigurationError(
                    f"IHANOI_OIDC_ROLE_MAP maps {value!r} to {role!r}; each entry must be value=role with a role of "
                    f"{', '.join(sorted(ours))} (system is never taken from a token)."
                )
        if len({value for value, _ in self.oidc_role_map}) != len(self.oidc_role_map):
            raise ConfigurationError("IHANOI_OIDC_ROLE_MAP maps a value twice.")
        if self.oidc_leeway < 0 or self.oidc_leeway > 600:
            raise ConfigurationError("IHANOI_OIDC_LEEWAY must be from 0 to 600 seconds.")
        for name in ("oidc_max_token_age", "oidc_jwks_max_age", "oidc_jwks_refetch_interval", "oidc_jwks_timeout"):
            if getattr(self, name) <= 0:
                raise ConfigurationError(f"IHANOI_{name.upper()} must be a positive number of seconds.")

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

    def _check_payments(self) -> None:
        if (self.payments_bank_bin is None) != (self.payments_account is None):
            raise ConfigurationError("Set IHANOI_PAYMENTS_BANK_BIN and IHANOI_PAYMENTS_ACCOUNT together, or neither.")
        if self.payments_bank_bin is not None and not (
            len(self.payments_bank_bin) == 6 and self.payments_bank_bin.isdigit()
        ):
            raise ConfigurationError("IHANOI_PAYMENTS_BANK_BIN is the bank's six-digit NAPAS BIN (e.g. 970415).")
        if not 1 <= self.payments_timestamp_window <= 3600:
            raise ConfigurationError("IHANOI_PAYMENTS_TIMESTAMP_WINDOW must be from 1 to 3600 seconds.")
        if not 1 <= self.payments_expiry_hours <= 24 * 90:
            raise ConfigurationError("IHANOI_PAYMENTS_EXPIRY_HOURS must be from 1 to 2160.")

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
