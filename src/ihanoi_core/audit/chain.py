"""The hash chain over the notification log, and its verification.

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
stores them, exactly once); ``verify_chain`` walks the stored log beside the
chained rows and names the first position where they part: an event edited
(same id and version, other bytes), deleted (a chained position missing), inserted
(a stored position the chain never saw, below its head) or reordered (the
event at a position is one the chain has elsewhere). Everything here is pure:
it reads notifications and chain rows from iterables the caller supplies.
"""

from __future__ import annotations

import functools
import hashlib
import struct
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from eventsourcing.persistence import ApplicationRecorder, Notification

GENESIS = hashlib.sha256(b"ihanoi-audit-chain-v1").digest()
PAGE_SIZE = 5000
MAX_PROBLEMS = 100


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
    """One chained position: which event was there, its digest and the link."""

    position: int
    originator_id: str
    originator_version: int
    digest: bytes
    link: bytes


_u64 = struct.Struct(">Q").pack


@functools.lru_cache(maxsize=4096)
def _topic_part(topic: str) -> bytes:
    """``u64(len topic) ‖ topic``: a log has few topics, so each is encoded once."""
    name = topic.encode()
    return _u64(len(name)) + name


def _event_head(originator_id: object, version: int, topic: str, state_length: int) -> bytes:
    """``EVENT`` up to (not including) the state bytes."""
    identity = str(originator_id).encode()
    return b"".join((_u64(len(identity)), identity, _u64(version), _topic_part(topic), _u64(state_length)))


def event_digest(originator_id: object, version: int, topic: str, state: bytes) -> bytes:
    """SHA-256 of the event's encoding (see the module docstring)."""
    return hashlib.sha256(_event_head(originator_id, version, topic, len(state)) + state).digest()


def chain_link(previous: bytes, position: int, originator_id: object, version: int, topic: str, state: bytes) -> bytes:
    """The link at ``position`` after ``previous`` (see the module docstring)."""
    head = _event_head(originator_id, version, topic, len(state))
    return hashlib.sha256(b"".join((previous, _u64(position), head, state))).digest()


def notification_link(previous: bytes, notification: StoredNotification) -> bytes:
    state = notification.state
    head = _event_head(notification.originator_id, notification.originator_version, notification.topic, len(state))
    return hashlib.sha256(b"".join((previous, _u64(notification.id), head, state))).digest()


def chain(previous: bytes, notifications: Iterable[StoredNotification]) -> Iterator[ChainRow]:
    """Chain rows for ``notifications`` (in position order) after the link ``previous``."""
    sha256 = hashlib.sha256
    for notification in notifications:
        state = notification.state
        identity = str(notification.originator_id)
        head = _event_head(identity, notification.originator_version, notification.topic, len(state))
        previous = sha256(b"".join((previous, _u64(notification.id), head, state))).digest()
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


