"""``ViewTable``: a read model's table declared once, its DDL and row order derived."""

from __future__ import annotations

from ihanoi_projections.engine.base import ViewTable
from ihanoi_projections.worklist import WorklistModel

TABLE = ViewTable(
    "view_sample",
    {"case_id": "TEXT NOT NULL", "agency": "TEXT NOT NULL", "due_at": "BIGINT"},
    key="case_id, agency",
    unique={"code": "code"},
    indexes={"agency_due": "agency, due_at"},
    added={"code": "TEXT NOT NULL DEFAULT ''"},
)


def test_the_ddl_creates_the_table_then_adds_the_later_columns_then_the_indexes() -> None:
    assert TABLE.schema() == (
        "CREATE TABLE IF NOT EXISTS view_sample (case_id TEXT NOT NULL, agency TEXT NOT NULL, due_at BIGINT,"
        " PRIMARY KEY (case_id, agency))",
        "ALTER TABLE view_sample ADD COLUMN IF NOT EXISTS code TEXT NOT NULL DEFAULT ''",
        "CREATE UNIQUE INDEX IF NOT EXISTS view_sample_code ON view_sample (code)",
        "CREATE INDEX IF NOT EXISTS view_sample_agency_due ON view_sample (agency, due_at)",
    )


def test_rows_hold_the_declared_columns_then_the_added_ones() -> None:
    assert TABLE.column_names == ("case_id", "agency", "due_at", "code")


def test_a_model_takes_its_table_name_and_columns_from_its_view_table() -> None:
    # Step: the worklist declares its table; the base derives the rest.
    assert WorklistModel.table == "view_worklist"
    assert WorklistModel.tables == ("view_worklist",)
    assert WorklistModel.columns[:3] == ("case_id", "agency", "assignee")
    assert WorklistModel.columns[-1] == "updated_at"


def test_an_upsert_overwrites_the_row_with_the_same_first_column() -> None:
    assert TABLE.upsert() == (
        "INSERT INTO view_sample (case_id, agency, due_at, code) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (case_id) DO UPDATE SET agency = excluded.agency, due_at = excluded.due_at, code = excluded.code"
    )


def test_an_insert_takes_its_conflict_clause_as_given() -> None:
    assert TABLE.insert(" ON CONFLICT (case_id, agency) DO NOTHING") == (
        "INSERT INTO view_sample (case_id, agency, due_at, code) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (case_id, agency) DO NOTHING"
    )
