"""Deadline watcher throughput (issue #16), SQLite store, with 1,000,000
running clocks in the read model.

Figures, each beside a ceiling measured in the same run:

- **due times**: 60-working-day due times per second on the Hanoi calendar,
  beside 60-calendar-day due times (a date addition and a working-day check);
  it replaces a unit test that timed the same computation;
- **planning**: a watcher round's pass over 1,000,000 running clocks of which
  10,000 have all their thresholds passed (``Watcher.due``: the indexed SELECT
  of ``deadline_clocks``, then each row's pending thresholds, sorted into
  firing order), in due clocks/s, against a bare ``SELECT *`` of the same rows
  through the same connection: the index keeps a round's cost to the clocks
  that are due, however many run;
- **firing**: thresholds recorded per second end to end (load the case, decide,
  save the event, refresh the read model) for 500 real overdue reports (seven
  thresholds each: the ward's four, then the city's three as co-owner) among
  the 1,000,000 clocks, against the same bare SELECT
  rate of those 500 rows;
- **memory**: how much the firing round grew the process's resident size,
  and its peak resident size, printed beside the figures: the watcher holds
  one batch of due rows, never the 1,000,000.

The 1,000,000 clocks are rows written straight into the read model in bulk
(``executemany`` in chunks, one transaction; no cases behind them): they
measure the scan and the table's size, not the commands. Seeding takes some
seconds; the whole bench stays well under three minutes.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from uuid import uuid4

from benchmarks.common import Figure, print_figures, rate, sqlite_file
from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.reports import SubmitReport
from ihanoi_core.commands.values import LocationIn
from ihanoi_core.directory import load_directory
from ihanoi_core.domain.values import Clock, DeadlineRule, Principal, Role, TimeUnit
from ihanoi_core.law.calendar import WorkingCalendar
from ihanoi_core.settings import Settings
from ihanoi_projections.deadlines.clocks import COLUMNS, DeadlineClocksModel
from ihanoi_projections.deadlines.watcher import Watcher
from ihanoi_projections.engine.base import micros
from ihanoi_projections.read_side import ReadSide
from ihanoi_server.logging import configure_logging

CLOCKS = 1_000_000
DUE = 10_000
CHUNK = 50_000
CASES = 500
FILED = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # Monday 09:00 in Hanoi
LATER = datetime(2026, 12, 11, 2, 0, tzinfo=UTC)  # two weeks on: every threshold passed
WHERE = LocationIn(ward="HOAN_KIEM", latitude=21.0285, longitude=105.8542, address="Phố Hàng Bài")


def synthetic_rows(first: int, count: int) -> Iterator[tuple[object, ...]]:
    """Clocks filed at ``FILED``; the first ``DUE`` of all are due by ``LATER``
    (every threshold passed), the others a year later (none passed)."""
    hour = 3_600_000_000
    filed = micros(FILED)
    assert filed is not None
    for n in range(first, first + count):
        start = filed if n < DUE else filed + 365 * 24 * hour
        yield (f"{n}#bench-{n}", str(uuid4()), "main", "report", f"PA-261130-{n:07d}", "UBND_HOAN_KIEM", None,
               f"bench-{n}", start, start + 8 * hour, start + 6 * hour, start + 7 * hour, start + 24 * hour,
               "reminder_share", start + 6 * hour + n, 0, None)  # fmt: skip


def seed_clocks(read_side: ReadSide) -> None:
    placeholders = ", ".join("?" * len(COLUMNS))
    insert = f"INSERT INTO view_running_clocks ({', '.join(COLUMNS)}) VALUES ({placeholders})"
    with read_side.database.transaction() as cursor:
        for first in range(0, CLOCKS, CHUNK):
            cursor.executemany(insert, list(synthetic_rows(first, CHUNK)))


def select_rate(read_side: ReadSide, count: int) -> float:
    started = time.perf_counter()
    rows = read_side.database.query("SELECT * FROM view_running_clocks ORDER BY next_at, clock_id LIMIT ?", [count])
    assert len(rows) == count
    return count / (time.perf_counter() - started)


def planning(read_side: ReadSide, app: Ihanoi) -> tuple[float, float]:
    model = read_side.model(DeadlineClocksModel)
    watcher = Watcher(app, model, lambda _p: None, clock=lambda: LATER, batch_size=DUE)
    ceiling = select_rate(read_side, DUE)
    started = time.perf_counter()
    due = watcher.due(LATER)
    planned = DUE / (time.perf_counter() - started)
    assert len(due) == 4 * DUE
    return planned, ceiling


def resident_mb() -> float:
    """The process's resident memory now (Linux), in MB."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def firing(read_side: ReadSide, app: Ihanoi, now: list[datetime]) -> tuple[float, float, float]:
    """Thresholds fired per second, the bare SELECT ceiling, how much the round grew the resident MB."""
    with read_side.database.transaction() as cursor:  # the synthetic due clocks out of the way
        cursor.execute("UPDATE view_running_clocks SET next_at = next_at + ? WHERE next_at <= ?",
                       [400 * 24 * 3_600_000_000, micros(LATER)])  # fmt: skip
    citizen = Principal("vneid:bench-deadlines", Role.CITIZEN)
    for _ in range(CASES):
        app.handle(citizen, SubmitReport(category="pothole", description="Ổ gà", location=WHERE))
    read_side.catch_up()
    now[0] = LATER
    watcher = Watcher(app, read_side.model(DeadlineClocksModel), lambda _p: read_side.catch_up())
    ceiling = select_rate(read_side, CASES)
    before = resident_mb()
    started = time.perf_counter()
    fired = watcher.run_once()
    rate = len(fired) / (time.perf_counter() - started)
    grown = resident_mb() - before
    assert len(fired) == 7 * CASES  # the ward's four thresholds, then the city's three as co-owner
    return rate, ceiling, grown


def million() -> tuple[float, float, float, float, float, float]:
    """Planning and firing with ``CLOCKS`` clocks in the read model; seeding time too."""
    with sqlite_file() as path:
        settings = Settings(database_url=f"sqlite:///{path}", env="test")
        now = [FILED]
        app = Ihanoi(settings, clock=lambda: now[0])
        read_side = ReadSide(app, settings, names=[DeadlineClocksModel.name], start=False)
        try:
            read_side.catch_up()
            started = time.perf_counter()
            seed_clocks(read_side)
            seeded = time.perf_counter() - started
            planned, scan_ceiling = planning(read_side, app)
            fired, fire_ceiling, peak = firing(read_side, app, now)
        finally:
            read_side.close()
            app.close()
    return planned, scan_ceiling, fired, fire_ceiling, peak, seeded


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
    planned, scan_ceiling, fired, fire_ceiling, grown, seeded = million()
    dues, calendar_dues = due_times()
    print_figures(
        f"Deadline watcher (SQLite, {CLOCKS:,} running clocks)",
        [
            Figure("due time of 60 working days", dues, "dues/s", "due time of 60 calendar days", calendar_dues),
            Figure(
                f"round over {CLOCKS:,} clocks, {DUE:,} due", planned, "clocks/s", "bare SELECT of the due rows",
                scan_ceiling,
            ),
            Figure(
                f"thresholds fired ({CASES} overdue reports)", fired, "timers/s", "bare SELECT of the rows",
                fire_ceiling,
            ),
        ],
    )  # fmt: skip
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  memory: the firing round grew the resident size by {grown:,.1f} MB; process peak RSS {rss:,.0f} MB"
          f" with {CLOCKS:,} clocks in the read model (seeded in bulk in {seeded:,.1f} s)")  # fmt: skip


if __name__ == "__main__":
    run()