# -- verification ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    """One place where the stored log and the chain disagree.

    ``kind`` is ``edited``, ``deleted``, ``inserted``, ``reordered``,
    ``chain_altered`` (the chain's own row does not follow from its
    predecessor and the stored event: the chain table was edited),
    ``chain_truncated`` (the chain's recorded head has no row), or
    ``checkpoint`` (a signed checkpoint does not match)."""

    position: int
    kind: str
    detail: str


@dataclass(frozen=True)
class LogSummary:
    """The stored log as recomputed from genesis up to a position: what a
    checkpoint at that position must match."""

    position: int
    link: bytes
    events: int
    present: bool  # whether an event is stored at exactly ``position``


@dataclass(frozen=True)
class VerifyReport:
    """What ``verify_chain`` found. ``ok`` when there is no problem."""

    log_head: int
    chain_head: int
    checked: int
    unchained: int
    problems: tuple[Problem, ...]
    more_problems: int = 0
    at_position: LogSummary | None = None
    seconds: float = 0.0
    notes: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_problem(self) -> Problem | None:
        return self.problems[0] if self.problems else None

    def with_problems(self, problems: Iterable[Problem], *notes: str) -> VerifyReport:
        merged = tuple(sorted((*self.problems, *problems), key=lambda problem: problem.position))
        return VerifyReport(
            self.log_head,
            self.chain_head,
            self.checked,
            self.unchained,
            merged,
            self.more_problems,
            self.at_position,
            self.seconds,
            (*self.notes, *notes),
        )


def _describe(originator_id: object, version: int) -> str:
    return f"{originator_id} v{version}"


class _Walk:
    """The slow paths of one verification walk: explaining a disagreement."""

    def __init__(self, chain_head: int, locate: Callable[[str, int], int | None], max_problems: int) -> None:
        self.chain_head = chain_head
        self.locate = locate
        self.max_problems = max_problems
        self.problems: list[Problem] = []
        self.more = 0

    def problem(self, position: int, kind: str, detail: str) -> None:
        if len(self.problems) < self.max_problems:
            self.problems.append(Problem(position, kind, detail))
        else:
            self.more += 1

    def mismatched(self, notification: StoredNotification, row: ChainRow, chained_previous: bytes) -> None:
        """The log recomputed from genesis does not reach the chain's link here:
        find out whether this position is where they part, and how."""
        if (str(notification.originator_id), notification.originator_version) != (
            row.originator_id,
            row.originator_version,
        ):
            self.misplaced(notification, row)
            return
        if notification_link(chained_previous, notification) == row.link:
            return  # Locally consistent: the divergence was reported earlier.
        digest = event_digest(
            notification.originator_id, notification.originator_version, notification.topic, notification.state
        )
        if digest != row.digest:
            self.problem(
                row.position,
                "edited",
                f"the event {_describe(row.originator_id, row.originator_version)} at position {row.position} "
                "is not the one that was chained: its stored bytes were changed",
            )
        else:
            self.problem(
                row.position,
                "chain_altered",
                f"the chain's link at position {row.position} does not follow from the link before it: "
                "the chain table was edited (at or before this position)",
            )

    def misplaced(self, notification: StoredNotification, row: ChainRow) -> None:
        stored = _describe(notification.originator_id, notification.originator_version)
        chained = _describe(row.originator_id, row.originator_version)
        elsewhere = self.locate(str(notification.originator_id), notification.originator_version)
        if elsewhere is not None:
            self.problem(
                row.position,
                "reordered",
                f"position {row.position} holds {stored}, which the chain has at position {elsewhere} "
                f"(the chain has {chained} here)",
            )
        else:
            self.problem(
                row.position,
                "inserted",
                f"position {row.position} holds {stored}, which was never chained (the chain has {chained} here)",
            )

    def chained_only(self, row: ChainRow) -> None:
        """A chain row whose position holds no stored event."""
        self.problem(
            row.position,
            "deleted",
            f"the event {_describe(row.originator_id, row.originator_version)} chained at position "
            f"{row.position} is no longer stored",
        )

    def stored_only(self, notification: StoredNotification) -> None:
        """A stored event at or below the chain head that the chain never saw."""
        self.problem(
            notification.id,
            "inserted",
            f"position {notification.id} holds "
            f"{_describe(notification.originator_id, notification.originator_version)}, "
            f"which is not in the chain although the chain reaches position {self.chain_head}",
        )


def verify_chain(
    log: Iterable[StoredNotification],
    chained: Iterable[ChainRow],
    *,
    chain_head: int,
    locate: Callable[[str, int], int | None] = lambda originator_id, version: None,
    summary_at: int | None = None,
    progress: Callable[[int], None] | None = None,
    max_problems: int = MAX_PROBLEMS,
) -> VerifyReport:
    """Walk the stored ``log`` and the ``chained`` rows (both in position order)
    side by side and report where they disagree.

    ``chain_head`` is the last position the chain has processed (its recorded
    tracking position); stored events after it are counted as not yet chained,
    not as problems. ``locate(id, version)`` finds where the chain has an
    event (to tell a reordered event from an inserted one). With
    ``summary_at`` the report also carries the log recomputed from genesis up
    to that position, for checking a signed checkpoint. ``progress`` is called
    with the number of stored events read since its last call.

    The log is recomputed from genesis as it is read (``pure``); where it
    reaches a chain row's link, everything up to that position is exactly
    what was chained and nothing else needs checking. Only where it does not
    is the position examined against the chain's own previous link, so each
    tampering is reported once, where it happened."""
    started = time.perf_counter()
    walk = _Walk(chain_head, locate, max_problems)
    sha256 = hashlib.sha256
    hash_until = max(chain_head, summary_at or 0)
    pure = chained_previous = GENESIS
    stored = checked = unchained = log_head = last_row = read = 0
    summary: LogSummary | None = None
    present = False
    rows = iter(chained)
    row = next(rows, None)
    for notification in log:
        position = notification.id
        while row is not None and row.position < position:
            walk.chained_only(row)
            checked += 1
            chained_previous, last_row = row.link, row.position
            row = next(rows, None)
        if summary_at is not None and summary is None and position > summary_at:
            summary = LogSummary(summary_at, pure, stored, present)
        log_head = position
        read += 1
        if progress is not None and read == 1000:
            progress(read)
            read = 0
        if position > chain_head:
            unchained += 1
            if position > hash_until:
                continue  # Neither chained nor needed for the summary: no hashing.
        state = notification.state
        head = _event_head(notification.originator_id, notification.originator_version, notification.topic, len(state))
        pure = sha256(b"".join((pure, _u64(position), head, state))).digest()
        stored += 1
        if position == summary_at:
            present = True
        if row is not None and row.position == position:
            checked += 1
            if pure != row.link:
                walk.mismatched(notification, row, chained_previous)
            chained_previous, last_row = row.link, position
            row = next(rows, None)
        elif position <= chain_head:
            walk.stored_only(notification)
    while row is not None:
        walk.chained_only(row)
        checked += 1
        last_row = row.position
        row = next(rows, None)
    if summary_at is not None and summary is None:
        summary = LogSummary(summary_at, pure, stored, present)
    if progress is not None and read:
        progress(read)
    if chain_head > last_row:
        walk.problem(
            chain_head,
            "chain_truncated",
            f"the chain records reaching position {chain_head} but its last row is at position {last_row}",
        )
    return VerifyReport(
        log_head=log_head,
        chain_head=chain_head,
        checked=checked,
        unchained=unchained,
        problems=tuple(sorted(walk.problems, key=lambda problem: problem.position)),
        more_problems=walk.more,
        at_position=summary,
        seconds=time.perf_counter() - started,
    )
