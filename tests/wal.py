"""A sampler of SQLite write-ahead log sizes, for the tests that bound them.

``WalSampler`` reads the size of each ``<database>-wal`` file every few
milliseconds in a thread of its own (``os.stat``, so it works for a database
another process writes) and keeps the largest size seen per file.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

MB = 2**20


def wal_size(database: Path) -> int:
    """The size of ``database``'s WAL file in bytes, 0 when there is none."""
    try:
        return os.stat(f"{database}-wal").st_size
    except FileNotFoundError:
        return 0


class WalSampler:
    """``with WalSampler(db, views) as sampler: …`` then ``sampler.high_water``."""

    def __init__(self, *databases: Path, every: float = 0.01) -> None:
        self.databases = databases
        self.every = every
        self.high_water = dict.fromkeys(databases, 0)
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="wal-sampler", daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(self.every):
            for database in self.databases:
                self.high_water[database] = max(self.high_water[database], wal_size(database))
            self.samples += 1

    def __enter__(self) -> WalSampler:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()

    def report(self) -> str:
        return ", ".join(f"{path.name}-wal ≤ {size / MB:.1f} MB" for path, size in self.high_water.items())


def run_for(
    seconds: float,
    *workers: Callable[[threading.Event], None],
    until: Callable[[], bool] | None = None,
    at_most: float = 60.0,
) -> None:
    """Run each worker in a thread until ``seconds`` have passed and, when
    ``until`` is given, on until it holds (a loaded machine does less in the
    same time), for ``at_most`` seconds in all; re-raise the first error a
    worker met."""
    stop = threading.Event()
    errors: list[BaseException] = []

    def guarded(worker: Callable[[threading.Event], None]) -> None:
        try:
            worker(stop)
        except BaseException as error:
            errors.append(error)
            stop.set()

    threads = [threading.Thread(target=guarded, args=(worker,)) for worker in workers]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    stop.wait(seconds)
    while until is not None and not until() and not stop.is_set() and time.monotonic() - began < at_most:
        stop.wait(0.1)
    stop.set()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
