"""On SQLite, every statement the read models run while projecting a simulated
city finds its rows through an index: no full scan of a table, or of the
full-text index, behind a WHERE. A read model must cost the same per event
whatever the size of its tables (a delete that read the whole knowledge index
for each change of each report is how this test came about)."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.simulation import SimulatedClock, simulate
from ihanoi_projections.engine.database import SQLiteViewDatabase
from ihanoi_projections.read_side import ReadSide
from tests.conftest import make_settings

# Statements that may scan, and why.
ALLOWED = {
    # Once per process: the catalogue's docs, to replace them when the directory changed.
    "SELECT doc_id FROM view_knowledge_docs WHERE kind = 'procedure'",
}


def full_scans(connection: sqlite3.Connection, statement: str) -> list[str]:
    """The steps of ``statement``'s plan that read a whole table: a SCAN
    without an index, or a scan of a virtual (FTS5) table with no constraint
    ("INDEX 0:" and nothing after it)."""
    plan = connection.execute(f"EXPLAIN QUERY PLAN {statement}").fetchall()
    return [str(step[3]) for step in plan if reads_everything(str(step[3]))]


def reads_everything(step: str) -> bool:
    if not step.startswith("SCAN "):
        return False
    if "VIRTUAL TABLE" in step:
        return step.endswith(":")
    return "INDEX" not in step


@pytest.mark.parametrize("store", ["sqlite"])
def test_every_statement_of_the_read_models_behind_a_where_uses_an_index(
    store: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings = make_settings(store, tmp_path, request)
    clock = SimulatedClock(datetime(2026, 11, 2, 1, 0, tzinfo=UTC))
    app = Ihanoi(settings, clock=clock)
    read_side = ReadSide(app, settings, start=False)
    try:
        database = read_side.database
        assert isinstance(database, SQLiteViewDatabase)
        connection = database._connection()  # this thread's, which catch_up writes through
        statements: set[str] = set()
        connection.set_trace_callback(statements.add)
        simulate(
            app, clock, seed=11, days=3, reports_per_day=30, complaints_per_day=5, dossiers_per_day=20,
            surveys=1, answers_per_survey=10,
        )  # fmt: skip
        read_side.catch_up()
        connection.set_trace_callback(None)
        checked = {s for s in statements if re.match(r"\s*(SELECT|UPDATE|DELETE)\b.*\bWHERE\b", s, re.I | re.S)}
        # Values differ per call; one example of each statement is enough.
        shapes = {re.sub(r"'[^']*'|\b\d+(\.\d+)?\b", "?", s): s for s in checked}
        assert len(shapes) >= 15, "the read models' statements were not traced"
        scanning = {
            shape: scans
            for shape, statement in shapes.items()
            if statement not in ALLOWED and (scans := full_scans(connection, statement))
        }
        assert scanning == {}
    finally:
        read_side.close()
        app.close()
