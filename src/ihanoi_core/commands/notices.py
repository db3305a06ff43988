"""The dispatcher's command (issue #14): a legally required notice was delivered.

Only the notification dispatcher issues it, as the SYSTEM principal; it has
no HTTP route. Its identity is the notice's outbox id (deterministic:
``uuid5(case, version, recipient, channel)``): the case records each id once,
so a re-delivery, a second dispatcher, or a restart after a crash between the
send and this command never records a delivery twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from ihanoi_core.commands.command import SystemCaseCommand


class RecordNoticeDelivered(SystemCaseCommand, frozen=True, kw_only=True):
    """Record on the case that the notice ``notice`` of kind ``kind`` reached
    the person on ``channel`` at ``delivered_at`` (no address)."""

    name: ClassVar[str] = "record-notice-delivered"
    notice: UUID
    channel: str
    kind: str
    delivered_at: datetime
