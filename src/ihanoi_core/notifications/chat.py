"""Replies to chat threads: the Zalo OA API and the Messenger Send API, with ``httpx``.

**Zalo OA** (``IHANOI_ZALO_API_URL``, default ``https://openapi.zalo.me``):
``POST /v3.0/oa/message/cs`` with the OA's token in the ``access_token``
header and ``{"recipient": {"user_id": …}, "message": {"text": …}}``; the
answer is JSON with ``error`` 0 on success (``data.message_id``), another
``error`` code otherwise (permanent: a refused user, retried by hand once
fixed). An expired access token (-216, -124) is renewed with the refresh
token and the message sent once more (``zalo_tokens``).

**Messenger** (``IHANOI_MESSENGER_API_URL``, default
``https://graph.facebook.com/v19.0``): ``POST /me/messages?access_token=…``
with ``{"recipient": {"id": …}, "messaging_type": "RESPONSE", "message":
{"text": …}}``; 2xx carries ``message_id``.

Both: 408, 429 and 5xx answers, timeouts and refused connections are
retried; any other answer is permanent. Each request carries the notice's id
as ``X-Idempotency-Key``. Neither API documents honouring it, so after a
dispatcher dies between the API's answer and recording it, the reply can
reach the user twice in that window (the local fake of the tests honours the
key, as the SMS gateway does; see docs/channels.md).
"""

from __future__ import annotations

from typing import Any

import httpx

from ihanoi_core.notifications.channels import DeliveryError, Message, outbound_tls
from ihanoi_core.notifications.zalo_tokens import ZaloTokens

TIMEOUT = 10.0
# Zalo's answers for an access token that expired or is invalid: -216 (in the
# OA API's error table) and -124 (reported for an expired token); see docs/channels.md.
TOKEN_ERRORS = frozenset({-216, -124})
RETRIED = frozenset({408, 425, 429})


class JsonApiSender:
    """Posts one JSON request per message and reads the answer (module docstring)."""

    path = ""

    def __init__(self, url: str, token: str | None, *, timeout: float = TIMEOUT) -> None:
        self.token = token or ""
        self.client = httpx.Client(base_url=url.rstrip("/"), timeout=timeout, verify=outbound_tls())

    def body(self, message: Message) -> dict[str, Any]:
        raise NotImplementedError

    def request(self, message: Message) -> httpx.Response:
        raise NotImplementedError

    def message_id(self, answer: dict[str, Any]) -> str | None:
        given = answer.get("message_id")
        return None if given is None else str(given)

    def send(self, message: Message) -> str | None:
        try:
            answer = self.request(message)
        except httpx.HTTPError as error:
            raise DeliveryError(f"{self.path} unreachable: {type(error).__name__}") from None
        if not answer.is_success:
            permanent = answer.status_code < 500 and answer.status_code not in RETRIED
            raise DeliveryError(f"{self.path} answered {answer.status_code}", permanent=permanent)
        try:
            found = answer.json() if answer.content else {}
        except ValueError:
            found = {}
        return self.message_id(found if isinstance(found, dict) else {})

    def close(self) -> None:
        self.client.close()


class TokenExpiredError(DeliveryError):
    """Zalo called the access token expired or invalid (permanent unless it can be renewed)."""


class ZaloOaSender(JsonApiSender):
    """Sends ``zalo_oa`` replies as OA customer-service messages; an expired
    token is renewed once per message and the message sent again (``zalo_tokens``)."""

    path = "/v3.0/oa/message/cs"

    def __init__(
        self, url: str, token: str | None, *, tokens: ZaloTokens | None = None, timeout: float = TIMEOUT
    ) -> None:
        super().__init__(url, token, timeout=timeout)
        self.tokens = tokens or ZaloTokens(self.token)

    def send(self, message: Message) -> str | None:
        used = self.tokens.access_token
        try:
            return super().send(message)
        except TokenExpiredError:
            self.tokens.renew(used)
        return super().send(message)

    def request(self, message: Message) -> httpx.Response:
        body = {"recipient": {"user_id": message.to}, "message": {"text": message.text}}
        headers = {"access_token": self.tokens.access_token, "X-Idempotency-Key": message.idempotency_key}
        return self.client.post(self.path, json=body, headers=headers)

    def message_id(self, answer: dict[str, Any]) -> str | None:
        if answer.get("error", 0) in TOKEN_ERRORS:
            raise TokenExpiredError(f"Zalo OA error {answer.get('error')}: access token", permanent=True)
        if answer.get("error", 0) != 0:
            raise DeliveryError(f"Zalo OA error {answer.get('error')}", permanent=True)
        data = answer.get("data")
        return super().message_id(data if isinstance(data, dict) else {})


class MessengerSender(JsonApiSender):
    """Sends ``messenger`` replies through the Send API."""

    path = "/me/messages"

    def request(self, message: Message) -> httpx.Response:
        body = {"recipient": {"id": message.to}, "messaging_type": "RESPONSE", "message": {"text": message.text}}
        return self.client.post(
            self.path,
            json=body,
            params={"access_token": self.token},
            headers={"X-Idempotency-Key": message.idempotency_key},
        )
