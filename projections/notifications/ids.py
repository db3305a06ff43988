"""notifications.ids: the id of a notice, shared by the outbox and its triggers.

A notice's id is derived from the event that calls for it (its aggregate id
and version), the recipient and the channel, so projecting the same event
again (a batch after a crash, a rebuild) meets the row it wrote before.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

NOTIFICATION_NAMESPACE = uuid5(NAMESPACE_URL, "https://ihanoi.local/notification")


def notification_id(aggregate_id: UUID, version: int, recipient: UUID | str, channel: str) -> UUID:
    """The id of the notice an event makes for one recipient on one channel:
    the same however often the event is projected. The dispatcher sends it as
    the idempotency key."""
    return uuid5(NOTIFICATION_NAMESPACE, f"{aggregate_id}\x1f{version}\x1f{recipient}\x1f{channel}")
