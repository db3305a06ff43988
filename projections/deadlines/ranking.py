"""agency_ranking: the monthly ranking of agencies, publishable (issue #16).

The seed's service index ("Chỉ số phục vụ"): per month (Hanoi time of the
event) and agency, the cases it finished — reports resolved, complaints
decided, denunciations concluded, dossiers' results ready, business inquiries
answered (each answer against the clock it stopped: a follow-up opens the
inquiry again with a new one) — on time or late,
the deadlines it missed (its own and, as a co-owner, those escalated to it)
and the escalations it caused. On time: finished no later than the due time
running just before; a dossier is late once it needed an apology (its result
is only ever ready before the appointment in force). Counters are sums, so the
model is rebuildable and partitionable (a rebuild equals the live model).

``ranking(month, min_count)`` ranks the agencies that finished at least
``min_count`` cases (``IHANOI_PUBLIC_STATS_MIN_COUNT``, the minimum-volume rule
of the public statistics) by on-time rate, then by volume, then by code;
tied rates share a rank (1, 2, 2, 4). Agencies below the minimum are listed
unranked with every figure withheld: a rate over a handful of cases says more
about chance than about an agency (mysociety/fixmystreet#1957). No total is
published, so a withheld agency cannot be recovered by subtraction. No
personal data: agencies and counts only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ihanoi_core.directory import Directory
from ihanoi_core.domain.case import Case
from ihanoi_core.errors import ValidationError
from ihanoi_projections.deadlines.tallies import Tallies
from ihanoi_projections.engine.base import ReadModel
from ihanoi_projections.engine.changes import Change
from ihanoi_projections.engine.database import Cursor, Row

TABLE = "view_agency_ranking"
COUNTERS = ("finished_on_time", "finished_late", "missed", "escalations_caused")
MONTH = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")
# event name -> the kinds of case for which it finishes the case.
FINISHING = {
    "Resolved": ("report",),
    "Decided": ("complaint",),
    "Concluded": ("denunciation",),
    "MarkedResultReady": ("dossier",),
    "Answered": ("business_inquiry",),
}


@dataclass(frozen=True, slots=True)
class RankedAgency:
    """One agency's row of a month. ``rank`` and every figure are None when
    the agency finished fewer cases than the minimum volume (``withheld``)."""

    agency: str
    name: str
    name_en: str
    withheld: bool
    rank: int | None
    finished: int | None
    finished_on_time: int | None
    finished_late: int | None
    on_time_rate: float | None
    missed: int | None
    escalations_caused: int | None


@dataclass(frozen=True, slots=True)
class Ranking:
    """The ranking of one month under the minimum-volume rule."""

    month: str
    min_count: int
    agencies: list[RankedAgency]


def finished_late(change: Change) -> bool | None:
    """Whether the change finished its case late (True), on time (False), or
    finished nothing (None): see the module docstring."""
    kinds = FINISHING.get(change.event_name)
    case: Any = change.case
    if kinds is None or case.kind not in kinds:
        return None
    if case.kind == "dossier":
        return bool(case.apology_count > 0)
    due_at = change.before.get("due_at")
    return None if due_at is None else bool(change.event.timestamp > due_at)


class AgencyRankingModel(ReadModel):
    name = "agency_ranking"
    tables = (TABLE,)
    kinds = (Case,)
    reads_before = frozenset({"due_at"})

    def __init__(self, database: Any, context: Any) -> None:
        super().__init__(database, context)
        self._tallies = Tallies(TABLE, ("month", "agency"), COUNTERS)

    def schema(self) -> Sequence[str]:
        return (self._tallies.schema(),)

    def _add(self, month: str, agency: str | None, counter: str) -> None:
        if agency is not None:
            self._tallies.add((month, agency), counter)

    def apply(self, change: Change) -> None:
        name = change.event_name
        kinds = FINISHING.get(name)
        if kinds is None and name not in ("DeadlineMissed", "EscalatedForOverdue"):
            return
        event: Any = change.event
        month = event.timestamp.astimezone(self.context.calendar.zone).strftime("%Y-%m")
        if name == "DeadlineMissed":
            self._add(month, event.agency, "missed")
        elif name == "EscalatedForOverdue":
            self._add(month, event.from_agency, "escalations_caused")
        else:
            late = finished_late(change)
            if late is not None:
                agency = getattr(change.case, "agency", None)
                self._add(month, agency, "finished_late" if late else "finished_on_time")

    def flush(self, cursor: Cursor) -> None:
        self._tallies.flush(cursor)

    def discard(self) -> None:
        self._tallies.discard()

    # -- queries ------------------------------------------------------------

    def ranking(self, month: str, min_count: int, directory: Directory) -> Ranking:
        """The agencies of ``month`` (``YYYY-MM``), ranked as the module says."""
        if not MONTH.match(month):
            raise ValidationError({"month": "must be a month, YYYY-MM"})
        rows = self.database.query(f"SELECT * FROM {TABLE} WHERE month = ?", [month])
        shown: list[tuple[float, int, str, Row]] = []
        withheld: list[str] = []
        for row in rows:
            finished = int(row["finished_on_time"]) + int(row["finished_late"])
            if finished >= min_count and finished > 0:
                rate = round(int(row["finished_on_time"]) / finished, 4)
                shown.append((rate, finished, row["agency"], row))
            else:
                withheld.append(row["agency"])
        shown.sort(key=lambda item: (-item[0], -item[1], item[2]))
        agencies: list[RankedAgency] = []
        rank, previous = 0, None
        for position, (rate, finished, code, row) in enumerate(shown, start=1):
            if rate != previous:
                rank, previous = position, rate
            agencies.append(
                RankedAgency(
                    code,
                    *names(directory, code),
                    withheld=False,
                    rank=rank,
                    finished=finished,
                    finished_on_time=int(row["finished_on_time"]),
                    finished_late=int(row["finished_late"]),
                    on_time_rate=rate,
                    missed=int(row["missed"]),
                    escalations_caused=int(row["escalations_caused"]),
                )
            )
        for code in sorted(withheld):
            agencies.append(RankedAgency(code, *names(directory, code), True, None, None, None, None, None, None, None))
        return Ranking(month, min_count, agencies)

    def rows(self) -> list[Row]:
        return self.database.query(f"SELECT * FROM {TABLE} ORDER BY month, agency")


def names(directory: Directory, code: str) -> tuple[str, str]:
    agency = directory.get_agency(code)
    return (agency.name, agency.name_en) if agency is not None else (code, code)
