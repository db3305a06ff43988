"""How each channel signs its webhook deliveries, and the checks of them.

**Zalo Official Account** (``X-ZEvent-Signature``). Zalo's webhook guide
("Xác thực dữ liệu Webhook", developers.zalo.me, Official Account API →
Webhook) says the header carries ``mac=`` followed by the hex SHA-256 (a plain
hash, not an HMAC) of four strings concatenated in order: the app id, the raw
JSON body, the ``timestamp`` field of that body (milliseconds since the
epoch) and the *OA secret key* (the key of the linked Official Account, not
the app secret). Sources checked on 2026-12-06: hainh.me/zalo-api-php-webhook-
callback-official-account.html (the four parts in that order, "OA Secret Key
... không phải là khóa bí mật của ứng dụng") and tinhoc88.com/zalo-api---php-
xu-ly-su-kien-webhook.html (the same). Public implementations disagree: some
hash a re-serialised body (which breaks on any whitespace or key order
change), some use an HMAC keyed with the app secret under
``X-Zalo-Signature``; we follow the guide, over the raw body. The test
vectors are in ``tests/unit/test_channel_signatures.py``.

**Facebook Messenger** (``X-Hub-Signature-256``): ``sha256=`` followed by the
hex HMAC-SHA256 of the raw body keyed with the app secret (Meta's Webhooks
documentation, "Validate payloads"); the subscription handshake echoes
``hub.challenge`` when ``hub.verify_token`` matches.

**Hotline** (``X-Hotline-Signature``, ``X-Hotline-Timestamp``): our own
contract with the call centre, the same shape as Messenger's but over
``{timestamp}.{raw body}``, so a replayed delivery is stale after the window.

Every comparison is constant-time (``hmac.compare_digest``).
"""

from __future__ import annotations

import hashlib
import hmac


def zalo_signature(app_id: str, body: bytes, timestamp: str, oa_secret_key: str) -> str:
    """The ``X-ZEvent-Signature`` value Zalo sends for ``body``."""
    digest = hashlib.sha256(app_id.encode() + body + timestamp.encode() + oa_secret_key.encode()).hexdigest()
    return f"mac={digest}"


def hub_signature(app_secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value Meta sends for ``body``."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def hotline_signature(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Hotline-Signature`` value the call centre sends."""
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def matches(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode(), given.strip().encode())


def fresh(timestamp_ms: int, now_ms: int, window_seconds: float) -> bool:
    """Whether a delivery's time is within ``window_seconds`` of now (either side)."""
    return abs(now_ms - timestamp_ms) <= window_seconds * 1000
