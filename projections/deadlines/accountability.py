"""accountability: deadline figures per agency and per official (issue #16).

For leaders and auditors only (``queries.access.ACCOUNTABILITY``): how many
deadlines each official and each agency missed, escalations caused and
received, cases finished on time and late (``resolved_*``: reports resolved,
complaints decided, denunciations concluded, dossiers' results ready; on time
as ``ranking.finished_late`` says), and, read at query time from
``deadline_clocks``, the work overdue now and the long-delayed list. Counters
are sums, so the model is rebuildable and partitionable. The official is the
assignee holding the case when the fact happened (``""`` rows are the agency's
totals, ``"(unassigned)"`` a case nobody held).

The figures a sum cannot hold — median and 90th-percentile working hours to
finish (nearest rank), the citizens' ratings and the reopen rate — come from
one row per finished case in ``view_accountability_resolutions``
(``deadlines.resolutions``), computed at query time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec

from ihanoi_core.domain.case import Case
from ihanoi_projections.deadlines.ranking import finished_late
from ihanoi_projections.deadlines.resolutions import (
    NO_RESOLUTIONS,
    ResolutionFigures,
    ResolutionRows,
    by_official,
)
from ihanoi_projections.deadlines.resolutions import TABLE as RESOLUTIONS
from ihanoi_projections.deadlines.tallies import Tallies
from ihanoi_projections.engine.base import ReadModel
from ihanoi_projections.engine.changes import Change
from ihanoi_projections.engine.database import Cursor, Row

AGENCY_TOTAL = ""
UNASSIGNED = "(unassigned)"


class OfficialCounts(msgspec.Struct, frozen=True):
    """What one official (or, with ``official`` empty, one agency) was counted
    for; a Struct, so that the accountability response extends it."""

    official: str
    missed: int
    escalations_caused: int
    escalations_received: int
    resolved_on_time: int
    resolved_late: int


# The counters summed in ``view_accountability``: every count but the official.
COUNTERS = OfficialCounts.__struct_fields__[1:]


class Figures(OfficialCounts, frozen=True):
    """One official's (or, with ``official`` empty, one agency's) figures."""

    agency: str
    overdue_now: int
    # Working hours to finish, ratings and reopens of the cases finished
    # (``deadlines.resolutions``).
    resolutions: ResolutionFigures = NO_RESOLUTIONS

    @property
    def on_time_rate(self) -> float | None:
        """Resolved on time over resolved, or None before anything was resolved."""
        resolved = self.resolved_on_time + self.resolved_late
        return round(self.resolved_on_time / resolved, 4) if resolved else None


class AccountabilityModel(ReadModel):
    name = "accountability"
    tables = ("view_accountability", RESOLUTIONS)
    kinds = (Case,)
    reads_before = frozenset({"due_at"})

    def __init__(self, database: Any, context: Any) -> None:
        super().__init__(database, context)
        self._resolutions = ResolutionRows(context.calendar)
        self._tallies = Tallies("view_accountability", ("agency", "official"), COUNTERS)

    def schema(self) -> Sequence[str]:
        return (self._tallies.schema(), *ResolutionRows.schema())

    def _add(self, agency: str | None, official: str | None, counter: str) -> None:
        if agency is None:
            return
        self._tallies.add((agency, AGENCY_TOTAL), counter)
        self._tallies.add((agency, official or UNASSIGNED), counter)

    def apply(self, change: Change) -> None:
        event, name = change.event, change.event_name
        if name == "DeadlineMissed":
            self._add(event.agency, event.assignee, "missed")
        elif name == "EscalatedForOverdue":
            self._add(event.from_agency, event.assignee, "escalations_caused")
            self._tallies.add((event.to_agency, AGENCY_TOTAL), "escalations_received")
        else:
            late = finished_late(change)
            case: Any = change.case
            if late is None:
                self._resolutions.follow_up(change)
            elif case.agency is not None:
                self._add(case.agency, case.assignee, "resolved_late" if late else "resolved_on_time")
                self._resolutions.finished(change, case.agency, case.assignee or UNASSIGNED)

    def flush(self, cursor: Cursor) -> None:
        self._tallies.flush(cursor)
        self._resolutions.flush(cursor)
        self._resolutions.discard()

    def discard(self) -> None:
        self._tallies.discard()
        self._resolutions.discard()

    # -- queries ------------------------------------------------------------

    def figures(self, agency: str, now: datetime) -> list[Figures]:
        """The agency's totals first, then each official's, by name."""
        rows = self.database.query("SELECT * FROM view_accountability WHERE agency = ? ORDER BY official", [agency])
        overdue = self._overdue_now(agency, now)
        counted = {row["official"]: {c: int(row[c]) for c in COUNTERS} for row in rows}
        resolutions = by_official(
            self.database.query(
                f"SELECT official, seconds, rating, reopened FROM {RESOLUTIONS} WHERE agency = ?", [agency]
            ),
            AGENCY_TOTAL,
        )
        # An official who holds overdue work but has no counted fact yet is listed too.
        officials = sorted({AGENCY_TOTAL, *counted, *overdue})
        zero = dict.fromkeys(COUNTERS, 0)
        return [
            Figures(
                agency=agency,
                official=official,
                **counted.get(official, zero),
                overdue_now=overdue.get(official, 0),
                resolutions=resolutions.get(official, NO_RESOLUTIONS),
            )
            for official in officials
        ]

    def _overdue_now(self, agency: str, now: datetime) -> dict[str, int]:
        from ihanoi_projections.engine.base import micros

        found: dict[str, int] = defaultdict(int)
        for row in self.database.query(
            "SELECT assignee FROM view_running_clocks WHERE track = 'main' AND agency = ? AND due_at < ?",
            [agency, micros(now)],
        ):
            found[AGENCY_TOTAL] += 1
            found[row["assignee"] or UNASSIGNED] += 1
        return found

    def long_delayed(self, agency: str, now: datetime, working_days: int) -> list[Row]:
        """The agency's cases overdue by more than ``working_days`` working days, oldest first."""
        from ihanoi_projections.engine.base import from_micros, micros

        calendar = self.context.calendar
        rows = self.database.query(
            "SELECT case_id, code, kind, assignee, due_at FROM view_running_clocks"
            " WHERE track = 'main' AND agency = ? AND due_at < ?"
            " ORDER BY due_at",
            [agency, micros(now)],
        )
        limit = working_days * calendar.office_day_seconds
        return [row for row in rows if calendar.office_seconds_between(from_micros(row["due_at"]), now) > limit]  # type: ignore[arg-type]

    def rows(self) -> list[Row]:
        return [
            *self.database.query("SELECT * FROM view_accountability ORDER BY agency, official"),
            *self.database.query(f"SELECT * FROM {RESOLUTIONS} ORDER BY case_id, resolution"),
        ]
