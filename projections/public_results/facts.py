"""How ``public_results``' rows are written from the events of field reports.

``view_public_results``: one row per report. Its current columns (agency,
ward, category, channel, status, rating) come from the report's state at the
end of each batch; its resolution columns from the events that set them, as
the agency dashboard measures a report (``agency_dashboard.facts.RULES``):

- resolved by ``Resolved``, on time when at or before the deadline in force
  just before it (``Change.before["due_at"]``); a ``Reopened`` withdraws the
  resolution, and the next ``Resolved`` is the one measured;
- time to resolve is office time from receipt to that resolution, in whole
  seconds on the city's working calendar (``office_seconds_between``), so a
  weekend or a public holiday between the two adds nothing.

``view_public_timeline``: one row per public step of a report — the event's
position, the step (``STEPS``: the event it came from, by name), its time, the
agency concerned (acknowledging, or receiving a transfer) and the agency's own
public words (an answer, a public note, a refusal reason). Never who acted,
never the reporter's words (a reopen's reason), never a rating: a row says
what the city did and when.

Each event of a report touches only that report's rows, so the model may be
rebuilt in partitions; both tables are keyed by case (and position), so
applying a batch twice is impossible (the tracking row) and rebuilding gives
the same rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from ihanoi_core.domain.report import Report
from ihanoi_projections.agency_dashboard.facts import RULES
from ihanoi_projections.engine.base import ReadModel, micros
from ihanoi_projections.engine.changes import Change
from ihanoi_projections.engine.database import Cursor

FACTS = "view_public_results"
TIMELINE = "view_public_timeline"
REPORT = RULES["report"]

CURRENT = ("case_id", "code", "agency", "ward", "category", "channel", "received_at", "status", "rating")
RESOLUTION = ("resolved_at", "resolve_seconds", "resolved_on_time")
TIMELINE_COLUMNS = ("case_id", "position", "step", "at", "agency", "note")

# Event name → (public step, the event attribute holding the agency's public words).
STEPS: Mapping[str, tuple[str, str | None]] = {
    "Submitted": ("submitted", None),
    "Acknowledged": ("acknowledged", None),
    "Assigned": ("assigned", None),
    "Started": ("in_progress", None),
    "Commented": ("commented", "note"),
    "Resolved": ("resolved", "answer"),
    "Closed": ("closed", None),
    "Rejected": ("rejected", "reason"),
    "MarkedDuplicate": ("duplicate", "public_note"),
    "Transferred": ("transferred", None),
    "DeclaredNotResponsible": ("not_responsible", "public_note"),
    "Reopened": ("reopened", None),
}


class PublicResultsProjection(ReadModel):
    """The rows of ``public_results`` (queries are ``PublicResultsModel``'s)."""

    name = "public_results"
    kinds = (Report,)
    tables = (FACTS, TIMELINE)
    reads_before = frozenset({"due_at"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._latest: dict[UUID, Report] = {}
        self._resolutions: dict[UUID, tuple[Any, ...]] = {}
        self._steps: list[tuple[Any, ...]] = []
        self._current_rows: list[tuple[Any, ...]] = []
        self._resolution_rows: list[tuple[Any, ...]] = []

    def schema(self) -> Sequence[str]:
        return (
            f"CREATE TABLE IF NOT EXISTS {FACTS} ("
            "case_id TEXT PRIMARY KEY, code TEXT NOT NULL, agency TEXT, ward TEXT NOT NULL,"
            " category TEXT NOT NULL, channel TEXT NOT NULL, received_at BIGINT NOT NULL, status TEXT NOT NULL,"
            " rating BIGINT, resolved_at BIGINT, resolve_seconds BIGINT, resolved_on_time BIGINT)",
            f"CREATE INDEX IF NOT EXISTS {FACTS}_received ON {FACTS} (received_at)",
            f"CREATE TABLE IF NOT EXISTS {TIMELINE} ("
            "case_id TEXT NOT NULL, position BIGINT NOT NULL, step TEXT NOT NULL, at BIGINT NOT NULL,"
            " agency TEXT, note TEXT, PRIMARY KEY (case_id, position))",
        )

    def apply(self, change: Change) -> None:
        if not self.reads(change.case):
            return
        report: Report = change.case  # type: ignore[assignment]
        self._latest[report.id] = report
        name = change.event_name
        event = change.event
        if name == REPORT.resolved_by:
            when = event.timestamp
            due = change.before.get("due_at")
            seconds = self.context.calendar.office_seconds_between(report.created_on, when)
            self._resolutions[report.id] = (micros(when), seconds, int(due is None or when <= due))
        elif name == REPORT.unresolved_by:
            self._resolutions[report.id] = (None, None, None)
        step = STEPS.get(name)
        if step is not None:
            step_name, words = step
            agency = getattr(event, "to_agency", None) or (report.agency if step_name == "acknowledged" else None)
            note = getattr(event, words, None) if words else None
            self._steps.append((str(report.id), change.position, step_name, micros(event.timestamp), agency, note))

    def prepare(self) -> None:
        for case_id, report in self._latest.items():
            self._current_rows.append(
                (
                    str(case_id),
                    report.code,
                    report.agency,
                    report.location.ward,
                    report.category,
                    str(report.channel),
                    micros(report.created_on),
                    str(report.status),
                    report.rating,
                )
            )
            resolution = self._resolutions.get(case_id)
            if resolution is not None:
                self._resolution_rows.append((*resolution, str(case_id)))
        self._latest.clear()
        self._resolutions.clear()

    def flush(self, cursor: Cursor) -> None:
        self.prepare()  # anything applied since prepare() was called
        updates = ", ".join(f"{column} = excluded.{column}" for column in CURRENT[1:])
        cursor.executemany(
            f"INSERT INTO {FACTS} ({', '.join(CURRENT)}) VALUES ({', '.join('?' * len(CURRENT))})"
            f" ON CONFLICT (case_id) DO UPDATE SET {updates}",
            self._current_rows,
        )
        cursor.executemany(
            f"UPDATE {FACTS} SET {', '.join(f'{column} = ?' for column in RESOLUTION)} WHERE case_id = ?",
            self._resolution_rows,
        )
        cursor.executemany(
            f"INSERT INTO {TIMELINE} ({', '.join(TIMELINE_COLUMNS)}) VALUES ({', '.join('?' * len(TIMELINE_COLUMNS))})",
            self._steps,
        )
        self.discard()

    def discard(self) -> None:
        self._latest.clear()
        self._resolutions.clear()
        self._steps.clear()
        self._current_rows.clear()
        self._resolution_rows.clear()
