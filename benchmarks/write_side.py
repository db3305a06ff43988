"""Write-side throughput: ihanoi commands beside raw inserts and a plain
``eventsourcing`` application doing the same saves, on SQLite and PostgreSQL.

The command mix is one report's life: submit, acknowledge, assign, resolve
(four commands, each a load-decide-save; "resolve" needs an assignee). SQLite
runs one client at the documented durability (WAL, synchronous=NORMAL),
and again at synchronous=FULL for comparison;
PostgreSQL runs eight client threads.
"""

from __future__ import annotations

import functools
import sqlite3
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import Recording

from benchmarks.common import (
    MASTER_KEY,
    Figure,
    WalHighWater,
    concurrent_rate,
    interleaved_rates,
    postgres_database,
    print_figures,
    rate,
    sqlite_file,
)
from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.reports import AcknowledgeReport, AssignReport, ResolveReport, SubmitReport
from ihanoi_core.commands.values import LocationIn
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.eventstore.settings_env import eventsourcing_env
from ihanoi_core.settings import Settings

PG_CLIENTS = 8
CITIZEN = Principal("vneid:bench", Role.CITIZEN)
LOCATION = LocationIn(ward="HOAN_KIEM", latitude=21.03, longitude=105.85)


class PlainReport(Aggregate):
    """The same saves as a report's life, with the library's defaults."""

    @event("Submitted")
    def __init__(self, description: str, ward: str) -> None:
        self.description = description
        self.ward = ward
        self.status = "submitted"

    @event("Acknowledged")
    def acknowledge(self, officer: str) -> None:
        self.status = "acknowledged"

    @event("Assigned")
    def assign(self, assignee: str) -> None:
        self.assignee = assignee

    @event("Resolved")
    def resolve(self, answer: str) -> None:
        self.status = "resolved"


class PlainApplication(Application[uuid.UUID]):
    name = "plain"


class SavingIhanoi(Ihanoi):
    """ihanoi with its one bypass of the library's public API undone: every
    command saves through ``Application.save`` (the figure beside ``_store``)."""

    def _store(self, *aggregates: Aggregate, uncached: tuple[Aggregate, ...] = ()) -> list[Recording[uuid.UUID]]:
        recordings = Application.save(self, *aggregates, *uncached)
        for aggregate in aggregates:
            self.case_cache.put(aggregate)
        self._announce_saved()
        return recordings


def ihanoi_mix(app: Ihanoi) -> int:
    officer = Principal("officer-bench", Role.OFFICER, app.directory.route("pothole", "HOAN_KIEM").code)
    filed = app.handle(CITIZEN, SubmitReport(category="pothole", description="Ổ gà trước số 12", location=LOCATION))
    app.handle(officer, AcknowledgeReport(case=filed.case_id))
    app.handle(officer, AssignReport(case=filed.case_id, assignee="officer-bench"))
    app.handle(officer, ResolveReport(case=filed.case_id, answer="Đã vá"))
    return 4


def plain_mix(app: PlainApplication) -> int:
    report = PlainReport(description="Ổ gà trước số 12", ward="HOAN_KIEM")
    app.save(report)
    for step in ("acknowledge", "assign", "resolve"):
        report = app.repository.get(report.id)
        getattr(report, step)("x")
        app.save(report)
    return 4


