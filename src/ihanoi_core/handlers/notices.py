"""The handler of the dispatcher's ``RecordNoticeDelivered`` (issue #14).

Like the deadline watcher's command it applies to every kind of case, so it
runs the whole command (``@decides_on_any_case``); the case decides whether the notice is
already recorded (then nothing changes).
"""

from __future__ import annotations

from ihanoi_core.commands.notices import RecordNoticeDelivered
from ihanoi_core.domain.case import Case
from ihanoi_core.handlers.table import Context, decides_on_any_case


@decides_on_any_case(RecordNoticeDelivered)
def record_notice_delivered(case: Case, command: RecordNoticeDelivered, ctx: Context) -> None:
    case.record_notice_delivered(
        ctx.principal, str(command.notice), command.channel, command.kind, command.delivered_at, timestamp=ctx.now
    )
