"""audit_chain: the hash chain over the whole notification log, one row per position.

A raw reader (``reads_raw``): the projector hands it every stored notification,
decoded or not, and it extends the chain (``ihanoi_core.audit.chain``) by one
row — position, originator id, version, event digest, link. The rows and the
model's tracking position commit in one view transaction, so each position is
chained exactly once; rows are plain INSERTs, so a second process chaining the
same positions fails and rolls back rather than forking the chain.

Also here, because they read this table: ``bring_chain_up_to_date``,
``verify_store`` (``ihanoi audit verify``) and ``make_checkpoint``
(``ihanoi audit checkpoint``).

Note that rebuilding this model (``ihanoi projections rebuild audit_chain``)
re-chains the log *as it is now*, absorbing any earlier tampering: only a
published checkpoint protects against that (docs/audit.md).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.persistence import Notification

from ihanoi_core.application import Ihanoi
from ihanoi_core.audit.chain import GENESIS, PAGE_SIZE, ChainRow, chain, read_log
from ihanoi_core.audit.checkpoint import Checkpoint, check_checkpoint, sign_checkpoint
from ihanoi_core.audit.verify import VerifyReport, verify_chain
from ihanoi_projections.base import Change, ProjectionContext, ReadModel
from ihanoi_projections.database import AlreadyAppliedError, Cursor, Row, ViewDatabase
from ihanoi_projections.projector import Projector

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
        rows = self.database.query(f"SELECT position, link FROM {TABLE} ORDER BY position DESC LIMIT 1")
        if not rows:
            return ChainHead(0, GENESIS, 0)
        count = self.database.query(f"SELECT COUNT(*) AS n FROM {TABLE}")[0]["n"]
        return ChainHead(int(rows[0]["position"]), bytes(rows[0]["link"]), int(count))

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
    chained rows (and with ``checkpoint``, against ``trusted_public_key``).
    Reads only: events not chained yet are counted, never chained here."""
    model = open_chain(app, database)
    chain_head = database.position(model.name)
    report = verify_chain(
        read_log(app.recorder, page_size=page_size),
        model.chained(upto=chain_head, page_size=page_size),
        chain_head=chain_head,
        locate=model.locate,
        summary_at=checkpoint.position if checkpoint is not None else None,
        progress=progress,
    )
    if checkpoint is None:
        return report
    if trusted_public_key is None:
        raise ValueError("A checkpoint can only be checked against a trusted public key.")
    problems = check_checkpoint(
        checkpoint,
        report.at_position,
        trusted_public_key=trusted_public_key,
        jurisdiction=jurisdiction,
        log_head=report.log_head,
    )
    return report.with_problems(problems)


def make_checkpoint(
    app: Ihanoi,
    database: ViewDatabase,
    key: Ed25519PrivateKey,
    *,
    jurisdiction: str,
    created_at: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> Checkpoint:
    """Bring the chain up to the head of the log and sign where it stands."""
    head = bring_chain_up_to_date(app, database, progress).head()
    return sign_checkpoint(
        key,
        jurisdiction=jurisdiction,
        position=head.position,
        link=head.link,
        events=head.events,
        created_at=created_at,
    )
