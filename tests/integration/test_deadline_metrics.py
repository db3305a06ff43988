"""The deadline watcher's metrics (issue #16): clocks watched by track,
thresholds fired by kind, the lag of the oldest passed threshold, rounds — as
numbers and as Prometheus metrics. Same scenario as the weekend test of
test_deadline_watcher: a report filed Friday 2026-12-04 14:00 passes its 75 %
reminder Monday 12-07 11:00, its last hour at 12:00, its due time at 14:00."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.reports import SubmitReport
from ihanoi_core.domain.values import Principal
from ihanoi_projections.deadlines.clocks import DeadlineClocksModel
from ihanoi_projections.deadlines.metrics import WatcherMetrics
from ihanoi_projections.deadlines.watcher import Watcher
from ihanoi_projections.read_side import ReadSide
from tests.conftest import FakeClock
from tests.integration.test_deadline_watcher import HOAN_KIEM, hanoi, read_side  # noqa: F401


def test_the_watcher_counts_what_it_watches_fires_and_lags(
    app: Ihanoi,
    clock: FakeClock,
    citizen: Principal,
    read_side: ReadSide,  # noqa: F811
) -> None:
    registry = CollectorRegistry()
    metrics = WatcherMetrics(registry)
    read_side.catch_up()
    watcher = Watcher(
        app, read_side.model(DeadlineClocksModel), lambda _p: read_side.catch_up(), clock=clock, metrics=metrics
    )
    clock.set(hanoi(2026, 12, 4, 14))
    app.handle(citizen, SubmitReport(category="pothole", description="Ổ gà", location=HOAN_KIEM))
    read_side.catch_up()

    # Step: on Monday 12:30 two thresholds have passed, the oldest 1 h 30 min ago.
    clock.set(hanoi(2026, 12, 7, 12, 30))
    assert watcher.lag_seconds() == 5400.0
    assert len(watcher.run_once()) == 2
    assert (metrics.fired, metrics.watched, metrics.lag_seconds, metrics.rounds) == (
        {"reminder_share": 1, "reminder_last_hour": 1},
        {"main": 1, "escalated": 0, "forwarded": 0},
        0.0,
        1,
    )
    # Step: the same round again records nothing and counts nothing more.
    watcher.run_once()
    assert (sum(metrics.fired.values()), metrics.rounds) == (2, 2)

    # Step: Prometheus says the same.
    text = generate_latest(registry).decode()
    assert 'ihanoi_deadline_thresholds_fired_total{threshold="reminder_share"} 1.0' in text
    assert 'ihanoi_deadline_clocks_watched{track="main"} 1.0' in text
    assert "ihanoi_deadline_lag_seconds 0.0" in text
    assert "ihanoi_deadline_rounds_total 2.0" in text
