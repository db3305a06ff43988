"""The public map's query: ``GET /public/reports.geojson?bbox=…`` over 100,000
public reports, on SQLite and PostgreSQL.

The ``public_reports`` table is filled directly (100,000 located reports spread
over central Hanoi, newest first by request time), then random
neighbourhood-sized boxes (about 1.5 km a side, what the map shows at zoom 15)
are asked for the way the route does: ``PublicReportsModel.search`` with the
box, then each row rendered as a GeoJSON feature and the collection encoded.
Its p50 and p99 latency are printed beside the ceiling measured in the same
run: the raw SQL select of the same rows (same WHERE, ORDER BY and LIMIT,
through the driver, no objects). Before timing, the query plan must use the
``(latitude, longitude)`` index on both databases.
"""

from __future__ import annotations

import random
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import psycopg

from benchmarks.common import Figure, postgres_database, print_figures, sqlite_file
from ihanoi_core.application import Ihanoi
from ihanoi_core.settings import Settings
from ihanoi_projections.engine.base import ProjectionContext, micros
from ihanoi_projections.engine.database import PostgresViewDatabase, SQLiteViewDatabase, ViewDatabase
from ihanoi_projections.public_reports import COLUMNS, PublicReportsModel, ReportFilters
from ihanoi_server.api.public_reports import DEFAULT_LIMIT, feature

REPORTS = 100_000
QUERIES = 400
# Central Hanoi, and a box of about 1.5 km a side (0.0135° of latitude, 0.0145° of longitude there).
AREA = (20.98, 105.78, 21.08, 105.88)
BOX = (0.0135, 0.0145)
SQL_ORDER = " ORDER BY requested_at DESC, case_id DESC LIMIT ? OFFSET ?"


def fill(database: ViewDatabase, model: PublicReportsModel) -> None:
    rng = random.Random(7)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    wards = ("HOAN_KIEM", "CUA_NAM", "BA_DINH", "DONG_DA", "HAI_BA_TRUNG", "CAU_GIAY", "TAY_HO")
    statuses = ("submitted", "acknowledged", "in_progress", "resolved", "closed")
    rows = []
    for number in range(REPORTS):
        status = rng.choice(statuses)
        requested = micros(start + timedelta(seconds=rng.randrange(300 * 86400)))
        row = {
            "case_id": str(uuid.UUID(int=rng.getrandbits(128))),
            "code": f"PA-260101-{number:06d}",
            "service_code": "pothole",
            "service_name": "Ổ gà",
            "service_name_en": "Pothole",
            "status": status,
            "open311_status": "open" if status in ("submitted", "acknowledged", "in_progress") else "closed",
            "status_notes": None,
            "description": "Ổ gà lớn giữa đường, xe máy đi qua rất nguy hiểm.",
            "agency": "UBND_HOAN_KIEM",
            "agency_name": "UBND phường Hoàn Kiếm",
            "ward": rng.choice(wards),
            "latitude": rng.uniform(AREA[0], AREA[2]),
            "longitude": rng.uniform(AREA[1], AREA[3]),
            "address": "Phố Hàng Bài",
            "media_urls": "[]",
            "requested_at": requested,
            "updated_at": requested,
            "expected_at": None,
            "position": number + 1,
            "attributes": "{}",
            "support_count": rng.choice((0, 0, 0, 1, 2)),
        }
        rows.append(tuple(row[column] for column in COLUMNS))  # a column added later fails here by its name
    placeholders = ", ".join("?" * len(COLUMNS))
    with database.transaction() as cursor:
        cursor.executemany(f"INSERT INTO view_public_reports ({', '.join(COLUMNS)}) VALUES ({placeholders})", rows)
    if database.dialect == "postgres":
        with database.transaction() as cursor:
            cursor.execute("ANALYZE view_public_reports")


def boxes() -> list[tuple[float, float, float, float]]:
    rng = random.Random(11)
    found = []
    for _ in range(QUERIES):
        latitude = rng.uniform(AREA[0], AREA[2] - BOX[0])
        longitude = rng.uniform(AREA[1], AREA[3] - BOX[1])
        found.append((latitude, longitude, latitude + BOX[0], longitude + BOX[1]))
    return found


