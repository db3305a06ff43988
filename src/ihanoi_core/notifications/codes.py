"""One-time codes that prove a channel reaches its owner.

The code is never stored: it is derived, with a server key, from a random
challenge recorded (sealed) on ``Contactability.ChannelAdded``, and the event
also keeps a keyed hash of it to check what the person types. The dispatcher
derives the same code to put in the message. Six digits, so the domain limits
the attempts per challenge (``MAX_ATTEMPTS``) and its lifetime (``CODE_TTL``).
Rotating ``IHANOI_SECRET_KEY`` voids the codes in flight.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from uuid import UUID

CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=15)


def verification_key(secret: str) -> bytes:
    """The key codes are derived and hashed with, from the server's secret key."""
    return hmac.new(secret.encode(), b"ihanoi notification one-time codes", hashlib.sha256).digest()


def new_challenge() -> str:
    return secrets.token_hex(16)


def code_for(key: bytes, contactability: UUID, channel: str, challenge: str) -> str:
    """The code of ``challenge`` for this person's ``channel``."""
    digest = hmac.new(key, f"code\x1f{contactability}\x1f{channel}\x1f{challenge}".encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**CODE_DIGITS:0{CODE_DIGITS}d}"


def code_hash(key: bytes, contactability: UUID, channel: str, challenge: str, code: str) -> str:
    """What the event keeps to check a code: a keyed hash, useless without the key."""
    message = f"hash\x1f{contactability}\x1f{channel}\x1f{challenge}\x1f{code.strip()}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def matches(
    expected_hash: str | None, key: bytes, contactability: UUID, channel: str, challenge: str, code: str
) -> bool:
    if not expected_hash:
        return False
    return hmac.compare_digest(expected_hash, code_hash(key, contactability, channel, challenge, code))
