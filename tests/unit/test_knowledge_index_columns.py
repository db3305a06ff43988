"""The knowledge index's table holds an indexed source field by field."""

from __future__ import annotations

from dataclasses import fields

from ihanoi_core.domain.question_values import SourceKind
from ihanoi_projections.knowledge_docs import DOC_COLUMNS, IndexedDoc, from_row


def test_the_table_columns_are_the_indexed_source_s_fields_in_order() -> None:
    assert tuple(field.name for field in fields(IndexedDoc)) == DOC_COLUMNS


def test_a_source_comes_back_from_its_row_unchanged() -> None:
    doc = IndexedDoc(
        "article:1", SourceKind.ARTICLE, "BV-1", "Cấp phép", {"body": "Nộp hồ sơ"}, "UBND-HK", "cap", "cap phep", 7
    )
    row = dict(zip(DOC_COLUMNS, doc.row(), strict=True))
    assert row["kind"] == "article"
    assert row["fields"] == '{"body":"Nộp hồ sơ"}'
    assert from_row(row) == doc
