"""The activity simulator: every command it issues is one the application
accepts, on POPO, a real SQLite file and the real PostgreSQL server; the same
seed writes the same log; and it is fast enough to seed a demo."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.settings import Settings
from ihanoi_core.simulation import SimulatedClock, SimulationSummary, simulate

# Monday 2026-11-30 00:00 in Hanoi (UTC+7).
MONDAY = datetime(2026, 11, 29, 17, 0, tzinfo=UTC)
MODEST: dict[str, Any] = {"reports_per_day": 30.0, "complaints_per_day": 6.0, "dossiers_per_day": 16.0}
SEED = 2026


@dataclass(frozen=True, slots=True)
class Logged:
    """One stored event as an auditor reads it."""

    position: int
    name: str
    case_code: str
    actor: str
    timestamp: datetime
    event: Any


def read_log(app: Ihanoi) -> list[Logged]:
    """The whole notification log, decoded, with each event's case code."""
    codes: dict[UUID, str] = {}
    logged: list[Logged] = []
    start = 1
    while notifications := app.recorder.select_notifications(start=start, limit=1000):
        for notification in notifications:
            event: Any = app.mapper.to_domain_event(notification)
            code = getattr(event, "code", None) or getattr(event, "survey_code", None)
            if code is not None:
                codes.setdefault(event.originator_id, code)
            logged.append(
                Logged(
                    position=notification.id,
                    name=type(event).__qualname__,
                    case_code=codes.get(event.originator_id, ""),
                    actor=event.actor.subject,
                    timestamp=event.timestamp,
                    event=event,
                )
            )
        start = notifications[-1].id + 1
    return logged


def late_resolutions(log: list[Logged]) -> list[str]:
    """Codes of reports resolved after the due time their last
    acknowledgement or reopening set."""
    due: dict[str, datetime] = {}
    late = []
    for entry in log:
        if entry.name in ("Report.Acknowledged", "Report.Reopened"):
            due[entry.case_code] = entry.event.due_at
        elif entry.name == "Report.Resolved" and entry.timestamp > due[entry.case_code]:
            late.append(entry.case_code)
    return late


def complaint_refusals(log: list[Logged]) -> list[str]:
    return [e.case_code for e in log if e.name == "Grievance.Refused" and e.case_code.startswith("KN-")]


def denunciation_extensions(log: list[Logged]) -> list[str]:
    extended = ("Grievance.Extended", "Grievance.PreliminaryCheckExtended")
    return [e.case_code for e in log if e.name in extended and e.case_code.startswith("TC-")]


def run(app: Ihanoi, clock: SimulatedClock, seed: int = SEED, **options: Any) -> SimulationSummary:
    return simulate(app, clock, seed=seed, **{"days": 10, **MODEST, "answers_per_survey": 12, **options})


@pytest.fixture
def clock() -> SimulatedClock:
    # Overrides the FakeClock of tests/conftest.py: ``app`` runs on simulated time.
    return SimulatedClock(MONDAY)


def memory_app(clock: SimulatedClock) -> Ihanoi:
    return Ihanoi(Settings(database_url="memory://"), clock=clock)


def test_a_ten_day_run_issues_only_valid_commands_and_walks_every_path(app: Ihanoi, clock: SimulatedClock) -> None:
    # Step: ten simulated days at modest rates, from Monday 00:00 in Hanoi.
    summary = run(app, clock)

    # Step: the application refused nothing the simulator issued.
    assert summary.errors == 0, summary.error_messages
    assert summary.reused == 0
    assert summary.start == MONDAY
    assert summary.end == MONDAY + timedelta(days=10)
    assert clock() == summary.end

    # Step: every kind of case was created, and the log holds what the summary says.
    assert set(summary.cases) == {"report", "complaint", "denunciation", "dossier", "survey", "survey_response"}
    assert summary.commands_issued == sum(summary.commands.values())
    log = read_log(app)
    assert len(log) == summary.events
    assert log[-1].position == summary.last_position
    names = Counter(entry.name for entry in log)
    assert names["Report.Submitted"] == summary.cases["report"]
    assert names["ServiceRequest.Submitted"] == summary.cases["dossier"]
    assert names["SurveyResponse.Submitted"] == summary.cases["survey_response"]

    # Step: the paths a demo must show are all there.
    assert late_resolutions(log), "no report was resolved late"
    assert names["Report.Reopened"] >= 1
    assert names["ServiceRequest.SupplementRequested"] >= 1
    assert names["ServiceRequest.ApologyIssued"] >= 1
    assert denunciation_extensions(log) + complaint_refusals(log), "no extended denunciation or refused complaint"
    assert names["Survey.ResultsPublished"] == 1
    assert names["Report.Supported"] >= 1

    # Step: events carry simulated time, in log order, within the simulated period.
    timestamps = [entry.timestamp for entry in log]
    assert timestamps == sorted(timestamps)
    assert timestamps[0] >= MONDAY
    assert timestamps[-1] < summary.end


