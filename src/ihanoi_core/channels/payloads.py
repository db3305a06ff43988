"""The webhook bodies of each channel, read into ``Delivery`` values.

Zalo OA (Official Account API v3, "Webhook" events): one event per request,
``event_name`` ``user_send_text`` / ``user_send_image`` /
``user_send_location`` / ``user_send_sticker``, ``sender.id`` the user's id
for the OA, ``message.msg_id``, ``message.text``,
``message.attachments[].payload`` (``url``; ``coordinates.latitude`` /
``longitude`` as strings), ``timestamp`` in milliseconds (a string). Other
events (follow, user_seen_message, …) are acknowledged and ignored.

Messenger (Graph API webhooks, ``object: "page"``): ``entry[].messaging[]``,
each with ``sender.id`` (the page-scoped id), ``timestamp`` and
``message.mid`` / ``text`` / ``attachments[]`` (``type`` image, location
with ``payload.coordinates.lat`` / ``long``) or ``sticker_id``; echoes of the
page's own messages (``is_echo``) are skipped.

Hotline: ``{"call_id", "caller_number", "recording_ref", "started_at"}``.

A body that is not the documented shape raises ``ValidationError`` (422 at the
webhook), never a crash.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ihanoi_core.channels.flow import Inbound
from ihanoi_core.errors import ValidationError

ZALO_KINDS = {
    "user_send_text": "text",
    "user_send_image": "image",
    "user_send_location": "location",
    "user_send_sticker": "sticker",
}
MAX_ID = 200
MAX_TEXT = 2000


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message from a channel: who sent it (the channel's own id), its id, when, and what."""

    channel: str
    user: str
    message_id: str
    timestamp_ms: int
    message: Inbound


def _text(value: Any, name: str, limit: int = MAX_ID, *, required: bool = True) -> str:
    if not required and (value is None or value == ""):  # an image's caption may be empty
        return ""
    if not isinstance(value, (str, int)) or isinstance(value, bool) or not str(value).strip():
        raise ValidationError({name: "missing or not a string"})
    if len(str(value)) > limit:
        raise ValidationError({name: f"longer than {limit} characters"})
    return str(value)


def _number(value: Any, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationError({name: "not a number"}) from None
    if number != number or abs(number) > 180:
        raise ValidationError({name: "out of range"})
    return number


def _attachment(message: dict[str, Any]) -> dict[str, Any]:
    attachments = message.get("attachments") or [{}]
    if not isinstance(attachments, list) or not isinstance(attachments[0], dict):
        raise ValidationError({"message.attachments": "must be a list of objects"})
    payload = attachments[0].get("payload") or {}
    if not isinstance(payload, dict):
        raise ValidationError({"message.attachments[0].payload": "must be an object"})
    return payload


def zalo_timestamp(body: Any) -> str:
    if not isinstance(body, dict):
        raise ValidationError({"body": "must be a JSON object"})
    stamp = _text(body.get("timestamp"), "timestamp", 20)
    if not stamp.isdigit():
        raise ValidationError({"timestamp": "must be milliseconds since the epoch"})
    return stamp


def zalo_delivery(body: Any) -> Delivery | None:
    """The message of a Zalo OA event, or None for an event that carries none."""
    stamp = int(zalo_timestamp(body))
    kind = ZALO_KINDS.get(str(body.get("event_name")))
    if kind is None:
        return None
    sender, message = body.get("sender"), body.get("message")
    if not isinstance(sender, dict) or not isinstance(message, dict):
        raise ValidationError({"message": "a message event has sender and message objects"})
    user = _text(sender.get("id"), "sender.id")
    message_id = _text(message.get("msg_id"), "message.msg_id")
    text = _text(message.get("text"), "message.text", MAX_TEXT, required=kind == "text") or None
    inbound = Inbound(kind, text=text)
    if kind in ("image", "sticker"):
        inbound = Inbound(kind, text=text, attachment=_text(_attachment(message).get("url"), "payload.url", 1000))
    elif kind == "location":
        coordinates = _attachment(message).get("coordinates") or {}
        inbound = Inbound(
            kind,
            latitude=_number(coordinates.get("latitude"), "coordinates.latitude"),
            longitude=_number(coordinates.get("longitude"), "coordinates.longitude"),
        )
    return Delivery("zalo", user, message_id, stamp, inbound)


def messenger_deliveries(body: Any) -> list[Delivery]:
    """Every user message of a Messenger webhook body."""
    if not isinstance(body, dict) or body.get("object") != "page" or not isinstance(body.get("entry"), list):
        raise ValidationError({"body": "must be a page webhook: {object: page, entry: [...]}"})
    found = []
    for entry in body["entry"]:
        events = entry.get("messaging") if isinstance(entry, dict) else None
        for item in events if isinstance(events, list) else []:
            message = item.get("message") if isinstance(item, dict) else None
            if not isinstance(message, dict) or message.get("is_echo"):
                continue
            sender = item.get("sender") if isinstance(item.get("sender"), dict) else {}
            user = _text(sender.get("id"), "sender.id")
            message_id = _text(message.get("mid"), "message.mid")
            stamp = _millis(item.get("timestamp"))
            found.append(Delivery("messenger", user, message_id, stamp, _messenger_inbound(message)))
    return found


def _millis(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValidationError({"timestamp": "must be milliseconds since the epoch"})
    return value


def _messenger_inbound(message: dict[str, Any]) -> Inbound:
    if message.get("sticker_id") is not None:
        return Inbound("sticker", attachment=_text(_attachment(message).get("url"), "payload.url", 1000))
    attachments = message.get("attachments")
    if isinstance(attachments, list) and attachments and isinstance(attachments[0], dict):
        kind = attachments[0].get("type")
        payload = _attachment(message)
        if kind == "image":
            return Inbound("image", attachment=_text(payload.get("url"), "payload.url", 1000))
        if kind == "location":
            coordinates = payload.get("coordinates") or {}
            return Inbound(
                "location",
                latitude=_number(coordinates.get("lat"), "coordinates.lat"),
                longitude=_number(coordinates.get("long"), "coordinates.long"),
            )
    return Inbound("text", text=_text(message.get("text"), "message.text", MAX_TEXT))


def hotline_delivery(body: Any) -> tuple[str, str, str]:
    """The call id, the caller's number and the recording reference of a hotline delivery."""
    if not isinstance(body, dict):
        raise ValidationError({"body": "must be a JSON object"})
    number = _text(body.get("caller_number"), "caller_number", 32)
    recording = _text(body.get("recording_ref"), "recording_ref", 500, required=False)
    return _text(body.get("call_id"), "call_id"), number, recording
