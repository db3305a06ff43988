"""``replay_and_diff``: the check that read models are a pure function of the log.

It copies the whole notification log into a scratch SQLite store, keeping
every event's position (an explicit ``rowid``) and its bytes, rebuilds every
read model there from zero, brings the live read models up to the same head,
and compares each model's ``rows()`` on both sides. Any difference means a
live read model holds something the log does not explain: a row edited by
hand, a projection bug that depends on batch boundaries or timing, or a log
edited after the rows were projected.

The live store is only read (its read models are caught up, as their own
runner would). When events keep arriving, the copy and the comparison are
repeated until both sides stand at the same position (a few attempts), so
run it against a quiet store for a definite answer.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID

from ihanoi_core.application import Ihanoi
from ihanoi_core.audit.chain import PAGE_SIZE, read_log
from ihanoi_core.eventstore.urls import sqlite_path
from ihanoi_core.settings import Settings
from ihanoi_projections.audit_chain import AuditChainModel, row_as_dict
from ihanoi_projections.engine.base import ProjectionContext, ReadModel
from ihanoi_projections.engine.database import AlreadyAppliedError, Row, ViewDatabase, open_view_database
from ihanoi_projections.engine.projector import Projector
from ihanoi_projections.read_side import build_models, pseudonym_key

ATTEMPTS = 5
SAMPLE = 5


class ReplayProgress(Protocol):
    """Where ``replay_and_diff`` reports its phases and progress (a progress bar)."""

    def phase(self, description: str, total: int) -> None: ...

    def advance(self, done: int) -> None: ...


class _Silent:
    def phase(self, description: str, total: int) -> None:
        pass

    def advance(self, done: int) -> None:
        pass


@dataclass(frozen=True)
class RowChange:
    """A row both sides have (same identity: its first column, or its table and
    first column) with different values: column -> (live, rebuilt)."""

    identity: dict[str, Any]
    columns: dict[str, tuple[Any, Any]]


@dataclass(frozen=True)
class ModelDiff:
    """How one read model's live rows differ from its rows rebuilt from the log.
    Counts are complete; ``changes`` and the samples show the first few."""

    name: str
    live_rows: int
    replayed_rows: int
    changed: int
    only_live: int
    only_replayed: int
    changes: tuple[RowChange, ...] = ()
    sample_live: tuple[Row, ...] = ()
    sample_replayed: tuple[Row, ...] = ()

    @property
    def same(self) -> bool:
        return self.changed == 0 and self.only_live == 0 and self.only_replayed == 0


@dataclass(frozen=True)
class ReplayReport:
    head: int
    events: int
    models: tuple[ModelDiff, ...]
    seconds: float

    @property
    def ok(self) -> bool:
        return all(model.same for model in self.models)


def _normal(value: Any) -> Any:
    """One representation per value across SQLite and PostgreSQL drivers."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (memoryview, bytearray)):
        return bytes(value)
    if isinstance(value, dict):  # a model's rows of several tables, nested by table
        return _key(value)
    return value


def _key(row: Row) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((name, _normal(value)) for name, value in row.items()))


def _identity(row: Row) -> tuple[tuple[str, Any], ...]:
    items = [(name, _normal(value)) for name, value in row.items()]
    return tuple(items[:2]) if items and items[0][0] == "table" else tuple(items[:1])


def _unmatched(rows: Sequence[Row], surplus: Counter[tuple[tuple[str, Any], ...]]) -> list[Row]:
    """The rows of ``rows`` counted in ``surplus`` (with their multiplicity)."""
    left = Counter(surplus)
    found = []
    for row in rows:
        key = _key(row)
        if left[key] > 0:
            left[key] -= 1
            found.append(row)
    return found


