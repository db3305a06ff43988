"""Pacing and counting a dispatcher's sends: a token bucket per channel
(``RateLimit``, ``notify_rate_per_second``) and the outcomes it counts
(``Counters``, Prometheus counters on the worker's ``/metrics`` when a
registry is given).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RateLimit:
    """A token bucket per channel: at most ``rate`` sends a second, bursts of one second's worth."""

    rate: float
    sleep: Callable[[float], None] = time.sleep
    _tokens: dict[str, tuple[float, float]] = field(default_factory=dict)

    def take(self, channel: str) -> None:
        now = time.monotonic()
        tokens, at = self._tokens.get(channel, (self.rate, now))
        tokens = min(self.rate, tokens + (now - at) * self.rate)
        if tokens < 1:
            wait = (1 - tokens) / self.rate
            self.sleep(wait)
            now += wait
            tokens = 1.0
        self._tokens[channel] = (tokens - 1, now)


@dataclass
class Counters:
    """What a dispatcher counts; Prometheus counters when a registry is given."""

    registry: Any = None
    outcomes: dict[tuple[str, str], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._counter = self._latency = None
        if self.registry is not None:
            from prometheus_client import Counter, Histogram

            self._counter = Counter(
                "ihanoi_notifications", "Notice delivery outcomes", ("channel", "outcome"), registry=self.registry
            )
            self._latency = Histogram(
                "ihanoi_notification_delivery_seconds",
                "From the event to the notice's delivery",
                ("channel",),
                buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 6 * 3600),
                registry=self.registry,
            )

    def count(self, channel: str, outcome: str, latency: float | None = None) -> None:
        self.outcomes[(channel, outcome)] = self.outcomes.get((channel, outcome), 0) + 1
        if self._counter is not None:
            self._counter.labels(channel, outcome).inc()
        if self._latency is not None and latency is not None:
            self._latency.labels(channel).observe(latency)
