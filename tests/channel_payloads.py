"""Webhook bodies in the shapes the channels document (recorded in
``tests/channel_fixtures``), signed as they sign them.

Zalo OA: the ``user_send_*`` events of the Official Account API v3 webhook
(``app_id``, ``sender.id``, ``recipient.id``, ``event_name``, ``message``,
``timestamp`` in milliseconds as a string). Messenger: a Graph API page
webhook (``object: page``, ``entry[].messaging[]``). Hotline: our contract
with the call centre (docs/channels.md)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import orjson

from ihanoi_core.channels.signatures import hotline_signature, hub_signature, zalo_signature

ZALO_APP_ID = "360846524940903967"
ZALO_OA_ID = "388613280878808645"
ZALO_SECRET = "zalo-oa-secret-key-for-tests"
MESSENGER_SECRET = "messenger-app-secret-for-tests"
MESSENGER_VERIFY = "messenger-verify-token"
HOTLINE_SECRET = "hotline-secret-for-tests"
FIXTURES = Path(__file__).parent / "channel_fixtures"


def now_ms() -> int:
    return int(time.time() * 1000)


def fixture(name: str) -> dict[str, Any]:
    """A recorded body (``tests/channel_fixtures``), fresh for each use."""
    loaded: dict[str, Any] = orjson.loads((FIXTURES / f"{name}.json").read_bytes())
    return loaded


def zalo_event(user: str, msg_id: str, kind: str, *, at: int | None = None, **content: Any) -> dict[str, Any]:
    """The recorded ``user_send_<kind>`` event with this user, message id and
    content: ``text=``; ``url=`` (image, sticker); ``latitude=``/``longitude=``."""
    event = fixture(f"zalo_user_send_{kind}")
    event["sender"]["id"] = user
    message = event["message"]
    message["msg_id"] = msg_id
    if kind == "text":
        message["text"] = content["text"]
    elif kind in ("image", "sticker"):
        message["attachments"][0]["payload"]["url"] = content["url"]
    elif kind == "location":
        coordinates = {"latitude": str(content["latitude"]), "longitude": str(content["longitude"])}
        message["attachments"][0]["payload"]["coordinates"] = coordinates
    event["timestamp"] = str(at if at is not None else now_ms())
    return event


def signed_zalo(event: dict[str, Any], secret: str = ZALO_SECRET) -> tuple[bytes, dict[str, str]]:
    body = orjson.dumps(event)
    signature = zalo_signature(ZALO_APP_ID, body, event["timestamp"], secret)
    return body, {"X-ZEvent-Signature": signature, "Content-Type": "application/json"}


def messenger_event(user: str, mid: str, *, text: str | None = None, at: int | None = None) -> dict[str, Any]:
    """The recorded page webhook with one text message from ``user``."""
    stamp = at if at is not None else now_ms()
    event = fixture("messenger_message_text")
    entry = event["entry"][0]
    entry["time"] = stamp
    item = entry["messaging"][0]
    item["sender"]["id"] = user
    item["timestamp"] = stamp
    item["message"] = {"mid": mid, "text": text}
    return event


def signed_messenger(event: dict[str, Any], secret: str = MESSENGER_SECRET) -> tuple[bytes, dict[str, str]]:
    body = orjson.dumps(event)
    return body, {"X-Hub-Signature-256": hub_signature(secret, body), "Content-Type": "application/json"}


def signed_call(call_id: str, number: str, recording: str, at: int | None = None) -> tuple[bytes, dict[str, str]]:
    body = orjson.dumps({"call_id": call_id, "caller_number": number, "recording_ref": recording})
    stamp = str(at if at is not None else int(time.time()))
    return body, {
        "X-Hotline-Timestamp": stamp,
        "X-Hotline-Signature": hotline_signature(HOTLINE_SECRET, stamp, body),
        "Content-Type": "application/json",
    }
