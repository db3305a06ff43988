"""Deadline watcher throughput (issue #16), SQLite store.

Three figures, each beside a ceiling measured in the same run:

- **due times**: 60-working-day due times per second on the Hanoi calendar,
  beside 60-calendar-day due times (a date addition and a working-day check);
  it replaces a unit test that timed the same computation;
- **planning**: the watcher's pass over 100,000 running clocks whose thresholds
  have all passed (``Watcher.due``: the indexed SELECT of ``deadline_clocks``,
  then each row's pending thresholds, sorted into firing order), in clocks/s,
  against a bare ``SELECT *`` of the same rows through the same connection;
- **firing**: thresholds recorded per second end to end (load the case, decide,
  save the event, refresh the read model) for 500 real overdue reports (four
  thresholds each), against the same bare SELECT rate of those 500 rows.

The clocks of the planning figure are rows written straight into the read
model (no cases behind them): it measures the scan, not the commands.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from uuid import uuid4

from benchmarks.common import Figure, print_figures, rate, sqlite_file
from ihanoi_core.application import Ihanoi
from ihanoi_core.calendar import WorkingCalendar
from ihanoi_core.commands.reports import SubmitReport
from ihanoi_core.commands.values import LocationIn
from ihanoi_core.directory import load_directory
from ihanoi_core.domain.values import Clock, DeadlineRule, Principal, Role, TimeUnit
from ihanoi_core.settings import Settings
from ihanoi_projections.base import micros
from ihanoi_projections.deadlines.clocks import COLUMNS, DeadlineClocksModel
from ihanoi_projections.deadlines.watcher import Watcher
from ihanoi_projections.read_side import ReadSide
from ihanoi_server.logging import configure_logging

CLOCKS = 100_000
CASES = 500
FILED = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # Monday 09:00 in Hanoi
LATER = datetime(2026, 12, 11, 2, 0, tzinfo=UTC)  # two weeks on: every threshold passed
WHERE = LocationIn(ward="HOAN_KIEM", latitude=21.0285, longitude=105.8542, address="Phố Hàng Bài")


def synthetic_rows(count: int) -> list[tuple[object, ...]]:
    start = micros(FILED)
    assert start is not None
    hour = 3_600_000_000
    return [
        (f"{n}#bench-{n}", str(uuid4()), "main", "report", f"PA-261130-{n:06d}", "UBND_HOAN_KIEM", None, f"bench-{n}",
         start, start + 8 * hour,
         start + 6 * hour, start + 7 * hour, start + 24 * hour, "reminder_share", start + 6 * hour + n, 0, None)
        for n in range(count)
    ]  # fmt: skip


def select_rate(read_side: ReadSide, count: int) -> float:
    started = time.perf_counter()
    rows = read_side.database.query("SELECT * FROM view_running_clocks ORDER BY next_at, clock_id LIMIT ?", [count])
    assert len(rows) == count
    return count / (time.perf_counter() - started)


def planning() -> tuple[float, float]:
    with sqlite_file() as path:
        settings = Settings(database_url=f"sqlite:///{path}", env="test")
        app = Ihanoi(settings, clock=lambda: LATER)
        read_side = ReadSide(app, settings, names=[DeadlineClocksModel.name], start=False)
        try:
            read_side.catch_up()
            placeholders = ", ".join("?" * len(COLUMNS))
            with read_side.database.transaction() as cursor:
                cursor.executemany(
                    f"INSERT INTO view_running_clocks ({', '.join(COLUMNS)}) VALUES ({placeholders})",
                    synthetic_rows(CLOCKS),
                )
            model = read_side.model(DeadlineClocksModel)
            watcher = Watcher(app, model, lambda _p: None, clock=lambda: LATER, batch_size=CLOCKS)
            ceiling = select_rate(read_side, CLOCKS)
            started = time.perf_counter()
            due = watcher.due(LATER)
            planned = CLOCKS / (time.perf_counter() - started)
            assert len(due) == 4 * CLOCKS
        finally:
            read_side.close()
            app.close()
    return planned, ceiling


def firing() -> tuple[float, float]:
    with sqlite_file() as path:
        settings = Settings(database_url=f"sqlite:///{path}", env="test")
        now = [FILED]
        app = Ihanoi(settings, clock=lambda: now[0])
        read_side = ReadSide(app, settings, names=[DeadlineClocksModel.name], start=False)
        try:
            citizen = Principal("vneid:bench-deadlines", Role.CITIZEN)
            for _ in range(CASES):
                app.handle(citizen, SubmitReport(category="pothole", description="Ổ gà", location=WHERE))
            read_side.catch_up()
            now[0] = LATER
            watcher = Watcher(app, read_side.model(DeadlineClocksModel), lambda _p: read_side.catch_up())
            ceiling = select_rate(read_side, CASES)
            started = time.perf_counter()
            fired = watcher.run_once()
            rate = len(fired) / (time.perf_counter() - started)
            assert len(fired) == 4 * CASES
        finally:
            read_side.close()
            app.close()
    return rate, ceiling


def due_times() -> tuple[float, float]:
    """60-working-day due times per second on the Hanoi calendar, beside due
    times of the same length in calendar days (one date addition and one
    working-day check): what skipping office days costs."""
    hanoi = load_directory().calendar
    calendar = WorkingCalendar(days_off=hanoi.days_off, working_days=hanoi.working_days)
    started = datetime(2026, 11, 2, 3, tzinfo=UTC)
    working = Clock(started, DeadlineRule(60, TimeUnit.WORKING_DAYS, "bench"))
    calendar_days = Clock(started, DeadlineRule(60, TimeUnit.CALENDAR_DAYS, "bench"))
    calendar.due(working)  # the years' holiday tables, loaded once

    def compute(clock: Clock) -> Callable[[], int]:
        def batch() -> int:
            for _ in range(100):
                calendar.due(clock)
            return 100

        return batch

    return rate(compute(working)), rate(compute(calendar_days))


def run() -> None:
    configure_logging("WARNING")  # not one line per threshold fired
    planned, scan_ceiling = planning()
    fired, fire_ceiling = firing()
    dues, calendar_dues = due_times()
    print_figures(
        "Deadline watcher (SQLite)",
        [
            Figure("due time of 60 working days", dues, "dues/s", "due time of 60 calendar days", calendar_dues),
            Figure(
                f"planning over {CLOCKS:,} running clocks", planned, "clocks/s", "bare SELECT of the rows", scan_ceiling
            ),
            Figure(
                f"thresholds fired ({CASES} overdue reports)",
                fired,
                "timers/s",
                "bare SELECT of the rows",
                fire_ceiling,
            ),
        ],
    )


if __name__ == "__main__":
    run()
