"""The handler of the deadline watcher's command (issue #16).

It runs the whole command (``@handles``) because it is not a step any role
takes on one family of cases: it applies to every kind with a clock. The case
decides: a clock that no longer runs refuses (``RuleViolationError``), a mark
already recorded makes it a no-op, so each threshold changes the case once.
"""

from __future__ import annotations

from datetime import datetime

from ihanoi_core.commands.deadlines import PassDeadlineThreshold
from ihanoi_core.deadline_rules import escalation_due, escalation_target
from ihanoi_core.domain.case import Case
from ihanoi_core.domain.values import Principal
from ihanoi_core.errors import ForbiddenError, RuleViolationError
from ihanoi_core.handlers.bus import CommandBus, CommandResult
from ihanoi_core.handlers.table import handles


@handles(PassDeadlineThreshold)
def pass_threshold(
    bus: CommandBus, principal: Principal, command: PassDeadlineThreshold, expected_version: int | None
) -> CommandResult:
    if principal.role not in command.roles:
        raise ForbiddenError(command.name, principal.role.value, command.case)

    def decide(case: Case, now: datetime) -> None:
        if command.threshold == "missed":
            case.record_deadline_missed(principal, command.clock_key, timestamp=now)
        elif command.threshold == "escalation":
            clock = case.running_clock(command.clock_key)
            if clock is None:
                raise RuleViolationError(case.id, "deadline_clock", f"the clock {command.clock_key} no longer runs")
            target = escalation_target(clock, case.agencies, bus.directory)
            if target is None:
                raise RuleViolationError(case.id, "escalation", f"the clock of {clock.agency!r} escalates nowhere")
            due = escalation_due(command.at, bus.calendar, bus.directory)
            case.escalate_for_overdue(principal, command.clock_key, target, command.at, due, timestamp=now)
        else:
            case.remind_deadline(principal, command.clock_key, command.threshold, command.at, timestamp=now)

    return bus._act(principal, command.case, Case, "pass_deadline_threshold", decide, expected_version)
