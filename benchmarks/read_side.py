"""Read-side figures: rebuilding the read models from zero (events/s) the way
``ihanoi projections rebuild`` does, beside the raw ``SELECT`` rows/s of the same
event table read the same way, in the same run, on SQLite; then the same
rebuild in one process, and with the audit chain (which ``rebuild`` leaves
alone unless named). The log is two simulated months of a city (all four
aggregates, about 40,000 events): long enough that starting the processes and
emptying the tables do not dominate the figure.

The 20,000 events/s target was set for the five read models of the first
release; they are timed alone, so the figure stays comparable from run to run
as the platform adds models. Every read model (what the command rebuilds today)
has its own line beside the part they all share (read, decode, replay).

PostgreSQL, the production store, gets the same pair of figures on a shorter
log (ten simulated days, about 6,000 events): every read model rebuilt, beside
the shared part and the raw ``SELECT`` of its event table, in the same run.
What an operator plans a rebuild by (docs/operations.md)."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from benchmarks.common import Figure, postgres_database, print_figures, sqlite_file
from ihanoi_core.application import Ihanoi
from ihanoi_core.eventstore.urls import postgres_conninfo, sqlite_path
from ihanoi_core.settings import Settings
from ihanoi_core.simulation import SimulatedClock, simulate
from ihanoi_projections.engine.rebuild import rebuild
from ihanoi_projections.read_side import KEPT_ON_REBUILD, READ_MODELS

DAYS = 60
POSTGRES_DAYS = 10
# The read models the 20,000 events/s target was set for (the first release's).
FIRST_FIVE = ["case_status", "worklist", "public_reports", "survey_results", "agency_dashboard"]


def populate(settings: Settings, days: int = DAYS) -> int:
    clock = SimulatedClock(datetime(2026, 10, 5, 1, 0, tzinfo=UTC))
    app = Ihanoi(settings, clock=clock)
    try:
        summary = simulate(
            app, clock, seed=11, days=days, reports_per_day=60, complaints_per_day=10, dossiers_per_day=45,
            surveys=2, answers_per_survey=200,
        )  # fmt: skip
        return summary.events
    finally:
        app.close()


def paged_rate(page_after: Callable[[int], list[Any]]) -> float:
    """Rows/s reading the whole event table in pages, as the projector does;
    ``page_after(n)`` is the page of rows after position ``n``, position first."""
    started = time.perf_counter()
    rows = last = 0
    while batch := page_after(last):
        rows += len(batch)
        last = batch[-1][0]
    return rows / (time.perf_counter() - started)


def raw_select_rate(path: Path, page: int = 2000) -> float:
    """``paged_rate`` of the SQLite file at ``path``."""
    sql = (
        "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events"
        " WHERE rowid > ? ORDER BY rowid LIMIT ?"
    )
    conn = sqlite3.connect(path)
    try:
        return paged_rate(lambda last: conn.execute(sql, (last, page)).fetchall())
    finally:
        conn.close()


def postgres_select_rate(settings: Settings, page: int = 2000) -> float:
    """``paged_rate`` of the PostgreSQL store of ``settings``."""
    app = Ihanoi(settings)
    table = app.recorder.events_table_name  # type: ignore[attr-defined]
    app.close()
    sql = (
        f"SELECT notification_id, originator_id, originator_version, topic, state FROM {table}"
        " WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
    )
    with psycopg.connect(postgres_conninfo(settings.database_url)) as conn:
        return paged_rate(lambda last: conn.execute(sql, (last, page)).fetchall())


def decode_and_replay_rate(settings: Settings) -> float:
    """Events/s for the part of a rebuild every read model shares, in one
    process: read the log, decode each event and apply it to its aggregate's
    replica."""
    app = Ihanoi(settings)
    try:
        replicas: dict[object, object] = {}
        started = time.perf_counter()
        count = last = 0
        while batch := app.recorder.select_notifications(start=last, limit=2000, inclusive_of_start=False):
            for notification in batch:
                event: Any = app.mapper.to_domain_event(notification)
                replicas[event.originator_id] = event.mutate(replicas.get(event.originator_id))
            count += len(batch)
            last = batch[-1].id
        return count / (time.perf_counter() - started)
    finally:
        app.close()


def rebuild_rate(settings: Settings, names: list[str] | None = None, jobs: int | None = None) -> tuple[float, int]:
    """What ``ihanoi projections rebuild [NAME…]`` does, timed from reset to caught up."""
    app = Ihanoi(settings)
    try:
        started = time.perf_counter()
        applied = rebuild(app, settings, names, jobs=jobs)
        return applied / (time.perf_counter() - started), applied
    finally:
        app.close()


def run() -> list[Figure]:
    with sqlite_file() as path:
        settings = Settings(database_url=f"sqlite:///{path}", env="test")
        events = populate(settings)
        raw = max(raw_select_rate(Path(sqlite_path(settings.database_url))) for _ in range(3))
        floor = max(decode_and_replay_rate(settings) for _ in range(3))
        five, applied = max(rebuild_rate(settings, FIRST_FIVE) for _ in range(3))
        rate, _ = max(rebuild_rate(settings) for _ in range(3))
        serial, _ = max(rebuild_rate(settings, jobs=1) for _ in range(3))
        chain, _ = max(rebuild_rate(settings, [*READ_MODELS], jobs=1) for _ in range(2))
    cores = os.cpu_count() or 1
    every = len(READ_MODELS) - len(KEPT_ON_REBUILD)
    figures = [
        Figure(
            f"SQLite rebuild, the first 5 read models ({applied:,} ev)", five, "events/s",
            "raw SELECT rows/s of the event table", raw, 20000,
        ),
        Figure(
            f"SQLite rebuild, all {every} read models, {cores} cores", rate, "events/s",
            "read + decode + replay only, one process", floor,
        ),
        Figure("  same, one process (--jobs 1)", serial, "events/s", "read + decode + replay only", floor),
        Figure(
            "  one process, with the audit chain", chain, "events/s", "read + decode + replay only", floor,
        ),
    ]  # fmt: skip
    print_figures(f"Read side ({DAYS} simulated days, {events:,} events)", figures)
    postgres = run_postgres()
    return figures + postgres


def run_postgres() -> list[Figure]:
    with postgres_database() as url:
        settings = Settings(database_url=url, env="test")
        events = populate(settings, POSTGRES_DAYS)
        raw = max(postgres_select_rate(settings) for _ in range(3))
        floor = max(decode_and_replay_rate(settings) for _ in range(3))
        rate, _ = max(rebuild_rate(settings) for _ in range(3))
        serial, _ = max(rebuild_rate(settings, jobs=1) for _ in range(3))
    cores = os.cpu_count() or 1
    every = len(READ_MODELS) - len(KEPT_ON_REBUILD)
    figures = [
        Figure(
            f"PostgreSQL rebuild, all {every} read models, {cores} cores", rate, "events/s",
            "read + decode + replay only, one process", floor,
        ),
        Figure("  same, one process (--jobs 1)", serial, "events/s", "read + decode + replay only", floor),
        Figure("  read + decode + replay only", floor, "events/s", "raw SELECT rows/s of the event table", raw),
    ]  # fmt: skip
    print_figures(f"Read side on PostgreSQL ({POSTGRES_DAYS} simulated days, {events:,} events)", figures)
    return figures


if __name__ == "__main__":
    run()
