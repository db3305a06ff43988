"""Is every read model what the log says it should be? A consistency probe
(``ihanoi projections check``) and the log counts behind ``status``.

A projection's position only says how far it has read. Three things can make
a read model disagree with the log behind a position that looks caught up:

- an event it passed over (one that committed after the reader had moved past
  its position): the log holds more events up to the position than the
  projection has applied (``projection_tracking.events``);
- a parallel rebuild that stopped half-way: the read model is *fenced* (its
  rows hold some partitions' events only) until the rebuild is run again;
- rows that do not match the cases: ``case_status`` records each case's
  version, which must be the case's latest version in the log up to the
  read model's position.

The probe reads the log with one aggregate query per check, so it costs about
as much as reading each case's latest version once.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import resolve_topic

from ihanoi_core.application import Ihanoi
from ihanoi_core.domain.case import Case
from ihanoi_core.eventstore.sqlite import IhanoiSQLiteApplicationRecorder
from ihanoi_projections.case_status import CaseStatusModel
from ihanoi_projections.engine.database import ViewDatabase
from ihanoi_projections.engine.projector import PARTITION_MARK

PAGE = 10_000


@dataclass(frozen=True)
class Difference:
    """Where a read model first disagrees with the log."""

    projection: str
    kind: str  # "fenced", "skipped", "version"
    detail: str


@dataclass(frozen=True)
class CheckReport:
    differences: list[Difference] = field(default_factory=list)
    # What was compared: events per projection, cases for case_status.
    compared: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.differences


def count_events(app: Ihanoi, stop: int) -> int:
    """How many events the log holds at positions up to ``stop`` (PostgreSQL
    positions can have gaps: a rolled-back insert uses its numbers up)."""
    recorder = app.recorder
    if isinstance(recorder, IhanoiSQLiteApplicationRecorder):
        with recorder._reading() as connection:
            sql = f"SELECT count(*) FROM {recorder.events_table_name} WHERE rowid <= ?"
            return int(connection.execute(sql, (stop,)).fetchone()[0])
    if isinstance(recorder, PostgresApplicationRecorder):
        table = f'"{recorder.datastore.schema}"."{recorder.events_table_name}"'
        with recorder.datastore.get_connection() as conn, conn.cursor() as cursor:
            cursor.execute(f"SELECT count(*) AS n FROM {table} WHERE notification_id <= %s", (stop,))
            row = cursor.fetchone()
            return int(row["n"]) if row else 0
    return sum(1 for _ in _notifications(app, stop))


def latest_versions(app: Ihanoi, stop: int) -> dict[str, int]:
    """Each case's latest version in the log up to position ``stop``."""
    recorder = app.recorder
    rows: list[tuple[Any, int, str]]
    if isinstance(recorder, IhanoiSQLiteApplicationRecorder):
        sql = (
            f"SELECT originator_id, max(originator_version), min(topic) FROM {recorder.events_table_name} "
            "WHERE rowid <= ? GROUP BY originator_id"
        )
        with recorder._reading() as connection:
            rows = [(UUID(hex=row[0]), row[1], row[2]) for row in connection.execute(sql, (stop,))]
    elif isinstance(recorder, PostgresApplicationRecorder):
        table = f'"{recorder.datastore.schema}"."{recorder.events_table_name}"'
        sql = (
            "SELECT originator_id AS id, max(originator_version) AS version, min(topic) AS topic "
            f"FROM {table} WHERE notification_id <= %s GROUP BY originator_id"
        )
        with recorder.datastore.get_connection() as conn, conn.cursor() as cursor:
            cursor.execute(sql, (stop,))
            rows = [(row["id"], row["version"], row["topic"]) for row in cursor.fetchall()]
    else:
        latest: dict[Any, tuple[int, str]] = {}
        for notification in _notifications(app, stop):
            latest[notification.originator_id] = (notification.originator_version, notification.topic)
        rows = [(key, version, topic) for key, (version, topic) in latest.items()]
    return {str(key): int(version) for key, version, topic in rows if _is_case(topic)}


@functools.cache
def _is_case(topic: str) -> bool:
    """Whether an event topic (``module:Aggregate.Event``) belongs to a case."""
    module, qualname = topic.split(":", 1)
    if "." not in qualname:
        return False
    aggregate = resolve_topic(f"{module}:{qualname.rsplit('.', 1)[0]}")
    return isinstance(aggregate, type) and issubclass(aggregate, Case)


def _notifications(app: Ihanoi, stop: int) -> Iterator[Any]:
    start = 0
    while page := app.recorder.select_notifications(start, PAGE, stop=stop, inclusive_of_start=False):
        yield from page
        start = page[-1].id


def check_read_models(app: Ihanoi, database: ViewDatabase) -> CheckReport:
    """Compare every tracked read model with the log; name the first difference of each."""
    differences: list[Difference] = []
    compared: dict[str, int] = {}
    tracked = database.tracked()
    for name in sorted({name.split(PARTITION_MARK)[0] for name in tracked if PARTITION_MARK in name}):
        differences.append(
            Difference(name, "fenced", "a parallel rebuild did not finish; run `ihanoi projections rebuild` again")
        )
    counts: dict[int, int] = {}
    for name, row in sorted(tracked.items()):
        if PARTITION_MARK in name or row.events is None:
            continue
        if row.position not in counts:
            counts[row.position] = count_events(app, row.position)
        in_log = counts[row.position]
        compared[name] = in_log
        if row.events != in_log:
            differences.append(
                Difference(
                    name,
                    "skipped",
                    f"the log holds {in_log} events up to position {row.position}; {row.events} were applied",
                )
            )
    if CaseStatusModel.name in tracked and not any(d.projection == CaseStatusModel.name for d in differences):
        position, rows = _case_versions(database)
        log = latest_versions(app, position)
        compared[f"{CaseStatusModel.name} cases"] = len(log)
        if first := _first_difference(log, rows, position):
            differences.append(Difference(CaseStatusModel.name, "version", first))
    return CheckReport(differences, compared)


def _case_versions(database: ViewDatabase) -> tuple[int, dict[str, int]]:
    """case_status's position and each row's version, read in one snapshot."""
    with database.transaction() as cursor:
        if database.dialect == "postgres":
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        found = cursor.execute(
            "SELECT position FROM projection_tracking WHERE name = ?", (CaseStatusModel.name,)
        ).fetchone()
        rows = cursor.execute(f"SELECT case_id, version FROM {CaseStatusModel.table}").fetchall()
    position = int(found["position"]) if found else 0
    return position, {row["case_id"]: int(row["version"]) for row in rows}


def _first_difference(log: dict[str, int], rows: dict[str, int], position: int) -> str | None:
    for case_id in sorted(log.keys() | rows.keys()):
        in_log, in_model = log.get(case_id), rows.get(case_id)
        if in_log == in_model:
            continue
        if in_model is None:
            return f"case {case_id} (version {in_log} in the log up to position {position}) has no row"
        if in_log is None:
            return f"case {case_id} has a row (version {in_model}) but no event up to position {position}"
        return f"case {case_id} is at version {in_model}; the log has version {in_log} up to position {position}"
    return None
