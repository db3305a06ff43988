"""The adapters the settings configure, by channel.

``email`` with ``IHANOI_NOTIFY_SMTP_URL``; ``sms`` and ``zalo`` through the
HTTP gateway with ``IHANOI_NOTIFY_GATEWAY_URL``. A channel with no adapter
configured is not dispatched: its notices wait in the outbox; ``webpush``
with ``IHANOI_NOTIFY_VAPID_PRIVATE_KEY`` (VAPID, RFC 8291); replies to chat
threads: ``zalo_oa`` with ``IHANOI_ZALO_ACCESS_TOKEN`` (renewed with
``IHANOI_ZALO_REFRESH_TOKEN``, the pair kept in ``zalo_tokens``), ``messenger`` with
``IHANOI_MESSENGER_PAGE_TOKEN`` (``chat``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ihanoi_core.notifications.channels import Sender
from ihanoi_core.settings import Settings

if TYPE_CHECKING:
    from ihanoi_core.notifications.zalo_tokens import TokenPairStore


def build_senders(settings: Settings, *, zalo_tokens: TokenPairStore | None = None) -> dict[str, Sender]:
    """The configured senders; ``zalo_tokens`` keeps a renewed Zalo OA token pair across restarts."""
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
        from ihanoi_core.notifications.zalo_tokens import ZaloTokens

        tokens = ZaloTokens(
            settings.zalo_access_token,
            refresh_token=settings.zalo_refresh_token,
            app_id=settings.zalo_app_id,
            app_secret=settings.zalo_app_secret,
            oauth_url=settings.zalo_oauth_url,
            store=zalo_tokens,
        )
        senders["zalo_oa"] = ZaloOaSender(settings.zalo_api_url, settings.zalo_access_token, tokens=tokens)
    if settings.messenger_page_token:
        from ihanoi_core.notifications.chat import MessengerSender

        senders["messenger"] = MessengerSender(settings.messenger_api_url, settings.messenger_page_token)
    return senders
