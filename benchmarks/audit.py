"""Audit figures: ``audit verify`` over the whole log (events/s), beside the raw
``SELECT`` rows/s of the same event table read in the same pages, in the same
run, on SQLite. The log is a simulated city month, chained once beforehand."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.common import Figure, print_figures, sqlite_file
from benchmarks.read_side import raw_select_rate
from ihanoi_core.application import Ihanoi
from ihanoi_core.audit.chain import PAGE_SIZE
from ihanoi_core.eventstore.urls import sqlite_path
from ihanoi_core.settings import Settings
from ihanoi_core.simulation import SimulatedClock, simulate
from ihanoi_projections.audit_chain import bring_chain_up_to_date, verify_store
from ihanoi_projections.engine.database import open_view_database

DAYS = 40


def run() -> list[Figure]:
    with sqlite_file() as path:
        settings = Settings(database_url=f"sqlite:///{path}", env="test")
        clock = SimulatedClock(datetime(2026, 9, 7, 1, 0, tzinfo=UTC))
        app = Ihanoi(settings, clock=clock)
        simulate(
            app, clock, seed=3, days=DAYS, reports_per_day=60, complaints_per_day=10, dossiers_per_day=45,
            surveys=2, answers_per_survey=200,
        )  # fmt: skip
        database = open_view_database(settings)
        try:
            bring_chain_up_to_date(app, database)
            rates = []
            for _ in range(3):
                started = time.perf_counter()
                report = verify_store(app, database)
                assert report.ok, report.problems
                rates.append(report.checked / (time.perf_counter() - started))
            raw = max(raw_select_rate(Path(sqlite_path(settings.database_url)), PAGE_SIZE) for _ in range(3))
        finally:
            database.close()
            app.close()
    figures = [
        Figure(
            f"SQLite audit verify ({report.checked:,} events)", max(rates), "events/s",
            "raw SELECT rows/s of the event table", raw, 50000,
        )
    ]  # fmt: skip
    print_figures("Audit", figures)
    return figures


if __name__ == "__main__":
    run()
