"""``from_row``: a read model's row back into the dataclass its query returns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from ihanoi_projections.engine.base import micros
from ihanoi_projections.engine.rows import from_row


@dataclass(frozen=True, slots=True)
class Sample:
    case_id: UUID
    code: str
    count: int
    share: float | None
    late: bool
    due_at: datetime | None
    updated_at: datetime
    tags: tuple[str, ...] = ()


def test_each_column_comes_back_as_its_fields_type() -> None:
    case_id, moment = uuid4(), datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
    row = {"case_id": str(case_id), "code": "PA-1", "count": "3", "share": 1, "late": 1, "due_at": None,
           "updated_at": micros(moment), "tags": "ignored", "extra": "not a field"}  # fmt: skip

    sample = from_row(Sample, row, tags=("a", "b"))

    assert sample == Sample(case_id, "PA-1", 3, 1.0, True, None, moment, ("a", "b"))
    assert isinstance(sample.share, float)
    assert from_row(Sample, {**row, "share": None}, tags=()).share is None


def test_a_field_neither_in_the_row_nor_given_is_an_error() -> None:
    row = {"case_id": str(uuid4()), "code": "PA-1", "count": 1, "share": None, "late": 0, "due_at": None}
    with pytest.raises(KeyError, match="updated_at"):
        from_row(Sample, row)
