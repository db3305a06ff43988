"""What a read model is: a projection of case changes into SQL tables.

The projector hands each read model a ``Change`` (``ihanoi_projections.engine.changes``):
the position, the event, the case's state just before it, and the case after
it. A read model turns changes into rows. It accumulates them in memory
during a batch and writes them in ``flush``, inside the transaction that also
records its new position — so a batch of events is applied exactly once, all
or nothing.
"""

from __future__ import annotations

import hashlib
import hmac
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Notification

from ihanoi_core.directory import Directory
from ihanoi_core.law.calendar import WorkingCalendar
from ihanoi_projections.engine.changes import Change
from ihanoi_projections.engine.database import Cursor, ViewDatabase

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_SUBJECT_KEYS = 100_000
ONE_MICROSECOND = timedelta(microseconds=1)
# The years a query may ask about: the columns count microseconds since 1970, and
# a period around a day of 9999 would run past the calendar's end.
MIN_YEAR, MAX_YEAR = 1970, 9998
YEARS_HINT = f"must be between the years {MIN_YEAR} and {MAX_YEAR}"


@dataclass(frozen=True)
class ProjectionContext:
    """What read models may consult besides the events: the directory, the
    working calendar and the key used to pseudonymise subject ids."""

    directory: Directory
    calendar: WorkingCalendar
    pseudonym_key: bytes
    # Citizens file many cases: each subject is hashed once (bounded).
    _subject_keys: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def subject_key(self, subject: str | None) -> str | None:
        """A keyed hash of a subject id: lets "my cases" find a citizen's rows
        without storing who the citizen is."""
        if subject is None:
            return None
        key = self._subject_keys.get(subject)
        if key is None:
            if len(self._subject_keys) >= MAX_SUBJECT_KEYS:
                self._subject_keys.clear()
            key = hmac.new(self.pseudonym_key, subject.encode(), hashlib.sha256).hexdigest()[:32]
            self._subject_keys[subject] = key
        return key


_READS: dict[tuple[type, type], bool] = {}


class ReadModel(ABC):
    """Base of every read model: schema, change handling, batch flush, queries."""

    name: ClassVar[str]
    tables: ClassVar[tuple[str, ...]]
    # The aggregates whose changes this model reads; the projector does not
    # even decode events of aggregates no model reads (their positions still
    # advance).
    kinds: ClassVar[tuple[type[Aggregate], ...]]

    def __init__(self, database: ViewDatabase, context: ProjectionContext) -> None:
        self.database = database
        self.context = context

    @abstractmethod
    def schema(self) -> Sequence[str]:
        """CREATE TABLE/INDEX statements (idempotent)."""

    # Models that need every stored notification as it is stored (the audit
    # hash chain) set this and implement ``apply_notification``.
    reads_raw: ClassVar[bool] = False
    # The case attributes ``apply`` reads from ``Change.before`` (copying the
    # whole state before every event would cost more than the models read).
    reads_before: ClassVar[frozenset[str]] = frozenset()
    # Whether a parallel rebuild may split this model's events by aggregate:
    # true when each aggregate's events only touch that aggregate's rows, or
    # add to shared counters (sums do not depend on order).
    partitionable: ClassVar[bool] = True

    @abstractmethod
    def apply(self, change: Change) -> None:
        """Fold one change into the pending batch (no I/O)."""

    def reads(self, case: object) -> bool:
        """Whether ``case`` is one of ``kinds``. Every model of a projector sees
        every change it decodes; isinstance() against the aggregates' ABC
        metaclass is slow, and the answer depends on the two classes alone."""
        key = (type(self), type(case))
        answer = _READS.get(key)
        if answer is None:
            answer = _READS[key] = isinstance(case, self.kinds)
        return answer

    def apply_notification(self, notification: Notification) -> None:
        """Called with every notification, decoded or not, when ``reads_raw``."""
        raise NotImplementedError(f"{type(self).__name__} sets reads_raw but does not read notifications")

    def prepare(self) -> None:  # noqa: B027 - optional hook
        """Turn the pending batch into rows, before the transaction that writes
        them: work done here does not hold the view database's write lock."""

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


class PendingWrites:
    """Statements a read model runs at flush, in the order given, each with
    the parameter rows gathered for it during the batch."""

    def __init__(self, *statements: str) -> None:
        self._params: dict[str, list[tuple[Any, ...]]] = {statement: [] for statement in statements}

    def add(self, statement: str, params: tuple[Any, ...]) -> None:
        self._params[statement].append(params)

    def flush(self, cursor: Cursor) -> None:
        for statement, rows in self._params.items():
            cursor.executemany(statement, rows)
        self.clear()

    def clear(self) -> None:
        for rows in self._params.values():
            rows.clear()


