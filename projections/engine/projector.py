"""The projector: reads the notification log in batches and applies each batch
to its read models exactly once.

Each event becomes a ``Change`` (``ihanoi_projections.engine.changes``): the case's
state before and after the event, from in-memory replicas built with the
write side's own event classes, so read models never re-derive domain rules.

A batch is applied in one view transaction that also records each read
model's new position. If anything fails, the transaction rolls back, pending
rows and replicas are dropped, positions are re-read, and the next run starts
again from the last recorded position: no event is skipped or applied twice.

A projector can also own one ``Partition`` of the aggregates (a parallel
rebuild runs one per core): it applies only the events of its aggregates and
records its positions under the partition's own tracking names, which the
rebuild folds into the read models' names once every partition is done.
"""

from __future__ import annotations

import threading
import time
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.persistence import Notification
from eventsourcing.utils import resolve_topic

from ihanoi_core.application import Ihanoi
from ihanoi_core.errors import IhanoiError
from ihanoi_core.eventstore.sqlite import IhanoiSQLiteApplicationRecorder, partition_of
from ihanoi_projections.engine.base import ReadModel
from ihanoi_projections.engine.changes import ChangeReader, attributes
from ihanoi_projections.engine.database import ViewDatabase

DEFAULT_BATCH = 2000
DEFAULT_REPLICAS = 50_000


class RebuildInterruptedError(IhanoiError):
    """A parallel rebuild did not finish: its read models hold partition
    positions, and applying events to them now could count some twice."""

    code = "rebuild_interrupted"


class ViewsAheadOfStoreError(IhanoiError):
    """A read model has applied events past the newest one in the store: the
    views were made from another log, and following this one would skip its
    events up to there."""

    code = "views_ahead_of_store"


@dataclass(frozen=True)
class Partition:
    """Aggregates whose id falls in partition ``index`` of ``count``
    (``partition_of``). Every event of an aggregate falls in the same
    partition, and the read models a partition may feed write rows of their
    own aggregates only (or commutative sums), so partitions never touch each
    other's rows."""

    index: int
    count: int

    def owns(self, aggregate_id: UUID) -> bool:
        return partition_of(aggregate_id, self.count) == self.index

    def tracking_name(self, name: str) -> str:
        return f"{name}{PARTITION_MARK}{self.index}/{self.count}"


PARTITION_MARK = "#"


