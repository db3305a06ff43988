"""The deadline watcher's command (issue #16): a threshold of a running deadline passed.

Only the watcher issues it, as the SYSTEM principal; it has no HTTP route.
Its identity is deterministic, ``(case, clock_key, threshold)``: the case
records a mark for it, so however often it is issued (a second watcher, a
retried round, a restart after downtime) it changes the case once.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from ihanoi_core.commands.command import SystemCaseCommand

Threshold = Literal["reminder_share", "reminder_last_hour", "missed", "escalation"]
THRESHOLDS: tuple[Threshold, ...] = ("reminder_share", "reminder_last_hour", "missed", "escalation")


class PassDeadlineThreshold(SystemCaseCommand, frozen=True, kw_only=True):
    """Record that a threshold of the case's running deadline passed at ``at``:
    a reminder, the missed deadline, or the escalation to the agency above."""

    name: ClassVar[str] = "pass-deadline-threshold"
    clock_key: str
    threshold: Threshold
    at: datetime
