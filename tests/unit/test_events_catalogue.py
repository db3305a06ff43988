"""docs/events.md is generated from the event classes and must be current."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from eventsourcing.domain import Aggregate

from ihanoi_core.events.catalogue import AGGREGATES, catalogue

DOC = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def test_the_events_catalogue_in_docs_matches_the_code() -> None:
    assert DOC.read_text(encoding="utf-8") == catalogue(), (
        "docs/events.md is stale: run `python -m ihanoi_core.events.catalogue > docs/events.md`"
    )


def test_every_case_event_records_who_acted() -> None:
    rows = [line for line in catalogue().splitlines() if line.startswith("| ") and "`" in line]
    assert len(rows) > 40
    assert [row for row in rows if "`actor`" not in row] == []


def test_the_catalogue_lists_every_aggregate_of_the_core() -> None:
    # AGGREGATES is written by hand: an aggregate added without it would store
    # events docs/events.md never names, and the test above would still pass.
    import ihanoi_core.application  # noqa: F401  (imports every aggregate the application stores)

    def subclasses(cls: type[Aggregate]) -> Iterator[type[Aggregate]]:
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = {cls for cls in subclasses(Aggregate) if cls.__module__.startswith("ihanoi_core.")}
    assert len(ours) >= 20
    assert sorted(cls.__qualname__ for cls in ours - set(AGGREGATES)) == []
