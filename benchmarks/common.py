"""Helpers shared by the benchmarks: timing, throw-away stores, and the table.

Every figure is printed beside a ceiling measured in the same run on the same
database, as a ratio, because absolute numbers on a shared 2-core machine mean
little on their own.
"""

from __future__ import annotations

import base64
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import psycopg

from ihanoi_core.eventstore.wal import MB, wal_size
from ihanoi_core.settings import Settings

ADMIN_URL = os.environ.get("IHANOI_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SECONDS = float(os.environ.get("IHANOI_BENCH_SECONDS", "4"))
# Production settings need a master key for personal fields; the benchmarks make one per run.
MASTER_KEY = base64.b64encode(os.urandom(32)).decode()
# Run each operation this long before timing it: first calls fill caches (the
# holiday calendar of a year, the case cache, SQLite's page cache, connections).
WARMUP = float(os.environ.get("IHANOI_BENCH_WARMUP", "1"))


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    ceiling_name: str
    ceiling: float
    target: float | None = None
    # A target for a figure where lower is better (a latency): the value must not exceed it.
    most: float | None = None

    def row(self) -> str:
        ratio = self.value / self.ceiling if self.ceiling else float("nan")
        target = verdict = ""
        if self.target is not None:
            target = f"  target ≥ {self.target:,.0f}"
            verdict = "  ok" if self.value >= self.target else "  BELOW TARGET"
        if self.most is not None:
            target = f"  target ≤ {self.most:,.0f}"
            verdict = "  ok" if self.value <= self.most else "  ABOVE TARGET"
        return (
            f"{self.name:<48} {self.value:>10,.0f} {self.unit:<10}"
            f" | {self.ceiling_name:<40} {self.ceiling:>10,.0f} | ratio {ratio:5.2f}{target}{verdict}"
        )


def rate(operation: Callable[[], int], seconds: float = SECONDS) -> float:
    """Run ``operation`` (which returns how many units it did) until ``seconds``
    have passed, after a warm-up; return units per second."""
    warm_until = time.perf_counter() + WARMUP
    while time.perf_counter() < warm_until:
        operation()
    done = 0
    started = time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        done += operation()
    return done / elapsed


def interleaved_rates(*operations: Callable[[], int], rounds: int = 2, seconds: float = SECONDS) -> list[float]:
    """The best ``rate`` of each operation over ``rounds`` rounds that run them
    in turn (A, B, A, B …), so that no figure gains from being measured first
    or last in a process (warm caches, a busy neighbour, the CPU's clock)."""
    best = [0.0] * len(operations)
    for _ in range(rounds):
        for index, operation in enumerate(operations):
            best[index] = max(best[index], rate(operation, seconds / rounds))
    return best


def concurrent_rate(worker: Callable[[], int], clients: int, seconds: float = SECONDS) -> float:
    """``clients`` threads each repeat ``worker`` for ``seconds`` (after a
    warm-up); total units/s."""
    warm_until = time.perf_counter() + WARMUP
    while time.perf_counter() < warm_until:
        worker()
    deadline = time.perf_counter() + seconds

    def loop() -> int:
        done = 0
        while time.perf_counter() < deadline:
            done += worker()
        return done

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        total = sum(pool.map(lambda _: loop(), range(clients)))
    return total / (time.perf_counter() - started)


@contextmanager
def sqlite_file() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="ihanoi-bench-") as folder:
        yield Path(folder) / "bench.db"


@contextmanager
def postgres_database() -> Iterator[str]:
    name = f"ihanoi_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def print_figures(title: str, figures: list[Figure]) -> None:
    print(f"\n## {title}")
    for figure in figures:
        print(figure.row())


class WalHighWater:
    """The largest size the write-ahead logs of some SQLite files reach while
    a benchmark runs (sampled every 10 ms with ``stat``, so it sees a server
    process's files too): ``with WalHighWater(db, views) as wal: …``."""

    def __init__(self, *databases: Path) -> None:
        self.databases = databases
        self.high_water = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="wal-high-water", daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            self.high_water = max(self.high_water, *(wal_size(str(database)) for database in self.databases))

    def __enter__(self) -> WalHighWater:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()

    def figure(self, name: str) -> Figure:
        """The high-water mark in MB beside the documented bound (the default
        ``IHANOI_SQLITE_WAL_LIMIT_MB``); the ratio must stay below 1."""
        return Figure(
            f"{name} WAL high-water",
            self.high_water / MB,
            "MB",
            "bound (IHANOI_SQLITE_WAL_LIMIT_MB) MB",
            Settings().sqlite_wal_limit_mb,
        )
