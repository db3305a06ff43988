"""The checks every ``Settings`` passes at start-up (``Settings.__post_init__``):
a bad value stops the process with a ``ConfigurationError`` that names the
``IHANOI_*`` variable and what it must be, before anything is served."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from email.utils import parseaddr
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ihanoi_core.domain.values import Role
from ihanoi_core.errors import ConfigurationError

if TYPE_CHECKING:
    from ihanoi_core.settings import Settings

# HS256 keys shorter than the hash are guessable offline from one token (RFC 7518 §3.2).
MIN_SECRET_KEY_BYTES = 32
# What an identity provider may sign with: public-key algorithms only, so a
# token can never be verified with a key the server also publishes (no HS*, no none).
IDENTITY_PROVIDER_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
# Where a key set may be fetched over plain HTTP in production: this machine only.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
MAX_TILE_ATTRIBUTION = 300
# The smallest bound the WAL keeper holds (ihanoi_core/eventstore/wal.py): it
# truncates past a quarter of the limit and looks every 0.1 s, in which four
# writing threads add up to 8 MB. At 16 MB four writers peaked at 8.0-9.8 MB;
# at 8 MB (the minimum used to be 4) the log reached 9.3-9.7 MB, past it.
MIN_SQLITE_WAL_LIMIT_MB = 16
# The AES key sizes eventsourcing's cipher takes (AES-GCM), in bytes.
CIPHER_KEY_BYTES = (16, 24, 32)
# A cookie name that needs no quoting anywhere (RFC 6265 token, narrowed).
COOKIE_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


def check(settings: Settings) -> None:
    """Refuse a bad setting at start-up, naming the variable and what it must be."""
    scheme = settings.database_url.split(":", 1)[0]
    if scheme not in ("sqlite", "postgresql", "postgres", "memory"):
        raise ConfigurationError(
            f"IHANOI_DATABASE_URL must start with sqlite:, postgresql:, postgres: or memory:, not {scheme!r}."
        )
    if settings.sqlite_synchronous not in ("OFF", "NORMAL", "FULL", "EXTRA"):
        raise ConfigurationError("IHANOI_SQLITE_SYNCHRONOUS must be OFF, NORMAL, FULL or EXTRA.")
    if settings.sqlite_wal_limit_mb < MIN_SQLITE_WAL_LIMIT_MB:
        raise ConfigurationError(f"IHANOI_SQLITE_WAL_LIMIT_MB must be at least {MIN_SQLITE_WAL_LIMIT_MB} (megabytes).")
    if settings.in_process_projections not in ("apply", "follow"):
        raise ConfigurationError("IHANOI_IN_PROCESS_PROJECTIONS must be apply or follow.")
    if settings.env not in ("development", "production", "test"):
        raise ConfigurationError("IHANOI_ENV must be development, production or test.")
    if settings.media_max_bytes < 1024:
        raise ConfigurationError("IHANOI_MEDIA_MAX_BYTES must be at least 1024 (bytes).")
    if settings.media_max_pixels < 10_000:
        raise ConfigurationError("IHANOI_MEDIA_MAX_PIXELS must be at least 10000.")
    if not 1 <= settings.media_max_per_report <= 100:
        raise ConfigurationError("IHANOI_MEDIA_MAX_PER_REPORT must be from 1 to 100.")
    if settings.postgres_connect_timeout <= 0:
        raise ConfigurationError("IHANOI_POSTGRES_CONNECT_TIMEOUT must be a positive number of seconds.")
    if settings.postgres_pool_size < 1:
        raise ConfigurationError("IHANOI_POSTGRES_POOL_SIZE must be at least 1 (connections).")
    # At 0 the read models would apply nothing, for ever, and /readyz would still say ready.
    if settings.projection_batch_size < 1:
        raise ConfigurationError("IHANOI_PROJECTION_BATCH_SIZE must be at least 1 (events applied at once).")
    if settings.projection_poll_interval <= 0:
        raise ConfigurationError("IHANOI_PROJECTION_POLL_INTERVAL must be a positive number of seconds.")
    if settings.token_max_ttl <= 0:
        raise ConfigurationError("IHANOI_TOKEN_MAX_TTL must be a positive number of seconds.")
    if settings.public_stats_min_count < 1:
        raise ConfigurationError("IHANOI_PUBLIC_STATS_MIN_COUNT must be a whole number of at least 1.")
    check_sessions(settings)
    check_forwarded_allow_ips(settings)
    check_payments(settings)
    if settings.pii_master_key is not None:
        settings.pii_master_keys  # noqa: B018 - refuse a malformed key at start-up
    check_cipher_key(settings)
    check_notifications(settings)
    check_identity_provider(settings)
    check_map_tiles(settings)
    # Development keeps working with any key: it signs with a published one anyway.
    if (
        settings.secret_key
        and settings.env != "development"
        and len(settings.secret_key.encode("utf-8")) < MIN_SECRET_KEY_BYTES
    ):
        raise ConfigurationError(
            f"IHANOI_SECRET_KEY must be at least {MIN_SECRET_KEY_BYTES} bytes unless IHANOI_ENV=development "
            f"(it has {len(settings.secret_key.encode('utf-8'))}); e.g. `python -c 'import secrets; "
            "print(secrets.token_urlsafe(32))'`."
        )


def check_map_tiles(settings: Settings) -> None:
    if settings.map_tile_url:
        url = urlsplit(settings.map_tile_url)
        placeholders = all(part in settings.map_tile_url for part in ("{z}", "{x}", "{y}"))
        host = (url.hostname or "").replace("{s}", "a")
        if url.scheme not in ("https", "http") or not host or not placeholders or url.username or url.password:
            raise ConfigurationError(
                "IHANOI_MAP_TILE_URL must be an http(s):// tile URL template with {z}, {x} and {y} "
                "(e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png), or empty for no basemap."
            )
    if len(settings.map_tile_attribution) > MAX_TILE_ATTRIBUTION:
        raise ConfigurationError(f"IHANOI_MAP_TILE_ATTRIBUTION must be at most {MAX_TILE_ATTRIBUTION} characters.")


def check_sessions(settings: Settings) -> None:
    if not COOKIE_NAME.fullmatch(settings.session_cookie_name) or settings.session_cookie_name.startswith("__"):
        raise ConfigurationError(
            "IHANOI_SESSION_COOKIE_NAME must be 1 to 64 letters, digits, '_' or '-', not starting with '__' "
            "(the server adds __Host- itself when the cookie is Secure)."
        )
    # A cookie without Secure travels in clear text: only on a developer's own plain-http server.
    if settings.session_cookie_secure is False and settings.env == "production":
        raise ConfigurationError(
            "IHANOI_SESSION_COOKIE_SECURE=false is for plain-http development only, not IHANOI_ENV=production."
        )
    if settings.session_max_age <= 0:
        raise ConfigurationError("IHANOI_SESSION_MAX_AGE must be a positive number of seconds.")
    if not 1 <= settings.stream_ticket_ttl <= 300:
        raise ConfigurationError("IHANOI_STREAM_TICKET_TTL must be from 1 to 300 seconds.")


def check_cipher_key(settings: Settings) -> None:
    """Decoded as the library's cipher decodes it, of a size it takes: else the
    library would fail on the first store it opens, with a traceback."""
    if settings.cipher_key is None:
        return
    try:
        size = len(base64.b64decode(settings.cipher_key))
    except (binascii.Error, ValueError):
        size = 0
    if size not in CIPHER_KEY_BYTES:
        raise ConfigurationError(
            "IHANOI_CIPHER_KEY must be the base64 of a 16-, 24- or 32-byte AES key; e.g. "
            "`python -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())'`."
        )


def check_forwarded_allow_ips(settings: Settings) -> None:
    """Each entry an address or a network; the server would take anything else
    for a name no proxy ever has and believe nobody, silently."""
    entries = [entry.strip() for entry in settings.forwarded_allow_ips.split(",")]
    if entries == ["*"]:
        return
    for entry in entries:
        try:
            ipaddress.ip_network(entry) if "/" in entry else ipaddress.ip_address(entry)
        except ValueError:
            raise ConfigurationError(
                f"IHANOI_FORWARDED_ALLOW_IPS: {entry!r} is not an address or a network (10.0.0.0/24, without "
                "host bits); give the reverse proxies' addresses, comma-separated, or * for any."
            ) from None


def check_notifications(settings: Settings) -> None:
    if settings.notify_smtp_url and urlsplit(settings.notify_smtp_url).scheme not in ("smtp", "smtps"):
        raise ConfigurationError("IHANOI_NOTIFY_SMTP_URL must be smtp://[user:password@]host[:port] or smtps://.")
    if settings.notify_gateway_url and urlsplit(settings.notify_gateway_url).scheme not in ("http", "https"):
        raise ConfigurationError("IHANOI_NOTIFY_GATEWAY_URL must be an http:// or https:// URL.")
    local, _, domain = parseaddr(settings.notify_mail_from)[1].rpartition("@")
    if not (local and domain):
        # Else every e-mail notice would be refused by the mail server and dead-lettered.
        raise ConfigurationError(
            "IHANOI_NOTIFY_MAIL_FROM must be an e-mail address, with a name or without: iHanoi <no-reply@hanoi.gov.vn>."
        )
    if settings.notify_max_attempts < 1 or settings.notify_batch_size < 1:
        raise ConfigurationError("IHANOI_NOTIFY_MAX_ATTEMPTS and IHANOI_NOTIFY_BATCH_SIZE must be at least 1.")
    for name in ("notify_backoff_seconds", "notify_rate_per_second", "notify_lease_seconds"):
        if getattr(settings, name) <= 0:
            raise ConfigurationError(f"IHANOI_{name.upper()} must be a positive number.")
    if settings.answer_generator_timeout <= 0:
        raise ConfigurationError("IHANOI_ANSWER_GENERATOR_TIMEOUT must be a positive number of seconds.")
    if settings.public_url is not None and (
        urlsplit(settings.public_url).scheme not in ("http", "https")
        or not urlsplit(settings.public_url).hostname
        or settings.public_url.endswith("/")
    ):
        raise ConfigurationError("IHANOI_PUBLIC_URL must be an http(s):// address without a trailing '/'.")
    if settings.answer_generator_url is not None and not settings.answer_generator_url.startswith(
        ("http://", "https://")
    ):
        raise ConfigurationError("IHANOI_ANSWER_GENERATOR_URL must be an http:// or https:// URL.")
    for name in ("zalo_api_url", "zalo_oauth_url", "messenger_api_url"):
        if not getattr(settings, name).startswith(("http://", "https://")):
            raise ConfigurationError(f"IHANOI_{name.upper()} must be an http:// or https:// URL.")
    for name in ("zalo_window_seconds", "hotline_window_seconds", "channel_photo_timeout_seconds"):
        if getattr(settings, name) <= 0:
            raise ConfigurationError(f"IHANOI_{name.upper()} must be a positive number of seconds.")
    if settings.deadline_poll_seconds <= 0 or settings.deadline_batch_size < 1:
        raise ConfigurationError(
            "IHANOI_DEADLINE_POLL_SECONDS must be positive and IHANOI_DEADLINE_BATCH_SIZE at least 1."
        )


def check_identity_provider(settings: Settings) -> None:
    given = {
        "IHANOI_OIDC_ISSUER": settings.oidc_issuer,
        "IHANOI_OIDC_AUDIENCE": settings.oidc_audience,
        "IHANOI_OIDC_JWKS_URL": settings.oidc_jwks_url,
    }
    missing = [name for name, value in given.items() if not value]
    if len(missing) not in (0, 3):
        raise ConfigurationError(
            "IHANOI_OIDC_ISSUER, IHANOI_OIDC_AUDIENCE and IHANOI_OIDC_JWKS_URL go together; "
            f"missing: {', '.join(missing)}."
        )
    if settings.oidc_jwks_url:
        url = urlsplit(settings.oidc_jwks_url)
        if url.scheme not in ("https", "http") or not url.hostname:
            raise ConfigurationError("IHANOI_OIDC_JWKS_URL must be an https:// URL.")
        # Over plain HTTP anyone on the path could hand the server their own keys.
        if url.scheme == "http" and settings.env == "production" and url.hostname not in LOOPBACK_HOSTS:
            raise ConfigurationError("IHANOI_OIDC_JWKS_URL must be https:// in production (http only on loopback).")
    refused = sorted(set(settings.oidc_algorithms) - IDENTITY_PROVIDER_ALGORITHMS)
    if refused or not settings.oidc_algorithms:
        allowed = ", ".join(sorted(IDENTITY_PROVIDER_ALGORITHMS))
        raise ConfigurationError(
            f"IHANOI_OIDC_ALGORITHMS must name public-key algorithms ({allowed}), not {', '.join(refused) or 'none'}."
        )
    if not settings.oidc_role_claim or not settings.oidc_agency_claim:
        raise ConfigurationError("IHANOI_OIDC_ROLE_CLAIM and IHANOI_OIDC_AGENCY_CLAIM must name a claim.")
    ours = {role.value for role in Role if role is not Role.SYSTEM}
    for value, role in settings.oidc_role_map:
        if not value or role not in ours:
            raise ConfigurationError(
                f"IHANOI_OIDC_ROLE_MAP maps {value!r} to {role!r}; each entry must be value=role with a role of "
                f"{', '.join(sorted(ours))} (system is never taken from a token)."
            )
    if len({value for value, _ in settings.oidc_role_map}) != len(settings.oidc_role_map):
        raise ConfigurationError("IHANOI_OIDC_ROLE_MAP maps a value twice.")
    if settings.oidc_leeway < 0 or settings.oidc_leeway > 600:
        raise ConfigurationError("IHANOI_OIDC_LEEWAY must be from 0 to 600 seconds.")
    for name in ("oidc_max_token_age", "oidc_jwks_max_age", "oidc_jwks_refetch_interval", "oidc_jwks_timeout"):
        if getattr(settings, name) <= 0:
            raise ConfigurationError(f"IHANOI_{name.upper()} must be a positive number of seconds.")


def check_payments(settings: Settings) -> None:
    if (settings.payments_bank_bin is None) != (settings.payments_account is None):
        raise ConfigurationError("Set IHANOI_PAYMENTS_BANK_BIN and IHANOI_PAYMENTS_ACCOUNT together, or neither.")
    if settings.payments_bank_bin is not None and not (
        len(settings.payments_bank_bin) == 6 and settings.payments_bank_bin.isdigit()
    ):
        raise ConfigurationError("IHANOI_PAYMENTS_BANK_BIN is the bank's six-digit NAPAS BIN (e.g. 970415).")
    if not 1 <= settings.payments_timestamp_window <= 3600:
        raise ConfigurationError("IHANOI_PAYMENTS_TIMESTAMP_WINDOW must be from 1 to 3600 seconds.")
    if not 1 <= settings.payments_expiry_hours <= 24 * 90:
        raise ConfigurationError("IHANOI_PAYMENTS_EXPIRY_HOURS must be from 1 to 2160.")
