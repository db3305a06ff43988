"""Gateways' signed callbacks: checking the signature, the timestamp, and
turning the body into ``RecordGatewayPayment``.

A gateway signs each callback with the secret it shares with us
(``IHANOI_PAYMENTS_PROVIDERS``): the ``X-Signature`` header is
``sha256=`` and the hex HMAC-SHA256 of ``<timestamp>.<raw body>``, where
``<timestamp>`` is the ``X-Timestamp`` header (Unix seconds). The MAC covers
the timestamp, so an old callback cannot be replayed with a fresh one; a
timestamp further than the window from our clock is refused; the comparison
is constant-time (``hmac.compare_digest``). Only then is the body read.

Each provider has an adapter that reads its body; ``JsonAdapter`` reads the
shape documented in ``docs/payments.md`` and is used by every provider that
has no adapter of its own.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

import msgspec

from ihanoi_core.commands.payments import RecordGatewayPayment
from ihanoi_core.commands.values import AwareDatetime
from ihanoi_core.errors import IhanoiError, NotFoundError, ValidationError

SIGNATURE_HEADER = "x-signature"
TIMESTAMP_HEADER = "x-timestamp"
SCHEME = "sha256="


class SignatureError(IhanoiError):
    """A callback whose signature or timestamp does not check out: refused, nothing recorded."""

    code = "bad_signature"

    def __init__(self, reason: str) -> None:
        super().__init__(f"The callback is refused: {reason}.", reason=reason)


class UnknownProviderError(NotFoundError):
    """A callback from a gateway the settings do not name."""

    code = "unknown_provider"

    def __init__(self, provider: str) -> None:
        super().__init__(f"No payment gateway {provider!r} is configured.", provider=provider)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Signature`` value of ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return SCHEME + mac.hexdigest()


def verify(
    secrets: Mapping[str, str],
    provider: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: datetime,
    window: int,
) -> None:
    """Raise unless ``body`` is signed by ``provider``'s secret at a time within
    ``window`` seconds of ``now``."""
    secret = secrets.get(provider)
    if secret is None:
        raise UnknownProviderError(provider)
    timestamp = headers.get(TIMESTAMP_HEADER, "")
    signature = headers.get(SIGNATURE_HEADER, "")
    if not timestamp.isdigit() or len(timestamp) > 12:
        raise SignatureError("no X-Timestamp of Unix seconds")
    if not timestamp.isascii() or not signature.startswith(SCHEME):
        raise SignatureError("no X-Signature of the form sha256=<hex>")
    if not hmac.compare_digest(sign(secret, timestamp, body).encode(), signature.encode("utf-8", "replace")):
        raise SignatureError("the signature does not match")
    if abs(now.timestamp() - int(timestamp)) > window:
        raise SignatureError(f"the timestamp is more than {window} seconds from ours")


class Adapter(Protocol):
    def command(self, provider: str, body: bytes) -> RecordGatewayPayment: ...


class JsonCallback(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    """The callback body of ``JsonAdapter``."""

    transaction_id: str
    amount: int
    description: str
    paid_at: AwareDatetime


class JsonAdapter:
    """``{"transaction_id", "amount", "description", "paid_at"}``: the transfer
    as the receiving bank saw it (``description``: the payer's transfer purpose)."""

    def command(self, provider: str, body: bytes) -> RecordGatewayPayment:
        try:
            callback = msgspec.json.decode(body, type=JsonCallback)
            return msgspec.convert(
                {
                    "provider": provider,
                    "transaction_id": callback.transaction_id,
                    "reference": callback.description,
                    "amount": callback.amount,
                    "paid_at": callback.paid_at,
                },
                RecordGatewayPayment,
                from_attributes=False,
            )
        except msgspec.ValidationError as error:
            raise ValidationError({"body": str(error)}) from None
        except msgspec.DecodeError:
            raise ValidationError({"body": "not a JSON object"}) from None


ADAPTERS: dict[str, Adapter] = {}
DEFAULT_ADAPTER = JsonAdapter()


def adapter(provider: str) -> Adapter:
    return ADAPTERS.get(provider, DEFAULT_ADAPTER)