@dataclass(frozen=True)
class ViewTable:
    """A view table declared once: each column with its SQL type, in the order
    of the rows written to it; a composite primary key (``key``); its indexes,
    each a name suffix and its columns (``unique`` ones apart); and the
    columns ``added`` after the table first existed, which end each row. Its
    DDL and the column list of its writes both come from here, so a column is
    named in one place."""

    name: str
    columns: Mapping[str, str]
    key: str | None = None
    unique: Mapping[str, str] = field(default_factory=dict)
    indexes: Mapping[str, str] = field(default_factory=dict)
    added: Mapping[str, str] = field(default_factory=dict)

    @property
    def column_names(self) -> tuple[str, ...]:
        return (*self.columns, *self.added)

    def schema(self) -> tuple[str, ...]:
        """CREATE TABLE, then an ``ALTER TABLE … ADD COLUMN IF NOT EXISTS`` per
        added column (``ViewDatabase.create`` runs it on SQLite too), then the indexes."""
        definitions = [f"{column} {sql}" for column, sql in self.columns.items()]
        if self.key is not None:
            definitions.append(f"PRIMARY KEY ({self.key})")
        name = self.name
        statements = [f"CREATE TABLE IF NOT EXISTS {name} ({', '.join(definitions)})"]
        statements += (
            f"ALTER TABLE {name} ADD COLUMN IF NOT EXISTS {column} {sql}" for column, sql in self.added.items()
        )
        for index, indexes in (("UNIQUE INDEX", self.unique), ("INDEX", self.indexes)):
            statements += (
                f"CREATE {index} IF NOT EXISTS {name}_{suffix} ON {name} ({on})" for suffix, on in indexes.items()
            )
        return tuple(statements)

    def insert(self, conflict: str = "") -> str:
        """An INSERT of whole rows in ``column_names`` order, ``conflict`` its ON CONFLICT clause if any."""
        columns = self.column_names
        return f"INSERT INTO {self.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}){conflict}"

    def upsert(self) -> str:
        """An INSERT of whole rows that overwrites the row with the same first column."""
        columns = self.column_names
        updates = ", ".join(f"{column} = excluded.{column}" for column in columns[1:])
        return self.insert(f" ON CONFLICT ({columns[0]}) DO UPDATE SET {updates}")


class BatchedModel(ReadModel):
    """Base of the read models written from aggregates' latest states: during
    a batch it only remembers which aggregates of ``kinds`` changed (and the
    position of their last change); ``prepare`` turns them into ``_writes``
    once per aggregate, from the replica's state at the end of the batch.
    Each declares its ``view_table``; its ``table`` name and ``columns`` come
    from there."""

    view_table: ClassVar[ViewTable]
    table: ClassVar[str]
    columns: ClassVar[tuple[str, ...]]
    kinds: ClassVar[tuple[type[Aggregate], ...]]
    _writes: PendingWrites

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if hasattr(cls, "view_table"):  # not the abstract bases below
            cls.table = cls.view_table.name
            cls.columns = cls.view_table.column_names
            cls.tables = (cls.table,)

    def schema(self) -> Sequence[str]:
        return self.view_table.schema()

    def __init__(self, database: ViewDatabase, context: ProjectionContext) -> None:
        super().__init__(database, context)
        self._latest: dict[Any, tuple[Any, int]] = {}

    def apply(self, change: Change) -> None:
        case = change.case
        if self.reads(case):
            self._latest[case.id] = (case, change.position)

    def flush(self, cursor: Cursor) -> None:
        self.prepare()  # anything applied since prepare() was called
        self._writes.flush(cursor)

    def discard(self) -> None:
        self._latest.clear()
        self._writes.clear()


class LatestStateModel(BatchedModel):
    """A read model with one row per aggregate, derived from its latest state
    alone (``row``): upserted, or deleted when there is none."""

    def __init__(self, database: ViewDatabase, context: ProjectionContext) -> None:
        super().__init__(database, context)
        self._upsert = self.view_table.upsert()
        self._delete = f"DELETE FROM {self.table} WHERE {self.columns[0]} = ?"
        self._writes = PendingWrites(self._delete, self._upsert)

    @abstractmethod
    def row(self, aggregate: Any, position: int) -> tuple[Any, ...] | None:
        """The row for this state, in ``columns`` order; None removes the row."""

    def prepare(self) -> None:
        for aggregate_id, (aggregate, position) in self._latest.items():
            row = self.row(aggregate, position)
            if row is None:
                self._writes.add(self._delete, (str(aggregate_id),))
            else:
                self._writes.add(self._upsert, row)
        self._latest.clear()


class ReplacedRows(PendingWrites):
    """Rows of ``table`` kept per aggregate (its id in the ``key`` column) and
    replaced whole: at flush each aggregate given to ``replace`` loses its old
    rows and gets the new ones."""

    def __init__(self, table: ViewTable, key: str = "case_id") -> None:
        self._delete = f"DELETE FROM {table.name} WHERE {key} = ?"
        self._insert = table.insert()
        super().__init__(self._delete, self._insert)

    def replace(self, aggregate_id: Any, rows: Iterable[tuple[Any, ...]]) -> None:
        self.add(self._delete, (str(aggregate_id),))
        for row in rows:
            self.add(self._insert, row)


class CaseRowsModel(BatchedModel):
    """A read model with any number of rows per aggregate in ``table`` (keyed
    by its ``case_id`` column), all replaced by ``rows_of`` its latest state."""

    def __init__(self, database: ViewDatabase, context: ProjectionContext) -> None:
        super().__init__(database, context)
        self._replaced = ReplacedRows(self.view_table)
        self._writes = self._replaced

    @abstractmethod
    def rows_of(self, aggregate: Any) -> list[tuple[Any, ...]]:
        """The aggregate's rows for this state, in ``columns`` order."""

    def prepare(self) -> None:
        for case_id, (aggregate, _position) in self._latest.items():
            self._replaced.replace(case_id, self.rows_of(aggregate))
        self._latest.clear()


def micros(moment: datetime | None) -> int | None:
    """An aware datetime as integer microseconds since the epoch (sortable in both dialects)."""
    if moment is None:
        return None
    return (moment - EPOCH) // ONE_MICROSECOND


def from_micros(value: int | None) -> datetime | None:
    if value is None:
        return None
    return EPOCH + timedelta(microseconds=value)
