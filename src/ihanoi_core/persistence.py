"""How ihanoi's settings become an ``eventsourcing`` persistence environment.

Three stores: POPO (in memory, unit tests), an SQLite file (the embedded
default) and PostgreSQL (production). The SQLite factory below adds what the
library leaves out: an explicit ``PRAGMA synchronous`` on every connection.

Durability choice for SQLite: WAL with ``synchronous=FULL`` (our default). In
WAL mode FULL syncs the log on every commit, so an acknowledged command
survives a power cut or OS crash, not only a process crash. ``NORMAL`` is
several times faster but a power loss may roll back the last commits (never
corrupts the file); a deployment may choose it with ``IHANOI_SQLITE_SYNCHRONOUS``
knowing that acknowledged commands can then be lost.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from eventsourcing.sqlite import SQLiteConnection, SQLiteConnectionPool, SQLiteFactory
from eventsourcing.utils import Environment

from ihanoi_core.errors import ConfigurationError
from ihanoi_core.settings import Settings


class _SynchronousSQLiteConnectionPool(SQLiteConnectionPool):
    def __init__(self, *, synchronous: str, **kwargs: Any) -> None:
        self.synchronous = synchronous
        super().__init__(**kwargs)

    def _create_connection(self) -> SQLiteConnection:
        connection = super()._create_connection()
        if not self.is_sqlite_memory_mode:
            connection._sqlite_conn.execute(f"PRAGMA synchronous={self.synchronous}")
        return connection


class IhanoiSQLiteFactory(SQLiteFactory):
    """The library's SQLite factory with a chosen ``synchronous`` level."""

    SQLITE_SYNCHRONOUS = "SQLITE_SYNCHRONOUS"

    def __init__(self, env: Environment | dict[str, str] | None) -> None:
        super().__init__(env)
        synchronous = (self.env.get(self.SQLITE_SYNCHRONOUS) or "FULL").upper()
        if synchronous not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ConfigurationError(f"Unknown SQLite synchronous level {synchronous!r}.")
        datastore = self.datastore
        datastore.pool = _SynchronousSQLiteConnectionPool(
            synchronous=synchronous,
            db_name=datastore.pool.db_name,
            lock_timeout=datastore.pool.lock_timeout,
        )


def sqlite_path(database_url: str) -> str:
    """``sqlite:///./ihanoi.db`` → ``./ihanoi.db``; ``sqlite:////abs/x.db`` → ``/abs/x.db``."""
    path = database_url.removeprefix("sqlite:")
    if path.startswith("///"):
        path = path[3:]
    elif path.startswith("//"):
        path = path[2:]
    if not path:
        raise ConfigurationError("IHANOI_DATABASE_URL names no SQLite file.")
    return path


def postgres_env(database_url: str) -> dict[str, str]:
    """``postgresql://user:password@host:port/dbname?schema=name`` → library keys."""
    url = urlsplit(database_url)
    if not url.path.strip("/"):
        raise ConfigurationError("IHANOI_DATABASE_URL names no PostgreSQL database.")
    query = parse_qs(url.query)
    env = {
        "POSTGRES_DBNAME": unquote(url.path.strip("/")),
        "POSTGRES_HOST": url.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(url.port or 5432),
        "POSTGRES_USER": unquote(url.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(url.password or ""),
    }
    if "schema" in query:
        env["POSTGRES_SCHEMA"] = query["schema"][0]
    return env


def store_kind(settings: Settings) -> str:
    """``memory``, ``sqlite`` or ``postgres``."""
    scheme = settings.database_url.split(":", 1)[0]
    return {"postgresql": "postgres"}.get(scheme, scheme)


def eventsourcing_env(settings: Settings) -> dict[str, str]:
    """The ``env`` mapping for an ``eventsourcing`` Application or view factory."""
    kind = store_kind(settings)
    env: dict[str, str]
    if kind == "memory":
        env = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    elif kind == "sqlite":
        env = {
            "PERSISTENCE_MODULE": f"{IhanoiSQLiteFactory.__module__}:{IhanoiSQLiteFactory.__qualname__}",
            "SQLITE_DBNAME": sqlite_path(settings.database_url),
            "SQLITE_SYNCHRONOUS": settings.sqlite_synchronous,
            "SQLITE_LOCK_TIMEOUT": "10",
        }
    else:
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            # One round trip per insert through the library's PL/pgSQL function.
            "POSTGRES_ENABLE_DB_FUNCTIONS": "y",
            "POSTGRES_POOL_SIZE": str(settings.postgres_pool_size),
            "POSTGRES_MAX_OVERFLOW": str(settings.postgres_pool_size),
            # Writers queue on the table lock; give up after a bound rather than forever.
            "POSTGRES_LOCK_TIMEOUT": "10",
            "POSTGRES_PRE_PING": "y",
            **postgres_env(settings.database_url),
        }
    if settings.cipher_key:
        env["CIPHER_TOPIC"] = "eventsourcing.cryptography:AESCipher"
        env["CIPHER_KEY"] = settings.cipher_key
    return env
