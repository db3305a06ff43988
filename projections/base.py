"""What a read model is: a projection of case changes into SQL tables.

The projector replays every event of the notification log onto an in-memory
replica of its case (the same event classes the write side uses), and hands
each read model a ``Change``: the position, the event, the case's state just
before it, and the case after it. A read model turns changes into rows. It
accumulates them in memory during a batch and writes them in ``flush``, inside
the transaction that also records its new position — so a batch of events is
applied exactly once, all or nothing.
"""

from __future__ import annotations

import hashlib
import hmac
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from eventsourcing.domain import Aggregate

from ihanoi_core.calendar import WorkingCalendar
from ihanoi_core.directory import Directory
from ihanoi_projections.database import Cursor, ViewDatabase

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Change:
    """One event and the case it changed. ``case`` is shared: read it, never change it."""

    position: int
    event: Any
    before: Mapping[str, Any]
    case: Aggregate

    @property
    def event_name(self) -> str:
        return type(self.event).__name__


@dataclass(frozen=True)
class ProjectionContext:
    """What read models may consult besides the events: the directory, the
    working calendar and the key used to pseudonymise subject ids."""

    directory: Directory
    calendar: WorkingCalendar
    pseudonym_key: bytes

    def subject_key(self, subject: str | None) -> str | None:
        """A keyed hash of a subject id: lets "my cases" find a citizen's rows
        without storing who the citizen is."""
        if subject is None:
            return None
        return hmac.new(self.pseudonym_key, subject.encode(), hashlib.sha256).hexdigest()[:32]


class ReadModel(ABC):
    """Base of every read model: schema, change handling, batch flush, queries."""

    name: ClassVar[str]
    tables: ClassVar[tuple[str, ...]]

    def __init__(self, database: ViewDatabase, context: ProjectionContext) -> None:
        self.database = database
        self.context = context

    @abstractmethod
    def schema(self) -> Sequence[str]:
        """CREATE TABLE/INDEX statements (idempotent)."""

    @abstractmethod
    def apply(self, change: Change) -> None:
        """Fold one change into the pending batch (no I/O)."""

    @abstractmethod
    def flush(self, cursor: Cursor) -> None:
        """Write the pending batch inside the caller's transaction, then forget it."""

    @abstractmethod
    def discard(self) -> None:
        """Forget the pending batch (its transaction was rolled back)."""

    def clear(self, cursor: Cursor) -> None:
        """Empty every table, for a rebuild from zero."""
        for table in self.tables:
            cursor.execute(f"DELETE FROM {table}")


def micros(moment: datetime | None) -> int | None:
    """An aware datetime as integer microseconds since the epoch (sortable in both dialects)."""
    if moment is None:
        return None
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(value: int | None) -> datetime | None:
    if value is None:
        return None
    return EPOCH + timedelta(microseconds=value)
