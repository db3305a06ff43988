"""The handler of the dispatcher's ``RecordNoticeDelivered`` (issue #14).

Like the deadline watcher's command it applies to every kind of case, so it
runs the whole command (``@handles``); the case decides whether the notice is
already recorded (then nothing changes).
"""

from __future__ import annotations

from datetime import datetime

from ihanoi_core.commands.notices import RecordNoticeDelivered
from ihanoi_core.domain.case import Case
from ihanoi_core.domain.values import Principal
from ihanoi_core.errors import ForbiddenError
from ihanoi_core.handlers.bus import CommandBus, CommandResult
from ihanoi_core.handlers.table import handles


@handles(RecordNoticeDelivered)
def record_notice_delivered(
    bus: CommandBus, principal: Principal, command: RecordNoticeDelivered, expected_version: int | None
) -> CommandResult:
    if principal.role not in command.roles:
        raise ForbiddenError(command.name, principal.role.value, command.case)

    def decide(case: Case, now: datetime) -> None:
        case.record_notice_delivered(
            principal, str(command.notice), command.channel, command.kind, command.delivered_at, timestamp=now
        )

    return bus._act(principal, command.case, Case, "record_notice_delivered", decide, expected_version)
