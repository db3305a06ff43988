"""Webhooks of the channels (issue #20, docs/channels.md).

- ``POST /webhooks/zalo``: a Zalo OA event, signed in ``X-ZEvent-Signature``
  (``ihanoi_core.channels.signatures``), its ``timestamp`` within
  ``IHANOI_ZALO_WINDOW_SECONDS`` of now;
- ``GET /webhooks/messenger``: the subscription handshake (``hub.mode``,
  ``hub.verify_token``, ``hub.challenge``); ``POST``: page events signed in
  ``X-Hub-Signature-256``, each message within the same window;
- ``POST /webhooks/hotline``: a call from the call centre, signed in
  ``X-Hotline-Signature`` over ``X-Hotline-Timestamp`` and the body.

A bad signature or a stale delivery is 403 and records nothing; a delivery
whose message was recorded before answers 200 ``replayed`` and records
nothing. The answer comes as soon as the message is recorded (and a confirmed
report filed, its chat photo fetched within IHANOI_CHANNEL_PHOTO_TIMEOUT_SECONDS):
replies leave through the notification outbox, never inside the request. No
answer or log line carries a user id, a number or a text.
"""

from __future__ import annotations

import hmac
import time
from typing import Any

import orjson
import structlog
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from ihanoi_core.channels.payloads import hotline_delivery, messenger_deliveries, zalo_delivery, zalo_timestamp
from ihanoi_core.channels.signatures import fresh, hotline_signature, hub_signature, matches, zalo_signature
from ihanoi_server.http import call_app, json_response, state
from ihanoi_server.openapi.describe import Header, Query, document
from ihanoi_server.problems import HttpProblem

MAX_BODY = 64 * 1024
log = structlog.get_logger("ihanoi.channels")


def require(given: Any, *names: str) -> None:
    """Refuse a delivery without its signature headers (or the handshake's parameters), before anything else."""
    if missing := [name for name in names if not given.get(name)]:
        raise refused("bad_signature", f"{', '.join(missing)} required.")


def check(channel: str, signed: bool, in_window: bool, header: str) -> None:
    """Refuse (403, nothing recorded) a delivery whose signature does not match, or that is stale."""
    why = "signature" if not signed else "stale" if not in_window else None
    if why is not None:
        log.info("webhook_refused", channel=channel, why=why)
    if not signed:
        raise refused("bad_signature", f"{header} does not match the delivery.")
    if not in_window:
        raise refused("stale_delivery", "The delivery's timestamp is outside the accepted window.")


def not_configured(channel: str) -> HttpProblem:
    return HttpProblem(404, "channel_not_configured", f"The {channel} webhook is not configured on this server.")


def refused(code: str, detail: str) -> HttpProblem:
    return HttpProblem(403, code, detail)


async def signed_body(request: Request, channel: str, secret: str | None, *headers: str) -> tuple[str, bytes, Any]:
    """The secret, raw body and parsed JSON of a delivery that carries its
    signature ``headers``, on a server where the channel is configured."""
    require(request.headers, *headers)
    if not secret:
        raise not_configured(channel)
    body, parsed = await raw_json(request)
    return secret, body, parsed


async def raw_json(request: Request) -> tuple[bytes, Any]:
    body = await request.body()
    if len(body) > MAX_BODY:
        raise HttpProblem(413, "body_too_large", f"A webhook body is at most {MAX_BODY} bytes.")
    try:
        return body, orjson.loads(body)
    except orjson.JSONDecodeError:
        raise HttpProblem(400, "malformed_json", "The body is not JSON.") from None


def now_ms() -> int:
    return int(time.time() * 1000)


async def zalo(request: Request) -> Response:
    """One Zalo OA event. Signed by Zalo (``X-ZEvent-Signature``); no bearer token."""
    settings = state(request).settings
    secret, body, parsed = await signed_body(request, "Zalo", settings.zalo_oa_secret_key, "X-ZEvent-Signature")
    stamp = zalo_timestamp(parsed)
    expected = zalo_signature(settings.zalo_app_id or "", body, stamp, secret)
    signed = matches(expected, request.headers.get("x-zevent-signature"))
    check("zalo", signed, fresh(int(stamp), now_ms(), settings.zalo_window_seconds), "X-ZEvent-Signature")
    delivery = zalo_delivery(parsed)
    if delivery is None:
        return json_response({"status": "ignored"})
    received = await call_app(request, state(request).app.receive_message, delivery)
    return json_response({"status": "replayed" if received.replayed else "recorded"})


