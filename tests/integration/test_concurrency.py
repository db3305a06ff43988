"""Threads race conflicting commands on one case: exactly one wins, the other
gets a ConflictError, and nothing is lost or half-applied."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.reports import AcknowledgeReport, SubmitReport
from ihanoi_core.commands.values import LocationIn
from ihanoi_core.domain.values import Principal, Priority, Role
from ihanoi_core.errors import ConflictError
from ihanoi_core.handlers.bus import CommandResult
from ihanoi_core.settings import Settings
from tests.conftest import make_settings

ROUNDS = 10


class BarrierClock:
    """Both racing commands read the clock after loading the case and before
    saving it, so waiting here guarantees they both decide on the same version."""

    def __init__(self, parties: int) -> None:
        self.barrier = threading.Barrier(parties, timeout=10)
        self.armed = False

    def __call__(self) -> datetime:
        if self.armed:
            self.barrier.wait()
        return datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_two_officers_acknowledging_at_once_one_wins_and_one_gets_a_conflict(
    store: str, tmp_path: Path, request: pytest.FixtureRequest, citizen: Principal
) -> None:
    clock = BarrierClock(parties=2)
    app = Ihanoi(make_settings(store, tmp_path, request), clock=clock)
    try:
        agency = app.directory.route("pothole", "HOAN_KIEM").code
        officers = [Principal(f"officer-{n}", Role.OFFICER, agency) for n in (1, 2)]
        location = LocationIn(ward="HOAN_KIEM")
        for _ in range(ROUNDS):
            # Step: a report exists; both officers then acknowledge it at once,
            # with different priorities.
            clock.armed = False
            filed = app.handle(citizen, SubmitReport(category="pothole", description="Ổ gà", location=location))
            clock.armed = True

            def acknowledge(args: tuple[Principal, Priority], case_id: object = filed.case_id) -> object:
                officer, priority = args
                try:
                    return app.handle(officer, AcknowledgeReport(case=case_id, priority=priority))  # type: ignore[arg-type]
                except ConflictError as error:
                    return error

            with ThreadPoolExecutor(max_workers=2) as pool:
                outcomes = list(pool.map(acknowledge, zip(officers, (Priority.URGENT, Priority.COMPLEX), strict=True)))

            # Step: exactly one succeeded, the other lost the race cleanly.
            wins = [o for o in outcomes if isinstance(o, CommandResult)]
            losses = [o for o in outcomes if isinstance(o, ConflictError)]
            assert len(wins) == 1
            assert len(losses) == 1
            events = list(app.events.get(filed.case_id))
            assert [type(e).__name__ for e in events] == ["Submitted", "Acknowledged"]
            # The stored acknowledgement is the winner's, whole.
            clock.armed = False
            case = app.get_case(officers[0], filed.case_id)
            winner_index = outcomes.index(wins[0])
            assert events[1].actor == officers[winner_index]  # type: ignore[attr-defined]
            assert case["priority"] == (Priority.URGENT, Priority.COMPLEX)[winner_index]
            assert case["version"] == 2
    finally:
        app.close()


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_racing_retries_with_one_idempotency_key_create_one_case(
    store: str, tmp_path: Path, request: pytest.FixtureRequest, citizen: Principal
) -> None:
    app = Ihanoi(make_settings(store, tmp_path, request))
    try:
        location = LocationIn(ward="HOAN_KIEM")

        def submit(_: int) -> CommandResult:
            return app.handle(
                citizen,
                SubmitReport(category="pothole", description="Ổ gà", location=location),
                idempotency_key="retry-1",
            )

        with ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(submit, range(8)))
        assert len({r.case_id for r in results}) == 1
        assert len({r.code for r in results}) == 1
        assert sum(r.created for r in results) == 1
        # One case event and one code-index event, whatever gaps a rolled-back insert left.
        assert len(app.recorder.select_notifications(start=None, limit=100)) == 2
    finally:
        app.close()


def test_applications_starting_together_on_a_new_postgres_schema_all_start(postgres_url: str) -> None:
    # Servers and workers of one deployment often start at the same moment; the
    # library's CREATE OR REPLACE FUNCTION run by several sessions at once fails
    # with "tuple concurrently updated" unless schema creation is serialised.
    settings = Settings(database_url=postgres_url, env="test", postgres_pool_size=2)
    starting = threading.Barrier(6)
    apps: list[Ihanoi] = []
    errors: list[BaseException] = []

    def start() -> None:
        starting.wait()
        try:
            apps.append(Ihanoi(settings))
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=start) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    try:
        assert errors == []
        citizen = Principal("vneid:001099012345", Role.CITIZEN)
        filed = apps[0].handle(
            citizen, SubmitReport(category="pothole", description="Ổ gà", location=LocationIn("HOAN_KIEM"))
        )
        assert apps[-1].get_case(citizen, filed.case_id)["code"] == filed.code
    finally:
        for app in apps:
            app.close()
