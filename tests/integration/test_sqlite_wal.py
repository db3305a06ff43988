"""The SQLite write-ahead logs stay bounded under sustained load.

Four threads create reports through the application for a few seconds (and,
in the mixed run, the read models are projected and read at the same time)
while a sampler reads the size of the event store's and the views database's
``-wal`` files every 10 ms. Both stay under the bound
(``IHANOI_SQLITE_WAL_LIMIT_MB``: the smallest it may be, 16 MB, for the
creates alone; the default, 64 MB, for the mixed run), and closing the
application truncates them. Before the bound was kept (PASSIVE checkpoints
only) four threads grew the event store's log past 1 GB in 15 seconds.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.reports import SubmitReport
from ihanoi_core.commands.values import LocationIn
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import ConfigurationError
from ihanoi_core.eventstore.wal import WalKeeper
from ihanoi_core.settings import Settings
from ihanoi_core.settings.checks import MIN_SQLITE_WAL_LIMIT_MB
from ihanoi_projections.case_status import CaseStatusModel
from ihanoi_projections.public_reports import PublicReportsModel
from ihanoi_projections.read_side import ReadSide
from tests.wal import MB, WalSampler, run_for, wal_size

pytestmark = pytest.mark.slow

SECONDS = 10
WRITERS = 4
BOUND = Settings().sqlite_wal_limit_mb * MB  # the documented default, 64 MB


def citizen(n: int) -> Principal:
    return Principal(f"vneid:0010990{n:05d}", Role.CITIZEN)


def creating(app: Ihanoi, n: int, created: list[int]) -> Callable[[threading.Event], None]:
    def create(stop: threading.Event) -> None:
        while not stop.is_set():
            app.handle(
                citizen(n),
                SubmitReport(
                    category="pothole", description="Ổ gà trước số 12 Hàng Bài", location=LocationIn("HOAN_KIEM")
                ),
            )
            created[n] += 1

    return create


def test_sustained_creates_keep_the_write_ahead_log_under_the_smallest_bound(tmp_path: Path) -> None:
    store = tmp_path / "ihanoi.db"
    limit = MIN_SQLITE_WAL_LIMIT_MB
    app = Ihanoi(Settings(database_url=f"sqlite:///{store}", env="test", sqlite_wal_limit_mb=limit))
    created = [0] * WRITERS
    # Step: four threads create reports for five seconds, and on until 2,000, while the WAL is sampled.
    # Unkept, the log grows some 40 KB a report: 2,000 would take it to five times the limit.
    with WalSampler(store) as sampler:
        run_for(5, *(creating(app, n, created) for n in range(WRITERS)), until=lambda: sum(created) > 2000)
    assert sum(created) > 2000, created
    assert sampler.samples > 100
    assert sampler.high_water[store] < limit * MB, f"{sum(created)} creates: {sampler.report()}"
    # Step: closing the application truncates the log.
    app.close()
    assert wal_size(store) == 0


def test_mixed_load_keeps_both_write_ahead_logs_under_the_bound(tmp_path: Path) -> None:
    store = tmp_path / "ihanoi.db"
    views = tmp_path / "ihanoi.views.db"
    settings = Settings(database_url=f"sqlite:///{store}", env="test")
    app = Ihanoi(settings)
    read_side = ReadSide(app, settings)
    created = [0] * WRITERS
    reads = [0]

    def read(stop: threading.Event) -> None:
        public_reports = read_side.model(PublicReportsModel)
        case_status = read_side.model(CaseStatusModel)
        while not stop.is_set():
            public_reports.search(limit=20)
            for row in case_status.list_for_owner(citizen(0).subject, limit=5):
                app.get_case(citizen(0), row.case_id)
            reads[0] += 1

    # Step: creates, reads of the read models and of cases, and the projector, all at once.
    with WalSampler(store, views) as sampler:

        def enough() -> bool:
            return sum(created) > 1000 and reads[0] > 100

        run_for(SECONDS, *(creating(app, n, created) for n in range(WRITERS)), read, read, until=enough)
        # Step: the projector catches up with what was created.
        assert read_side.wait(app.head_position(), timeout=60)
    summary = f"{sum(created)} creates, {reads[0]} reads: {sampler.report()}"
    assert sum(created) > 1000, summary
    assert reads[0] > 100, summary
    assert sampler.high_water[store] < BOUND, summary
    assert sampler.high_water[views] < BOUND, summary
    # Step: closing the read side and the application truncates both logs.
    read_side.close()
    app.close()
    assert wal_size(store) == 0
    assert wal_size(views) == 0


def test_a_reader_holding_a_transaction_open_delays_the_truncation_until_it_lets_go(tmp_path: Path) -> None:
    store = tmp_path / "ihanoi.db"
    limit = MIN_SQLITE_WAL_LIMIT_MB * MB
    app = Ihanoi(Settings(database_url=f"sqlite:///{store}", env="test", sqlite_wal_limit_mb=MIN_SQLITE_WAL_LIMIT_MB))
    create = creating(app, 0, [0])
    app.handle(citizen(0), SubmitReport(category="pothole", description="Ổ gà", location=LocationIn("HOAN_KIEM")))
    # Step: another connection opens a read transaction on the log as it is now, and keeps it.
    reader = sqlite3.connect(store, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM stored_events").fetchall()
    # Step: commands go on past the limit (however fast this machine writes:
    # until the log has grown a fifth beyond it, for at most 20 s); none waits
    # more than the keeper's patience.
    slowest = 0.0
    deadline = time.monotonic() + 20
    while wal_size(store) < 1.2 * limit and time.monotonic() < deadline:
        started = time.monotonic()
        run_for(0.05, create)
        slowest = max(slowest, time.monotonic() - started)
    held_up = wal_size(store)
    assert held_up > limit
    assert slowest < 1.5
    # Step: once the reader lets go, the next round truncates the log.
    reader.execute("COMMIT")
    deadline = time.monotonic() + 3
    while wal_size(store) >= held_up and time.monotonic() < deadline:
        time.sleep(0.05)
    assert wal_size(store) < 1 * MB
    reader.close()
    app.close()


class FailingTwice(sqlite3.Connection):
    """A connection whose first two checkpoints fail, as a disk error would."""

    failures = 0

    def execute(self, sql: str, parameters: object = (), /) -> sqlite3.Cursor:
        if "wal_checkpoint" in sql and FailingTwice.failures < 2:
            FailingTwice.failures += 1
            raise sqlite3.OperationalError("disk I/O error")
        return super().execute(sql, parameters)  # type: ignore[arg-type]


def test_a_failed_checkpoint_does_not_stop_the_keeper(tmp_path: Path) -> None:
    database = tmp_path / "table.db"
    writer = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("CREATE TABLE blobs (data BLOB)")
    lock = threading.Lock()
    keeper = WalKeeper(str(database), lambda: sqlite3.connect(database, factory=FailingTwice), lock, 4 * MB).start()
    # Step: a writer grows the log past the truncation threshold while the first checkpoints fail.
    for _ in range(40):
        with lock:
            writer.execute("INSERT INTO blobs VALUES (randomblob(65536))")
    assert wal_size(database) > 1 * MB
    # Step: the keeper tries again after its pause (twice ``RETRY_AFTER``) and
    # truncates the log; the deadline allows for a loaded machine.
    deadline = time.monotonic() + 15
    while keeper.truncations == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert FailingTwice.failures == 2
    assert keeper.truncations >= 1
    keeper.close()
    writer.close()


def test_the_wal_limit_is_read_from_the_environment_and_must_be_at_least_16_mb() -> None:
    assert Settings.from_env({"IHANOI_SQLITE_WAL_LIMIT_MB": "256"}, dotenv=None).sqlite_wal_limit_mb == 256
    assert Settings.from_env({}, dotenv=None).sqlite_wal_limit_mb == 64
    with pytest.raises(ConfigurationError, match="IHANOI_SQLITE_WAL_LIMIT_MB"):
        Settings.from_env({"IHANOI_SQLITE_WAL_LIMIT_MB": "8"}, dotenv=None)
    assert Settings.from_env({"IHANOI_SQLITE_WAL_LIMIT_MB": "16"}, dotenv=None).sqlite_wal_limit_mb == 16
    with pytest.raises(ConfigurationError, match="IHANOI_SQLITE_WAL_LIMIT_MB"):
        Settings.from_env({"IHANOI_SQLITE_WAL_LIMIT_MB": "lots"}, dotenv=None)
