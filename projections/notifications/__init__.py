"""Notifications on the read side (issue #14, docs/notifications.md).

- ``outbox``: the tracked projection that turns events into notification rows,
  exactly once (the rows and its position commit together);
- ``dispatcher``: the worker that claims due rows, delivers them through the
  adapters of ``ihanoi_core.notifications`` and records each attempt;
- ``admin``: what ``ihanoi notifications status|retry|dead-letters`` reads and does.
"""
