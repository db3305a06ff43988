"""The hash chain over the notification log: its encoding, and chaining new events.

Every stored event, at its position in the log, extends the chain:

    link_0 = GENESIS = SHA-256("ihanoi-audit-chain-v1")
    link_p = SHA-256(link_prev ‖ u64(p) ‖ EVENT)
    EVENT  = u64(len id) ‖ id ‖ u64(version) ‖ u64(len topic) ‖ topic ‖ u64(len state) ‖ state
    digest = SHA-256(EVENT)

where ``u64`` is an unsigned 64-bit big-endian integer, ``id`` the originator id
as text (a UUID in its canonical lowercase hyphenated form), ``topic`` UTF-8 and
``state`` the stored bytes exactly as the store holds them (after compression
or encryption, when configured). ``link_prev`` is the link of the previous
*stored* position: PostgreSQL positions can have gaps, which the chain skips.
Every variable field is length-prefixed, so two different events never encode
to the same bytes. ``digest`` identifies an event wherever it sits; ``link``
commits to everything before it as well.

``chain`` computes rows for new notifications (the ``audit_chain`` read model
stores them, exactly once); ``ihanoi_core.audit.verify`` walks the stored log
beside them. Everything here is pure: it reads notifications from iterables
the caller supplies.
"""

from __future__ import annotations

import functools
import hashlib
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from eventsourcing.persistence import ApplicationRecorder, Notification

GENESIS = hashlib.sha256(b"ihanoi-audit-chain-v1").digest()
PAGE_SIZE = 5000


class StoredNotification(Protocol):
    """What the chain reads of a notification: ``eventsourcing``'s ``Notification``."""

    @property
    def id(self) -> int: ...

    @property
    def originator_id(self) -> Any: ...

    @property
    def originator_version(self) -> int: ...

    @property
    def topic(self) -> str: ...

    @property
    def state(self) -> bytes: ...


@dataclass(frozen=True, slots=True)
class ChainRow:
    """One chained position: which event was there, its digest and the link.
    Read back from the ``audit_chain`` table, a row holds whatever the table
    holds: verification checks every field (``not_a_hash``)."""

    position: int
    originator_id: str
    originator_version: int
    digest: bytes
    link: bytes


u64 = struct.Struct(">Q").pack


@functools.lru_cache(maxsize=4096)
def _topic_part(topic: str) -> bytes:
    """``u64(len topic) ‖ topic``: a log has few topics, so each is encoded once."""
    name = topic.encode()
    return u64(len(name)) + name


def event_head(originator_id: object, version: int, topic: str, state_length: int) -> bytes:
    """``EVENT`` up to (not including) the state bytes."""
    identity = str(originator_id).encode()
    return b"".join((u64(len(identity)), identity, u64(version), _topic_part(topic), u64(state_length)))


def event_digest(originator_id: object, version: int, topic: str, state: bytes) -> bytes:
    """SHA-256 of the event's encoding (see the module docstring)."""
    return hashlib.sha256(event_head(originator_id, version, topic, len(state)) + state).digest()


def chain_link(previous: bytes, position: int, originator_id: object, version: int, topic: str, state: bytes) -> bytes:
    """The link at ``position`` after ``previous`` (see the module docstring)."""
    head = event_head(originator_id, version, topic, len(state))
    return hashlib.sha256(b"".join((previous, u64(position), head, state))).digest()


def notification_link(previous: bytes, notification: StoredNotification) -> bytes:
    state = notification.state
    head = event_head(notification.originator_id, notification.originator_version, notification.topic, len(state))
    return hashlib.sha256(b"".join((previous, u64(notification.id), head, state))).digest()


def chain(previous: bytes, notifications: Iterable[StoredNotification]) -> Iterator[ChainRow]:
    """Chain rows for ``notifications`` (in position order) after the link ``previous``."""
    sha256 = hashlib.sha256
    for notification in notifications:
        state = notification.state
        identity = str(notification.originator_id)
        head = event_head(identity, notification.originator_version, notification.topic, len(state))
        previous = sha256(b"".join((previous, u64(notification.id), head, state))).digest()
        yield ChainRow(
            notification.id, identity, notification.originator_version, sha256(head + state).digest(), previous
        )


def read_log(
    recorder: ApplicationRecorder, *, after: int = 0, stop: int | None = None, page_size: int = PAGE_SIZE
) -> Iterator[Notification]:
    """Every stored notification after position ``after`` (up to ``stop``), in pages."""
    while True:
        page = recorder.select_notifications(after, page_size, stop, inclusive_of_start=False)
        yield from page
        if len(page) < page_size:
            return
        after = page[-1].id
