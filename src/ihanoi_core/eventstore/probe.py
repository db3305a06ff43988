"""Check once, at start-up, that the configured event store can be opened;
and tell, later, an error of a store that cannot be reached from any other.

Without this a wrong ``IHANOI_DATABASE_URL`` surfaced late and badly: the
library's PostgreSQL pool retried for 30 seconds before raising, and a
missing SQLite directory raised "unable to open database file" naming no path,
both as a long traceback. ``probe_store`` answers within ``CONNECT_TIMEOUT``
seconds with a ``StoreUnavailableError`` that names the host, port, database
and user (never the password) or the path. Commands that open the store call
it before building the application.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path

from eventsourcing.persistence import InterfaceError, OperationalError

from ihanoi_core.errors import ConfigurationError, StoreUnavailableError
from ihanoi_core.eventstore.settings_env import store_kind
from ihanoi_core.eventstore.urls import postgres_conninfo, postgres_env, sqlite_path
from ihanoi_core.settings import Settings

# Seconds to wait for PostgreSQL to answer (libpq's own default is forever; the
# library's pool gives up after 30 s). A server on a healthy network answers in
# milliseconds.
CONNECT_TIMEOUT = 5

# The first 16 bytes of every SQLite 3 database file (https://sqlite.org/fileformat.html).
SQLITE_HEADER = b"SQLite format 3\x00"


def probe_store(settings: Settings) -> None:
    """Open the event store once and close it again; raise
    ``StoreUnavailableError`` (one line, naming where) when that fails, and
    ``ConfigurationError`` when a lasting store has no master key for its
    personal fields (``IHANOI_PII_MASTER_KEY``)."""
    kind = store_kind(settings)
    if kind != "memory" and not settings.pii_master_keys:
        raise ConfigurationError(
            "IHANOI_PII_MASTER_KEY is required unless IHANOI_ENV=development or test (see docs/privacy.md)."
        )
    if kind == "postgres":
        _probe_postgres(settings.database_url)
    elif kind == "sqlite":
        _probe_sqlite(sqlite_path(settings.database_url))


def store_error_types(settings: Settings) -> tuple[type[Exception], ...]:
    """The exception types a store that cannot be reached raises: the
    library's wrappers, SQLite's, and (for a PostgreSQL store) psycopg's, which
    its connection pools raise unwrapped. Whether one of them means exactly
    that is ``store_unreachable``'s call."""
    types: tuple[type[Exception], ...] = (OperationalError, InterfaceError, sqlite3.OperationalError)
    if store_kind(settings) == "postgres":
        import psycopg

        types += (psycopg.OperationalError, psycopg.InterfaceError)
    return types


def store_unreachable(error: BaseException) -> bool:
    """Whether ``error`` (or what it wraps) says the store did not answer:
    PostgreSQL down, restarting or refusing connections, no connection free
    within ``IHANOI_POSTGRES_CONNECT_TIMEOUT``, a lock not granted in time; a
    SQLite database locked past its timeout. A request meeting one may succeed
    if sent again. Anything else (a missing table, a bad statement) is a fault
    of ours, not the store's absence."""
    psycopg = sys.modules.get("psycopg")  # loaded only for a PostgreSQL store
    cause: BaseException | None = error
    while cause is not None:
        if psycopg is not None and isinstance(cause, psycopg.OperationalError | psycopg.InterfaceError):
            return True
        if isinstance(cause, sqlite3.OperationalError) and "locked" in str(cause):
            return True
        cause = cause.__cause__
    return False


def describe_postgres(database_url: str) -> str:
    """``PostgreSQL at host:port, database 'name', user 'name'``: where a URL
    points, without its password."""
    env = postgres_env(database_url)
    return (
        f"PostgreSQL at {env['POSTGRES_HOST']}:{env['POSTGRES_PORT']}, "
        f"database {env['POSTGRES_DBNAME']!r}, user {env['POSTGRES_USER']!r}"
    )


def _probe_postgres(database_url: str) -> None:
    # Here, not at module level: psycopg (~0.1 s) only for a PostgreSQL store.
    import psycopg

    where = describe_postgres(database_url)
    try:
        with psycopg.connect(postgres_conninfo(database_url, connect_timeout=str(CONNECT_TIMEOUT))) as connection:
            connection.execute("SELECT 1")
    except psycopg.errors.ConnectionTimeout:
        raise StoreUnavailableError(where, f"no answer within {CONNECT_TIMEOUT} s") from None
    except psycopg.Error as error:
        password = postgres_env(database_url)["POSTGRES_PASSWORD"]
        raise StoreUnavailableError(where, libpq_reason(str(error), password)) from None


def libpq_reason(message: str, password: str) -> str:
    """The cause in libpq's message, on one line: ``Connection refused``,
    ``database "x" does not exist``, ``failed to resolve host …``."""
    reason = message.strip().splitlines()[0] if message.strip() else "connection failed"
    reason = reason.removeprefix("connection failed: ")
    if " failed: " in reason and reason.startswith("connection to server"):
        reason = reason.split(" failed: ", 1)[1]
    reason = reason.removeprefix("FATAL:").strip()
    # libpq does not echo passwords; this keeps it so whatever it says.
    return reason.replace(password, "***") if password else reason


def _probe_sqlite(path: str) -> None:
    if ":memory:" in path or "mode=memory" in path:
        return  # the library's test for an in-memory database
    where = f"SQLite file {path}"
    # The library opens the name as a URI: ``file:name?mode=…`` names the file ``name``.
    file = Path(path.removeprefix("file:").split("?", 1)[0] if path.startswith("file:") else path)
    directory = file.parent
    if file.is_dir():
        raise StoreUnavailableError(where, "that is a directory, not a file")
    if not directory.exists():
        raise StoreUnavailableError(where, f"the directory {directory} does not exist")
    if not directory.is_dir():
        raise StoreUnavailableError(where, f"{directory} is not a directory")
    # The -wal and -shm files and the read models' file are created beside it.
    if not os.access(directory, os.W_OK | os.X_OK):
        raise StoreUnavailableError(where, f"the directory {directory} is not writable")
    if not file.exists():
        return  # created on first use, as any command would; the probe leaves no file behind
    if not file.is_file():
        raise StoreUnavailableError(where, "that is not a regular file")
    if not os.access(file, os.R_OK | os.W_OK):
        raise StoreUnavailableError(where, "the file is not readable and writable")
    try:
        with file.open("rb") as opened:
            header = opened.read(len(SQLITE_HEADER))
    except OSError as error:
        raise StoreUnavailableError(where, error.strerror or str(error)) from None
    # An empty file is an empty database to SQLite.
    if header and header != SQLITE_HEADER:
        raise StoreUnavailableError(where, "the file is not an SQLite database")
