"""What every delivery adapter is: a ``Sender`` of ``Message``s, and the two
ways a delivery fails.

The dispatcher builds one ``Message`` per notice (already rendered, to one
verified address) and hands it to the sender of its channel. A sender raises
``DeliveryError`` with ``permanent=True`` when trying again cannot help (the
address is refused, the request malformed): the notice is dead-lettered at
once; otherwise it is retried with backoff. ``idempotency_key`` is the
notice's id: a gateway that honours it delivers a retried notice once.
"""

from __future__ import annotations

import functools
import ssl
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Message:
    """One rendered notice to one address."""

    idempotency_key: str
    channel: str
    kind: str
    to: str
    language: str
    subject: str
    text: str
    html: str | None = None
    # Values the template was rendered from (a gateway's template takes them).
    params: dict[str, Any] | None = None
    # A Web Push subscription's keys (``p256dh``, ``auth``) the message is encrypted to.
    keys: dict[str, str] | None = None


class DeliveryError(Exception):
    """Raised by a sender when a message was not delivered; ``permanent`` when
    retrying cannot help."""

    def __init__(self, detail: str, *, permanent: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.permanent = permanent


class Sender(Protocol):
    """Delivers messages on one or more channels."""

    def send(self, message: Message) -> str | None:
        """Deliver ``message``; return the gateway's id for it, if any.
        Raises ``DeliveryError``."""
        ...

    def close(self) -> None: ...


@functools.cache
def outbound_tls() -> ssl.SSLContext:
    """The TLS context of the HTTP adapters' calls, one for the process:
    httpx's default (certifi's CA certificates, verified). Given none, httpx
    builds a new context for each client and reads the certificates again
    (27 ms); one context is safe to share between clients and threads."""
    import httpx  # the HTTP adapters' library, not the core's

    return httpx.create_ssl_context()
