"""Where ``IHANOI_DATABASE_URL`` points, in the forms the stores want.

``sqlite:///path`` becomes a file path, ``postgresql://…`` the library's
``POSTGRES_*`` keys or a libpq connection string for the connections ihanoi
opens beside the library's pool (read models, the DDL lock, the probe).
"""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

from ihanoi_core.errors import ConfigurationError


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


def postgres_conninfo(database_url: str, **options: str) -> str:
    """A libpq connection string for ``IHANOI_DATABASE_URL``, searching its
    schema first (for the connections ihanoi opens beside the library's pool)."""
    # Here, not at module level: psycopg (~0.1 s) only for a PostgreSQL store.
    import psycopg.conninfo

    env = postgres_env(database_url)
    schema = env.get("POSTGRES_SCHEMA", "public")
    return psycopg.conninfo.make_conninfo(
        dbname=env["POSTGRES_DBNAME"],
        host=env["POSTGRES_HOST"],
        port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"] or None,
        options=f"-c search_path={schema}",
        **options,
    )
