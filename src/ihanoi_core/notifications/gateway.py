"""SMS brandname and Zalo ZNS notices through an HTTP gateway, with ``httpx``.

The city's messaging provider (or its own relay) takes one JSON request per
message at ``POST {IHANOI_NOTIFY_GATEWAY_URL}/messages``:

    Authorization: Bearer {IHANOI_NOTIFY_GATEWAY_TOKEN}
    Idempotency-Key: {notice id}
    {"channel": "sms" | "zalo", "to": "+84912345678" | "<Zalo user id>",
     "template_id": "<the provider's template id, IHANOI_NOTIFY_GATEWAY_TEMPLATES>" | null,
     "params": {...the template's values...}, "text": "<the rendered text>", "language": "vi"}

ZNS sends registered templates with their parameters; SMS brandname sends the
text. A 2xx answer is delivered (its JSON ``id``, if any, is kept); 409 means
the gateway has this idempotency key already, so it is delivered too; 408,
429 and 5xx are retried; any other answer is permanent. Timeouts and refused
connections are retried: the idempotency key makes the retry safe.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from ihanoi_core.notifications.channels import DeliveryError, Message, outbound_tls

TIMEOUT = 10.0
RETRIED = frozenset({408, 425, 429})


class HttpGatewaySender:
    """Sends ``sms`` and ``zalo`` messages through one HTTP gateway (module docstring)."""

    def __init__(self, url: str, token: str | None, templates: Mapping[str, str], *, timeout: float = TIMEOUT) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.client = httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=timeout, verify=outbound_tls())
        self.templates = dict(templates)

    def send(self, message: Message) -> str | None:
        body = {
            "channel": message.channel,
            "to": message.to,
            "template_id": self.templates.get(message.kind),
            "params": message.params or {},
            "text": message.text,
            "language": message.language,
        }
        try:
            answer = self.client.post("/messages", json=body, headers={"Idempotency-Key": message.idempotency_key})
        except httpx.HTTPError as error:
            raise DeliveryError(f"gateway unreachable: {type(error).__name__}") from None
        if answer.is_success or answer.status_code == 409:
            try:
                given = answer.json().get("id") if answer.content else None
            except ValueError:
                given = None
            return None if given is None else str(given)
        permanent = answer.status_code < 500 and answer.status_code not in RETRIED
        raise DeliveryError(f"gateway answered {answer.status_code}", permanent=permanent)

    def close(self) -> None:
        self.client.close()
