"""What the integration tests share: the application on the store under test
(``settings`` runs each test on memory, SQLite and PostgreSQL, see
``tests/conftest.py``) with the test's clock, the view database beside it, and
helpers to read what they hold."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from uuid import UUID

import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.settings import Settings
from ihanoi_projections.engine.base import ProjectionContext
from ihanoi_projections.engine.database import ViewDatabase, open_view_database
from tests.conftest import FakeClock
from tests.notification_rig import Rig
from tests.notification_servers import gateway_server, smtp_server


@pytest.fixture
def app(settings: Settings, clock: Callable[[], datetime]) -> Iterator[Ihanoi]:
    """The application on this test's store, reading the ``clock`` fixture
    (the hand-moved ``FakeClock`` unless the module overrides it)."""
    application = Ihanoi(settings, clock=clock)
    yield application
    application.close()


@pytest.fixture
def views(settings: Settings) -> Iterator[ViewDatabase]:
    """The read models' database for this test's store."""
    database = open_view_database(settings)
    yield database
    database.close()


@pytest.fixture
def rig(app: Ihanoi, settings: Settings, clock: FakeClock) -> Iterator[Rig]:
    """The notification rig (tests/notification_rig.py) with its mail and SMS servers running."""
    with smtp_server() as (smtp_url, mailbox), gateway_server() as (gateway_url, gateway):
        made = Rig(app, settings, clock, mailbox, gateway, smtp_url, gateway_url)
        yield made
        made.close()


def projection_context(app: Ihanoi) -> ProjectionContext:
    """What a read model consults besides the events, with a fixed pseudonym key."""
    return ProjectionContext(app.directory, app.calendar, b"test-key")


def event_names(app: Ihanoi, case_id: UUID) -> list[str]:
    """The names of a case's (or a survey response's) stored events, oldest first."""
    return [type(e).__name__ for e in app.events.get(case_id)]