class Projector:
    """Feeds a set of read models (sharing one view database) from one application."""

    def __init__(
        self,
        app: Ihanoi,
        database: ViewDatabase,
        read_models: Sequence[ReadModel],
        *,
        batch_size: int = DEFAULT_BATCH,
        max_replicas: int = DEFAULT_REPLICAS,
        partition: Partition | None = None,
        create_schema: bool = True,
    ) -> None:
        self.app = app
        self.database = database
        self.models = {model.name: model for model in read_models}
        self.partition = partition
        if partition is not None and (whole := [m.name for m in read_models if not m.partitionable]):
            raise ValueError(f"Read models that need the whole log cannot be partitioned: {', '.join(whole)}")
        # The name each model's position is recorded under.
        self.tracking = {name: partition.tracking_name(name) if partition else name for name in self.models}
        self.batch_size = batch_size
        reads_before = {name for model in read_models for name in model.reads_before}
        self.reader = ChangeReader(app, max_replicas=max_replicas, before=attributes(reads_before))
        self._applied = threading.Condition()
        self._lock = threading.Lock()
        self._topics: dict[str, bool] = {}
        if create_schema:
            database.create([statement for model in read_models for statement in model.schema()])
        self.positions = self._recorded_positions()
        # The read models this projector applies events to. The others are
        # applied by another process (``ActiveLock``); ``follow`` keeps their
        # positions here up to date so that ``wait`` still works for them.
        self.active = set(self.models)

    # -- positions and waiting -------------------------------------------------

    def _recorded_positions(self) -> dict[str, int]:
        recorded = self.database.positions()
        partitioned = {name.split(PARTITION_MARK)[0] for name in recorded if PARTITION_MARK in name}
        if self.partition is None and (interrupted := partitioned & set(self.models)):
            raise RebuildInterruptedError(
                f"A parallel rebuild of {', '.join(sorted(interrupted))} did not finish; "
                "run `ihanoi projections rebuild` again before running these projections."
            )
        positions = {name: recorded.get(self.tracking[name], (0, 0.0))[0] for name in self.models}
        if applied := {name: at for name, at in positions.items() if at > 0}:
            # Read after the positions: the head only moves on, so a read model
            # past it was made from another log (the views file restored from
            # a later backup than the store's): every event saved from here up
            # to its position would be skipped.
            head = self.app.head_position()
            if beyond := sorted(name for name, at in applied.items() if at > head):
                raise ViewsAheadOfStoreError(
                    f"Read models have applied events up to position {max(applied.values())}, past the newest "
                    f"event in the store (position {head}): they were not made from this store (restored "
                    f"from another backup?). Rebuild them: `ihanoi projections rebuild {' '.join(beyond)}`."
                )
        return positions

    @property
    def position(self) -> int:
        """The position every read model this projector applies has reached."""
        return min((self.positions[name] for name in self.active), default=0)

    def activate(self, names: Sequence[str]) -> None:
        """Start applying events to ``names`` (this process now holds their
        lock), from the positions recorded by whoever applied them before."""
        with self._lock:
            recorded = self._recorded_positions()
            with self._applied:
                for name in names:
                    self.positions[name] = recorded[name]
                self.active.update(names)
                self._applied.notify_all()

    def deactivate(self, names: Sequence[str]) -> None:
        """Stop applying events to ``names`` (another process applies them)."""
        with self._lock:
            self.active.difference_update(names)

    def follow(self) -> None:
        """Take the positions of the read models another process applies
        from the database, waking whoever waits for them."""
        followed = set(self.models) - self.active
        if not followed:
            return
        recorded = self.database.positions()
        with self._applied:
            for name in followed:
                position = recorded.get(self.tracking[name], (0, 0.0))[0]
                self.positions[name] = position
            self._applied.notify_all()

    def wait(self, position: int, timeout: float, names: Sequence[str] | None = None) -> bool:
        """Block until the named read models (default: all) have applied
        ``position``; True if they have, False on timeout. Wakes on each
        committed batch, not on a polling floor."""
        wanted = list(names) if names else list(self.models)

        def reached() -> bool:
            return all(self.positions.get(name, 0) >= position for name in wanted)

        with self._applied:
            return self._applied.wait_for(reached, timeout=timeout)

    # -- applying ---------------------------------------------------------------

    def run_batch(self, stop: int | None = None) -> int:
        """Apply the next batch (up to position ``stop`` if given); return how
        many notifications it covered (0 when caught up)."""
        with self._lock:
            start = self.position
            if stop is not None and start >= stop:
                return 0
            notifications, last = self._select(start, stop)
            if last <= start:
                return 0
            behind = [
                model for name, model in self.models.items() if name in self.active and self.positions[name] < last
            ]
            raw_readers = [model for model in behind if model.reads_raw]
            # Models behind the whole batch take every change; a model that
            # already applied part of it (another worker got there first) only
            # the changes after its position.
            first = notifications[0].id
            appliers = [model.apply for model in behind if self.positions[model.name] < first]
            partly = [(self.positions[m.name], m.apply) for m in behind if self.positions[m.name] >= first]
            partition = self.partition
            to_domain_event = self.app.mapper.to_domain_event
            change_of = self.reader.change
            # The positions of the events this projector counts as applied: all
            # of them, or those of its partition's aggregates.
            counted: list[int] = []
            try:
                for notification in notifications:
                    position = notification.id
                    for model in raw_readers:
                        if position > self.positions[model.name]:
                            model.apply_notification(notification)
                    if partition is not None and not partition.owns(notification.originator_id):  # type: ignore[arg-type]
                        continue
                    counted.append(position)
                    if not self._is_read(notification.topic):
                        continue
                    change = change_of(position, to_domain_event(notification))
                    for apply in appliers:
                        apply(change)
                    for applied, apply in partly:
                        if position > applied:
                            apply(change)
                for model in behind:
                    model.prepare()
                now = time.time()
                # Pipelined: a batch's statements go out together (PostgreSQL).
                with self.database.transaction(pipelined=True) as cursor:
                    moves = []
                    for model in behind:
                        model.flush(cursor)
                        events = len(counted) - bisect_right(counted, self.positions[model.name])
                        moves.append((self.tracking[model.name], last, now, events))
                    cursor.record_positions(moves)
                    self.database.announce(cursor)
            except BaseException:
                for model in behind:
                    model.discard()
                self.reader.clear()
                self.positions = self._recorded_positions()
                raise
            with self._applied:
                for model in behind:
                    self.positions[model.name] = last
                self._applied.notify_all()
            return len(notifications) if self.partition is None else last - start

    def _select(self, start: int, stop: int | None) -> tuple[Sequence[Notification], int]:
        """The next batch's notifications, and the position applying them reaches."""
        recorder = self.app.recorder
        partition = self.partition
        if (
            partition is not None
            and stop is not None
            and isinstance(recorder, IhanoiSQLiteApplicationRecorder)
            and recorder.can_select_partitions
        ):
            owned = recorder.select_partition(start, self.batch_size, stop, partition.index, partition.count)
            # Less than a batch: this partition has nothing else up to ``stop``.
            return owned, owned[-1].id if len(owned) == self.batch_size else stop
        notifications = recorder.select_notifications(
            start=start, limit=self.batch_size, stop=stop, inclusive_of_start=False
        )
        return notifications, notifications[-1].id if notifications else start

    def catch_up(self, progress: Callable[[int], None] | None = None, stop: int | None = None) -> int:
        """Apply batches until the read models are at the head of the log (or at ``stop``)."""
        total = 0
        while done := self.run_batch(stop):
            total += done
            if progress is not None:
                progress(done)
        return total

    def _is_read(self, topic: str) -> bool:
        """Whether any read model here reads events of this topic's aggregate."""
        read = self._topics.get(topic)
        if read is None:
            event_class = resolve_topic(topic)
            aggregate = resolve_topic(topic.rsplit(".", 1)[0]) if "." in topic.split(":", 1)[1] else None
            kinds = tuple(kind for model in self.models.values() for kind in model.kinds)
            # Events declared on a base class (Case.Commented) apply to its subclasses too.
            read = (
                not isinstance(aggregate, type)
                or not isinstance(event_class, type)
                or issubclass(aggregate, kinds)
                or any(issubclass(kind, aggregate) for kind in kinds)
            )
            self._topics[topic] = read
        return read

    # -- rebuilding ---------------------------------------------------------------

    def reset(self, names: Sequence[str] | None = None) -> None:
        """Empty the named read models and forget their positions, in one transaction."""
        with self._lock:
            reset(self.database, [self.models[name] for name in (names or list(self.models))])
            self.reader.clear()
            with self._applied:
                self.positions = self._recorded_positions()


def reset(database: ViewDatabase, models: Sequence[ReadModel]) -> None:
    """Create the read models' tables if need be, empty them and forget their
    positions (those of a parallel rebuild's partitions too), in one transaction."""
    database.create([statement for model in models for statement in model.schema()])
    with database.transaction() as cursor:
        tracked = [row["name"] for row in cursor.execute("SELECT name FROM projection_tracking").fetchall()]
        for model in models:
            model.clear(cursor)
            for name in tracked:
                if name == model.name or name.startswith(f"{model.name}{PARTITION_MARK}"):
                    cursor.execute("DELETE FROM projection_tracking WHERE name = ?", (name,))
