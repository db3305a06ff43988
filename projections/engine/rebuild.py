"""Rebuilding read models from zero, on every core.

A rebuild empties the chosen read models and re-applies the whole log up to
the head it found when it started. Decoding and replaying events costs more
than anything a read model does with them, so the work is split by aggregate,
not by read model: each of ``jobs`` processes reads the log, skips the events
of aggregates outside its ``Partition`` before decoding them, and feeds every
chosen read model with the rest. A read model that needs the whole log in
order (the audit chain) gets a process of its own.

Exactly once still holds: a partition records its positions under its own
tracking names, in the same transactions as its rows. When every partition
has reached the head, one transaction replaces their names by the read
models' own, at that head; events that arrived during the rebuild are then
applied as usual. Killed half way, a rebuild leaves partition names behind,
and projectors refuse to run those read models until ``rebuild`` is run again,
which starts them over.

Children are forked, because a fresh interpreter would spend longer importing
than a small log takes to rebuild. A child opens its own application and view
database and never uses the parent's connections. The in-memory store, a
small log or a single job rebuild in this process.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any

from ihanoi_core.application import Ihanoi
from ihanoi_core.directory import Directory
from ihanoi_core.eventstore.settings_env import store_kind
from ihanoi_core.settings import Settings
from ihanoi_projections.engine.base import ProjectionContext, ReadModel
from ihanoi_projections.engine.database import ViewDatabase, open_view_database
from ihanoi_projections.engine.projector import Partition, Projector, RebuildInterruptedError, reset
from ihanoi_projections.read_side import KEPT_ON_REBUILD, READ_MODELS, build_models, pseudonym_key

# Events per view transaction: far larger than the live runner's batches, since
# nobody waits on a rebuild's read-your-writes, and a case's rows are written
# once per batch it appears in (50,000 rebuilt about 8 % faster than 10,000 on
# two simulated months; a batch holds some tens of megabytes).
REBUILD_BATCH = 50_000
# Below this many events, starting processes costs more than it saves.
PARALLEL_MIN_EVENTS = 2_000
# Garbage-collector thresholds while rebuilding. Replaying allocates millions
# of short-lived objects beside tens of thousands of cached cases; with the
# default thresholds the collector took 12-14 % of a rebuild (`make bench`).
REBUILD_GC_THRESHOLDS = (50_000, 20, 100)


def rebuild(
    app: Ihanoi,
    settings: Settings,
    names: Sequence[str] | None,
    progress: Callable[[int], None] | None = None,
    *,
    jobs: int | None = None,
) -> int:
    """Empty the named read models and re-apply the whole log; the number of
    events applied. By default every read model except the audit chain:
    re-chaining would absorb any tampering since the chain was built, so it is
    rebuilt only when named explicitly. ``jobs`` processes (default: one per
    core) share the work."""
    chosen = list(names) if names else [name for name in READ_MODELS if name not in KEPT_ON_REBUILD]
    with _collecting_less():
        return _rebuild(app, settings, chosen, progress, jobs)


@contextmanager
def _collecting_less() -> Iterator[None]:
    saved = gc.get_threshold()
    gc.set_threshold(*REBUILD_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*saved)


def _rebuild(
    app: Ihanoi, settings: Settings, chosen: list[str], progress: Callable[[int], None] | None, jobs: int | None
) -> int:
    database = open_view_database(settings)
    try:
        context = ProjectionContext(app.directory, app.calendar, pseudonym_key(settings))
        models = build_models(chosen, database, context)
        reset(database, models)
        head = app.head_position()
        jobs = jobs or os.cpu_count() or 1
        if jobs > 1 and head >= PARALLEL_MIN_EVENTS and store_kind(settings) != "memory":
            # Children inherit what the parent has loaded: the holiday tables
            # take longer to import than a small rebuild takes to run.
            app.calendar.is_working_day(date.today())
            database.close()
            applied = _in_processes(app, settings, chosen, jobs, head, progress)
            database = open_view_database(settings)
            _fold_partitions(database, [model for model in models if model.partitionable], jobs, head)
        else:
            applied = 0
        # The whole log on one job, or what arrived while the partitions ran.
        projector = Projector(app, database, build_models(chosen, database, context), batch_size=REBUILD_BATCH)
        return applied + projector.catch_up(progress)
    finally:
        database.close()


def _in_processes(
    app: Ihanoi, settings: Settings, names: list[str], jobs: int, head: int, progress: Callable[[int], None] | None
) -> int:
    """Run the partitions (and the whole-log models) in child processes up to
    ``head``; the number of events the processes read."""
    partitioned = [name for name in names if READ_MODELS[name].partitionable]
    whole = [name for name in names if not READ_MODELS[name].partitionable]
    work: list[tuple[list[str], Partition | None]] = []
    if partitioned:
        work += [(partitioned, Partition(index, jobs)) for index in range(jobs)]
    if whole:
        work.append((whole, None))
    fork = multiprocessing.get_context("fork")
    applied: Any = fork.Array("q", len(work))
    children = [
        fork.Process(
            target=_rebuild_part,
            args=(settings, app.directory, group, partition, head, applied, index),
            name=f"rebuild {', '.join(group)}" + (f" (partition {partition.index + 1} of {jobs})" if partition else ""),
        )
        for index, (group, partition) in enumerate(work)
    ]
    # Objects the parent already has stay out of the children's garbage
    # collections: a collection walking them would copy every page of the
    # parent's heap into each child.
    gc.freeze()
    try:
        for child in children:
            child.start()
    finally:
        gc.unfreeze()
    reported = 0
    try:
        while any(child.is_alive() for child in children):
            time.sleep(0.05)
            reported = _report(applied, reported, progress)
    finally:
        for child in children:
            if child.is_alive():
                child.terminate()
            child.join()
    _report(applied, reported, progress)
    if failed := [child.name for child in children if child.exitcode != 0]:
        raise RebuildInterruptedError(f"Rebuild failed in {'; '.join(failed)}; run it again to start over.")
    return int(max(applied))


def _report(applied: Any, reported: int, progress: Callable[[int], None] | None) -> int:
    """Progress is what the slowest process has read of the log."""
    done = int(min(applied))
    if progress is not None and done > reported:
        progress(done - reported)
    return max(done, reported)


def _rebuild_part(
    settings: Settings,
    directory: Directory,
    names: list[str],
    partition: Partition | None,
    head: int,
    applied: Any,
    index: int,
) -> None:
    # The parent's directory, already loaded (a forked child shares it); the
    # parent created every table, and concurrent CREATE … IF NOT EXISTS can fail
    # on PostgreSQL ("tuple concurrently updated").
    app = Ihanoi(settings, directory=directory, env={"CREATE_TABLE": "no"})
    database = open_view_database(settings)
    try:
        context = ProjectionContext(app.directory, app.calendar, pseudonym_key(settings))
        projector = Projector(
            app,
            database,
            build_models(names, database, context),
            batch_size=REBUILD_BATCH,
            partition=partition,
            create_schema=False,
        )

        def advance(count: int) -> None:
            with applied.get_lock():
                applied[index] += count

        projector.catch_up(advance, stop=head)
    finally:
        database.close()
        app.close()


def _fold_partitions(database: ViewDatabase, models: Sequence[ReadModel], jobs: int, head: int) -> None:
    """Every partition is at ``head``: record the read models there instead, in one transaction."""
    recorded = database.positions()
    for model in models:
        for index in range(jobs):
            name = Partition(index, jobs).tracking_name(model.name)
            position = recorded.get(name, (0, 0.0))[0]
            if position != head:
                raise RebuildInterruptedError(f"Rebuild partition {name} stopped at {position}, not at {head}.")
    tracked = database.tracked()
    with database.transaction() as cursor:
        for model in models:
            events = 0
            for index in range(jobs):
                name = Partition(index, jobs).tracking_name(model.name)
                events += tracked[name].events or 0
                cursor.execute("DELETE FROM projection_tracking WHERE name = ?", (name,))
            cursor.record_position(model.name, head, time.time(), events)
