"""audit_chain: the hash chain over the whole notification log, one row per position.

A raw reader (``reads_raw``): the projector hands it every stored notification,
decoded or not, and it extends the chain (``ihanoi_core.audit.chain``) by one
row — position, originator id, version, event digest, link. The rows and the
model's tracking position commit in one view transaction, so each position is
chained exactly once; rows are plain INSERTs, so a second process chaining the
same positions fails and rolls back rather than forking the chain.

Also here, because they read this table: ``bring_chain_up_to_date``,
``verify_store`` (``ihanoi audit verify``), ``make_checkpoint`` (``ihanoi
audit checkpoint``) and ``PeriodicCheckpoints`` (the worker's
``--checkpoint-every``); the checkpoints they sign are recorded in
``audit_checkpoints``.

Note that rebuilding this model (``ihanoi projections rebuild audit_chain``)
re-chains the log *as it is now*, absorbing any earlier tampering: only a
published checkpoint protects against that (docs/audit.md).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import ClassVar

import psycopg
import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.persistence import Notification

from ihanoi_core.application import Ihanoi
from ihanoi_core.audit.chain import GENESIS, PAGE_SIZE, ChainRow, chain, read_log
from ihanoi_core.audit.checkpoint import (
    Checkpoint,
    CheckpointFormatError,
    check_checkpoint,
    public_key_of,
    sign_checkpoint,
)
from ihanoi_core.audit.verify import Problem, VerifyReport, not_a_hash, verify_chain
from ihanoi_core.errors import IhanoiError
from ihanoi_core.settings import Settings
from ihanoi_projections.audit_checkpoints import newest_checkpoint, record_checkpoint
from ihanoi_projections.engine.base import ProjectionContext, ReadModel
from ihanoi_projections.engine.changes import Change
from ihanoi_projections.engine.database import AlreadyAppliedError, Cursor, Row, ViewDatabase, open_view_database
from ihanoi_projections.engine.projector import Projector

log = structlog.get_logger("ihanoi.audit")

TABLE = "audit_chain"
SELECT_ROWS = (
    f"SELECT position, originator_id, originator_version, digest, link FROM {TABLE} "
    "WHERE position > ? AND position <= ? ORDER BY position LIMIT ?"
)


@dataclass(frozen=True, slots=True)
class ChainHead:
    """Where the chain stands: its last row's position and link, and how many rows it has."""

    position: int
    link: bytes
    events: int


class AuditChainModel(ReadModel):
    name = "audit_chain"
    tables = (TABLE,)
    kinds = ()
    reads_raw: ClassVar[bool] = True
    partitionable: ClassVar[bool] = False  # each link hashes the one before it

    def __init__(self, database: ViewDatabase, context: ProjectionContext) -> None:
        super().__init__(database, context)
        self._pending: list[tuple[int, str, int, bytes, bytes]] = []
        # The link of the last chained position, read from the table at the
        # start of a batch and carried in memory while the batch lasts.
        self._previous: bytes | None = None

    def schema(self) -> Sequence[str]:
        binary = "BYTEA" if self.database.dialect == "postgres" else "BLOB"
        return (
            f"CREATE TABLE IF NOT EXISTS {TABLE} ("
            "position BIGINT PRIMARY KEY, originator_id TEXT NOT NULL, originator_version BIGINT NOT NULL,"
            f" digest {binary} NOT NULL, link {binary} NOT NULL)",
        )

    # -- projection --------------------------------------------------------------

    def apply_notification(self, notification: Notification) -> None:
        if self._previous is None:
            self._previous = self.last_link()
        for row in chain(self._previous, (notification,)):
            self._pending.append((row.position, row.originator_id, row.originator_version, row.digest, row.link))
            self._previous = row.link

    def apply(self, change: Change) -> None:
        """Decoded changes add nothing: the chain reads the raw notifications."""

    def flush(self, cursor: Cursor) -> None:
        cursor.executemany(
            f"INSERT INTO {TABLE} (position, originator_id, originator_version, digest, link) VALUES (?, ?, ?, ?, ?)",
            self._pending,
        )
        self._pending = []

    def discard(self) -> None:
        self._pending = []
        self._previous = None

    def clear(self, cursor: Cursor) -> None:
        super().clear(cursor)
        self.discard()

    # -- queries -----------------------------------------------------------------

    def last_link(self) -> bytes:
        rows = self.database.query(f"SELECT link FROM {TABLE} ORDER BY position DESC LIMIT 1")
        return bytes(rows[0]["link"]) if rows else GENESIS

    def head(self) -> ChainHead:
        return chain_head(self.database)

    def chained(self, *, upto: int, after: int = 0, page_size: int = PAGE_SIZE) -> Iterator[ChainRow]:
        """The chain's rows after ``after`` up to ``upto``, in position order, in pages.
        (Both drivers return BIGINT as int and BLOB/BYTEA as bytes.)"""
        while True:
            page = self.database.query(SELECT_ROWS, (after, upto, page_size))
            for row in page:
                yield ChainRow(
                    row["position"], row["originator_id"], row["originator_version"], row["digest"], row["link"]
                )
            if len(page) < page_size:
                return
            after = page[-1]["position"]

    def locate(self, originator_id: str, version: int) -> int | None:
        """Where the chain has this event (a scan: used only to explain a problem)."""
        rows = self.database.query(
            f"SELECT position FROM {TABLE} WHERE originator_id = ? AND originator_version = ?",
            (originator_id, version),
        )
        return int(rows[0]["position"]) if rows else None

    def rows(self) -> list[Row]:
        """Every row, ordered, digests and links in hex: for comparing a rebuild with the live table."""
        return [row_as_dict(row) for row in self.chained(upto=2**62)]


