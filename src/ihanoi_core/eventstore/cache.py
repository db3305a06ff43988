"""An in-process cache of recently used cases, always fast-forwarded.

Loading a case replays all its events; most commands touch a case that this
process handled a moment ago. The cache keeps the last saved state of each
case and, on every load, still asks the store for events newer than that
state (another process may have written), so a load is one indexed query and
no replay. Callers always receive a private copy: a command that is refused or
loses a race leaves the cached state untouched.

Aggregates keep only immutable values (str, tuples, frozen dataclasses,
datetimes); the copy duplicates any list, dict or set defensively anyway.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from typing import Any, Generic, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

A = TypeVar("A", bound=Aggregate)
K = TypeVar("K")
V = TypeVar("V")
MUTABLE = frozenset({list, dict, set})


def clone(aggregate: A) -> A:
    """A copy that shares immutable values and has no pending events."""
    twin = object.__new__(type(aggregate))
    state: dict[str, Any] = aggregate.__dict__.copy()
    state["_pending_events"] = []
    for name, value in state.items():
        if type(value) in MUTABLE and name != "_pending_events":
            state[name] = copy.deepcopy(value)
    twin.__dict__.update(state)
    return twin


class BoundedCache(Generic[K, V]):
    """A thread-safe map of at most ``max_size`` entries that forgets the
    oldest first."""

    def __init__(self, max_size: int) -> None:
        self.max_size = max_size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def _keep(self, key: K, value: V) -> None:
        """Store ``value`` as the newest entry, forgetting the oldest beyond
        ``max_size``; the caller holds the lock."""
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.max_size:
            self._items.popitem(last=False)


class CaseCache(BoundedCache[UUID, Aggregate]):
    """A thread-safe LRU of saved aggregate states, keyed by id."""

    def __init__(self, max_size: int = 10_000) -> None:
        super().__init__(max_size)

    def get(self, aggregate_id: UUID) -> Aggregate | None:
        """A private copy of the cached state, or None."""
        with self._lock:
            aggregate = self._items.get(aggregate_id)
            if aggregate is None:
                return None
            self._items.move_to_end(aggregate_id)
        return clone(aggregate)

    def put(self, saved: Aggregate) -> None:
        """Remember a just-saved state (newer versions replace older ones).
        The cache takes ownership: the caller must not change ``saved`` after."""
        if self.max_size <= 0:
            return
        with self._lock:
            current = self._items.get(saved.id)
            if current is not None and current.version > saved.version:
                return
            self._keep(saved.id, saved)


class CodeCache(BoundedCache[str, UUID]):
    """Case code → case id. A code names one case forever, so entries never go
    stale; the cache is only bounded."""

    def __init__(self, max_size: int = 100_000) -> None:
        super().__init__(max_size)

    def get(self, code: str) -> UUID | None:
        with self._lock:
            return self._items.get(code)

    def put(self, code: str, case_id: UUID) -> None:
        with self._lock:
            self._keep(code, case_id)
