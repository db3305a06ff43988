"""Signed checkpoints of the hash chain, for a city to publish.

A checkpoint says "up to position P the log held N events and its chain link
was L", signed with the city's Ed25519 key (``IHANOI_AUDIT_KEY``: base64 of the
32-byte private seed). Published somewhere the operator cannot rewrite (a
gazette, a second agency, a timestamping service), it is what protects the log
against someone who rewrites both the stored events and the chain: anyone can
recompute the link at P from the stored events and compare.

The signature covers ``SIGNING_CONTEXT`` followed by the checkpoint's fields
other than ``signature`` as compact JSON with sorted keys (see
``Checkpoint.signed_bytes``). A checkpoint is only as trustworthy as the public
key it is checked against: ``check_checkpoint`` takes the trusted key from the
caller and refuses a checkpoint that names another.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ihanoi_core.audit.verify import LogSummary, Problem
from ihanoi_core.errors import ConfigurationError, IhanoiError

SIGNING_CONTEXT = b"ihanoi-audit-checkpoint-v1\n"
FIELDS = ("jurisdiction", "position", "link", "events", "created_at", "public_key", "signature")


class AuditKeyError(ConfigurationError):
    """Raised when ``IHANOI_AUDIT_KEY`` (or a public key given to check a
    checkpoint) is missing or is not the base64 of 32 bytes."""

    code = "audit_key_error"


class CheckpointFormatError(IhanoiError):
    """Raised when a checkpoint file is not a checkpoint: not JSON, a field
    missing or of the wrong type. Names the problem."""

    code = "checkpoint_format_error"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise AuditKeyError(f"{what} is not valid base64.") from None


def generate_key() -> tuple[str, str]:
    """A new signing key: (private seed, public key), both base64."""
    key = Ed25519PrivateKey.generate()
    return _b64(key.private_bytes_raw()), public_key_of(key)


def load_signing_key(seed: str | None) -> Ed25519PrivateKey:
    """The signing key from ``IHANOI_AUDIT_KEY`` (base64 of the 32-byte seed)."""
    if not seed:
        raise AuditKeyError("IHANOI_AUDIT_KEY is not set; create one with `ihanoi audit keygen`.")
    raw = _unb64(seed, "IHANOI_AUDIT_KEY")
    if len(raw) != 32:
        raise AuditKeyError(f"IHANOI_AUDIT_KEY must be the base64 of 32 bytes, not of {len(raw)}.")
    return Ed25519PrivateKey.from_private_bytes(raw)


def public_key_of(key: Ed25519PrivateKey) -> str:
    """The raw 32-byte public key, base64."""
    return _b64(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


def load_public_key(text: str) -> Ed25519PublicKey:
    raw = _unb64(text, "The public key")
    if len(raw) != 32:
        raise AuditKeyError(f"An Ed25519 public key is 32 bytes, not {len(raw)}.")
    return Ed25519PublicKey.from_public_bytes(raw)


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement of the chain at one position (see module docstring).
    ``link`` is hex, ``public_key`` and ``signature`` base64, ``created_at`` ISO 8601 UTC."""

    jurisdiction: str
    position: int
    link: str
    events: int
    created_at: str
    public_key: str
    signature: str

    def signed_bytes(self) -> bytes:
        """What the signature covers."""
        fields = {name: value for name, value in asdict(self).items() if name != "signature"}
        return SIGNING_CONTEXT + orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self), option=orjson.OPT_INDENT_2) + b"\n"

    @classmethod
    def from_json(cls, data: bytes | str) -> Checkpoint:
        try:
            raw: Any = orjson.loads(data)
        except orjson.JSONDecodeError as error:
            raise CheckpointFormatError(f"The checkpoint is not JSON: {error}.") from None
        if not isinstance(raw, dict):
            raise CheckpointFormatError("The checkpoint must be a JSON object.")
        missing = [name for name in FIELDS if name not in raw]
        if missing:
            raise CheckpointFormatError(f"The checkpoint lacks {', '.join(missing)}.")
        numbers = ("position", "events")
        for name in FIELDS:
            expected = int if name in numbers else str
            if not isinstance(raw[name], expected) or isinstance(raw[name], bool):
                raise CheckpointFormatError(f"The checkpoint's {name} must be a {expected.__name__}.")
        return cls(**{name: raw[name] for name in FIELDS})


def sign_checkpoint(
    key: Ed25519PrivateKey,
    *,
    jurisdiction: str,
    position: int,
    link: bytes,
    events: int,
    created_at: datetime | None = None,
) -> Checkpoint:
    """Sign the chain's state at ``position``."""
    moment = (created_at or datetime.now(UTC)).astimezone(UTC)
    unsigned = Checkpoint(
        jurisdiction=jurisdiction,
        position=position,
        link=link.hex(),
        events=events,
        created_at=moment.isoformat().replace("+00:00", "Z"),
        public_key=public_key_of(key),
        signature="",
    )
    return Checkpoint(**{**asdict(unsigned), "signature": _b64(key.sign(unsigned.signed_bytes()))})


def signature_problem(checkpoint: Checkpoint, trusted_public_key: str) -> str | None:
    """Why the checkpoint's signature is not one of the trusted key, or None."""
    if checkpoint.public_key.strip() != trusted_public_key.strip():
        return (
            f"the checkpoint names the public key {checkpoint.public_key}, not the trusted key "
            f"{trusted_public_key}: it was not signed by this city's key"
        )
    try:
        signature = base64.b64decode(checkpoint.signature, validate=True)
    except (binascii.Error, ValueError):
        return "the checkpoint's signature is not valid base64: it is forged"
    try:
        load_public_key(trusted_public_key).verify(signature, checkpoint.signed_bytes())
    except InvalidSignature:
        return "the checkpoint's signature does not verify with the trusted key: it is forged or was altered"
    return None


def check_checkpoint(
    checkpoint: Checkpoint,
    summary: LogSummary | None,
    *,
    trusted_public_key: str,
    jurisdiction: str,
    log_head: int,
) -> list[Problem]:
    """Problems with ``checkpoint`` against the stored log recomputed up to its
    position (``summary``, from ``verify_chain(summary_at=checkpoint.position)``)."""
    position = checkpoint.position
    problems: list[Problem] = []
    if (why := signature_problem(checkpoint, trusted_public_key)) is not None:
        return [Problem(position, "checkpoint", why)]
    if checkpoint.jurisdiction != jurisdiction:
        problems.append(
            Problem(
                position,
                "checkpoint",
                f"the checkpoint is for jurisdiction {checkpoint.jurisdiction!r}, this store is {jurisdiction!r}",
            )
        )
    if summary is None or (log_head < position):
        problems.append(
            Problem(
                position,
                "checkpoint",
                f"the stored log ends at position {log_head}, before the checkpoint's position {position}: "
                "events were deleted",
            )
        )
        return problems
    if position > 0 and not summary.present:
        problems.append(Problem(position, "checkpoint", f"no event is stored at the checkpoint's position {position}"))
    if summary.link.hex() != checkpoint.link:
        problems.append(
            Problem(
                position,
                "checkpoint",
                f"the stored log up to position {position} does not match the signed checkpoint: an event at or "
                "before it was edited, deleted, inserted or reordered (and the chain rewritten to match)",
            )
        )
    if summary.events != checkpoint.events:
        problems.append(
            Problem(
                position,
                "checkpoint",
                f"the checkpoint counts {checkpoint.events} events up to position {position}, "
                f"the stored log {summary.events}",
            )
        )
    return problems