class ChainTableError(IhanoiError):
    """Raised when the chain's last row cannot be signed: its link is not a
    32-byte hash (the ``audit_chain`` table was edited; ``verify`` says where)."""

    code = "chain_table_error"

    def __init__(self, position: int, what: str) -> None:
        super().__init__(
            f"The chain's link at position {position} is {what}, not a hash: the audit_chain table was edited; "
            "run `ihanoi audit verify`.",
            position=position,
        )
        self.position = position


def chain_head(database: ViewDatabase) -> ChainHead:
    """The chain's last row and the number of rows up to it (counted up to
    that row, so rows a running worker commits meanwhile are not counted)."""
    rows = database.query(f"SELECT position, link FROM {TABLE} ORDER BY position DESC LIMIT 1")
    if not rows:
        return ChainHead(0, GENESIS, 0)
    position, link = int(rows[0]["position"]), rows[0]["link"]
    if (what := not_a_hash(link)) is not None:
        raise ChainTableError(position, what)
    count = database.query(f"SELECT COUNT(*) AS n FROM {TABLE} WHERE position <= ?", (position,))[0]["n"]
    return ChainHead(position, bytes(link), int(count))


def row_as_dict(row: ChainRow) -> Row:
    """A chain row for comparison, digest and link in hex (an edited row may
    hold text or a number there: it is shown as it is, not a crash)."""

    def hex_of(value: object) -> object:
        return value.hex() if isinstance(value, bytes) else value

    return {
        "position": row.position,
        "originator_id": row.originator_id,
        "originator_version": row.originator_version,
        "digest": hex_of(row.digest),
        "link": hex_of(row.link),
    }


# -- running and checking the chain ------------------------------------------------------


def open_chain(app: Ihanoi, database: ViewDatabase) -> AuditChainModel:
    """The chain model on ``database``, its table created if need be."""
    context = ProjectionContext(app.directory, app.calendar, b"")
    model = AuditChainModel(database, context)
    database.create(model.schema())
    return model


CONCURRENT_WRITES = (AlreadyAppliedError, sqlite3.IntegrityError, psycopg.IntegrityError)


def bring_chain_up_to_date(
    app: Ihanoi, database: ViewDatabase, progress: Callable[[int], None] | None = None, attempts: int = 5
) -> AuditChainModel:
    """Chain every stored event not chained yet. Another process chaining at
    the same time (a server's read side) makes a batch fail and roll back;
    this one then re-reads the position and carries on."""
    model = open_chain(app, database)
    projector = Projector(app, database, [model])
    for attempt in range(attempts):
        try:
            projector.catch_up(progress)
            return model
        except CONCURRENT_WRITES:
            if attempt == attempts - 1:
                raise
    return model