def diff_rows(name: str, live: Sequence[Row], replayed: Sequence[Row]) -> ModelDiff:
    """Compare two sides as multisets of whole rows, then pair the leftovers
    that share an identity into changed rows."""
    live_keys = Counter(_key(row) for row in live)
    replayed_keys = Counter(_key(row) for row in replayed)
    only_live = _unmatched(live, live_keys - replayed_keys)
    only_replayed = _unmatched(replayed, replayed_keys - live_keys)
    by_identity: dict[tuple[tuple[str, Any], ...], list[Row]] = {}
    for row in only_replayed:
        by_identity.setdefault(_identity(row), []).append(row)
    changes: list[RowChange] = []
    unpaired_live: list[Row] = []
    for row in only_live:
        partners = by_identity.get(_identity(row))
        if not partners:
            unpaired_live.append(row)
            continue
        rebuilt = partners.pop(0)
        columns = {
            column: (value, rebuilt.get(column))
            for column, value in row.items()
            if _normal(value) != _normal(rebuilt.get(column))
        }
        changes.append(RowChange(dict(_identity(row)), columns))
    unpaired_replayed = [row for rows in by_identity.values() for row in rows]
    return ModelDiff(
        name=name,
        live_rows=len(live),
        replayed_rows=len(replayed),
        changed=len(changes),
        only_live=len(unpaired_live),
        only_replayed=len(unpaired_replayed),
        changes=tuple(changes[:SAMPLE]),
        sample_live=tuple(unpaired_live[:SAMPLE]),
        sample_replayed=tuple(unpaired_replayed[:SAMPLE]),
    )


def diff_chains(live: AuditChainModel, replayed: AuditChainModel, *, upto: int) -> ModelDiff:
    """``diff_rows`` for the hash chain, streamed page by page: one row per
    event is too many to hold in memory on a large log."""
    counts = {"live": 0, "replayed": 0, "changed": 0, "only_live": 0, "only_replayed": 0}
    changes: list[RowChange] = []
    only_live: list[Row] = []
    only_replayed: list[Row] = []
    live_rows, replayed_rows = live.chained(upto=upto), replayed.chained(upto=upto)
    mine, theirs = next(live_rows, None), next(replayed_rows, None)
    while mine is not None or theirs is not None:
        if theirs is None or (mine is not None and mine.position < theirs.position):
            assert mine is not None
            counts["live"] += 1
            counts["only_live"] += 1
            only_live.append(row_as_dict(mine))
            mine = next(live_rows, None)
        elif mine is None or theirs.position < mine.position:
            counts["replayed"] += 1
            counts["only_replayed"] += 1
            only_replayed.append(row_as_dict(theirs))
            theirs = next(replayed_rows, None)
        else:
            counts["live"] += 1
            counts["replayed"] += 1
            if mine != theirs:
                counts["changed"] += 1
                a, b = row_as_dict(mine), row_as_dict(theirs)
                columns = {name: (value, b[name]) for name, value in a.items() if value != b[name]}
                changes.append(RowChange({"position": mine.position}, columns))
            mine, theirs = next(live_rows, None), next(replayed_rows, None)
        del changes[SAMPLE:], only_live[SAMPLE:], only_replayed[SAMPLE:]
    return ModelDiff(
        name=live.name,
        live_rows=counts["live"],
        replayed_rows=counts["replayed"],
        changed=counts["changed"],
        only_live=counts["only_live"],
        only_replayed=counts["only_replayed"],
        changes=tuple(changes),
        sample_live=tuple(only_live),
        sample_replayed=tuple(only_replayed),
    )


def _rows(model: ReadModel) -> list[Row]:
    rows: Callable[[], list[Row]] | None = getattr(model, "rows", None)
    if rows is None:
        raise TypeError(f"Read model {model.name!r} has no rows() to compare.")
    return rows()


