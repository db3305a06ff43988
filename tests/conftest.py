"""Shared fixtures: the three stores, a controlled clock and principals.

Every integration test that takes ``settings`` runs three times: on POPO
(memory), on a real SQLite file and on the real PostgreSQL server. Each test
run creates its own PostgreSQL database and each test its own schema in it, so
runs and tests never see each other's data. PostgreSQL is required: a test run
fails, rather than skips, when the server is down.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
import structlog

from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.notifications.channels import outbound_tls
from ihanoi_core.settings import Settings

ADMIN_URL = os.environ.get("IHANOI_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
STORES = ("memory", "sqlite", "postgres")
# The tests' HTTP clients share one TLS context, the process's one that the
# notification adapters use too. They talk plain HTTP on loopback and never use
# it, but httpx builds one for every client and every httpx.get (27 ms:
# certifi's CA certificates read again) unless given one: about a tenth of the
# suite's CPU went there.
LOOPBACK_TLS = outbound_tls()


def pytest_configure(config: pytest.Config) -> None:
    """In-process code logs through structlog's default console renderer
    (until a test's ``create_app`` configures JSON lines); an exception it logs
    is rendered as a plain traceback, not by rich with every frame's source
    syntax-highlighted (~0.4 s of CPU for each traceback, eight for one
    dead-letter test). Pytest only shows this output for a failed test."""
    *processors, _console = structlog.get_config()["processors"]
    renderer = structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback)
    structlog.configure(processors=[*processors, renderer])


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh database for this test run, dropped at the end."""
    name = f"ihanoi_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
        # A commit does not wait for its WAL flush (0.27 -> 0.10 s per 1,000 commits here):
        # it is as visible and as safe from a killed client; only a crash of the
        # PostgreSQL server itself, which no test does, could lose it.
        conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    base = ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def own_postgres_database() -> Iterator[str]:
    """The URL of a database of this test's alone, dropped at the end: ending
    its connections (``end_connections``) touches no other test's."""
    name = f"ihanoi_own_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"{ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def end_connections(database_url: str) -> int:
    """End every session on the database of ``database_url``, as a restart of
    PostgreSQL would; how many there were."""
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        ended = conn.execute(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = %s",
            (database_url.rsplit("/", 1)[1],),
        ).fetchone()
    assert ended is not None
    return int(ended[0])


def allow_connections(database_url: str, allowed: bool) -> None:
    """Let the database of ``database_url`` take new connections, or refuse
    them all (superusers' too), as a PostgreSQL that is down would."""
    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}')


@pytest.fixture
def postgres_url(postgres_database: str) -> str:
    """A fresh schema in the run's database, for one test."""
    return new_schema(postgres_database)


@pytest.fixture(scope="module")
def module_postgres_url(postgres_database: str) -> str:
    """A fresh schema in the run's database, for the tests of one module."""
    return new_schema(postgres_database)


def new_schema(postgres_database: str) -> str:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_database, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return f"{postgres_database}?schema={schema}"


def make_settings(store: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    if store == "memory":
        url = "memory://"
    elif store == "sqlite":
        url = f"sqlite:///{tmp_path / 'ihanoi.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    # Photos in the test's own directory (on PostgreSQL the default would be ./ihanoi-media).
    return Settings(database_url=url, env="test", postgres_pool_size=4, media_dir=tmp_path / "media")


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(store: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    return make_settings(store, tmp_path, request)


class FakeClock:
    """A clock the test moves by hand (Asia/Ho_Chi_Minh is UTC+7)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = moment


@pytest.fixture
def clock() -> FakeClock:
    # Monday 2026-11-30 09:00 in Hanoi.
    return FakeClock(datetime(2026, 11, 30, 2, 0, tzinfo=UTC))


@pytest.fixture
def citizen() -> Principal:
    return Principal("vneid:001099012345", Role.CITIZEN)


@pytest.fixture
def other_citizen() -> Principal:
    return Principal("vneid:001099099999", Role.CITIZEN)


@pytest.fixture
def auditor() -> Principal:
    return Principal("inspector-01", Role.AUDITOR)


def staff(role: Role, agency: str) -> Principal:
    """A staff member of ``agency`` named after both (``officer-ubnd_hoan_kiem``)."""
    return Principal(f"{role.value}-{agency.lower()}", role, agency)
