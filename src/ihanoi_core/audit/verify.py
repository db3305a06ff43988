"""Verifying the hash chain: the stored log walked beside the chained rows.

``verify_chain`` trusts nothing a chain row says: for every chained position it
recomputes the stored event's digest and the link (from genesis, and from the
chain's own previous link) and compares both with the row. It names each
position where they part and how (``Problem.kind``): an event ``edited`` (same
id and version, other bytes), ``deleted`` (a chained position missing),
``inserted`` (a stored position the chain never saw, below its last row) or
``reordered`` (the event at a position is one the chain has elsewhere); the
chain table itself ``chain_altered`` (a digest or link that does not follow, or
is not a hash at all) or ``chain_truncated`` (its last rows deleted). It also
recomputes the log up to given positions (``LogSummary``), which is what a
signed checkpoint is checked against (``ihanoi_core.audit.checkpoint``).

Pure, like ``chain``: it reads notifications and chain rows from iterables the
caller supplies.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace

from ihanoi_core.audit.chain import (
    GENESIS,
    ChainRow,
    StoredNotification,
    event_head,
    notification_link,
    u64,
)

MAX_PROBLEMS = 100


@dataclass(frozen=True, slots=True)
class Problem:
    """One place where the stored log and the chain disagree.

    ``kind`` is ``edited``, ``deleted``, ``inserted``, ``reordered``,
    ``chain_altered`` (the chain's own row does not follow from its
    predecessor and the stored event, or its digest is not the stored event's,
    or a digest or link is not a SHA-256 value: the chain table was edited),
    ``chain_truncated`` (the chain's recorded head is past its last row: its
    last rows were deleted), or ``checkpoint`` (a signed checkpoint does not
    match)."""

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
    """What ``verify_chain`` found. ``ok`` when there is no problem.

    ``events`` counts every stored event read; ``summaries`` holds the log
    recomputed up to each position asked for. ``signed_position`` is the
    newest signed checkpoint that matched the log (set by the caller that
    checked it, ``ihanoi_projections.audit_chain.verify_store``): the events
    after it (``unsigned``) are protected by the chain table alone."""

    log_head: int
    chain_head: int
    checked: int
    unchained: int
    problems: tuple[Problem, ...]
    more_problems: int = 0
    at_position: LogSummary | None = None
    seconds: float = 0.0
    notes: tuple[str, ...] = field(default=())
    events: int = 0
    summaries: Mapping[int, LogSummary] = field(default_factory=dict)
    signed_position: int | None = None
    signed_events: int = 0
    signed_created_at: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_problem(self) -> Problem | None:
        return self.problems[0] if self.problems else None

    @property
    def unsigned(self) -> int:
        """Stored events after the newest matching signed checkpoint (all of them without one)."""
        return self.events - self.signed_events

    def with_problems(self, problems: Iterable[Problem], *notes: str) -> VerifyReport:
        merged = tuple(sorted((*self.problems, *problems), key=lambda problem: problem.position))
        return replace(self, problems=merged, notes=(*self.notes, *notes))


def _describe(originator_id: object, version: int) -> str:
    return f"{originator_id} v{version}"


def not_a_hash(value: object) -> str | None:
    """What a stored digest or link is instead of a 32-byte SHA-256 value, or
    None when it is one. The table is evidence: it may hold anything."""
    if isinstance(value, bytes) and len(value) == 32:
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        return f"{len(value)} bytes long"
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return f"the text {value[:40]!r}"
    return f"the {type(value).__name__} {str(value)[:40]}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


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

    def compare(
        self, notification: StoredNotification, row: ChainRow, digest: bytes, pure: bytes, chained_previous: bytes
    ) -> None:
        """The chain row at this position is not exactly the log recomputed
        from genesis (its link) and the stored event (its digest): find out
        whether this position is where they part, and how. Nothing the row
        says is trusted: its digest and link are recomputed and compared."""
        if (str(notification.originator_id), notification.originator_version) != (
            row.originator_id,
            row.originator_version,
        ):
            self.misplaced(notification, row)
            return
        position = row.position
        for column, value in (("link", row.link), ("digest", row.digest)):
            if (what := not_a_hash(value)) is not None:
                self.problem(
                    position,
                    "chain_altered",
                    f"the chain's {column} at position {position} is {what}, not a 32-byte SHA-256 hash: "
                    "the chain table was edited",
                )
                return
        # The link follows from genesis, or (past an earlier problem, reported
        # there) from the chain's own previous link.
        follows = row.link == pure or row.link == notification_link(chained_previous, notification)
        if follows and row.digest == digest:
            return
        event = _describe(row.originator_id, row.originator_version)
        if follows:
            self.problem(
                position,
                "chain_altered",
                f"the chain's digest at position {position} is not the digest of the stored event {event}: "
                "the chain table was edited",
            )
        elif row.digest != digest:
            self.problem(
                position,
                "edited",
                f"the event {event} at position {position} is not the one that was chained: "
                "its stored bytes were changed",
            )
        else:
            self.problem(
                position,
                "chain_altered",
                f"the chain's link at position {position} does not follow from the link before it and the "
                "stored event: the chain table was edited (at or before this position)",
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
        """A stored event below the chain's last row that the chain never saw."""
        self.problem(
            notification.id,
            "inserted",
            f"position {notification.id} holds "
            f"{_describe(notification.originator_id, notification.originator_version)}, "
            f"which is not in the chain although the chain reaches position {self.chain_head}",
        )

    def truncated(self, last_row: int, first_unchained: int | None, unchained: int) -> None:
        """The chain's recorded head is past its last row: rows were deleted
        from its end. The stored events there are not "inserted": the chain
        saw them and lost their rows."""
        lost = f" ({_plural(unchained, 'stored event')} after it are no longer in the chain)" if unchained else ""
        self.problem(
            first_unchained if first_unchained is not None else self.chain_head,
            "chain_truncated",
            f"the chain records reaching position {self.chain_head} but its last row is at position "
            f"{last_row}{lost}: the chain table's last rows were deleted",
        )


