"""Web Push: a notice to a browser's push subscription, with VAPID (RFC 8292)
and the ``aes128gcm`` content encoding of RFC 8291, through ``pywebpush``.

The message is encrypted to the subscription's keys (``p256dh``, ``auth``),
which only that browser holds the private half of, and POSTed to the push
service's endpoint with a VAPID JWT signed by ``IHANOI_NOTIFY_VAPID_PRIVATE_KEY``
(``ihanoi notifications vapid-keys`` makes one). The payload is JSON:
``{"title", "body", "kind", "tag"}`` (``tag`` is the notice's id, so a
service worker can show a re-delivered notice once). Push services have no
idempotency key; the ``Topic`` header (the notice's id, 32 characters) makes
the service replace a copy it still holds, the closest they offer.

Outcomes: 2xx delivered; 404 or 410 the subscription is gone (the browser
unsubscribed or the service expired it): permanent, so the notice is
dead-lettered, and the dispatcher removes the subscription from the person's
settings (``forget_push_subscription``: ``ChannelRemoved`` by the SYSTEM
principal), so no later notice is queued for it; 429 and 5xx are
retried; another 4xx is permanent.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from ihanoi_core.errors import ConfigurationError
from ihanoi_core.notifications.channels import DeliveryError, Message

TIMEOUT = 10.0
TTL_SECONDS = 24 * 3600
GONE = frozenset({404, 410})


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def new_vapid_keys() -> tuple[str, str]:
    """A new VAPID key pair: (private key, public key), each base64url: the
    raw 32-byte private scalar for ``IHANOI_NOTIFY_VAPID_PRIVATE_KEY``, the
    uncompressed public point for the browser's ``applicationServerKey``."""
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    numbers = key.public_key().public_numbers()
    public = b"\x04" + numbers.x.to_bytes(32, "big") + numbers.y.to_bytes(32, "big")
    return b64url(private), b64url(public)


class PushSubscriptionGoneError(DeliveryError):
    """Raised when the push service says the subscription no longer exists
    (404/410): permanent; the subscription should be forgotten."""

    def __init__(self, status: int) -> None:
        super().__init__(f"push subscription gone ({status})", permanent=True)
        self.status = status
        self.gone = True


class WebPushSender:
    """Sends ``webpush`` messages (module docstring). ``session`` may carry TLS
    settings (a private CA for a test push service)."""

    def __init__(self, private_key: str, subject: str, *, session: requests.Session | None = None) -> None:
        try:
            self.vapid = Vapid.from_string(private_key=private_key)
        except ValueError:
            raise ConfigurationError(
                "IHANOI_NOTIFY_VAPID_PRIVATE_KEY is not a VAPID private key (make a pair with "
                "`ihanoi notifications vapid-keys`)."
            ) from None
        self.subject = subject
        self.session = session or requests.Session()

    def send(self, message: Message) -> str | None:
        keys = message.keys or {}
        if not keys.get("p256dh") or not keys.get("auth"):
            raise DeliveryError("the push subscription has no keys", permanent=True)
        payload: dict[str, Any] = {
            "title": message.subject,
            "body": message.text,
            "kind": message.kind,
            "tag": message.idempotency_key,
        }
        try:
            webpush(
                {"endpoint": message.to, "keys": {"p256dh": keys["p256dh"], "auth": keys["auth"]}},
                data=json.dumps(payload, ensure_ascii=False),
                vapid_private_key=self.vapid,
                vapid_claims={"sub": self.subject},
                content_encoding="aes128gcm",
                timeout=TIMEOUT,
                ttl=TTL_SECONDS,
                headers={"Topic": message.idempotency_key.replace("-", "")[:32], "Urgency": "normal"},
                requests_session=self.session,
            )
        except WebPushException as error:
            status = error.response.status_code if error.response is not None else None
            if status is None:
                raise DeliveryError(f"push service unreachable: {error.message[:200]}") from None
            if status in GONE:
                raise PushSubscriptionGoneError(status) from None
            permanent = status < 500 and status != 429
            raise DeliveryError(f"push service answered {status}", permanent=permanent) from None
        except requests.RequestException as error:
            raise DeliveryError(f"push service unreachable: {type(error).__name__}") from None
        return None

    def close(self) -> None:
        self.session.close()
