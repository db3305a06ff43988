"""Notifications that reach people outside the app (issue #14, docs/notifications.md).

- ``preferences``: the ``NotificationSettingsCommands`` mixin of the
  application: a person's channels, verified by one-time codes (``codes``),
  and preferences, on the ``Contactability`` aggregate;
- ``channels``: the ``Sender`` protocol every adapter implements, the message
  and the delivery errors; ``email`` (SMTP) and ``gateway`` (an HTTP gateway for
  SMS brandname and Zalo ZNS) are the adapters, built from settings by
  ``senders``;
- ``templates``: the messages in Vietnamese and English (Jinja2).

The outbox that decides who is told what, and the dispatcher that delivers
it, are on the read side (``ihanoi_projections.notifications``). Nothing here
is imported by ``ihanoi_core`` itself: the adapters' libraries (the
``notifications`` extra) load only where notices are rendered or sent.
"""
