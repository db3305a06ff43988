"""When the thresholds of a running deadline pass (issue #16, docs/deadlines.md).

A pure function of a running clock (its start and due time), the working
calendar and the directory's watch rules: the watcher's read model stores
what it returns, and ``ihanoi deadlines simulate`` prints it. The rules:

- ``reminder_share``: after ``deadline_watch.reminder_share_percent`` (75 %) of
  the office time between start and due;
- ``reminder_last_hour``: ``watch_reminder_before_due`` (one working hour) of
  office time before due, when the clock is longer than that;
- ``missed``: at the due time;
- ``escalation``: ``watch_escalation_grace`` (eight working hours) of office
  time after due, when the clock has somewhere to escalate to
  (``escalation_target``): the case's own clock to the agency's ``parent``;
  a co-owner's clock (the agency it was escalated to) once more, to the
  city's People's Committee (``deadline_watch.city_committee``) unless that one
  already holds or co-owns the case; a dossier partner's sub-deadline never
  (the dossier's own clock escalates the handling agency). So escalation does
  not chain: at most two levels above the case's agency.

Every rule is a "project default, configurable" in the directory: no text
sets them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ihanoi_core.commands.deadlines import Threshold
from ihanoi_core.directory import Directory
from ihanoi_core.domain.running_clocks import RunningClock
from ihanoi_core.domain.values import Clock, DeadlineRule, TimeUnit
from ihanoi_core.law.calendar import WorkingCalendar


@dataclass(frozen=True, slots=True)
class Planned:
    """One threshold of one clock, and the instant it passes."""

    threshold: Threshold
    at: datetime


def office_seconds(rule: DeadlineRule) -> int:
    """A watch rule's length in office seconds (working hours or days only)."""
    if rule.unit is TimeUnit.WORKING_HOURS:
        return rule.amount * 3600
    if rule.unit is TimeUnit.WORKING_DAYS:
        return rule.amount * 8 * 3600
    raise ValueError(f"a watch rule counts office time, not {rule.unit.value}")


def escalation_target(clock: RunningClock, holders: tuple[str, ...], directory: Directory) -> str | None:
    """The agency the overdue ``clock`` escalates to, if any (see above);
    ``holders``: the agencies that hold or co-own the case now."""
    if clock.track == "main":
        agency = directory.get_agency(clock.agency)
        return agency.parent if agency is not None else None
    if clock.track == "escalated":
        city = directory.deadline_watch.city_committee
        if city is not None and directory.get_agency(city) is not None and city not in holders:
            return city
    return None


def plan(
    started_at: datetime,
    due_at: datetime,
    calendar: WorkingCalendar,
    directory: Directory,
    *,
    escalates: bool,
) -> list[Planned]:
    """The thresholds of a clock running from ``started_at`` to ``due_at``, in
    the order they pass (ties in the order above); ``escalation`` only when
    the clock ``escalates`` (``escalation_target``)."""
    total = calendar.office_seconds_between(started_at, due_at)
    share = directory.deadline_watch.reminder_share_percent
    before = office_seconds(directory.deadline("watch_reminder_before_due"))
    planned = [Planned("reminder_share", calendar.add_office_seconds(started_at, total * share // 100))]
    if total > before:
        # Counted forward from the start, so it lands in office time even when
        # the due time is an office close (17:00 → 16:00 the same day).
        planned.append(Planned("reminder_last_hour", calendar.add_office_seconds(started_at, total - before)))
    planned.append(Planned("missed", due_at))
    if escalates:
        grace = office_seconds(directory.deadline("watch_escalation_grace"))
        planned.append(Planned("escalation", calendar.add_office_seconds(due_at, grace)))
    return sorted(planned, key=lambda p: p.at)


def escalation_due(at: datetime, calendar: WorkingCalendar, directory: Directory) -> datetime:
    """The co-owner's own deadline, counted from the escalation."""
    return calendar.due(Clock(started_at=at, rule=directory.deadline("watch_escalated_resolve")))