def verify_chain(
    log: Iterable[StoredNotification],
    chained: Iterable[ChainRow],
    *,
    chain_head: int,
    locate: Callable[[str, int], int | None] = lambda originator_id, version: None,
    summary_at: int | None = None,
    summaries_at: Iterable[int] = (),
    progress: Callable[[int], None] | None = None,
    max_problems: int = MAX_PROBLEMS,
) -> VerifyReport:
    """Walk the stored ``log`` and the ``chained`` rows (both in position order)
    side by side and report where they disagree.

    ``chain_head`` is the last position the chain has processed (its recorded
    tracking position); stored events after it are counted as not yet chained,
    not as problems. ``locate(id, version)`` finds where the chain has an
    event (to tell a reordered event from an inserted one). With
    ``summary_at`` (and ``summaries_at``) the report also carries the log
    recomputed from genesis up to those positions, for checking signed
    checkpoints. ``progress`` is called with the number of stored events read
    since its last call.

    Each chained position is checked for everything its row claims: the
    stored event's digest is recomputed and compared with the row's, and the
    link recomputed from genesis (``pure``) is compared with the row's link.
    Where the link differs, the position is examined against the chain's own
    previous link, so each tampering is reported once, where it happened."""
    started = time.perf_counter()
    walk = _Walk(chain_head, locate, max_problems)
    sha256 = hashlib.sha256
    targets = sorted({*summaries_at, *(() if summary_at is None else (summary_at,))})
    hash_until = max(chain_head, targets[-1] if targets else 0)
    summaries: dict[int, LogSummary] = {}
    next_target = 0
    pure = chained_previous = GENESIS
    stored = checked = unchained = log_head = last_row = last_hashed = read = events = tail = 0
    first_tail: int | None = None
    rows = iter(chained)
    row = next(rows, None)
    for notification in log:
        position = notification.id
        while row is not None and row.position < position:
            walk.chained_only(row)
            checked += 1
            if not_a_hash(row.link) is None:
                chained_previous = row.link
            last_row = row.position
            row = next(rows, None)
        while next_target < len(targets) and position > targets[next_target]:
            target = targets[next_target]
            summaries[target] = LogSummary(target, pure, stored, last_hashed == target)
            next_target += 1
        log_head = position
        events += 1
        read += 1
        if progress is not None and read == 1000:
            progress(read)
            read = 0
        if position > chain_head:
            unchained += 1
            if position > hash_until:
                continue  # Neither chained nor needed for a summary: no hashing.
        state = notification.state
        head = event_head(notification.originator_id, notification.originator_version, notification.topic, len(state))
        pure = sha256(b"".join((pure, u64(position), head, state))).digest()
        stored += 1
        last_hashed = position
        if row is not None and row.position == position:
            checked += 1
            digest = sha256(head + state).digest()
            if pure != row.link or digest != row.digest:
                walk.compare(notification, row, digest, pure, chained_previous)
            # A link that is not a hash cannot be chained from: go on from the recomputed one.
            chained_previous = row.link if not_a_hash(row.link) is None else pure
            last_row = position
            row = next(rows, None)
        elif position <= chain_head:
            if row is None:  # After the chain's last row: counted in ``truncated`` below.
                tail += 1
                first_tail = position if first_tail is None else first_tail
            else:
                walk.stored_only(notification)
    while row is not None:
        walk.chained_only(row)
        checked += 1
        last_row = row.position
        row = next(rows, None)
    for target in targets[next_target:]:
        summaries[target] = LogSummary(target, pure, stored, last_hashed == target)
    if progress is not None and read:
        progress(read)
    if chain_head > last_row:
        walk.truncated(last_row, first_tail, tail)
    return VerifyReport(
        log_head=log_head,
        chain_head=chain_head,
        checked=checked,
        unchained=unchained,
        problems=tuple(sorted(walk.problems, key=lambda problem: problem.position)),
        more_problems=walk.more,
        at_position=summaries.get(summary_at) if summary_at is not None else None,
        seconds=time.perf_counter() - started,
        events=events,
        summaries=summaries,
    )