def sqlite_raw_inserts(path: Path, synchronous: str) -> float:
    """Single-row INSERT transactions/s with the same journal and sync settings."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("CREATE TABLE raw (id INTEGER PRIMARY KEY, payload BLOB)")
    payload = b"x" * 300

    def one() -> int:
        conn.execute("BEGIN")
        conn.execute("INSERT INTO raw (payload) VALUES (?)", (payload,))
        conn.execute("COMMIT")
        return 1

    try:
        return rate(one)
    finally:
        conn.close()


def postgres_raw_inserts(url: str, clients: int) -> float:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE raw (id bigserial PRIMARY KEY, payload bytea)")
    local = threading.local()
    payload = b"x" * 300
    connections: list[psycopg.Connection[tuple[object, ...]]] = []

    def one() -> int:
        if not hasattr(local, "conn"):
            local.conn = psycopg.connect(url, autocommit=True)
            connections.append(local.conn)
        local.conn.execute("INSERT INTO raw (payload) VALUES (%s)", (payload,))
        return 1

    try:
        return concurrent_rate(one, clients)
    finally:
        for conn in connections:
            conn.close()


def utc_now() -> datetime:
    return datetime.now(UTC)


def run() -> list[Figure]:
    figures = []
    for synchronous in ("NORMAL", "FULL"):
        with sqlite_file() as path:
            ceiling = sqlite_raw_inserts(path.with_name("raw.db"), synchronous)
            settings = Settings(
                database_url=f"sqlite:///{path}", sqlite_synchronous=synchronous, pii_master_key=MASTER_KEY
            )
            app = Ihanoi(settings)
            saving = SavingIhanoi(settings.with_changes(database_url=f"sqlite:///{path.with_name('saving.db')}"))
            plain_env = eventsourcing_env(settings.with_changes(database_url=f"sqlite:///{path.with_name('plain.db')}"))
            plain = PlainApplication(env=plain_env)
            with WalHighWater(path) as wal:  # ihanoi's own file: the others write beside it
                ours, through_save, theirs = interleaved_rates(
                    functools.partial(ihanoi_mix, app),
                    functools.partial(ihanoi_mix, saving),
                    functools.partial(plain_mix, plain),
                )
            for opened in (app, saving, plain):
                opened.close()
        target = 3000 if synchronous == "NORMAL" else None
        figures += [
            Figure(
                f"SQLite {synchronous}: ihanoi commands/s (1 client)",
                ours,
                "cmd/s",
                "raw insert transactions/s",
                ceiling,
                target,
            ),
            Figure(
                f"SQLite {synchronous}: plain eventsourcing saves/s",
                theirs,
                "saves/s",
                "raw insert transactions/s",
                ceiling,
            ),
            Figure(
                f"SQLite {synchronous}: ihanoi vs plain eventsourcing",
                ours,
                "cmd/s",
                "plain eventsourcing saves/s",
                theirs,
            ),
            Figure(
                f"SQLite {synchronous}: ihanoi vs saving through Application.save",
                ours,
                "cmd/s",
                "the same commands via Application.save",
                through_save,
            ),
            wal.figure(f"SQLite {synchronous}: ihanoi commands"),
        ]
    with postgres_database() as url:
        ceiling = postgres_raw_inserts(url, PG_CLIENTS)
        settings = Settings(database_url=url, postgres_pool_size=PG_CLIENTS, pii_master_key=MASTER_KEY)
        app = Ihanoi(settings)
        ours = concurrent_rate(lambda: ihanoi_mix(app), PG_CLIENTS)
        app.close()
        plain = PlainApplication(env={**eventsourcing_env(settings), "POSTGRES_ENABLE_DB_FUNCTIONS": "n"})
        theirs = concurrent_rate(lambda: plain_mix(plain), PG_CLIENTS)
        plain.close()
    figures += [
        Figure(
            f"PostgreSQL ihanoi commands/s ({PG_CLIENTS} clients)",
            ours,
            "cmd/s",
            "raw insert transactions/s",
            ceiling,
            1200,
        ),
        Figure(
            f"PostgreSQL plain eventsourcing saves/s ({PG_CLIENTS} clients)",
            theirs,
            "saves/s",
            "raw insert transactions/s",
            ceiling,
        ),
        Figure("PostgreSQL ihanoi vs plain eventsourcing", ours, "cmd/s", "plain eventsourcing saves/s", theirs),
    ]
    print_figures("Write side", figures)
    return figures


if __name__ == "__main__":
    run()
