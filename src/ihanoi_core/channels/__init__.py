"""Intake from the channels citizens already use (issue #20, docs/channels.md).

- ``signatures``: how Zalo OA, Messenger and the call centre sign their webhooks;
- ``payloads``: their bodies read into ``Delivery`` values;
- ``flow``: the guided flow of a chat (category → location → photo → confirm);
- ``intake``: the ``ConversationCommands`` mixin of the application that
  records messages on ``Conversation`` aggregates (the webhook's part), runs
  the flow for them afterwards (``process_messages``, from the dispatcher),
  files reports, links threads to citizens and turns calls into cases.

The flow runs from the notification outbox too (a ``conversation_message``
row on the ``chat_intake`` channel, which the dispatcher processes). The
replies leave through the notification outbox (the ``conversations`` trigger
on the read side) and the ``zalo_oa`` / ``messenger`` senders of
``ihanoi_core.notifications.chat``.
"""
