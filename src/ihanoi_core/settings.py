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
    # ``apply``: a running read side (``ihanoi serve``) applies every read model
    # whose worker lock it gets; ``follow``: it applies none and follows the
    # dedicated workers (``ihanoi projections run``).
    in_process_projections: Literal["apply", "follow"] = "apply"
    token_max_ttl: int = DEFAULT_TOKEN_MAX_TTL
    # Comma-separated base64 keys of 32 bytes: the first wraps new data keys,
    # the others only unwrap (while ``ihanoi privacy rotate-master-key`` runs).
    pii_master_key: str | None = field(default=None, repr=False)

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
        if self.token_max_ttl <= 0:
            raise ConfigurationError("IHANOI_TOKEN_MAX_TTL must be a positive number of seconds.")
        if self.pii_master_key is not None:
            self.pii_master_keys  # noqa: B018 - refuse a malformed key at start-up
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

        def get(name: str) -> str | None:
            value = values.get(f"IHANOI_{name}")
            return value.strip() if value is not None and value.strip() else None

        kwargs: dict[str, object] = {}
        for name in ("database_url", "env", "secret_key", "jurisdiction", "cipher_key", "audit_key", "pii_master_key"):
            if (value := get(name.upper())) is not None:
                kwargs[name] = value
        if (value := get("LOG_LEVEL")) is not None:
            kwargs["log_level"] = value.upper()
        if (value := get("IN_PROCESS_PROJECTIONS")) is not None:
            kwargs["in_process_projections"] = value.lower()
        if (value := get("SQLITE_SYNCHRONOUS")) is not None:
            kwargs["sqlite_synchronous"] = value.upper()
        if (value := get("DIRECTORY")) is not None:
            kwargs["directory"] = Path(value)
        if (value := get("OPEN311_API_KEYS")) is not None:
            kwargs["open311_api_keys"] = frozenset(k.strip() for k in value.split(",") if k.strip())
        numbers: tuple[tuple[str, type[int] | type[float]], ...] = (
            ("postgres_pool_size", int),
            ("sqlite_wal_limit_mb", int),
            ("projection_poll_interval", float),
            ("projection_batch_size", int),
            ("token_max_ttl", int),
        )
        for name, convert in numbers:
            if (value := get(name.upper())) is not None:
                try:
                    kwargs[name] = convert(value)
                except ValueError:
                    raise ConfigurationError(f"IHANOI_{name.upper()} must be a number, not {value!r}.") from None
        return cls(**kwargs)  # type: ignore[arg-type]
