"""deadline_clocks: every running deadline and its next threshold (issue #16).

One row per running clock of a case (``Case.running_clocks``): the case's own
deadline (``main``), the own deadline of each agency it was escalated to
(``escalated``, while the clock it escalated from runs) and a dossier
partner's sub-deadline (``forwarded``, while the partner has it). A case that
is final or paused has none, so nothing fires for it. The row holds who holds
the clock (agency, assignee), its key (an extension or a resume makes a new
key and fresh thresholds), the instants of its thresholds
(``ihanoi_core.law.deadline_rules``) and the first one the case has not recorded
yet: ``next_at`` is what the watcher wakes for. A clock that recorded every
threshold keeps its row with ``next_at`` NULL until it stops. Rebuildable like
every read model: the marks are in the events.

The table replaced ``view_deadline_clocks`` (one row per case); a store that
ran the watcher before rebuilds this model once
(``ihanoi projections rebuild deadline_clocks``).
"""

from __future__ import annotations

from typing import Any

from ihanoi_core.domain.case import Case
from ihanoi_core.domain.running_clocks import RunningClock
from ihanoi_core.law.deadline_rules import Planned, escalation_target, plan
from ihanoi_projections.engine.base import CaseRowsModel, ViewTable, micros
from ihanoi_projections.engine.database import Row

MAX_PLANS = 50_000
TABLE = "view_running_clocks"
VIEW_TABLE = ViewTable(
    TABLE,
    {
        "clock_id": "TEXT PRIMARY KEY",
        "case_id": "TEXT NOT NULL",
        "track": "TEXT NOT NULL",
        "kind": "TEXT NOT NULL",
        "code": "TEXT NOT NULL",
        "agency": "TEXT NOT NULL",
        "assignee": "TEXT",
        "clock_key": "TEXT NOT NULL",
        "started_at": "BIGINT NOT NULL",
        "due_at": "BIGINT NOT NULL",
        "reminder_share_at": "BIGINT",
        "reminder_last_hour_at": "BIGINT",
        "escalation_at": "BIGINT",
        "next_threshold": "TEXT",
        "next_at": "BIGINT",
        "missed": "INTEGER NOT NULL",
        "escalated_to": "TEXT",
    },
    indexes={"next": "next_at, clock_id", "case": "case_id", "agency": "agency, due_at"},
)
# The row order, for the deadline benchmark's rows.
COLUMNS = VIEW_TABLE.column_names


class DeadlineClocksModel(CaseRowsModel):
    name = "deadline_clocks"
    view_table = VIEW_TABLE
    kinds = (Case,)

    def __init__(self, database: Any, context: Any) -> None:
        super().__init__(database, context)
        # A clock's thresholds depend only on its key, agency and whether it
        # escalates; most changes of a case (assign, comment, a reminder) keep all.
        self._plans: dict[tuple[str, str, bool], list[Planned]] = {}

    def _plan(self, clock: RunningClock, escalates: bool) -> list[Planned]:
        cache = (clock.key, clock.agency, escalates)
        planned = self._plans.get(cache)
        if planned is None:
            if len(self._plans) >= MAX_PLANS:
                self._plans.clear()
            context = self.context
            planned = plan(clock.started_at, clock.due_at, context.calendar, context.directory, escalates=escalates)
            self._plans[cache] = planned
        return planned

    def rows_of(self, case: Case) -> list[tuple[Any, ...]]:
        rows = []
        holders = case.agencies
        escalated_to = ",".join(case.escalated_to) or None
        for clock in case.running_clocks():
            escalates = escalation_target(clock, holders, self.context.directory) is not None
            planned = self._plan(clock, escalates)
            at = {p.threshold: p.at for p in planned}
            pending = [p for p in planned if f"{clock.key}#{p.threshold}" not in case.deadline_marks]
            upcoming = pending[0] if pending else None
            rows.append(
                (
                    f"{case.id}#{clock.key}",
                    str(case.id),
                    clock.track,
                    case.kind,
                    case.code,
                    clock.agency,
                    clock.assignee,
                    clock.key,
                    micros(clock.started_at),
                    micros(clock.due_at),
                    micros(at.get("reminder_share")),
                    micros(at.get("reminder_last_hour")),
                    micros(at.get("escalation")),
                    upcoming.threshold if upcoming else None,
                    micros(upcoming.at) if upcoming else None,
                    int(f"{clock.key}#missed" in case.deadline_marks),
                    escalated_to,
                )
            )
        return rows

    # -- queries ------------------------------------------------------------

    def due(self, until_micros: int, limit: int) -> list[Row]:
        """Clocks whose next threshold passed by ``until``, oldest first."""
        return self.database.query(
            f"SELECT * FROM {TABLE} WHERE next_at IS NOT NULL AND next_at <= ? ORDER BY next_at, clock_id LIMIT ?",
            [until_micros, limit],
        )

    def next_at(self) -> int | None:
        """When the next threshold of any clock passes (micros), if any."""
        rows = self.database.query(f"SELECT MIN(next_at) AS next_at FROM {TABLE}", [])
        value = rows[0]["next_at"] if rows else None
        return int(value) if value is not None else None

    def counts(self) -> dict[str, int]:
        """How many clocks run, by track (for the watcher's metrics)."""
        rows = self.database.query(f"SELECT track, COUNT(*) AS n FROM {TABLE} GROUP BY track", [])
        return {row["track"]: int(row["n"]) for row in rows}

    def all(self) -> list[Row]:
        return self.database.query(f"SELECT * FROM {TABLE} ORDER BY next_at, clock_id", [])

    def rows(self) -> list[Row]:
        return self.database.query(f"SELECT * FROM {TABLE} ORDER BY clock_id")
