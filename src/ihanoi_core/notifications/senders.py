"""The adapters the settings configure, by channel.

``email`` with ``IHANOI_NOTIFY_SMTP_URL``; ``sms`` and ``zalo`` through the
HTTP gateway with ``IHANOI_NOTIFY_GATEWAY_URL``. A channel with no adapter
configured is not dispatched: its notices wait in the outbox; ``webpush``
with ``IHANOI_NOTIFY_VAPID_PRIVATE_KEY`` (VAPID, RFC 8291); replies to chat
threads: ``zalo_oa`` with ``IHANOI_ZALO_ACCESS_TOKEN``, ``messenger`` with
``IHANOI_MESSENGER_PAGE_TOKEN`` (``chat``).
"""

from __future__ import annotations

from ihanoi_core.notifications.channels import Sender
from ihanoi_core.settings import Settings


def build_senders(settings: Settings) -> dict[str, Sender]:
    senders: dict[str, Sender] = {}
    if settings.notify_smtp_url:
        from ihanoi_core.notifications.email import SmtpSender

        senders["email"] = SmtpSender(settings.notify_smtp_url, settings.notify_mail_from)
    if settings.notify_gateway_url:
        from ihanoi_core.notifications.gateway import HttpGatewaySender

        gateway = HttpGatewaySender(
            settings.notify_gateway_url, settings.notify_gateway_token, dict(settings.notify_gateway_templates)
        )
        senders["sms"] = gateway
        senders["zalo"] = gateway
    if settings.notify_vapid_private_key:
        from ihanoi_core.notifications.webpush import WebPushSender

        senders["webpush"] = WebPushSender(settings.notify_vapid_private_key, settings.notify_vapid_subject)
    if settings.zalo_access_token:
        from ihanoi_core.notifications.chat import ZaloOaSender

        senders["zalo_oa"] = ZaloOaSender(settings.zalo_api_url, settings.zalo_access_token)
    if settings.messenger_page_token:
        from ihanoi_core.notifications.chat import MessengerSender

        senders["messenger"] = MessengerSender(settings.messenger_api_url, settings.messenger_page_token)
    return senders
