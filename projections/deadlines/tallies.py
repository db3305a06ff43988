"""Counts kept per pair of keys (an agency and an official, a month and an
agency): a batch adds to them in memory and ``flush`` adds that to the table's
rows in one upsert, so replaying a batch after a failure (``discard`` first)
never counts twice. Used by the accountability figures and the monthly ranking."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from ihanoi_projections.engine.database import Cursor


class Tallies:
    def __init__(self, table: str, keys: tuple[str, str], counters: Sequence[str]) -> None:
        self.table, self.keys, self.counters = table, keys, tuple(counters)
        self.pending: defaultdict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * len(self.counters))
        columns = ", ".join(self.counters)
        updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in self.counters)
        marks = ", ".join("?" * len(self.counters))
        self.upsert = (
            f"INSERT INTO {table} ({keys[0]}, {keys[1]}, {columns}) VALUES (?, ?, {marks})"
            f" ON CONFLICT ({keys[0]}, {keys[1]}) DO UPDATE SET {updates}"
        )

    def schema(self) -> str:
        counters = ", ".join(f"{c} INTEGER NOT NULL" for c in self.counters)
        first, second = self.keys
        return (
            f"CREATE TABLE IF NOT EXISTS {self.table} ({first} TEXT NOT NULL, {second} TEXT NOT NULL, {counters},"
            f" PRIMARY KEY ({first}, {second}))"
        )

    def add(self, key: tuple[str, str], counter: str) -> None:
        self.pending[key][self.counters.index(counter)] += 1

    def flush(self, cursor: Cursor) -> None:
        cursor.executemany(self.upsert, [(*key, *counts) for key, counts in self.pending.items()])
        self.discard()

    def discard(self) -> None:
        self.pending.clear()
