"""The deadline watcher: a process manager driven by the clock (issue #16).

Each round reads the running clocks whose next threshold has passed
(``deadline_clocks``) and issues, for every threshold not yet recorded and
due by now, the command ``PassDeadlineThreshold(case, clock_key, threshold,
at)`` as the SYSTEM principal — oldest first. The command's identity is
deterministic: the case records a mark per (clock, threshold), so a threshold
already recorded makes it a no-op, and two watchers that race lose one write
to the store's optimistic concurrency (``ConflictError``, retried next round)
and find the mark on the retry. Hence exactly once, also after downtime: a
watcher down for two days finds every threshold that passed meanwhile and
fires each once, in the order they passed (strictly per case; across cases in
order within each batch of ``batch_size`` clocks).

``simulate(until)`` answers what a round at ``until`` would fire, without
firing it (``ihanoi deadlines simulate --until TIME``).

``run_watcher`` is the worker (``ihanoi deadlines run``): one active per store
on the projection workers' lock, the others hot standbys. It sleeps until the
next threshold (at most ``IHANOI_DEADLINE_POLL_SECONDS``) or until woken.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import structlog

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.deadlines import THRESHOLDS, PassDeadlineThreshold, Threshold
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import CaseNotFoundError, ConflictError, RuleViolationError
from ihanoi_core.settings import Settings
from ihanoi_projections.deadlines.clocks import DeadlineClocksModel
from ihanoi_projections.deadlines.metrics import WatcherMetrics
from ihanoi_projections.engine.base import from_micros, micros
from ihanoi_projections.engine.database import Row

log = structlog.get_logger("ihanoi.deadlines")

WATCHER = Principal("system:deadline-watcher", Role.SYSTEM)
LOCK_NAME = "deadline-watcher"
MAX_PASSES = 16
# The shortest sleep between rounds: a threshold whose command keeps failing
# (its row not yet refreshed) is retried, not spun on.
MIN_SLEEP_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Due:
    """A threshold that has passed and is not recorded yet (as the read model knows)."""

    at: datetime
    case_id: UUID
    code: str
    threshold: Threshold
    clock_key: str
    agency: str
    assignee: str | None


def pending(row: Row, until: datetime) -> list[Due]:
    """The thresholds of one clock row from its next one on, passed by ``until``."""
    if row["next_threshold"] is None:
        return []
    instants: dict[str, Any] = {
        "reminder_share": row["reminder_share_at"],
        "reminder_last_hour": row["reminder_last_hour_at"],
        "missed": row["due_at"],
        "escalation": row["escalation_at"],
    }
    ordered = sorted(
        (int(instants[name]), THRESHOLDS.index(name), name) for name in THRESHOLDS if instants[name] is not None
    )
    names = [name for _, _, name in ordered]
    start = names.index(row["next_threshold"])
    limit = micros(until)
    assert limit is not None
    found = []
    for at_micros, _, name in ordered[start:]:
        if at_micros > limit:
            break
        at = from_micros(at_micros)
        assert at is not None
        found.append(
            Due(
                at,
                UUID(row["case_id"]),
                row["code"],
                name,
                row["clock_key"],
                row["agency"],
                row["assignee"],
            )
        )
    return found


class Watcher:
    """Fires the passed thresholds of the running clocks; see the module docstring.
    ``refresh(position)`` brings ``deadline_clocks`` up to a log position (a
    read side's ``wait``, or ``catch_up`` when driven by hand)."""

    def __init__(
        self,
        app: Ihanoi,
        clocks: DeadlineClocksModel,
        refresh: Callable[[int], object],
        *,
        clock: Callable[[], datetime] | None = None,
        batch_size: int = 500,
        metrics: WatcherMetrics | None = None,
    ) -> None:
        self.app = app
        self.clocks = clocks
        self.refresh = refresh
        self.clock = clock or app.clock
        self.batch_size = batch_size
        self.metrics = metrics or WatcherMetrics()

    def due(self, until: datetime) -> list[Due]:
        """What has passed by ``until`` and is not recorded, oldest first."""
        limit = micros(until)
        assert limit is not None
        found = [due for row in self.clocks.due(limit, self.batch_size) for due in pending(row, until)]
        return sorted(found, key=lambda d: (d.at, THRESHOLDS.index(d.threshold), str(d.case_id)))

    def simulate(self, until: datetime) -> list[Due]:
        """What a round at ``until`` would fire, without firing it (the clocks
        as they are now: no threshold of a later round is foreseen)."""
        return self.due(until)

    def run_once(self) -> list[Due]:
        """Fire what has passed by now; the thresholds this round recorded."""
        fired: list[Due] = []
        for _ in range(MAX_PASSES):
            now = self.clock()
            position, progressed = 0, False
            for due in self.due(now):
                command = PassDeadlineThreshold(
                    case=due.case_id, clock_key=due.clock_key, threshold=due.threshold, at=due.at
                )
                try:
                    result = self.app.handle(WATCHER, command)
                except (RuleViolationError, CaseNotFoundError) as exc:
                    # The case moved on (resolved, paused, extended) since the row was written.
                    log.info(
                        "deadline_threshold_skipped", case_id=str(due.case_id), threshold=due.threshold, reason=str(exc)
                    )
                    continue
                except ConflictError:
                    # Another writer (a second watcher, an officer) changed the case: next pass.
                    continue
                if result.changed:
                    fired.append(due)
                    self.metrics.count_fired(due.threshold)
                    log.info(
                        "deadline_threshold_passed",
                        case_id=str(due.case_id),
                        code=due.code,
                        threshold=due.threshold,
                        at=due.at.isoformat(),
                        agency=due.agency,
                    )
                    position = max(position, result.position)
                    progressed = True
            if not progressed:  # Nothing new recorded: the rest waits for the next round.
                break
            self.refresh(position)
        self.metrics.observe_round(self.clocks.counts(), self.lag_seconds())
        return fired

    def lag_seconds(self) -> float:
        """How long the oldest passed threshold not recorded yet has waited (0: none)."""
        upcoming = self.clocks.next_at()
        now = micros(self.clock())
        assert now is not None
        return max(0.0, (now - upcoming) / 1_000_000) if upcoming is not None else 0.0

    def seconds_to_next(self, ceiling: float) -> float:
        """How long to sleep: until the next threshold, at most ``ceiling``."""
        upcoming = self.clocks.next_at()
        if upcoming is None:
            return ceiling
        now = micros(self.clock())
        assert now is not None
        return max(0.0, min(ceiling, (upcoming - now) / 1_000_000))


def run_watcher(
    settings: Settings,
    stopping: threading.Event,
    *,
    clock: Callable[[], datetime] | None = None,
    on_active: Callable[[], None] | None = None,
    registry: Any = None,
) -> None:
    """Watch the clocks until ``stopping`` is set, as the one active watcher of
    the store (a second waits as a hot standby)."""
    from ihanoi_projections.engine.runner import active
    from ihanoi_projections.read_side import ReadSide

    with active(settings, [LOCK_NAME], stopping, on_active) as held:
        if not held:
            return
        app = Ihanoi(settings, clock=clock) if clock is not None else Ihanoi(settings)
        # The clocks' read model: applied here unless another process holds its lock.
        read_side = ReadSide(app, settings, names=[DeadlineClocksModel.name])
        try:
            read_side.wait(app.head_position(), timeout=60.0)
            watcher = Watcher(
                app,
                read_side.model(DeadlineClocksModel),
                lambda position: read_side.wait(position, timeout=10.0),
                batch_size=settings.deadline_batch_size,
                metrics=WatcherMetrics(registry),
            )
            log.info("deadline_watcher_started")
            while not stopping.is_set():
                try:
                    watcher.run_once()
                    stopping.wait(max(MIN_SLEEP_SECONDS, watcher.seconds_to_next(settings.deadline_poll_seconds)))
                except Exception:
                    log.exception("deadline_round_failed")
                    stopping.wait(settings.deadline_poll_seconds)
        finally:
            read_side.close()
            app.close()