async def messenger_handshake(request: Request) -> Response:
    """Meta's subscription check: echo ``hub.challenge`` when the token matches."""
    require(request.query_params, "hub.mode", "hub.verify_token", "hub.challenge")
    settings = state(request).settings
    if not settings.messenger_app_secret or not settings.messenger_verify_token:
        raise not_configured("Messenger")
    params = request.query_params
    token = params.get("hub.verify_token", "")
    if params.get("hub.mode") != "subscribe" or not hmac.compare_digest(
        token.encode(), settings.messenger_verify_token.encode()
    ):
        raise refused("bad_verify_token", "hub.mode must be subscribe and hub.verify_token must match.")
    return PlainTextResponse(params.get("hub.challenge", "")[:200])


async def messenger(request: Request) -> Response:
    """Page events. Signed by Meta (``X-Hub-Signature-256``); no bearer token."""
    settings = state(request).settings
    secret, body, parsed = await signed_body(request, "Messenger", settings.messenger_app_secret, "X-Hub-Signature-256")
    signed = matches(hub_signature(secret, body), request.headers.get("x-hub-signature-256"))
    check("messenger", signed, True, "X-Hub-Signature-256")
    deliveries = messenger_deliveries(parsed)
    now = now_ms()
    in_window = all(fresh(item.timestamp_ms, now, settings.zalo_window_seconds) for item in deliveries)
    check("messenger", signed, in_window, "X-Hub-Signature-256")
    outcomes = [await call_app(request, state(request).app.receive_message, item) for item in deliveries]
    return json_response(
        {"recorded": sum(not o.replayed for o in outcomes), "replayed": sum(o.replayed for o in outcomes)}
    )


async def hotline(request: Request) -> Response:
    """A call from the call centre (``X-Hotline-Signature``, ``X-Hotline-Timestamp``); no bearer token."""
    settings = state(request).settings
    headers = ("X-Hotline-Signature", "X-Hotline-Timestamp")
    secret, body, parsed = await signed_body(request, "hotline", settings.hotline_secret, *headers)
    stamp = request.headers.get("x-hotline-timestamp", "")
    signed = matches(hotline_signature(secret, stamp, body), request.headers.get("x-hotline-signature"))
    in_window = stamp.isdigit() and fresh(int(stamp) * 1000, now_ms(), settings.hotline_window_seconds)
    check("hotline", signed, in_window, "X-Hotline-Signature")
    call_id, number, recording = hotline_delivery(parsed)
    received = await call_app(request, state(request).app.record_call, call_id, number, recording)
    return json_response(
        {"status": "replayed" if received.replayed else "recorded", "conversation": str(received.conversation)}
    )


routes = [
    Route("/webhooks/zalo", zalo, methods=["POST"], name="webhooks:zalo"),
    Route("/webhooks/messenger", messenger_handshake, methods=["GET"], name="webhooks:messenger_handshake"),
    Route("/webhooks/messenger", messenger, methods=["POST"], name="webhooks:messenger"),
    Route("/webhooks/hotline", hotline, methods=["POST"], name="webhooks:hotline"),
]
STATUS = {"type": "object", "properties": {"status": {"type": "string"}}}
OBJECT = {"type": "object"}
ZALO_SIGNATURE = Header("X-ZEvent-Signature", str, "mac=sha256(app id + body + timestamp + OA secret key)", True)
HUB = [
    Query("hub.mode", str, "subscribe", True),
    Query("hub.verify_token", str, "", True),
    Query("hub.challenge", str, "echoed back", True),
]


def document_webhook(name: str, response: dict[str, Any], *signature: Header) -> None:
    """A channel's signed delivery: a JSON object, no token; the ``signature``
    headers prove it comes from the channel."""
    document(name, auth="none", body=OBJECT, response=response, problems=(400, 403, 404, 413, 422), headers=signature)


document_webhook("webhooks:zalo", STATUS, ZALO_SIGNATURE)
document(
    "webhooks:messenger_handshake",
    auth="none",
    media_type="text/plain",
    response={"type": "string"},
    problems=(403, 404),
    query=HUB,
    store=False,
)
document_webhook(
    "webhooks:messenger", OBJECT, Header("X-Hub-Signature-256", str, "sha256=HMAC-SHA256(app secret, body)", True)
)
document_webhook(
    "webhooks:hotline",
    OBJECT,
    Header("X-Hotline-Signature", str, "sha256=HMAC-SHA256(secret, timestamp.body)", True),
    Header("X-Hotline-Timestamp", str, "seconds since the epoch", True),
)
