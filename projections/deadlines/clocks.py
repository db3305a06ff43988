"""deadline_clocks: every running deadline and its next threshold (issue #16).

One row per case whose clock runs: not final, with a due time (a paused
dossier has none and drops off, so nothing fires for it). The row holds who
holds the case now (agency, assignee), the clock's key (start and due time:
an extension or a resume makes a new key and fresh thresholds), the instants
of its thresholds (``ihanoi_core.deadline_rules``) and the first one the case
has not recorded yet: ``next_at`` is what the watcher wakes for. A case that
recorded every threshold keeps its row with ``next_at`` NULL until it leaves
the clock. Rebuildable like every read model: the marks are in the events.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ihanoi_core.deadline_rules import Planned, plan
from ihanoi_core.domain.case import Case
from ihanoi_projections.base import LatestStateModel, ProjectionContext, micros
from ihanoi_projections.database import Row, ViewDatabase

MAX_PLANS = 50_000
COLUMNS = (
    "case_id",
    "kind",
    "code",
    "agency",
    "assignee",
    "clock_key",
    "started_at",
    "due_at",
    "reminder_share_at",
    "reminder_last_hour_at",
    "escalation_at",
    "next_threshold",
    "next_at",
    "missed",
    "escalated_to",
)


class DeadlineClocksModel(LatestStateModel):
    name = "deadline_clocks"
    table = "view_deadline_clocks"
    columns = COLUMNS
    kinds = (Case,)

    def schema(self) -> Sequence[str]:
        return (
            "CREATE TABLE IF NOT EXISTS view_deadline_clocks ("
            "case_id TEXT PRIMARY KEY, kind TEXT NOT NULL, code TEXT NOT NULL, agency TEXT NOT NULL,"
            " assignee TEXT, clock_key TEXT NOT NULL, started_at BIGINT NOT NULL, due_at BIGINT NOT NULL,"
            " reminder_share_at BIGINT, reminder_last_hour_at BIGINT, escalation_at BIGINT,"
            " next_threshold TEXT, next_at BIGINT, missed INTEGER NOT NULL, escalated_to TEXT)",
            "CREATE INDEX IF NOT EXISTS view_deadline_clocks_next ON view_deadline_clocks (next_at, case_id)",
        )

    def __init__(self, database: ViewDatabase, context: ProjectionContext) -> None:
        super().__init__(database, context)
        # A clock's thresholds depend only on its key and agency; most changes
        # of a case (assign, comment, a reminder) keep both.
        self._plans: dict[tuple[str, str], list[Planned]] = {}

    def row(self, case: Case, position: int) -> tuple[Any, ...] | None:
        key = case.clock_key
        if key is None or case.agency is None or case.due_at is None or case.clock is None:
            return None
        planned = self._plans.get((key, case.agency))
        if planned is None:
            if len(self._plans) >= MAX_PLANS:
                self._plans.clear()
            planned = plan(
                case.clock.started_at, case.due_at, case.agency, self.context.calendar, self.context.directory
            )
            self._plans[(key, case.agency)] = planned
        at = {p.threshold: p.at for p in planned}
        pending = [p for p in planned if f"{key}#{p.threshold}" not in case.deadline_marks]
        upcoming = pending[0] if pending else None
        return (
            str(case.id),
            case.kind,
            case.code,
            case.agency,
            case.assignee,
            key,
            micros(case.clock.started_at),
            micros(case.due_at),
            micros(at.get("reminder_share")),
            micros(at.get("reminder_last_hour")),
            micros(at.get("escalation")),
            upcoming.threshold if upcoming else None,
            micros(upcoming.at) if upcoming else None,
            int(f"{key}#missed" in case.deadline_marks),
            ",".join(case.escalated_to) or None,
        )

    # -- queries ------------------------------------------------------------

    def due(self, until_micros: int, limit: int) -> list[Row]:
        """Clocks whose next threshold passed by ``until``, oldest first."""
        return self.database.query(
            "SELECT * FROM view_deadline_clocks WHERE next_at IS NOT NULL AND next_at <= ?"
            " ORDER BY next_at, case_id LIMIT ?",
            [until_micros, limit],
        )

    def next_at(self) -> int | None:
        """When the next threshold of any clock passes (micros), if any."""
        rows = self.database.query("SELECT MIN(next_at) AS next_at FROM view_deadline_clocks", [])
        value = rows[0]["next_at"] if rows else None
        return int(value) if value is not None else None

    def all(self) -> list[Row]:
        return self.database.query("SELECT * FROM view_deadline_clocks ORDER BY next_at, case_id", [])

    def rows(self) -> list[Row]:
        return self.database.query("SELECT * FROM view_deadline_clocks ORDER BY case_id")
