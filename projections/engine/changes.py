"""Reading changes: each event of the log with its aggregate before and after.

The read side never re-derives domain rules: it replays every event onto an
in-memory replica of its aggregate, built with the write side's own event
classes, and hands on a ``Change`` — the position, the event, what the
aggregate was just before it, and the aggregate after it. Replicas are a
cache (least recently used first out): on a miss, or when the replica is not
at the version just before the event, the aggregate is loaded from the store
at that version.

``ChangeReader`` is that engine, one per thread of use. The projector feeds
read models from it, and the live tail (``ihanoi_projections.engine.live_tail``)
derives the case changes that streams follow.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Notification

from ihanoi_core.application import Ihanoi
from ihanoi_core.eventstore.mutate import replay

NOTHING_BEFORE: Mapping[str, Any] = {}

# What a reader keeps of the state before an event (empty when it created the aggregate).
Capture = Callable[[Aggregate], Mapping[str, Any]]


@dataclass(slots=True)
class Change:
    """One event and the aggregate it changed. Shared by every reader of a
    batch: read it, never change it (not frozen only because a frozen
    dataclass is slower to build, and one is built per event). ``case`` is
    the reader's replica, which the next event of the same aggregate changes
    in place: read a change before asking for the next one."""

    position: int
    event: Any
    # What the reader's ``Capture`` kept of the aggregate just before the
    # event (for the projector: the attributes its read models declare in
    # ``reads_before``); empty for the event that created the aggregate.
    before: Mapping[str, Any]
    case: Aggregate
    created: bool

    @property
    def event_name(self) -> str:
        return type(self.event).__name__


def attributes(names: Iterable[str]) -> Capture:
    """Keep these attributes of the state before an event (copying the whole
    state before every event would cost more than the readers read)."""
    wanted = tuple(sorted(set(names)))

    def capture(aggregate: Aggregate) -> Mapping[str, Any]:
        state = vars(aggregate)
        return {name: state.get(name) for name in wanted}

    return capture


class ChangeReader:
    """Turns events into ``Change``s (see module docstring). Not thread-safe."""

    def __init__(self, app: Ihanoi, *, max_replicas: int, before: Capture | None = None) -> None:
        self.app = app
        self.max_replicas = max_replicas
        self.capture = before or attributes(())
        self._replicas: OrderedDict[UUID, Aggregate] = OrderedDict()

    def change(self, position: int, event: Any) -> Change:
        """The change ``event`` (stored at ``position``) makes to its aggregate."""
        aggregate_id: UUID = event.originator_id
        version: int = event.originator_version
        replica = self._replicas.pop(aggregate_id, None)
        if replica is not None and replica.version != version - 1:
            replica = None
        if replica is None and version > 1:
            replica = self.app.repository.get(aggregate_id, version=version - 1, projector_func=replay)
        before = NOTHING_BEFORE if replica is None else self.capture(replica)
        created = replica is None
        replica = event.mutate(replica)
        assert replica is not None
        self._replicas[aggregate_id] = replica
        if len(self._replicas) > self.max_replicas:
            self._replicas.popitem(last=False)
        return Change(position, event, before, replica, created)

    def changes(self, notifications: Sequence[Notification]) -> Iterator[Change]:
        """The change each notification records, in log order, one at a time:
        each is valid until the next is produced (see ``Change``)."""
        to_domain_event = self.app.mapper.to_domain_event
        for notification in notifications:
            yield self.change(notification.id, to_domain_event(notification))

    def clear(self) -> None:
        """Forget every replica (after a failed batch, or a rebuild)."""
        self._replicas.clear()
