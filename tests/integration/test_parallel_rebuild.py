"""A parallel rebuild that dies half way leaves its read models fenced off
until ``rebuild`` runs again, which starts them over and ends with the same
rows as a rebuild in one process; and SQLite hands each partition exactly the
events the projector counts as its own."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.eventstore.sqlite import IhanoiSQLiteApplicationRecorder
from ihanoi_core.settings import Settings
from ihanoi_core.simulation import SimulatedClock, simulate
from ihanoi_projections.engine import rebuild as rebuilding
from ihanoi_projections.engine.projector import Partition, Projector, RebuildInterruptedError
from ihanoi_projections.read_side import ReadSide


def test_an_interrupted_parallel_rebuild_is_fenced_off_until_it_is_run_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'ihanoi.db'}", env="test")
    clock = SimulatedClock(datetime(2026, 11, 2, 1, 0, tzinfo=UTC))
    app = Ihanoi(settings, clock=clock)
    try:
        simulate(app, clock, seed=3, days=2, reports_per_day=30, complaints_per_day=4, dossiers_per_day=20,
                 surveys=1, answers_per_survey=20)  # fmt: skip
        head = app.head_position()
        rebuilding.rebuild(app, settings, None, jobs=1)
        expected = _rows(app, settings)

        # Step: the second partition's process fails after its first batch.
        monkeypatch.setattr(rebuilding, "PARALLEL_MIN_EVENTS", 1)
        monkeypatch.setattr(rebuilding, "REBUILD_BATCH", max(1, head // 4))
        catch_up = Projector.catch_up

        def failing(self: Projector, progress: Any = None, stop: int | None = None) -> int:
            if self.partition is not None and self.partition.index == 1:
                self.run_batch(stop)
                raise RuntimeError("killed")
            return catch_up(self, progress, stop)

        monkeypatch.setattr(Projector, "catch_up", failing)
        with pytest.raises(RebuildInterruptedError, match=r"partition 2 of 2"):
            rebuilding.rebuild(app, settings, None, jobs=2)

        # Step: nothing may feed the half-rebuilt read models now.
        with pytest.raises(RebuildInterruptedError, match="rebuild"):
            ReadSide(app, settings, start=False)

        # Step: rebuilding again starts over and ends where one process does.
        monkeypatch.setattr(Projector, "catch_up", catch_up)
        assert rebuilding.rebuild(app, settings, None, jobs=2) == head
        assert _rows(app, settings) == expected
    finally:
        app.close()


def _rows(app: Ihanoi, settings: Settings) -> dict[str, Any]:
    read_side = ReadSide(app, settings, start=False)
    try:
        positions = read_side.projector.positions
        return {"positions": positions} | {name: model.rows() for name, model in read_side.models.items()}  # type: ignore[attr-defined]
    finally:
        read_side.close()


def test_sqlite_selects_exactly_the_partition_the_projector_owns(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'ihanoi.db'}", env="test")
    clock = SimulatedClock(datetime(2026, 11, 2, 1, 0, tzinfo=UTC))
    app = Ihanoi(settings, clock=clock)
    try:
        simulate(app, clock, seed=4, days=1, reports_per_day=40, complaints_per_day=4, dossiers_per_day=20,
                 surveys=0, answers_per_survey=0)  # fmt: skip
        recorder = app.recorder
        assert isinstance(recorder, IhanoiSQLiteApplicationRecorder)
        head = recorder.max_notification_id() or 0
        everything = recorder.select_notifications(start=0, limit=head, inclusive_of_start=False)
        for count in (2, 3):
            parts = [recorder.select_partition(0, head, head, index, count) for index in range(count)]
            for index, part in enumerate(parts):
                assert part, f"partition {index} of {count} is empty"
                assert all(Partition(index, count).owns(n.originator_id) for n in part)  # type: ignore[arg-type]
            merged = sorted((n for part in parts for n in part), key=lambda n: n.id)
            assert [n.id for n in merged] == [n.id for n in everything]
    finally:
        app.close()
