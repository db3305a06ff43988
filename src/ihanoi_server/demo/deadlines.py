"""Demo data for the deadline watcher (issue #16): one report left unanswered
for four days, so ``make serve`` shows a missed deadline and an escalation,
and one round of the watcher over every running clock the simulation left."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.reports import SubmitReport
from ihanoi_core.commands.values import LocationIn
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.settings import Settings
from ihanoi_projections.deadlines.clocks import DeadlineClocksModel
from ihanoi_projections.deadlines.watcher import Watcher
from ihanoi_projections.read_side import ReadSide

LEFT_UNANSWERED = LocationIn(ward="HOAN_KIEM", latitude=21.0287, longitude=105.8524, address="Phố Hàng Khay")


def seed_deadlines(settings: Settings, citizen: str) -> int:
    """File the unanswered report four days ago, then fire what has passed by
    now; the number of thresholds recorded."""
    filed_at = datetime.now(UTC) - timedelta(days=4)
    past = Ihanoi(settings, clock=lambda: filed_at)
    try:
        past.handle(
            Principal(citizen, Role.CITIZEN),
            SubmitReport(category="pothole", description="Ổ gà lớn chưa ai xử lý", location=LEFT_UNANSWERED),
            idempotency_key="demo-deadlines-unanswered",
        )
    finally:
        past.close()
    app = Ihanoi(settings)
    read_side = ReadSide(app, settings, names=[DeadlineClocksModel.name], start=False)
    try:
        read_side.catch_up()
        watcher = Watcher(app, read_side.model(DeadlineClocksModel), lambda _position: read_side.catch_up())
        return len(watcher.run_once())
    finally:
        read_side.close()
        app.close()
