"""Projection worker processes on SQLite and PostgreSQL: a worker killed with
SIGKILL mid catch-up resumes without applying any event twice or skipping one,
and a standby worker takes over when the active one dies."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.reports import AcknowledgeReport, SubmitReport
from ihanoi_core.commands.surveys import AnswerIn, AnswerSurvey, CreateSurvey, PublishSurvey, QuestionIn
from ihanoi_core.commands.values import LocationIn
from ihanoi_core.domain.questionnaire import QuestionType
from ihanoi_core.domain.values import Principal, Priority, Role
from ihanoi_core.settings import Settings
from ihanoi_projections.engine.database import open_view_database
from ihanoi_projections.engine.runner import Ownership
from ihanoi_projections.read_side import READ_MODELS, ReadSide, pseudonym_key
from tests.conftest import FakeClock, make_settings

SECRET = "worker-test-secret-worker-test-secret"
NAMES = ("case_status", "survey_results", "worklist")


def populate(app: Ihanoi, clock: FakeClock, reports: int, answers: int) -> None:
    """Reports (some acknowledged) and a survey with many answers: the tallies
    of survey_results double if any answer is applied twice."""
    agency = app.directory.route("pothole", "HOAN_KIEM").code
    officer = Principal("officer-1", Role.OFFICER, agency)
    leader = Principal("leader-1", Role.LEADER, agency)
    survey = app.handle(
        leader,
        CreateSurvey(
            title="Mức độ hài lòng",
            description="Khảo sát",
            questions=(
                QuestionIn(id="q1", text="Hài lòng?", type=QuestionType.RATING, required=True),
                QuestionIn(
                    id="q2", text="Kênh", type=QuestionType.SINGLE_CHOICE, required=True, options=("app", "web")
                ),
            ),
        ),
    )
    app.handle(leader, PublishSurvey(case=survey.case_id, opens_at=clock.now, closes_at=clock.now + timedelta(days=30)))
    for n in range(reports):
        citizen = Principal(f"vneid:{n:012d}", Role.CITIZEN)
        filed = app.handle(
            citizen, SubmitReport(category="pothole", description=f"Ổ gà {n}", location=LocationIn("HOAN_KIEM"))
        )
        if n % 2:
            app.handle(officer, AcknowledgeReport(case=filed.case_id, priority=Priority.NORMAL))
    for n in range(answers):
        citizen = Principal(f"vneid:{n:012d}", Role.CITIZEN)
        app.handle(
            citizen,
            AnswerSurvey(
                case=survey.case_id,
                answers=(AnswerIn(question_id="q1", rating=1 + n % 5), AnswerIn(question_id="q2", choices=("app",))),
            ),
        )


class Worker:
    """``ihanoi projections run`` as a child process, its stdout read by a thread."""

    def __init__(self, settings: Settings, names: tuple[str, ...] = NAMES, secret: str = SECRET) -> None:
        env = {
            **os.environ,
            "IHANOI_DATABASE_URL": settings.database_url,
            "IHANOI_ENV": "test",
            "IHANOI_SECRET_KEY": secret,
            "IHANOI_PROJECTION_BATCH_SIZE": "25",
            "IHANOI_LOG_LEVEL": "WARNING",
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ihanoi_server.cli", "projections", "run", *names],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        with self.process.stdout:
            for line in self.process.stdout:
                self.lines.put(line.strip())

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(10)
        self._reader.join(10)

    def saw(self, text: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                if self.lines.get(timeout=left) == text:
                    return True
            except queue.Empty:
                return False
        return False

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(20)
        self._reader.join(10)
        return code


@pytest.fixture
def store_settings(store_name: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    settings = make_settings(store_name, tmp_path, request)
    return settings.with_changes(secret_key=SECRET)


@pytest.fixture(params=["sqlite", "postgres"])
def store_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def populated(store_settings: Settings, clock: FakeClock) -> Iterator[Ihanoi]:
    """Enough events (over 3,000) that a worker catching up can be killed midway."""
    app = Ihanoi(store_settings, clock=clock)
    populate(app, clock, reports=1200, answers=600)
    yield app
    app.close()


@pytest.fixture
def lightly_populated(store_settings: Settings, clock: FakeClock) -> Iterator[Ihanoi]:
    """A store with history, for the tests of who applies what (not of catching up)."""
    app = Ihanoi(store_settings, clock=clock)
    populate(app, clock, reports=60, answers=30)
    yield app
    app.close()


def positions(settings: Settings) -> dict[str, int]:
    database = open_view_database(settings)
    try:
        return {name: position for name, (position, _) in database.positions().items()}
    finally:
        database.close()


def wait_for(condition: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def view_rows(app: Ihanoi, settings: Settings) -> dict[str, Any]:
    read_side = ReadSide(app, settings, names=NAMES, start=False)
    try:
        return {name: read_side.models[name].rows() for name in NAMES}  # type: ignore[attr-defined]
    finally:
        read_side.close()


# Simulates a month, then catches up in a killed and a restarted worker: on a
# loaded CI machine that alone has taken more than the suite's 120 s default.
@pytest.mark.timeout(300)
def test_a_worker_killed_mid_catch_up_resumes_and_applies_every_event_exactly_once(
    populated: Ihanoi, store_settings: Settings
) -> None:
    head = populated.head_position()
    assert head > 3000

    # Step: the first worker starts catching up in small batches; kill it hard midway.
    first = Worker(store_settings)
    assert first.saw("active", timeout=30)
    assert wait_for(lambda: min(positions(store_settings).get(n, 0) for n in NAMES) > 0, timeout=60)
    first.kill()
    at_kill = positions(store_settings)
    assert all(at_kill[name] < head for name in NAMES), "the kill came too late to test anything"

    # Step: a new worker resumes from the recorded positions and catches up.
    second = Worker(store_settings)
    assert second.saw("active", timeout=30)
    assert wait_for(lambda: all(positions(store_settings).get(n, 0) >= head for n in NAMES), timeout=120)
    assert second.stop() == 0

    # Step: the result equals a rebuild from zero, row for row (tallies would
    # differ if any answer had been counted twice or skipped).
    resumed = view_rows(populated, store_settings)
    read_side = ReadSide(populated, store_settings, names=NAMES, start=False)
    read_side.projector.reset()
    read_side.catch_up()
    read_side.close()
    assert view_rows(populated, store_settings) == resumed
    tallies = [r for r in resumed["survey_results"] if r.get("table") == "view_survey_tallies"]
    assert any(r["tally"] == 600 for r in tallies)


def test_a_standby_worker_takes_over_when_the_active_one_is_killed(
    lightly_populated: Ihanoi, store_settings: Settings, clock: FakeClock
) -> None:
    # Step: one worker is active; a second one for the same projections waits.
    active = Worker(store_settings)
    assert active.saw("active", timeout=30)
    standby = Worker(store_settings)
    assert not standby.saw("active", timeout=2)

    # Step: the active worker dies; the standby takes over and follows new events.
    active.kill()
    assert standby.saw("active", timeout=30)
    citizen = Principal("vneid:999999999999", Role.CITIZEN)
    last = lightly_populated.handle(
        citizen, SubmitReport(category="pothole", description="Mới", location=LocationIn("HOAN_KIEM"))
    )
    assert wait_for(lambda: all(positions(store_settings).get(n, 0) >= last.position for n in NAMES), timeout=60)
    assert standby.stop() == 0


def test_every_projection_name_can_run_in_a_worker() -> None:
    assert set(NAMES) <= set(READ_MODELS)
    assert pseudonym_key(Settings(env="test", secret_key=SECRET)) != pseudonym_key(Settings(env="test"))


@pytest.mark.parametrize("mode", ["apply", "follow"])
def test_a_running_read_side_follows_a_worker_and_takes_over_only_when_it_may_apply(
    lightly_populated: Ihanoi, store_settings: Settings, mode: str
) -> None:
    # Step: a worker runs three projections; then a server-style read side starts.
    worker = Worker(store_settings)
    assert worker.saw("active", timeout=30)
    settings = store_settings.with_changes(in_process_projections=mode)
    read_side = ReadSide(lightly_populated, settings)
    try:
        assert read_side.ownership is not None
        held_at_start = set(read_side.ownership.held)
        assert not held_at_start & set(NAMES), "the worker's projections are not applied twice"
        assert held_at_start == (set(READ_MODELS) - set(NAMES) if mode == "apply" else set())

        # Step: a new report; the read side sees the worker's position (read-your-writes).
        citizen, here = Principal("vneid:888888888888", Role.CITIZEN), LocationIn("HOAN_KIEM")
        filed = lightly_populated.handle(citizen, SubmitReport(category="pothole", description="Mới", location=here))
        assert read_side.wait(filed.position, timeout=60, names=NAMES)

        # Step: the worker stops; a read side that may apply takes its projections over.
        assert worker.stop() == 0
        if mode == "apply":
            assert wait_for(lambda: set(NAMES) <= read_side.ownership.held, timeout=10)
            later = lightly_populated.handle(
                citizen, SubmitReport(category="pothole", description="Sau", location=LocationIn("HOAN_KIEM"))
            )
            assert read_side.wait(later.position, timeout=30)
        else:
            time.sleep(1.5)
            assert read_side.ownership.held == set()
    finally:
        read_side.close()


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_locks_given_up_by_one_process_can_be_claimed_by_another(
    store: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings = make_settings(store, tmp_path, request)
    first, second = Ownership(settings, NAMES), Ownership(settings, NAMES)
    try:
        # Step: the first takes every lock; the second gets none.
        assert sorted(first.claim()) == sorted(NAMES)
        assert second.claim() == []
        # Step: the first gives one up (it could not apply it); the second takes it.
        first.give_up(["worklist"])
        assert second.claim() == ["worklist"]
        assert first.held == set(NAMES) - {"worklist"}
    finally:
        first.release()
        second.release()
