"""The read side as a whole: which read models exist, and the ways to run them.

- ``ReadSide``: embedded use (a program using the library, and ``ihanoi
  serve``): every read model fed by one in-process runner thread, woken by the
  application after each save (and on PostgreSQL by other processes' saves).
  On a shared store it applies only the read models whose worker lock it gets;
  the others it follows (``runner.Ownership``).
- ``run_worker``: one worker process per projection for PostgreSQL
  deployments (``ihanoi projections run NAME``); a second worker for the same
  projection waits as a hot standby.
- ``status``: what ``ihanoi projections status`` prints (``rebuild`` has its
  own module).
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from ihanoi_core.application import Ihanoi
from ihanoi_core.eventstore.settings_env import store_kind
from ihanoi_core.settings import Settings
from ihanoi_projections.agency_dashboard.figures import AgencyDashboardModel
from ihanoi_projections.audit_chain import AuditChainModel
from ihanoi_projections.business_inquiries import BusinessInquiriesModel
from ihanoi_projections.case_status import CaseStatusModel
from ihanoi_projections.conversations import ConversationsModel
from ihanoi_projections.deadlines.accountability import AccountabilityModel
from ihanoi_projections.deadlines.clocks import DeadlineClocksModel
from ihanoi_projections.deadlines.ranking import AgencyRankingModel
from ihanoi_projections.engine.base import ProjectionContext, ReadModel
from ihanoi_projections.engine.check import count_events
from ihanoi_projections.engine.database import POSITIONS_CHANNEL, ViewDatabase, open_view_database
from ihanoi_projections.engine.following import EVENTS_CHANNEL, PostgresWakeup
from ihanoi_projections.engine.projector import PARTITION_MARK, Projector
from ihanoi_projections.engine.runner import Ownership, ProjectionRunner, active
from ihanoi_projections.flood_hotspots import FloodHotspotsModel
from ihanoi_projections.knowledge_index import KnowledgeIndexModel
from ihanoi_projections.notifications.outbox import OutboxModel
from ihanoi_projections.payments import PaymentsModel
from ihanoi_projections.public_alerts import PublicAlertsModel
from ihanoi_projections.public_photos import PublicPhotosModel
from ihanoi_projections.public_reports import PublicReportsModel
from ihanoi_projections.public_results.figures import PublicResultsModel
from ihanoi_projections.survey_results import SurveyResultsModel
from ihanoi_projections.worklist import WorklistModel

READ_MODELS: dict[str, type[ReadModel]] = {
    CaseStatusModel.name: CaseStatusModel,
    WorklistModel.name: WorklistModel,
    PublicReportsModel.name: PublicReportsModel,
    PublicPhotosModel.name: PublicPhotosModel,
    SurveyResultsModel.name: SurveyResultsModel,
    AgencyDashboardModel.name: AgencyDashboardModel,
    PublicResultsModel.name: PublicResultsModel,
    AuditChainModel.name: AuditChainModel,
    PublicAlertsModel.name: PublicAlertsModel,
    FloodHotspotsModel.name: FloodHotspotsModel,
    OutboxModel.name: OutboxModel,
    DeadlineClocksModel.name: DeadlineClocksModel,
    AccountabilityModel.name: AccountabilityModel,
    AgencyRankingModel.name: AgencyRankingModel,
    KnowledgeIndexModel.name: KnowledgeIndexModel,
    ConversationsModel.name: ConversationsModel,
    BusinessInquiriesModel.name: BusinessInquiriesModel,
    PaymentsModel.name: PaymentsModel,
}
M = TypeVar("M", bound=ReadModel)
# Evidence, not a cache: `rebuild` without names leaves these alone.
KEPT_ON_REBUILD = frozenset({AuditChainModel.name})


def pseudonym_key(settings: Settings) -> bytes:
    """The key for subject-id hashes in read models, derived from the secret
    key (rotating the secret means rebuilding the read models)."""
    return hmac.new(settings.jwt_secret.encode(), b"ihanoi read-model pseudonyms", hashlib.sha256).digest()


def unknown(names: Sequence[str]) -> list[str]:
    return [name for name in names if name not in READ_MODELS]


def build_models(names: Sequence[str] | None, database: ViewDatabase, context: ProjectionContext) -> list[ReadModel]:
    chosen = list(names) if names else list(READ_MODELS)
    if missing := unknown(chosen):
        raise ValueError(f"Unknown projection(s): {', '.join(missing)}; known: {', '.join(READ_MODELS)}")
    return [READ_MODELS[name](database, context) for name in chosen]


class ReadSide:
    """All read models of one application, kept up to date in this process."""

    def __init__(
        self,
        app: Ihanoi,
        settings: Settings | None = None,
        *,
        names: Sequence[str] | None = None,
        start: bool = True,
    ) -> None:
        self.app = app
        self.settings = settings or app.settings
        kind = store_kind(self.settings)
        self.database = open_view_database(self.settings)
        self.context = ProjectionContext(app.directory, app.calendar, pseudonym_key(self.settings))
        try:
            self.models = {model.name: model for model in build_models(names, self.database, self.context)}
            self.projector = Projector(
                app, self.database, list(self.models.values()), batch_size=self.settings.projection_batch_size
            )
        except BaseException:
            self.database.close()
            raise
        # Only a running read side competes for the workers' locks: one built
        # with ``start=False`` is driven by hand (rebuilds, tests) and applies all.
        self.ownership = Ownership(self.settings, list(self.models)) if start and kind != "memory" else None
        if self.ownership is not None and self.settings.in_process_projections == "follow":
            self.ownership.claiming = False
        self.runner = ProjectionRunner(
            self.projector, poll_interval=self.settings.projection_poll_interval, ownership=self.ownership
        )
        self.listener: PostgresWakeup | None = None
        app.save_listeners.append(self.runner.wake)
        if start:
            if self.ownership is not None:
                self.projector.deactivate(list(self.models))
                self.projector.activate(self.ownership.claim())
            if kind == "postgres":
                channels = (EVENTS_CHANNEL, POSITIONS_CHANNEL)
                self.listener = self.runner.listen(self.settings.database_url, channels)
            self.runner.start()

    def model(self, kind: type[M]) -> M:
        found = self.models[kind.name]
        assert isinstance(found, kind)
        return found

    def wait(self, position: int, timeout: float = 5.0, names: Sequence[str] | None = None) -> bool:
        """Read-your-writes: True as soon as the read models have applied ``position``."""
        return self.projector.wait(position, timeout, names)

    def catch_up(self) -> int:
        return self.projector.catch_up()

    def close(self) -> None:
        self.runner.stop()
        if self.listener is not None:
            self.listener.stop()
        if self.ownership is not None:
            self.ownership.release()
        if self.runner.wake in self.app.save_listeners:
            self.app.save_listeners.remove(self.runner.wake)
        self.database.close()


@dataclass(frozen=True)
class ProjectionStatus:
    name: str
    position: int
    head: int
    lag_events: int
    lag_seconds: float
    updated_at: float | None
    # Events in the log up to ``position`` that the projection never applied
    # (None: not known, the tracking row predates the count).
    skipped: int | None = 0
    # A parallel rebuild of it stopped half-way: it must be rebuilt before use.
    fenced: bool = False

    @property
    def ahead(self) -> bool:
        """Past the newest event in the store: made from another log, it would
        skip what the store saves up to its position (``ViewsAheadOfStoreError``)."""
        return self.position > self.head

    @property
    def healthy(self) -> bool:
        return not self.fenced and not self.skipped and not self.ahead

    @property
    def health(self) -> str:
        """In a few words, for people: what is wrong, if anything."""
        if self.fenced:
            return "fenced: a parallel rebuild did not finish"
        if self.ahead:
            return "ahead of the store: made from another log; rebuild it"
        if self.skipped and self.skipped < 0:
            return f"counted {-self.skipped} more events than the log holds up to its position"
        if self.skipped:
            return f"skipped {self.skipped} event{'s' if self.skipped != 1 else ''}"
        return "ok" if self.skipped == 0 else "ok (event count unknown until rebuilt)"


def status(app: Ihanoi, database: ViewDatabase) -> list[ProjectionStatus]:
    """Position, lag and health of every projection. Lag in events is the
    distance to the head of the log (an upper bound on PostgreSQL, whose ids can
    have gaps); lag in seconds is the age of the oldest event not yet applied
    (0 when caught up). ``skipped`` compares the events the log holds up to the
    position with those the projection applied (``ihanoi_projections.engine.check``)."""
    tracked = database.tracked()
    # Read after the positions: a position past it is the views', not a race.
    head = app.head_position()
    fenced = {name.split(PARTITION_MARK)[0] for name in tracked if PARTITION_MARK in name}
    counts: dict[int, int] = {}
    now = time.time()
    result = []
    for name in READ_MODELS:
        row = tracked.get(name)
        position = row.position if row else 0
        lag_seconds = 0.0
        if position < head:
            oldest = first_event_time_after(app, position)
            lag_seconds = max(0.0, now - oldest) if oldest is not None else 0.0
        skipped: int | None = 0
        if row is not None:
            if row.events is None:
                skipped = None
            else:
                if position not in counts:
                    counts[position] = count_events(app, position)
                skipped = counts[position] - row.events
        result.append(
            ProjectionStatus(
                name,
                position,
                head,
                max(0, head - position),
                lag_seconds,
                row.updated_at if row else None,
                skipped,
                name in fenced,
            )
        )
    return result


def first_event_time_after(app: Ihanoi, position: int) -> float | None:
    notifications = app.recorder.select_notifications(start=position, limit=1, inclusive_of_start=False)
    if not notifications:
        return None
    event: Any = app.mapper.to_domain_event(notifications[0])
    return float(event.timestamp.timestamp())


def run_worker(
    settings: Settings,
    names: Sequence[str],
    stopping: threading.Event,
    *,
    on_active: Callable[[], None] | None = None,
    on_tick: Callable[[], object] | None = None,
) -> None:
    """Run the named projections in this process until ``stopping`` is set.
    Waits as a hot standby while another worker holds any of them. While
    active, ``on_tick`` is called about every half second (the audit chain's
    periodic checkpoints: ``audit_chain.PeriodicCheckpoints``)."""
    with active(settings, names, stopping, on_active) as held:
        if not held:
            return
        app = Ihanoi(settings)
        database = open_view_database(settings)
        context = ProjectionContext(app.directory, app.calendar, pseudonym_key(settings))
        projector = Projector(
            app, database, build_models(names, database, context), batch_size=settings.projection_batch_size
        )
        runner = ProjectionRunner(projector, poll_interval=settings.projection_poll_interval).start()
        listener = runner.listen(settings.database_url) if store_kind(settings) == "postgres" else None
        try:
            while not stopping.wait(0.5):
                if not runner.running:
                    break
                if on_tick is not None:
                    on_tick()
        finally:
            runner.stop()
            if listener is not None:
                listener.stop()
            database.close()
            app.close()


class ReadSideQueries:
    """Base of a group of queries that read the application and its read side."""

    def __init__(self, app: Ihanoi, read_side: ReadSide) -> None:
        self.app = app
        self.read_side = read_side
