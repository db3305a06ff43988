"""Notices of new reports in an area (issue #14), as FixMyStreet's local alerts.

A person subscribes on their notification settings (``ReportAreaSubscribed``,
``ReportAreaUnsubscribed`` on ``Contactability``; ``domain/report_areas``) to
new reports in a ward, within a radius of a point, and/or of a category.
Each new field report — every report is on the public feed; a denunciation
is not a report and never reaches this trigger — becomes one ``report_area``
notice per person whose subscriptions, as of the report's event, match it
(however many of theirs do), on their verified channels. Never to the
reporter themself, and the notice carries nothing of them: the report's code,
category, ward and the link to its public page, which is all the public feed
shows. Like an alert, it was asked for: no consent to ``notifications`` is
needed, and removing the subscription is the opt-out.

The subscriptions, as of the log, are kept in ``view_notification_report_areas``
(pseudonymous key; the point and radius of a subscription are the person's
data, this table is read by the outbox only). A report finds its candidates
with one statement of three indexed parts — the subscriptions of its ward,
those of its category with no ward, and those of a point only, whose bounding
box holds it — and the distance is checked in Python.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ihanoi_core.domain.contactability import Contactability
from ihanoi_core.domain.report import Report
from ihanoi_core.domain.report_areas import REPORT_AREA_KIND
from ihanoi_projections.engine.changes import Change
from ihanoi_projections.engine.database import Cursor, Row
from ihanoi_projections.notifications.notices import Notice
from ihanoi_projections.notifications.triggers import REPORT_AREAS, Remember, Trigger, TriggerStep, register

if TYPE_CHECKING:
    from ihanoi_projections.notifications.outbox import OutboxModel

AREA_EVENTS = frozenset({"ReportAreaSubscribed", "ReportAreaUnsubscribed"})
Areas = dict[str, Mapping[str, Any]]
EARTH_RADIUS_M = 6_371_008.8
COLUMNS = "subject_key, subscription, ward, category, latitude, longitude, radius_m, lat_min, lat_max, lon_min, lon_max"


def distance_m(latitude: float, longitude: float, other_latitude: float, other_longitude: float) -> float:
    """Haversine distance in metres."""
    phi1, phi2 = math.radians(latitude), math.radians(other_latitude)
    dphi, dlambda = phi2 - phi1, math.radians(other_longitude - longitude)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def matches(area: Mapping[str, Any], ward: str, category: str, latitude: float | None, longitude: float | None) -> bool:
    """Whether a report (its ward, category and point) falls in the area."""
    if area["ward"] is not None and area["ward"] != ward:
        return False
    if area["category"] is not None and area["category"] != category:
        return False
    if area["radius_m"] is not None:
        # A point erased with its person's key matches nothing, not everything.
        if area["latitude"] is None or latitude is None or longitude is None:
            return False
        return bool(distance_m(area["latitude"], area["longitude"], latitude, longitude) <= area["radius_m"])
    return True


def bounds(area: Mapping[str, Any]) -> tuple[float | None, ...]:
    """The bounding box of a point subscription (None for the others)."""
    if area["radius_m"] is None or area["latitude"] is None:
        return (None, None, None, None)
    dlat = math.degrees(area["radius_m"] / EARTH_RADIUS_M)
    dlon = dlat / max(math.cos(math.radians(area["latitude"])), 1e-6)
    return (area["latitude"] - dlat, area["latitude"] + dlat, area["longitude"] - dlon, area["longitude"] + dlon)


@dataclass(slots=True)
class NewReport(TriggerStep):
    """A new report, to the people whose subscriptions match it as of its event."""

    trigger: ReportAreasTrigger
    ward: str
    category: str
    latitude: float | None
    longitude: float | None
    reporter: str | None
    notice: Notice
    stored: dict[str, Areas] = field(default_factory=dict)  # candidates as last written

    def decide(self, model: OutboxModel) -> None:
        batch = self.trigger.batch
        candidates = {key for key in self.stored if key not in batch} | set(batch)
        for key in sorted(candidates):
            if key == self.reporter:
                continue
            areas = batch[key] if key in batch else self.stored[key]
            if any(matches(area, self.ward, self.category, self.latitude, self.longitude) for area in areas.values()):
                model.decide(self.notice.to(key, REPORT_AREA_KIND))


@register
@dataclass(slots=True)
class ReportAreasTrigger(Trigger):
    """New reports to the subscribers of their area (module docstring)."""

    # This batch's subscription changes so far, in log order: key -> areas.
    batch: dict[str, Areas] = field(default_factory=dict)

    def schema(self) -> Sequence[str]:
        return (
            f"CREATE TABLE IF NOT EXISTS {REPORT_AREAS} (subject_key TEXT NOT NULL, subscription TEXT NOT NULL,"
            " ward TEXT, category TEXT, latitude DOUBLE PRECISION, longitude DOUBLE PRECISION, radius_m BIGINT,"
            " lat_min DOUBLE PRECISION, lat_max DOUBLE PRECISION, lon_min DOUBLE PRECISION,"
            " lon_max DOUBLE PRECISION, PRIMARY KEY (subject_key, subscription))",
            f"CREATE INDEX IF NOT EXISTS {REPORT_AREAS}_ward ON {REPORT_AREAS} (ward)",
            f"CREATE INDEX IF NOT EXISTS {REPORT_AREAS}_category ON {REPORT_AREAS} (category, ward)",
            f"CREATE INDEX IF NOT EXISTS {REPORT_AREAS}_point ON {REPORT_AREAS} (lat_min, lat_max)",
        )

    def apply(self, change: Change) -> None:
        aggregate = change.case
        context = self.model.context
        if isinstance(aggregate, Contactability) and change.event_name in AREA_EVENTS:
            if aggregate.subject is not None:
                key = context.subject_key(aggregate.subject) or ""
                self.model.add_step(Remember(self.batch, key, dict(aggregate.report_areas)))
        elif isinstance(aggregate, Report) and change.created:
            self._new_report(change, aggregate)

    def _new_report(self, change: Change, report: Report) -> None:
        directory = self.model.context.directory
        location = report.location
        category = directory.categories.get(report.category)
        ward = directory.wards.get(location.ward)
        params = {
            "code": report.code,
            "category": report.category,
            "category_name": category.name_vi if category else report.category,
            "category_name_en": category.name_en if category else report.category,
            "ward": location.ward,
            "ward_name": ward.name if ward else location.ward,
            "ward_name_en": (ward.name_en or ward.name) if ward else location.ward,
            "link": f"/public/reports/{report.code}",
        }
        notice = Notice.about(change, report, REPORT_AREA_KIND, params)
        reporter = self.model.context.subject_key(report.owner) if report.owner else None
        self.model.add_step(
            NewReport(self, location.ward, report.category, location.latitude, location.longitude, reporter, notice)
        )

    def wanted(self, steps: Sequence[Any]) -> list[str]:
        keys: set[str] = set()
        query = self.model.database.query
        for step in steps:
            if isinstance(step, Remember) and step.into is self.batch:
                keys.add(step.key)
            if not isinstance(step, NewReport):
                continue
            # One statement, each part on its own index (one round trip on PostgreSQL, not three).
            sql = (
                f"SELECT * FROM {REPORT_AREAS} WHERE ward = ?"
                f" UNION ALL SELECT * FROM {REPORT_AREAS} WHERE ward IS NULL AND category = ?"
            )
            params: tuple[object, ...] = (step.ward, step.category)
            longitude = step.longitude if step.latitude is not None else None
            if longitude is not None:
                sql += (
                    f" UNION ALL SELECT * FROM {REPORT_AREAS} WHERE ward IS NULL AND category IS NULL"
                    " AND lat_min <= ? AND lat_max >= ?"
                )
                params += (step.latitude, step.latitude)
            for row in query(sql, params):
                # A point subscription (the third part) holds the report if its box holds the longitude too.
                point = row["ward"] is None and row["category"] is None
                if point and (longitude is None or not row["lon_min"] <= longitude <= row["lon_max"]):
                    continue
                area = {name: row[name] for name in ("ward", "category", "latitude", "longitude", "radius_m")}
                step.stored.setdefault(row["subject_key"], {})[row["subscription"]] = area
            keys.update(step.stored)
        return sorted(keys)

    def flush(self, cursor: Cursor) -> None:
        cursor.executemany(f"DELETE FROM {REPORT_AREAS} WHERE subject_key = ?", [(key,) for key in self.batch])
        cursor.executemany(
            f"INSERT INTO {REPORT_AREAS} ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    key,
                    subscription,
                    area["ward"],
                    area["category"],
                    area["latitude"],
                    area["longitude"],
                    area["radius_m"],
                    *bounds(area),
                )
                for key, areas in self.batch.items()
                for subscription, area in sorted(areas.items())
            ],
        )
        self.discard()

    def discard(self) -> None:
        self.batch = {}

    def forget(self, key: str) -> None:
        self.batch[key] = {}

    def rows(self) -> list[Row]:
        query = f"SELECT * FROM {REPORT_AREAS} ORDER BY subject_key, subscription"
        return [{"report_area": row} for row in self.model.database.query(query)]
