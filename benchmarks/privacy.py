"""The cost of privacy: write and rebuild throughput with personal fields
sealed (docs/privacy.md) beside the same work on an application that does not
seal them (``seals_personal_data = False``), measured in the same run, as a
ratio (1.00 = free).

Writes: a report's life (submit with the reporter's contact, acknowledge,
assign, resolve) by citizens drawn from a few hundred subjects, so new data
keys are made along the way, on SQLite (one client) and PostgreSQL (eight).
Rebuilds: ``ihanoi projections rebuild`` (every read model but the audit
chain) in one process, and the decode-and-replay floor under it, over a
simulated month written once each way.
"""

from __future__ import annotations

import functools
import itertools
from datetime import UTC, datetime

from benchmarks.common import MASTER_KEY, Figure, concurrent_rate, postgres_database, print_figures, rate, sqlite_file
from benchmarks.read_side import decode_and_replay_rate, rebuild_rate
from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.reports import AcknowledgeReport, AssignReport, ResolveReport, SubmitReport
from ihanoi_core.commands.values import ContactIn, LocationIn
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.settings import Settings
from ihanoi_core.simulation import SimulatedClock, simulate

PG_CLIENTS = 8
SUBJECTS = 300
DAYS = 30
LOCATION = LocationIn(ward="HOAN_KIEM", latitude=21.03, longitude=105.85)
CONTACT = ContactIn(name="Nguyễn Thị Hoa", phone="0912345678", email="hoa@example.vn")


class Unsealed(Ihanoi):
    """The same application, storing personal fields in clear."""

    seals_personal_data = False


def report_life(app: Ihanoi, subjects: itertools.count[int]) -> int:
    citizen = Principal(f"vneid:bench-{next(subjects) % SUBJECTS}", Role.CITIZEN)
    officer = Principal("officer-bench", Role.OFFICER, app.directory.route("pothole", "HOAN_KIEM").code)
    filed = app.handle(
        citizen, SubmitReport(category="pothole", description="Ổ gà trước số 12", location=LOCATION, contact=CONTACT)
    )
    app.handle(officer, AcknowledgeReport(case=filed.case_id))
    app.handle(officer, AssignReport(case=filed.case_id, assignee="officer-bench"))
    app.handle(officer, ResolveReport(case=filed.case_id, answer="Đã vá"))
    return 4


def write_rate(kind: type[Ihanoi], settings: Settings, clients: int = 1) -> float:
    """Commands/s of ``kind`` on a fresh store."""
    app = kind(settings)
    try:
        work = functools.partial(report_life, app, itertools.count())
        return rate(work) if clients == 1 else concurrent_rate(work, clients)
    finally:
        app.close()


def sqlite_write_rate(kind: type[Ihanoi]) -> float:
    with sqlite_file() as path:
        return write_rate(kind, Settings(database_url=f"sqlite:///{path}", pii_master_key=MASTER_KEY))


def postgres_write_rate(kind: type[Ihanoi]) -> float:
    with postgres_database() as url:
        settings = Settings(database_url=url, postgres_pool_size=PG_CLIENTS, pii_master_key=MASTER_KEY)
        return write_rate(kind, settings, PG_CLIENTS)


def populated(kind: type[Ihanoi], settings: Settings) -> int:
    clock = SimulatedClock(datetime(2026, 10, 5, 1, 0, tzinfo=UTC))
    app = kind(settings, clock=clock)
    try:
        summary = simulate(
            app, clock, seed=11, days=DAYS, reports_per_day=60, complaints_per_day=10, dossiers_per_day=45,
            surveys=2, answers_per_survey=200,
        )  # fmt: skip
        return summary.events
    finally:
        app.close()


def run() -> list[Figure]:
    sealed_write, clear_write = sqlite_write_rate(Ihanoi), sqlite_write_rate(Unsealed)
    sealed_pg, clear_pg = postgres_write_rate(Ihanoi), postgres_write_rate(Unsealed)
    with sqlite_file() as path:
        clear_path = path.with_name("clear.db")
        sealed_store = Settings(database_url=f"sqlite:///{path}", env="test")
        clear_store = Settings(database_url=f"sqlite:///{clear_path}", env="test")
        events = populated(Ihanoi, sealed_store)
        populated(Unsealed, clear_store)
        sealed_floor = max(decode_and_replay_rate(sealed_store) for _ in range(3))
        clear_floor = max(decode_and_replay_rate(clear_store) for _ in range(3))
        sealed_rebuild = max(rebuild_rate(sealed_store, jobs=1)[0] for _ in range(2))
        clear_rebuild = max(rebuild_rate(clear_store, jobs=1)[0] for _ in range(2))
    figures = [
        Figure("SQLite commands/s, personal fields sealed", sealed_write, "cmd/s", "same, not sealed", clear_write),
        Figure(
            f"PostgreSQL commands/s ({PG_CLIENTS} clients), sealed", sealed_pg, "cmd/s", "same, not sealed", clear_pg
        ),
        Figure(
            f"SQLite rebuild, 1 process, sealed ({events:,} ev)",
            sealed_rebuild, "events/s", "same, not sealed", clear_rebuild,
        ),
        Figure("SQLite read + decode + replay, sealed", sealed_floor, "events/s", "same, not sealed", clear_floor),
    ]  # fmt: skip
    print_figures("The cost of privacy (sealed / not sealed)", figures)
    return figures


if __name__ == "__main__":
    run()
