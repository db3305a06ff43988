"""The ``Ihanoi`` application: one ``eventsourcing`` Application for all cases.

Build it with settings (store, directory) and hand it commands
(``ihanoi_core.commands``) with a ``Principal``; every command checks
permissions, decides, saves atomically and returns a ``CommandResult`` with
the log position. Queries return plain dicts, never aggregates.

    app = Ihanoi(Settings(database_url="sqlite:///./ihanoi.db"))
    result = app.handle(citizen, SubmitReport(category="pothole", ...))
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.application import Application
from eventsourcing.persistence import EventStore, Mapper, Transcoder
from eventsourcing.utils import strtobool

from ihanoi_core.case_views import case_view
from ihanoi_core.channels.intake import ConversationCommands
from ihanoi_core.directory import Directory, load_directory
from ihanoi_core.domain import VALUE_TYPES
from ihanoi_core.domain.case import Case
from ihanoi_core.domain.survey import Survey
from ihanoi_core.domain.values import Principal
from ihanoi_core.errors import CaseNotFoundError
from ihanoi_core.events.topics import current_topic, register_moved_topics
from ihanoi_core.eventstore.cache import CaseCache, CodeCache
from ihanoi_core.eventstore.keys import KeyStore
from ihanoi_core.eventstore.mapper import IhanoiMapper, SealingEventStore
from ihanoi_core.eventstore.sealing import Sealer
from ihanoi_core.eventstore.settings_env import eventsourcing_env, personal_key_store, store_kind
from ihanoi_core.eventstore.transcoder import OrjsonTranscoder
from ihanoi_core.handlers import (  # importing a handler module registers its handlers
    alerts,  # noqa: F401
    business,  # noqa: F401
    consultations,  # noqa: F401
    deadlines,  # noqa: F401
    dialogues,  # noqa: F401
    grievances,  # noqa: F401
    notices,  # noqa: F401
    payments,  # noqa: F401
    questions,  # noqa: F401
    reports,  # noqa: F401
    service_requests,  # noqa: F401
    surveys,  # noqa: F401
)
from ihanoi_core.handlers.bus import CommandBus
from ihanoi_core.law.calendar import WorkingCalendar
from ihanoi_core.media.store import PhotoLibrary
from ihanoi_core.notifications.preferences import NotificationSettingsCommands
from ihanoi_core.payments import process  # noqa: F401 - registers the payment process manager's handlers
from ihanoi_core.permissions import can_see
from ihanoi_core.privacy.consent import ConsentCommands
from ihanoi_core.privacy.erasure import PrivacyCommands
from ihanoi_core.settings import Settings

APPLICATION_NAME = "cases"

# Before any event is read: those stored under a moved class's old topic must load.
register_moved_topics()


def utc_now() -> datetime:
    return datetime.now(UTC)


class Ihanoi(
    ConversationCommands, NotificationSettingsCommands, ConsentCommands, PrivacyCommands, CommandBus, Application[UUID]
):
    """Every case of the platform, in one event store (see module docstring)."""

    name = APPLICATION_NAME
    # Whether personal fields are sealed (docs/privacy.md); off only to measure its cost.
    seals_personal_data: ClassVar[bool] = True

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        directory: Directory | None = None,
        clock: Callable[[], datetime] = utc_now,
        env: dict[str, str] | None = None,
        personal_keys: KeyStore | None = None,
    ) -> None:
        """``personal_keys``: another application's data keys, to read its
        events from a copy of its log (``audit replay``); by default this
        store's own (``personal_key_store``)."""
        self.settings = settings or Settings(database_url="memory://")
        self.directory = directory or load_directory(self.settings.directory)
        calendar = self.directory.calendar
        self.timezone = ZoneInfo(calendar.timezone)
        self.calendar = WorkingCalendar(
            days_off=calendar.days_off,
            working_days=calendar.working_days,
            office_hours=calendar.office_hours,
            timezone=calendar.timezone,
        )
        self.clock = clock
        # Photos are stored by hash beside the event store; events carry the hash only.
        self.photos = PhotoLibrary.from_settings(self.settings)
        self.case_cache = CaseCache()
        self.code_cache = CodeCache()
        self.save_listeners = []
        self._owns_keys = personal_keys is None
        self.personal_keys = personal_keys or personal_key_store(self.settings)
        library_env = {**eventsourcing_env(self.settings), **(env or {})}
        library_env["PERSISTENCE_MODULE"] = current_topic(library_env["PERSISTENCE_MODULE"])
        # On PostgreSQL the tables are created under a lock (postgres_ddl_lock).
        create_tables = store_kind(self.settings) == "postgres" and strtobool(library_env.get("CREATE_TABLE", "yes"))
        if create_tables:
            library_env["CREATE_TABLE"] = "no"
        super().__init__(env=library_env)
        if create_tables:
            from eventsourcing.postgres import PostgresRecorder

            from ihanoi_core.eventstore.postgres import postgres_ddl_lock

            recorders = [self.recorder, self.snapshots.recorder if self.snapshots is not None else None]
            with postgres_ddl_lock(self.settings.database_url):
                for recorder in recorders:
                    if isinstance(recorder, PostgresRecorder):
                        recorder.create_table()
                if self._owns_keys:
                    self.personal_keys.table.create()

    def construct_transcoder(self) -> Transcoder:
        return OrjsonTranscoder(VALUE_TYPES)

    def construct_mapper(self) -> Mapper[UUID]:
        if self.factory.env.get(self.factory.MAPPER_TOPIC):
            return super().construct_mapper()
        mapper = self.factory.mapper(transcoder=self.construct_transcoder(), mapper_class=IhanoiMapper)
        if isinstance(mapper, IhanoiMapper) and self.seals_personal_data:
            mapper.sealer = Sealer(self.personal_keys, mapper.transcoder)
        return mapper

    def construct_event_store(self) -> EventStore[UUID]:
        return SealingEventStore(mapper=self.mapper, recorder=self.recorder)

    def close(self) -> None:
        super().close()
        if self._owns_keys:
            self.personal_keys.close()

    def head_position(self) -> int:
        """The position of the newest event in the log (0 while it is empty): what
        ``ReadSide.wait`` is given to read what has been written so far."""
        return self.recorder.max_notification_id() or 0

    # -- queries ------------------------------------------------------------

    def get_case(self, principal: Principal, case: UUID | str) -> dict[str, Any]:
        """The current state of a case as the principal may see it."""
        case_id = self.resolve_case_id(case)
        aggregate = self._load(case_id, Case)
        if not can_see(principal, aggregate):
            raise CaseNotFoundError(case_id)
        return case_view(aggregate, principal)

    def get_survey(self, principal: Principal, survey: UUID | str) -> dict[str, Any]:
        """A survey as the principal may see it, with whether it takes answers now
        (``accepting_answers``); ``CaseNotFoundError`` for any other kind of case."""
        case_id = self.resolve_case_id(survey)
        aggregate = self._load(case_id, Survey)
        if not can_see(principal, aggregate):
            raise CaseNotFoundError(case_id)
        data = case_view(aggregate, principal)
        data["accepting_answers"] = aggregate.accepts_answers_at(self.clock())
        return data
