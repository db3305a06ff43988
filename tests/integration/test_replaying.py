"""Our path for reading the log gives exactly what the library gives:
``IhanoiMapper`` decodes every stored event of a simulated month into the same
event as ``eventsourcing``'s ``Mapper``, once personal fields are opened."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

from eventsourcing.persistence import Mapper

from ihanoi_core.application import Ihanoi
from ihanoi_core.eventstore.mapper import IhanoiMapper
from ihanoi_core.eventstore.sealing import declared_fields
from ihanoi_core.settings import Settings
from ihanoi_core.simulation import SimulatedClock, simulate


def test_decoding_equals_the_library_for_every_stored_event(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'ihanoi.db'}", env="test")
    clock = SimulatedClock(datetime(2026, 11, 2, 1, 0, tzinfo=UTC))
    app = Ihanoi(settings, clock=clock)
    try:
        simulate(app, clock, seed=5, days=8, reports_per_day=30, complaints_per_day=6, dossiers_per_day=20,
                 surveys=1, answers_per_survey=20)  # fmt: skip
        assert isinstance(app.mapper, IhanoiMapper)
        library: Mapper[UUID] = Mapper(transcoder=app.mapper.transcoder)
        notifications = app.recorder.select_notifications(start=None, limit=1_000_000)
        # Every kind of case and most of their lifecycles.
        assert len({notification.topic for notification in notifications}) >= 30
        for notification in notifications:
            event = app.mapper.to_domain_event(notification)
            expected = library.to_domain_event(notification)
            # The library's decoding leaves personal fields sealed: open them as the mapper does.
            assert app.mapper.sealer is not None
            app.mapper.sealer.open(expected.originator_id, vars(expected), declared_fields(type(expected)))
            assert type(event) is type(expected)
            assert vars(event) == vars(expected)
    finally:
        app.close()