def verify_store(
    app: Ihanoi,
    database: ViewDatabase,
    *,
    checkpoint: Checkpoint | None = None,
    trusted_public_key: str | None = None,
    jurisdiction: str = "",
    progress: Callable[[int], None] | None = None,
    page_size: int = PAGE_SIZE,
) -> VerifyReport:
    """Recompute the chain from the stored events and compare it with the
    chained rows; with a ``trusted_public_key``, also check ``checkpoint`` (a
    published one) and the newest checkpoint recorded with that key against
    the log. The report's ``signed_position`` is the newest of them that
    matched, and ``unsigned`` counts the stored events after it (all of them
    without a trusted key). Reads only: events not chained yet are counted,
    never chained here."""
    if checkpoint is not None and trusted_public_key is None:
        raise ValueError("A checkpoint can only be checked against a trusted public key.")
    model = open_chain(app, database)
    head = database.position(model.name)
    problems: list[Problem] = []
    candidates = [checkpoint] if checkpoint is not None else []
    if trusted_public_key is not None:
        try:
            recorded = newest_checkpoint(database, trusted_public_key)
        except CheckpointFormatError as error:
            recorded = None
            problems.append(Problem(int(error.context["position"]), "checkpoint", error.detail))
        if recorded is not None and recorded != checkpoint:
            candidates.append(recorded)
    report = verify_chain(
        read_log(app.recorder, page_size=page_size),
        model.chained(upto=head, page_size=page_size),
        chain_head=head,
        locate=model.locate,
        summary_at=checkpoint.position if checkpoint is not None else None,
        summaries_at=[candidate.position for candidate in candidates],
        progress=progress,
    )
    newest: Checkpoint | None = None
    for candidate in candidates:
        assert trusted_public_key is not None
        found = check_checkpoint(
            candidate,
            report.summaries.get(candidate.position),
            trusted_public_key=trusted_public_key,
            jurisdiction=jurisdiction,
            log_head=report.log_head,
        )
        if candidate is not checkpoint:
            found = [replace(problem, detail=f"the recorded checkpoint: {problem.detail}") for problem in found]
        problems.extend(found)
        if not found and (newest is None or candidate.position > newest.position):
            newest = candidate
    report = report.with_problems(problems)
    if newest is None:
        return report
    return replace(
        report,
        signed_position=newest.position,
        signed_events=report.summaries[newest.position].events,
        signed_created_at=newest.created_at,
    )


def make_checkpoint(
    app: Ihanoi,
    database: ViewDatabase,
    key: Ed25519PrivateKey,
    *,
    jurisdiction: str,
    created_at: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> Checkpoint:
    """Bring the chain up to the head of the log, sign where it stands and
    record the checkpoint (``audit_checkpoints``)."""
    bring_chain_up_to_date(app, database, progress)
    return sign_chain_head(database, key, jurisdiction=jurisdiction, created_at=created_at)


def sign_chain_head(
    database: ViewDatabase, key: Ed25519PrivateKey, *, jurisdiction: str, created_at: datetime | None = None
) -> Checkpoint:
    """Sign the chain's last row as it stands and record the checkpoint."""
    head = chain_head(database)
    checkpoint = sign_checkpoint(
        key,
        jurisdiction=jurisdiction,
        position=head.position,
        link=head.link,
        events=head.events,
        created_at=created_at,
    )
    record_checkpoint(database, checkpoint)
    return checkpoint


class PeriodicCheckpoints:
    """Signs and records a checkpoint whenever at least ``every`` events have
    been chained since the newest checkpoint recorded with this key, so that
    few events are ever covered by the chain table alone. The projection
    worker calls it between its waits (``run_worker(on_tick=…)``, ``ihanoi
    projections run audit_chain --checkpoint-every N``); it reads the chain,
    never writes it."""

    def __init__(self, settings: Settings, key: Ed25519PrivateKey, every: int) -> None:
        if every < 1:
            raise ValueError(f"--checkpoint-every must be at least 1, got {every}")
        self.settings = settings
        self.key = key
        self.every = every
        self.public_key = public_key_of(key)
        self._database: ViewDatabase | None = None
        self._since: int | None = None  # the position of the newest checkpoint

    def __call__(self) -> Checkpoint | None:
        """The checkpoint signed now, or None. A failure is logged and tried
        again at the next call: the chain goes on meanwhile."""
        try:
            return self._tick()
        except (sqlite3.Error, psycopg.Error, ChainTableError) as error:
            log.error("audit_checkpoint_failed", error=type(error).__name__, detail=str(error))
            return None

    def _tick(self) -> Checkpoint | None:
        if self._database is None:
            self._database = open_view_database(self.settings)
        database = self._database
        if self._since is None:
            try:
                newest = newest_checkpoint(database, self.public_key)
            except CheckpointFormatError:
                newest = None  # an unreadable row: sign afresh (verify reports the row)
            self._since = newest.position if newest is not None else 0
        # Positions are distinct integers, so the last one bounds the count:
        # the count (a range scan) runs only once the bound is reached.
        (top,) = database.query(f"SELECT MAX(position) AS top FROM {TABLE}")
        if top["top"] is None or int(top["top"]) - self._since < self.every:
            return None
        (new,) = database.query(f"SELECT COUNT(*) AS n FROM {TABLE} WHERE position > ?", (self._since,))
        if int(new["n"]) < self.every:
            return None
        checkpoint = sign_chain_head(database, self.key, jurisdiction=self.settings.jurisdiction)
        self._since = checkpoint.position
        log.info(
            "audit_checkpoint_signed",
            position=checkpoint.position,
            events=checkpoint.events,
            link=checkpoint.link,
            created_at=checkpoint.created_at,
        )
        return checkpoint

    def close(self) -> None:
        if self._database is not None:
            self._database.close()
            self._database = None
