"""docs/events.md is generated from the event classes and must be current."""

from __future__ import annotations

from pathlib import Path

from ihanoi_core.events.catalogue import catalogue

DOC = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def test_the_events_catalogue_in_docs_matches_the_code() -> None:
    assert DOC.read_text(encoding="utf-8") == catalogue(), (
        "docs/events.md is stale: run `python -m ihanoi_core.events.catalogue > docs/events.md`"
    )


def test_every_case_event_records_who_acted() -> None:
    rows = [line for line in catalogue().splitlines() if line.startswith("| ") and "`" in line]
    assert len(rows) > 40
    assert [row for row in rows if "`actor`" not in row] == []