def test_two_runs_with_the_same_seed_write_identical_logs() -> None:
    # Step: the same seed twice, each on a fresh in-memory store.
    logs, payloads, summaries = [], [], []
    for _ in range(2):
        clock = SimulatedClock(MONDAY)
        app = memory_app(clock)
        summaries.append(run(app, clock))
        logs.append([(e.name, e.case_code, e.actor, e.timestamp) for e in read_log(app)])
        # A supporter's pseudonym is keyed by the store's own secret pepper: compared by first appearance.
        supporters: dict[str, int] = {}
        payloads.append(
            [
                (n.id, n.originator_id, n.originator_version, n.topic, {
                    name: supporters.setdefault(value, len(supporters)) if name == "supporter" else value
                    for name, value in vars(app.mapper.to_domain_event(n)).items()
                })
                for n in app.recorder.select_notifications(start=1, limit=1_000_000)
            ]
        )  # fmt: skip

    # Step: the same events of the same cases by the same actors at the same
    # moments, field for field (the stored bytes differ where personal fields
    # are sealed: each run has its own data keys and random nonces), and the
    # same summary (wall time aside).
    assert len(logs[0]) > 1000
    assert logs[0] == logs[1]
    assert payloads[0] == payloads[1]
    assert summaries[0] == summaries[1]


def test_a_different_seed_tells_a_different_story() -> None:
    histories = []
    for seed in (1, 2):
        clock = SimulatedClock(MONDAY)
        app = memory_app(clock)
        run(app, clock, seed=seed, days=3)
        histories.append([(e.name, e.case_code) for e in read_log(app)])
    assert histories[0] != histories[1]


def test_a_report_reopened_and_photographed_again_gets_another_photo_of_the_second_repair() -> None:
    # Seed 6 reopens reports whose crews photograph the repair (the demo's own
    # seed did on the 28 days up to 2026-12-08, and the same photo was refused
    # the second time: "1 refused").
    clock = SimulatedClock(MONDAY)
    app = memory_app(clock)
    summary = run(app, clock, seed=6, surveys=0)

    assert summary.errors == 0, summary.error_messages
    log = read_log(app)
    after: dict[str, list[Logged]] = {}
    for entry in log:
        if entry.name == "Report.PhotoAttached" and entry.event.photo.stage == "after":
            after.setdefault(entry.case_code, []).append(entry)
    twice = {code: photos for code, photos in after.items() if len(photos) > 1}
    assert twice, "no report was photographed after two repairs"
    reopened = {entry.case_code: entry.position for entry in log if entry.name == "Report.Reopened"}
    for code, (first, second) in twice.items():
        assert first.event.photo.sha256 != second.event.photo.sha256
        assert first.position < reopened[code] < second.position


def test_running_the_same_seed_again_on_the_same_store_adds_nothing(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'demo.db'}", env="test")
    summaries = []
    for _ in range(2):
        clock = SimulatedClock(MONDAY)
        app = Ihanoi(settings, clock=clock)
        try:
            summaries.append(run(app, clock, days=2))
        finally:
            app.close()
    first, second = summaries

    # Step: the idempotency keys find every case the first run created; their
    # stories are skipped, not replayed as commands the domain would refuse.
    assert first.events > 0
    assert first.reused == 0
    assert second.reused == sum(first.cases.values()) - first.cases.get("survey_response", 0)
    assert second.events == 0
    assert second.errors == 0
    assert second.last_position == first.last_position


def test_progress_is_reported_after_each_simulated_day() -> None:
    clock = SimulatedClock(MONDAY)
    days: list[int] = []
    simulate(memory_app(clock), clock, seed=SEED, days=3, **MODEST, surveys=0, progress=days.append)
    assert days == [1, 2, 3]


def test_the_application_must_read_the_simulated_clock() -> None:
    clock = SimulatedClock(MONDAY)
    app = memory_app(SimulatedClock(MONDAY))
    with pytest.raises(ValueError, match="clock=clock"):
        simulate(app, clock, seed=SEED, days=1, **MODEST)


def test_a_simulated_clock_is_aware_utc_and_never_goes_back() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        SimulatedClock(datetime(2026, 11, 30, 9, 0))
    clock = SimulatedClock(MONDAY)
    clock.advance_to(MONDAY + timedelta(hours=1))
    assert clock() == MONDAY + timedelta(hours=1)
    assert clock().tzinfo is UTC
    with pytest.raises(ValueError, match="never goes back"):
        clock.advance_to(MONDAY)
