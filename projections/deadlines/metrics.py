"""What the deadline watcher counts (issue #16), as the notification
dispatcher does: plain numbers always (tests and ``ihanoi deadlines status``
read them), Prometheus metrics too when a registry is given (``ihanoi
deadlines run --metrics-port``):

- ``ihanoi_deadline_clocks_watched{track}`` (gauge): the running clocks, by
  track (``main``, ``escalated``, ``forwarded``), after each round;
- ``ihanoi_deadline_thresholds_fired_total{threshold}`` (counter): the
  thresholds this watcher recorded, by kind (a no-op — a mark already there —
  is not counted);
- ``ihanoi_deadline_lag_seconds`` (gauge): how long the oldest threshold that
  has passed and is not recorded yet has been waiting, after each round (0
  when none): a watcher that keeps up stays near 0;
- ``ihanoi_deadline_rounds_total`` (counter): rounds run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TRACKS = ("main", "escalated", "forwarded")


@dataclass
class WatcherMetrics:
    registry: Any = None
    watched: dict[str, int] = field(default_factory=dict)
    fired: dict[str, int] = field(default_factory=dict)
    lag_seconds: float = 0.0
    rounds: int = 0

    def __post_init__(self) -> None:
        self._watched = self._fired = self._lag = self._rounds = None
        if self.registry is not None:
            from prometheus_client import Counter, Gauge

            self._watched = Gauge(
                "ihanoi_deadline_clocks_watched",
                "Running clocks the watcher watches",
                ("track",),
                registry=self.registry,
            )
            self._fired = Counter(
                "ihanoi_deadline_thresholds_fired",
                "Thresholds the watcher recorded",
                ("threshold",),
                registry=self.registry,
            )
            self._lag = Gauge(
                "ihanoi_deadline_lag_seconds",
                "Age of the oldest passed threshold not recorded yet",
                registry=self.registry,
            )
            self._rounds = Counter("ihanoi_deadline_rounds", "Watcher rounds run", registry=self.registry)

    def count_fired(self, threshold: str) -> None:
        self.fired[threshold] = self.fired.get(threshold, 0) + 1
        if self._fired is not None:
            self._fired.labels(threshold).inc()

    def observe_round(self, watched: dict[str, int], lag_seconds: float) -> None:
        self.rounds += 1
        self.watched = {track: watched.get(track, 0) for track in TRACKS}
        self.lag_seconds = lag_seconds
        if self._watched is not None and self._lag is not None and self._rounds is not None:
            for track, count in self.watched.items():
                self._watched.labels(track).set(count)
            self._lag.set(lag_seconds)
            self._rounds.inc()