def plan(database: ViewDatabase, box: tuple[float, float, float, float]) -> str:
    """The database's plan for the map's query, as one line."""
    where, params = ReportFilters(bbox=box, located=True).where()
    sql = f"SELECT * FROM view_public_reports{where}{SQL_ORDER}"
    explain = "EXPLAIN QUERY PLAN " if database.dialect == "sqlite" else "EXPLAIN "
    rows = database.query(explain + sql, [*params, DEFAULT_LIMIT + 1, 0])
    return " / ".join(str(value) for row in rows for key, value in row.items() if key in ("detail", "QUERY PLAN"))


def latencies(query: Callable[[tuple[float, float, float, float]], int]) -> tuple[float, float, int]:
    """p50 and p99 in microseconds over every box (after one warm-up pass), and the rows read."""
    for box in boxes()[:50]:
        query(box)
    timings, rows = [], 0
    for box in boxes():
        started = time.perf_counter()
        rows += query(box)
        timings.append((time.perf_counter() - started) * 1e6)
    cuts = statistics.quantiles(timings, n=100)
    return cuts[49], cuts[98], rows


@contextmanager
def raw_connection(database: ViewDatabase, url: str) -> Iterator[Callable[[str, list[Any]], int]]:
    """The ceiling: the driver's own cursor, rows as tuples, nothing built from them."""
    if isinstance(database, SQLiteViewDatabase):
        import sqlite3

        conn = sqlite3.connect(database.path)
        try:
            yield lambda sql, params: len(conn.execute(sql, params).fetchall())
        finally:
            conn.close()
        return
    from ihanoi_core.eventstore.urls import postgres_conninfo

    with psycopg.connect(postgres_conninfo(url), autocommit=True) as pg:

        def run(sql: str, params: list[Any]) -> int:
            with pg.cursor() as cursor:
                cursor.execute(sql.replace("?", "%s"), params)
                return len(cursor.fetchall())

        yield run


def measure(label: str, database: ViewDatabase, url: str, context: ProjectionContext) -> list[Figure]:
    model = PublicReportsModel(database, context)
    database.create(model.schema())
    fill(database, model)
    chosen = plan(database, boxes()[0])
    if "view_public_reports_place" not in chosen:
        raise AssertionError(f"{label}: the bbox query does not use the place index: {chosen}")
    print(f"{label} plan: {chosen}")
    zone = context.calendar.zone

    def through_model(box: tuple[float, float, float, float]) -> int:
        found = model.search(bbox=box, located=True, limit=DEFAULT_LIMIT + 1)
        body = orjson.dumps({"type": "FeatureCollection", "features": [feature(r, zone) for r in found]})
        assert body
        return len(found)

    with raw_connection(database, url) as raw:

        def raw_select(box: tuple[float, float, float, float]) -> int:
            where, params = ReportFilters(bbox=box, located=True).where()
            return raw(f"SELECT * FROM view_public_reports{where}{SQL_ORDER}", [*params, DEFAULT_LIMIT + 1, 0])

        floor_p50, floor_p99, floor_rows = latencies(raw_select)
        p50, p99, rows = latencies(through_model)
    assert rows == floor_rows
    average = rows / QUERIES
    return [
        Figure(f"{label}: bbox → GeoJSON p50 (~{average:,.0f} of {REPORTS:,})", p50, "µs",
               "raw SQL select of the same rows p50", floor_p50),
        Figure(f"{label}: bbox → GeoJSON p99", p99, "µs", "raw SQL select of the same rows p99", floor_p99),
    ]  # fmt: skip


def run() -> list[Figure]:
    app = Ihanoi(Settings(database_url="memory://", env="test"))
    context = ProjectionContext(app.directory, app.calendar, b"bench")
    figures = []
    try:
        with sqlite_file() as path:
            database = SQLiteViewDatabase(str(path))
            try:
                figures += measure("SQLite", database, str(path), context)
            finally:
                database.close()
        with postgres_database() as url:
            pg_database = PostgresViewDatabase(url)
            try:
                figures += measure("PostgreSQL", pg_database, url, context)
            finally:
                pg_database.close()
    finally:
        app.close()
    print_figures(f"Public map: GeoJSON bbox query over {REPORTS:,} reports (latency; ratio ≥ 1, lower is better)",
                  figures)  # fmt: skip
    return figures


if __name__ == "__main__":
    run()
