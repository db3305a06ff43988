"""How ihanoi's settings become an ``eventsourcing`` persistence environment.

Three stores: POPO (in memory, unit tests), an SQLite file (the embedded
default, ``sqlite.py``) and PostgreSQL (production, ``postgres.py``). The
mapping names each store's factory by topic; those topics are only ever
computed here, never stored, and the ones older versions computed stay
registered (``ihanoi_core.events.topics``). ``personal_key_store`` opens the
data keys that seal personal fields, beside the events (``keys``).
"""

from __future__ import annotations

import os

from ihanoi_core.eventstore.keys import KEY_BYTES, KeyStore, MasterKeys, MemoryKeyTable
from ihanoi_core.eventstore.keys_sql import PostgresKeyTable, SQLiteKeyTable
from ihanoi_core.eventstore.sqlite import IhanoiSQLiteFactory
from ihanoi_core.eventstore.urls import postgres_conninfo, postgres_env, sqlite_path
from ihanoi_core.settings import Settings


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
            "SQLITE_WAL_LIMIT_MB": str(settings.sqlite_wal_limit_mb),
            "SQLITE_LOCK_TIMEOUT": "10",
        }
    else:
        # Here, not at module level: psycopg and the library's recorder (~0.1 s) only for PostgreSQL.
        from ihanoi_core.eventstore.postgres import IhanoiPostgresFactory

        env = {
            "PERSISTENCE_MODULE": f"{IhanoiPostgresFactory.__module__}:{IhanoiPostgresFactory.__qualname__}",
            # One round trip per insert through our PL/pgSQL function, which
            # locks the table so commits follow positions (postgres.py).
            "POSTGRES_ENABLE_DB_FUNCTIONS": "y",
            "POSTGRES_POOL_SIZE": str(settings.postgres_pool_size),
            "POSTGRES_MAX_OVERFLOW": str(settings.postgres_pool_size),
            # Writers queue on the table lock; give up after a bound rather than forever.
            "POSTGRES_LOCK_TIMEOUT": "10",
            "POSTGRES_PRE_PING": "y",
            # How long a checkout waits for a connection, also while PostgreSQL is down.
            "POSTGRES_CONNECT_TIMEOUT": str(settings.postgres_connect_timeout),
            **postgres_env(settings.database_url),
        }
    if settings.cipher_key:
        env["CIPHER_TOPIC"] = "eventsourcing.cryptography:AESCipher"
        env["CIPHER_KEY"] = settings.cipher_key
    return env


def master_keys(settings: Settings) -> MasterKeys:
    """The master keys of personal fields: ``ConfigurationError`` when a store
    that outlives the process has none (production without IHANOI_PII_MASTER_KEY);
    an in-memory store makes one for the process."""
    masters = settings.pii_master_keys
    if not masters and store_kind(settings) == "memory":
        masters = (os.urandom(KEY_BYTES),)
    return MasterKeys(masters)


def personal_key_store(settings: Settings) -> KeyStore:
    """The data keys of this store's personal fields, wrapped by the configured
    master keys. An in-memory store, gone with the process, may run on a key
    of its own when none is configured; the others refuse to start without one.
    PostgreSQL's tables are created by the application, under its DDL lock."""
    kind = store_kind(settings)
    master = master_keys(settings)
    if kind == "memory":
        return KeyStore(MemoryKeyTable(), master)
    if kind == "sqlite":
        table = SQLiteKeyTable(sqlite_path(settings.database_url), synchronous=settings.sqlite_synchronous)
        table.create()
        return KeyStore(table, master)
    # As many connections as the events' pool: every new case reads and writes keys.
    postgres_keys = PostgresKeyTable(
        postgres_conninfo(settings.database_url), settings.postgres_pool_size, settings.postgres_connect_timeout
    )
    return KeyStore(postgres_keys, master)
