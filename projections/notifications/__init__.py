"""Notifications on the read side (issue #14, docs/notifications.md).

- ``outbox``: the tracked projection that turns events into notification rows,
  exactly once (the rows and its position commit together);
- ``alert_notices``: its alert trigger (who of an alert's wards hears of it);
- ``ids``: the id of a notice, derived from its event, recipient and channel;
- ``dispatcher``: the worker that claims due rows, delivers them through the
  adapters of ``ihanoi_core.notifications`` and records each attempt;
- ``admin``: what ``ihanoi notifications status|retry|dead-letters`` reads and does;
- ``triggers``: kinds of notice decided in their own modules and plugged into
  the outbox: ``reminders`` (officers' deadlines), ``surveys`` (invitations), ``area``
  (new reports in an area), ``conversations`` (replies to chat threads), ``payment_notices`` (a fee
  due and its receipt), ``legal`` (notices the law requires, ``NoticeDelivered``). Imported here,
  so every outbox has them.
"""

from ihanoi_projections.notifications import area, conversations, legal, payment_notices, reminders, surveys

__all__ = ["area", "conversations", "legal", "payment_notices", "reminders", "surveys"]
