"""The accountability model's resolution rows (issue #16): one row per case
finished by an official, for the figures a counter cannot hold — the median
and 90th percentile of working hours to finish, the citizens' ratings and the
reopen rate.

A row is written when a case is finished (a report resolved, a complaint
decided, a denunciation concluded, a dossier's result ready: the events of
``ranking.finished_late``), keyed by the case and its ``resolution`` — how
many times the report had been reopened before (0 for other kinds). It holds
the agency and the official (the assignee holding the case when it was
finished, ``"(unassigned)"`` when nobody did), and the working seconds from
receipt to that finish on the working calendar — ``office_seconds_between``
from the case's receipt, exactly as the dashboard measures time to resolve
(``agency_dashboard.facts``), paused dossier time included. Later events of
the same case complete the row: ``Rated`` sets the citizen's stars (1–5) on
the resolution rated (a report's or a dossier's), ``Reopened`` marks the resolution reopened. A report
reopened and resolved again has two rows, each attributed to the official who
resolved it then.

Each row depends on its own case's events only, so the table is rebuildable
and partitionable by aggregate: a rebuild equals the live table row for row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ihanoi_projections.agency_dashboard.figures import nearest_rank
from ihanoi_projections.engine.changes import Change
from ihanoi_projections.engine.database import Cursor, Row

TABLE = "view_accountability_resolutions"
COLUMNS = ("case_id", "resolution", "agency", "official", "seconds", "rating", "reopened")


@dataclass(frozen=True, slots=True)
class ResolutionFigures:
    """What an official's (or an agency's) resolution rows say. Percentiles
    by the nearest-rank method (``agency_dashboard.figures.nearest_rank``:
    the ⌈p·n/100⌉-th smallest, always one of the values; the median of an
    even count is the lower middle one). Every figure is None without rows
    to compute it from; hours, mean and rate rounded to 4 decimals."""

    median_hours_to_resolve: float | None
    p90_hours_to_resolve: float | None
    rated: int
    average_rating: float | None
    reopened: int
    reopen_rate: float | None

    @classmethod
    def of(cls, rows: Sequence[Row]) -> ResolutionFigures:
        seconds = [int(row["seconds"]) for row in rows]
        ratings = [int(row["rating"]) for row in rows if row["rating"] is not None]
        reopened = sum(1 for row in rows if row["reopened"])
        return cls(
            median_hours_to_resolve=_hours(nearest_rank(seconds, 50)),
            p90_hours_to_resolve=_hours(nearest_rank(seconds, 90)),
            rated=len(ratings),
            average_rating=round(sum(ratings) / len(ratings), 4) if ratings else None,
            reopened=reopened,
            reopen_rate=round(reopened / len(rows), 4) if rows else None,
        )


NO_RESOLUTIONS = ResolutionFigures(None, None, 0, None, 0, None)


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 4)


class ResolutionRows:
    """The pending batch of resolution rows and their queries (owned by
    ``AccountabilityModel``, which feeds it the changes)."""

    def __init__(self, calendar: Any) -> None:
        self.calendar = calendar
        # Rows first written in this batch, complete; changes to rows written
        # by an earlier batch, column by column.
        self._new: dict[tuple[str, int], dict[str, Any]] = {}
        self._changed: dict[tuple[str, int], dict[str, Any]] = {}

    @staticmethod
    def schema() -> Sequence[str]:
        return (
            f"CREATE TABLE IF NOT EXISTS {TABLE} (case_id TEXT NOT NULL, resolution INTEGER NOT NULL,"
            " agency TEXT NOT NULL, official TEXT NOT NULL, seconds BIGINT NOT NULL, rating INTEGER,"
            " reopened INTEGER NOT NULL, PRIMARY KEY (case_id, resolution))",
            f"CREATE INDEX IF NOT EXISTS {TABLE}_agency ON {TABLE} (agency, official)",
        )

    def finished(self, change: Change, agency: str, official: str) -> None:
        case: Any = change.case
        key = (str(case.id), getattr(case, "reopen_count", 0))
        seconds = self.calendar.office_seconds_between(case.created_on, change.event.timestamp)
        self._new[key] = {
            "agency": agency,
            "official": official,
            "seconds": seconds,
            "rating": None,
            "reopened": 0,
        }
        self._changed.pop(key, None)

    def follow_up(self, change: Change) -> None:
        """A rating (of a report or a dossier) or a report's reopening completes
        the row of the resolution it is about."""
        case: Any = change.case
        reopens = getattr(case, "reopen_count", 0)
        if change.event_name == "Rated":
            key, column, value = (str(case.id), reopens), "rating", int(change.event.stars)
        elif change.event_name == "Reopened":
            key, column, value = (str(case.id), reopens - 1), "reopened", 1
        else:
            return
        target = self._new[key] if key in self._new else self._changed.setdefault(key, {})
        target[column] = value

    def flush(self, cursor: Cursor) -> None:
        updates = ", ".join(f"{column} = excluded.{column}" for column in COLUMNS[2:])
        cursor.executemany(
            f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
            f" ON CONFLICT (case_id, resolution) DO UPDATE SET {updates}",
            [(case_id, resolution, *(row[c] for c in COLUMNS[2:])) for (case_id, resolution), row in self._new.items()],
        )
        by_columns: defaultdict[tuple[str, ...], list[tuple[Any, ...]]] = defaultdict(list)
        for (case_id, resolution), values in self._changed.items():
            columns = tuple(sorted(values))
            by_columns[columns].append((*(values[c] for c in columns), case_id, resolution))
        for columns, rows in by_columns.items():
            sets = ", ".join(f"{column} = ?" for column in columns)
            cursor.executemany(f"UPDATE {TABLE} SET {sets} WHERE case_id = ? AND resolution = ?", rows)
        self.discard()

    def discard(self) -> None:
        self._new.clear()
        self._changed.clear()


def by_official(rows: Iterable[Row], total: str) -> dict[str, ResolutionFigures]:
    """The figures of each official's rows, and of all of them under ``total``."""
    grouped: defaultdict[str, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[total].append(row)
        grouped[str(row["official"])].append(row)
    return {official: ResolutionFigures.of(found) for official, found in grouped.items()}
