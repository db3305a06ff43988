"""flood_hotspots: open flood reports per ward and clock hour, and the
warnings they suggest to the leader of the agency they are routed to.

One row per open report of the directory's hotspot category (``flooding``
in the Hanoi sample, ``[alerts.flood_hotspots]``): its ward, agency, the
clock hour it was filed in and the depth it reported, if any. A report
leaves the table when it is no longer open (resolved, rejected, duplicate …).
The depth is the report's answer to the threshold's ``depth_attribute``
(``depth_cm``, a structured attribute of the report since its event's
version 2); for a report filed before that, the line Open311 wrote into its
description (``Độ sâu ngập ước tính (cm): 40``). A report without either
counts without a depth.

``hotspots`` groups the rows by ward and hour within the threshold's window
and keeps the groups that cross it: at least ``reports_per_hour`` open
reports, or a depth of at least ``depth_cm``. It only suggests; nothing is
issued. No row holds who reported, nor the text: ids, places, hours, depths.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ihanoi_core.directory.alerts import FloodHotspots
from ihanoi_core.domain.report import Report
from ihanoi_core.domain.report_values import OPEN_STATUSES
from ihanoi_projections.engine.base import LatestStateModel, ViewTable, from_micros, micros
from ihanoi_projections.engine.changes import Change
from ihanoi_projections.engine.database import Row

VIEW_TABLE = ViewTable(
    "view_flood_reports",
    {
        "case_id": "TEXT PRIMARY KEY",
        "ward": "TEXT NOT NULL",
        "agency": "TEXT",
        "hour": "BIGINT NOT NULL",
        "reported_at": "BIGINT NOT NULL",
        "depth_cm": "DOUBLE PRECISION",
        "position": "BIGINT NOT NULL",
    },
    indexes={"hour": "hour, ward"},
)
HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Hotspot:
    """A ward and clock hour whose open flood reports cross the threshold."""

    ward: str
    agency: str | None
    hour: datetime
    reports: int
    max_depth_cm: float | None
    reasons: tuple[str, ...]


def hour_of(moment: datetime) -> datetime:
    """The start of the clock hour ``moment`` is in (UTC; Hanoi's offset is whole hours)."""
    return moment.replace(minute=0, second=0, microsecond=0)


class FloodHotspotsModel(LatestStateModel):
    name = "flood_hotspots"
    view_table = VIEW_TABLE
    kinds = (Report,)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.threshold: FloodHotspots | None = self.context.directory.alerts.flood_hotspots
        self._depth_line: re.Pattern[str] | None = None
        if self.threshold is not None and self.threshold.depth_attribute is not None:
            category = self.context.directory.get_category(self.threshold.category)
            attribute = next(
                (
                    item
                    for item in (category.attributes if category else ())
                    if item.code == self.threshold.depth_attribute
                ),
                None,
            )
            if attribute is not None:
                label = re.escape(attribute.description.rstrip("?: "))
                self._depth_line = re.compile(rf"^{label}: *([0-9]+(?:[.,][0-9]+)?) *$", re.MULTILINE)

    def apply(self, change: Change) -> None:
        # Only the hotspot category's reports: any other report never has a row
        # here, so it costs neither a row computed nor a DELETE at flush.
        case = change.case
        if self.threshold is not None and isinstance(case, Report) and case.category == self.threshold.category:
            self._latest[case.id] = (case, change.position)

    def row(self, report: Report, position: int) -> tuple[Any, ...] | None:
        if self.threshold is None or report.category != self.threshold.category or report.status not in OPEN_STATUSES:
            return None
        return (
            str(report.id),
            report.location.ward,
            report.agency,
            micros(hour_of(report.created_on)),
            micros(report.created_on),
            self.depth(report),
            position,
        )

    def depth(self, report: Report) -> float | None:
        """The depth a report gives, in centimetres, if any (see module docstring)."""
        assert self.threshold is not None
        code = self.threshold.depth_attribute
        answer = getattr(report, "attributes", {}).get(code) if code is not None else None
        if isinstance(answer, str):
            try:
                return float(answer.replace(",", "."))
            except ValueError:
                return None
        if self._depth_line is None:
            return None
        found = self._depth_line.search(report.description)
        return float(found.group(1).replace(",", ".")) if found else None

    # -- queries ------------------------------------------------------------

    def hotspots(self, *, now: datetime, agency: str | None = None) -> list[Hotspot]:
        """The wards and hours within the window that cross the threshold, the
        newest hour first; only those of ``agency`` when given."""
        threshold = self.threshold
        if threshold is None:
            return []
        since = hour_of(now) - (threshold.window_hours - 1) * HOUR
        sql = (
            "SELECT ward, agency, hour, COUNT(*) AS reports, MAX(depth_cm) AS max_depth"
            " FROM view_flood_reports WHERE hour >= ?"
        )
        params: list[Any] = [micros(since)]
        if agency is not None:
            sql += " AND agency = ?"
            params.append(agency)
        sql += " GROUP BY ward, agency, hour ORDER BY hour DESC, ward"
        found = []
        for row in self.database.query(sql, params):
            reports, depth = int(row["reports"]), row["max_depth"]
            reasons = []
            if reports >= threshold.reports_per_hour:
                reasons.append(f"{reports} open reports in the hour (threshold {threshold.reports_per_hour})")
            if depth is not None and depth >= threshold.depth_cm:
                reasons.append(f"a reported depth of {depth:g} cm (threshold {threshold.depth_cm} cm)")
            if reasons:
                hour = from_micros(row["hour"])
                assert hour is not None
                found.append(
                    Hotspot(
                        ward=row["ward"],
                        agency=row["agency"],
                        hour=hour.astimezone(self.context.calendar.zone),
                        reports=reports,
                        max_depth_cm=float(depth) if depth is not None else None,
                        reasons=tuple(reasons),
                    )
                )
        return found

    def rows(self) -> list[Row]:
        return self.database.query("SELECT * FROM view_flood_reports ORDER BY case_id")
