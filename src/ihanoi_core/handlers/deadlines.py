"""The handler of the deadline watcher's command (issue #16).

It runs the whole command (``@decides_on_any_case``) because it is not a step any role
takes on one family of cases: it applies to every kind with a clock. The case
decides: a clock that no longer runs refuses (``RuleViolationError``), a mark
already recorded makes it a no-op, so each threshold changes the case once.
"""

from __future__ import annotations

from ihanoi_core.commands.deadlines import PassDeadlineThreshold
from ihanoi_core.domain.case import Case
from ihanoi_core.errors import RuleViolationError
from ihanoi_core.handlers.table import Context, decides_on_any_case
from ihanoi_core.law.deadline_rules import escalation_due, escalation_target


@decides_on_any_case(PassDeadlineThreshold)
def pass_threshold(case: Case, command: PassDeadlineThreshold, ctx: Context) -> None:
    if command.threshold == "missed":
        case.record_deadline_missed(ctx.principal, command.clock_key, timestamp=ctx.now)
    elif command.threshold == "escalation":
        clock = case.running_clock(command.clock_key)
        if clock is None:
            raise RuleViolationError(case.id, "deadline_clock", f"the clock {command.clock_key} no longer runs")
        target = escalation_target(clock, case.agencies, ctx.directory)
        if target is None:
            raise RuleViolationError(case.id, "escalation", f"the clock of {clock.agency!r} escalates nowhere")
        due = escalation_due(command.at, ctx.calendar, ctx.directory)
        case.escalate_for_overdue(ctx.principal, command.clock_key, target, command.at, due, timestamp=ctx.now)
    else:
        case.remind_deadline(ctx.principal, command.clock_key, command.threshold, command.at, timestamp=ctx.now)