def copy_log(app: Ihanoi, scratch_file: str, *, after: int, upto: int, progress: ReplayProgress) -> tuple[int, int]:
    """Copy stored events ``after < position <= upto`` into the scratch SQLite
    store, each at its own position; return the last position copied and how
    many events were copied."""
    last, count = after, 0
    connection = sqlite3.connect(scratch_file, isolation_level=None)
    try:
        page: list[tuple[int, str, int, str, bytes]] = []

        def write() -> None:
            connection.execute("BEGIN")
            connection.executemany(
                "INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state) "
                "VALUES (?, ?, ?, ?, ?)",
                page,
            )
            connection.execute("COMMIT")
            progress.advance(len(page))
            page.clear()

        for notification in read_log(app.recorder, after=after, stop=upto):
            originator_id = notification.originator_id
            key = originator_id.hex if isinstance(originator_id, UUID) else str(originator_id)
            page.append((notification.id, key, notification.originator_version, notification.topic, notification.state))
            last = notification.id
            count += 1
            if len(page) == PAGE_SIZE:
                write()
        if page:
            write()
    finally:
        connection.close()
    return last, count


def _catch_up(projector: Projector, progress: ReplayProgress) -> None:
    for _ in range(ATTEMPTS):
        try:
            projector.catch_up(progress.advance)
            return
        except AlreadyAppliedError:
            continue  # Another process applied a batch first; positions were re-read.
    projector.catch_up(progress.advance)


def _positions(database: ViewDatabase, names: Sequence[str]) -> dict[str, int]:
    recorded = database.positions()
    return {name: recorded.get(name, (0, 0.0))[0] for name in names}


def replay_and_diff(
    app: Ihanoi,
    settings: Settings,
    *,
    names: Sequence[str] | None = None,
    scratch_dir: Path | None = None,
    progress: ReplayProgress | None = None,
) -> ReplayReport:
    """Rebuild the named read models (default: all) from a copy of the log and
    compare them with the live ones (see module docstring)."""
    started = time.perf_counter()
    report = progress or _Silent()
    with tempfile.TemporaryDirectory(prefix="ihanoi-replay-", dir=scratch_dir) as folder:
        scratch_settings = settings.with_changes(
            database_url=f"sqlite:///{Path(folder) / 'replay.db'}", sqlite_synchronous="OFF"
        )
        # The copy's personal fields open with the live store's data keys.
        scratch_app = Ihanoi(scratch_settings, directory=app.directory, personal_keys=app.personal_keys)
        live_db = open_view_database(settings)
        scratch_db = open_view_database(scratch_settings)
        try:
            context = ProjectionContext(app.directory, app.calendar, pseudonym_key(settings))
            live_models = build_models(names, live_db, context)
            scratch_models = build_models(names, scratch_db, context)
            model_names = [model.name for model in live_models]
            live = Projector(app, live_db, live_models)
            scratch = Projector(scratch_app, scratch_db, scratch_models)
            copied = events = 0
            for _ in range(ATTEMPTS):
                head = app.head_position()
                report.phase("bringing live read models up to date", max(0, head - live.position))
                _catch_up(live, report)
                target = max(_positions(live_db, model_names).values(), default=0)
                report.phase("copying the log", max(0, target - copied))
                copied, count = copy_log(
                    app, sqlite_path(scratch_settings.database_url), after=copied, upto=target, progress=report
                )
                events += count
                report.phase("rebuilding read models from the copy", max(0, copied - scratch.position))
                _catch_up(scratch, report)
                # The chain is append-only: it is compared up to ``copied`` later, streaming.
                live_rows = {
                    model.name: _rows(model) for model in live_models if not isinstance(model, AuditChainModel)
                }
                if set(_positions(live_db, model_names).values()) <= {copied}:
                    break
            diffs = tuple(
                diff_chains(live_model, model, upto=copied)
                if isinstance(model, AuditChainModel) and isinstance(live_model, AuditChainModel)
                else diff_rows(model.name, live_rows[model.name], _rows(model))
                for live_model, model in zip(live_models, scratch_models, strict=True)
            )
        finally:
            live_db.close()
            scratch_db.close()
            scratch_app.close()
    return ReplayReport(head=copied, events=events, models=diffs, seconds=time.perf_counter() - started)
