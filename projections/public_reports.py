"""public_reports: the public feed of field reports, for the map and Open311 GET.

One row per report with what Open311 GeoReport v2 publishes about a service
request (notes/domain.md §1.7): category as ``service_code`` with its names
from the directory, the iHanoi status and its Open311 ``open``/``closed``
(notes §6.2), the latest public answer as ``status_notes``, description,
responsible agency, place, media, the requested/updated/expected times, and
how many other citizens support it ("tôi cũng gặp": a count, never who).
The table never holds who filed a report: no owner, contact, reporter, actor
or keyed hash of any of them, so the whole table may be served to anyone.

Directory names are copied when a report changes; after renaming a category
or agency in the directory, rebuild this model to refresh old rows.

``support_count`` was added after the table first shipped: an older table
gains it (``ADD COLUMN IF NOT EXISTS``) at 0, right for every report filed
before supports existed, so no rebuild is needed.

``search`` with a ``bbox`` is the map's query: the ``(latitude, longitude)``
index narrows the rows on both SQLite and PostgreSQL (``benchmarks/public_map``
checks the plan and times it).

``near`` finds open reports of a category around a point, for "is this already
reported?" suggestions while filing: a bounding box narrows the rows in SQL
(on an index), then the haversine distance sorts and trims them in Python.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson

from ihanoi_core.domain.report import Report
from ihanoi_core.domain.report_values import OPEN_STATUSES, ReportStatus
from ihanoi_core.errors import ValidationError
from ihanoi_projections.engine.base import LatestStateModel, ViewTable, micros
from ihanoi_projections.engine.database import Row
from ihanoi_projections.engine.rows import from_row

# Mean Earth radius (IUGG), the usual sphere for haversine distances.
EARTH_RADIUS_M = 6_371_008.8

OPEN = "open"
CLOSED = "closed"

VIEW_TABLE = ViewTable(
    "view_public_reports",
    {
        "case_id": "TEXT PRIMARY KEY",
        "code": "TEXT NOT NULL",
        "service_code": "TEXT NOT NULL",
        "service_name": "TEXT NOT NULL",
        "service_name_en": "TEXT NOT NULL",
        "status": "TEXT NOT NULL",
        "open311_status": "TEXT NOT NULL",
        "status_notes": "TEXT",
        "description": "TEXT NOT NULL",
        "agency": "TEXT",
        "agency_name": "TEXT",
        "ward": "TEXT NOT NULL",
        "latitude": "DOUBLE PRECISION",
        "longitude": "DOUBLE PRECISION",
        "address": "TEXT",
        "media_urls": "TEXT NOT NULL",
        "requested_at": "BIGINT NOT NULL",
        "updated_at": "BIGINT NOT NULL",
        "expected_at": "BIGINT",
        "position": "BIGINT NOT NULL",
    },
    unique={"code": "code"},
    indexes={
        # The feed's order (newest first) and its date-range filter.
        "requested": "requested_at, case_id",
        # The map's bounding box; `near` also narrows by category first.
        "place": "latitude, longitude",
        "service_place": "service_code, latitude, longitude",
    },
    # Added after the table: a view database made before gets the columns
    # (ViewDatabase.create), and the rows their answers on a rebuild.
    added={"attributes": "TEXT NOT NULL DEFAULT '{}'", "support_count": "BIGINT NOT NULL DEFAULT 0"},
)
# The row order, for the map benchmark's rows.
COLUMNS = VIEW_TABLE.column_names


@dataclass(frozen=True, slots=True)
class PublicReport:
    """A report as anyone may see it (an Open311 service request)."""

    case_id: UUID
    code: str
    service_code: str
    service_name: str
    service_name_en: str
    status: str
    open311_status: str
    status_notes: str | None
    description: str
    agency: str | None
    agency_name: str | None
    ward: str
    latitude: float | None
    longitude: float | None
    address: str | None
    media_urls: tuple[str, ...]
    requested_at: datetime
    updated_at: datetime
    expected_at: datetime | None
    position: int
    # Answers to the category's extra questions (code → value or keys).
    attributes: dict[str, str | list[str]] = field(default_factory=dict)
    support_count: int = 0


def open311_status_of(status: str) -> str:
    """``open`` while the agency still has work to do, ``closed`` once it answered
    or gave the report up (resolved, closed, rejected, duplicate, not responsible)."""
    return OPEN if status in OPEN_STATUSES else CLOSED


def haversine_m(latitude: float, longitude: float, other_latitude: float, other_longitude: float) -> float:
    """Great-circle distance in metres between two WGS84 points, on the mean sphere."""
    phi1, phi2 = math.radians(latitude), math.radians(other_latitude)
    half_dphi = (phi2 - phi1) / 2
    half_dlambda = math.radians(other_longitude - longitude) / 2
    a = math.sin(half_dphi) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(half_dlambda) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(latitude: float, longitude: float, radius_m: float) -> tuple[float, float, float, float]:
    """The smallest latitude/longitude box holding every point within ``radius_m``
    (min_lat, min_lon, max_lat, max_lon). The longitude span is the whole circle
    near a pole, and does not wrap at ±180° (Hanoi is far from both)."""
    angle = radius_m / EARTH_RADIUS_M
    dlat = math.degrees(angle)
    cos_latitude = math.cos(math.radians(latitude))
    ratio = math.sin(angle) / cos_latitude if cos_latitude > 0 else math.inf
    dlon = math.degrees(math.asin(ratio)) if ratio < 1 else 180.0
    return (latitude - dlat, longitude - dlon, latitude + dlat, longitude + dlon)


def _check(*rules: tuple[str, bool, str]) -> None:
    """``ValidationError`` naming each parameter whose rule (name, holds, message) does not hold."""
    errors = {name: message for name, holds, message in rules if not holds}
    if errors:
        raise ValidationError(errors)


class PublicReportsModel(LatestStateModel):
    name = "public_reports"
    view_table = VIEW_TABLE
    kinds = (Report,)

    def row(self, report: Report, position: int) -> tuple[Any, ...]:
        directory = self.context.directory
        category = directory.get_category(report.category)
        agency = directory.get_agency(report.agency) if report.agency else None
        location = report.location
        status = str(report.status)
        # A rejected report may be spam or abuse: it stays in the feed as closed,
        # with the refusal reason, but its text, answers and photos are withheld.
        withheld = status == ReportStatus.REJECTED
        return (
            str(report.id),
            report.code,
            report.category,
            category.name_vi if category else report.category,
            category.name_en if category else report.category,
            status,
            open311_status_of(status),
            report.public_note,
            "" if withheld else report.description,
            report.agency,
            agency.name if agency else None,
            location.ward,
            location.latitude,
            location.longitude,
            location.address,
            "[]" if withheld else orjson.dumps(list(report.media_urls)).decode(),
            micros(report.created_on),
            micros(report.modified_on),
            micros(report.due_at),
            position,
            "{}" if withheld else orjson.dumps(report.attributes).decode(),
            report.support_count,
        )

    # -- queries ------------------------------------------------------------

    def get(self, case_id: UUID) -> PublicReport | None:
        rows = self.database.query("SELECT * FROM view_public_reports WHERE case_id = ?", (str(case_id),))
        return record(rows[0]) if rows else None

    def get_by_code(self, code: str) -> PublicReport | None:
        rows = self.database.query("SELECT * FROM view_public_reports WHERE code = ?", (code.strip().upper(),))
        return record(rows[0]) if rows else None

    def search(
        self,
        *,
        statuses: Sequence[str] = (),
        open311_status: str | None = None,
        service_codes: Sequence[str] = (),
        wards: Sequence[str] = (),
        agency: str | None = None,
        requested_from: datetime | None = None,
        requested_to: datetime | None = None,
        bbox: tuple[float, float, float, float] | None = None,
        ids: Sequence[UUID] = (),
        located: bool = False,
        limit: int = 50,
        offset: int = 0,
    ) -> list[PublicReport]:
        """Reports matching every filter given, newest first (by request time,
        then case id). Empty sequences and ``None`` do not filter; the request
        time range and ``bbox`` (min_lat, min_lon, max_lat, max_lon) include
        their bounds; ``ids`` is one more filter, not an override; ``located``
        keeps only reports with coordinates (a ``bbox`` implies it)."""
        _check(("limit", limit >= 1, "must be at least 1"), ("offset", offset >= 0, "must not be negative"))
        where, params = ReportFilters(
            statuses, open311_status, service_codes, wards, agency, requested_from, requested_to, bbox, ids, located
        ).where()
        rows = self.database.query(
            f"SELECT * FROM view_public_reports{where} ORDER BY requested_at DESC, case_id DESC LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [record(row) for row in rows]

    def near(
        self,
        *,
        latitude: float,
        longitude: float,
        radius_m: float,
        service_code: str | None,
        open_only: bool = True,
        limit: int = 10,
    ) -> list[tuple[PublicReport, float]]:
        """Reports within ``radius_m`` metres of a point, nearest first, with their
        distance in metres: of ``service_code`` (any category when ``None``), and
        only open ones unless ``open_only`` is false. Reports without
        coordinates are never near anything."""
        _check(
            ("latitude", -90 <= latitude <= 90, "must be between -90 and 90"),
            ("longitude", -180 <= longitude <= 180, "must be between -180 and 180"),
            ("radius_m", 0 < radius_m <= 100_000, "must be more than 0 and at most 100 km"),
            ("limit", limit >= 1, "must be at least 1"),
        )
        where, params = ReportFilters(
            open311_status=OPEN if open_only else None,
            service_codes=(service_code,) if service_code else (),
            bbox=bounding_box(latitude, longitude, radius_m),
        ).where()
        found = []
        for row in self.database.query(f"SELECT * FROM view_public_reports{where}", params):
            distance = haversine_m(latitude, longitude, row["latitude"], row["longitude"])
            if distance <= radius_m:
                found.append((record(row), distance))
        found.sort(key=lambda pair: (pair[1], str(pair[0].case_id)))
        return found[:limit]

    def rows(self) -> list[Row]:
        """Every row, ordered: for comparing a rebuild with the live table."""
        return self.database.query("SELECT * FROM view_public_reports ORDER BY case_id")


@dataclass(frozen=True, slots=True)
class ReportFilters:
    """The filters of ``search`` and ``count``; see ``PublicReportsModel.search``."""

    statuses: Sequence[str] = ()
    open311_status: str | None = None
    service_codes: Sequence[str] = ()
    wards: Sequence[str] = ()
    agency: str | None = None
    requested_from: datetime | None = None
    requested_to: datetime | None = None
    bbox: tuple[float, float, float, float] | None = None
    ids: Sequence[UUID] = ()
    located: bool = False

    def where(self) -> tuple[str, list[Any]]:
        """The WHERE clause (with its leading space, or empty) and its parameters;
        ``ValidationError`` naming a malformed filter."""
        clauses: list[str] = []
        params: list[Any] = []

        def one_of(column: str, values: Sequence[Any]) -> None:
            if values:
                clauses.append(f"{column} IN ({', '.join('?' * len(values))})")
                params.extend(values)

        if self.open311_status not in (None, OPEN, CLOSED):
            raise ValidationError({"open311_status": f"must be {OPEN!r} or {CLOSED!r}"})
        one_of("status", [str(status) for status in self.statuses])
        one_of("open311_status", [self.open311_status] if self.open311_status else [])
        one_of("service_code", list(self.service_codes))
        one_of("ward", list(self.wards))
        one_of("agency", [self.agency] if self.agency is not None else [])
        one_of("case_id", [str(case_id) for case_id in self.ids])
        if self.requested_from is not None:
            clauses.append("requested_at >= ?")
            params.append(micros(self.requested_from))
        if self.requested_to is not None:
            clauses.append("requested_at <= ?")
            params.append(micros(self.requested_to))
        if self.bbox is not None:
            min_lat, min_lon, max_lat, max_lon = self.bbox
            if min_lat > max_lat or min_lon > max_lon:
                raise ValidationError({"bbox": "must be (min_lat, min_lon, max_lat, max_lon) with min ≤ max"})
            clauses.append("latitude BETWEEN ? AND ? AND longitude BETWEEN ? AND ?")
            params.extend((min_lat, max_lat, min_lon, max_lon))
        elif self.located:
            clauses.append("latitude IS NOT NULL AND longitude IS NOT NULL")
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def record(row: Row) -> PublicReport:
    return from_row(
        PublicReport, row, media_urls=tuple(orjson.loads(row["media_urls"])), attributes=orjson.loads(row["attributes"])
    )
