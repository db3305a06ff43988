"""Public results figures, on SQLite, over a simulated month of field reports:

- building ``public_results`` from zero (events/s), beside the raw ``SELECT``
  rows/s of the same event table read the same way, measured in the same run
  (decoding, replaying onto replicas and writing the rows is the difference);
- ``/public/stats`` answers (queries/s) for the month by ward, under the
  minimum-volume rule, beside the bare ``SELECT`` of the same fact rows it
  reads: the ratio is what tallying, percentiles and suppression cost.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from benchmarks.common import Figure, print_figures, rate, sqlite_file
from benchmarks.read_side import raw_select_rate
from ihanoi_core.application import Ihanoi
from ihanoi_core.eventstore.urls import sqlite_path
from ihanoi_core.settings import Settings
from ihanoi_core.simulation import SimulatedClock, simulate
from ihanoi_projections.engine.base import ProjectionContext, micros
from ihanoi_projections.engine.database import open_view_database
from ihanoi_projections.engine.projector import Projector
from ihanoi_projections.public_results.facts import FACTS
from ihanoi_projections.public_results.figures import PublicResultsModel

DAYS = 30
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
MONTH = (datetime(2026, 11, 1, tzinfo=HANOI), datetime(2026, 12, 1, tzinfo=HANOI))


def populate(settings: Settings) -> int:
    clock = SimulatedClock(datetime(2026, 10, 31, 17, 0, tzinfo=UTC))
    app = Ihanoi(settings, clock=clock)
    try:
        summary = simulate(
            app, clock, seed=13, days=DAYS, reports_per_day=80, complaints_per_day=0, dossiers_per_day=0,
            surveys=0, answers_per_survey=0,
        )  # fmt: skip
        return summary.events
    finally:
        app.close()


def run() -> list[Figure]:
    with sqlite_file() as path:
        settings = Settings(database_url=f"sqlite:///{path}", env="test")
        events = populate(settings)
        raw = max(raw_select_rate(Path(sqlite_path(settings.database_url))) for _ in range(3))
        app = Ihanoi(settings)
        views = open_view_database(settings)
        try:
            model = PublicResultsModel(views, ProjectionContext(app.directory, app.calendar, b"bench"))
            projector = Projector(app, views, [model])
            builds = []
            for _ in range(3):
                projector.reset()
                started = time.perf_counter()
                applied = projector.catch_up()
                builds.append(applied / (time.perf_counter() - started))
            reports = len(views.query(f"SELECT case_id FROM {FACTS}"))

            def stats() -> int:
                model.stats(period_start=MONTH[0], period_end=MONTH[1], group_by="ward", min_count=10)
                return 1

            def bare_select() -> int:
                views.query(
                    f"SELECT ward, resolve_seconds, resolved_on_time, rating FROM {FACTS}"
                    " WHERE received_at >= ? AND received_at < ?",
                    (micros(MONTH[0]), micros(MONTH[1])),
                )
                return 1

            answers = rate(stats)
            ceiling = rate(bare_select)
        finally:
            views.close()
            app.close()
    figures = [
        Figure(
            "SQLite build of public_results", max(builds), "events/s", "raw SELECT rows/s of the event table", raw,
        ),
        Figure(
            f"/public/stats by ward, a month ({reports:,} reports)", answers, "queries/s",
            "bare SELECT of the same fact rows", ceiling,
        ),
    ]  # fmt: skip
    print_figures(f"Public results ({DAYS} simulated days, {events:,} events)", figures)
    return figures


if __name__ == "__main__":
    run()
