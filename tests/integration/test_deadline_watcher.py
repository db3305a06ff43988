"""The deadline watcher (issue #16): each reminder, miss and escalation fires
once, at the right minute of the working calendar, on every store.

Expected minutes are counted by hand on the office hours 08:00–12:00 and
13:00–17:00 (Asia/Ho_Chi_Minh) with the directory's watch rules: a reminder
after 75 % of the clock's office time, another one working hour before due,
the miss at the due time, the escalation 8 working hours after it. A report's
acknowledgement clock is 8 working hours, so for every scenario below:
75 % = 6 h, last hour = 7 h, due = 8 h of office time after filing, and the
escalation 8 h of office time after due.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.reports import AcknowledgeReport, AssignReport, ResolveReport, SubmitReport
from ihanoi_core.commands.service_requests import (
    ReceiveDossier,
    RequestDossierSupplement,
    StartDossierProcessing,
    SubmitDossier,
)
from ihanoi_core.commands.values import DocumentIn, LocationIn
from ihanoi_core.domain.values import Principal, Priority, Role
from ihanoi_core.errors import CaseNotFoundError, ForbiddenError, ValidationError
from ihanoi_core.settings import Settings
from ihanoi_projections.deadlines.accountability import AccountabilityModel
from ihanoi_projections.deadlines.clocks import DeadlineClocksModel
from ihanoi_projections.deadlines.watcher import Due, Watcher
from ihanoi_projections.queries import Queries
from ihanoi_projections.read_side import ReadSide
from tests.conftest import FakeClock, staff
from tests.dossiers import APPLICANT, FORM

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
HOAN_KIEM = LocationIn(ward="HOAN_KIEM", latitude=21.0285, longitude=105.8542, address="Phố Hàng Bài")
WATCH_EVENTS = ("DeadlineReminded", "DeadlineMissed", "EscalatedForOverdue")


def hanoi(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=HANOI)


@pytest.fixture
def read_side(app: Ihanoi, settings: Settings) -> Iterator[ReadSide]:
    side = ReadSide(app, settings, names=[DeadlineClocksModel.name], start=False)
    yield side
    side.close()


@pytest.fixture
def watcher(app: Ihanoi, read_side: ReadSide, clock: FakeClock) -> Watcher:
    read_side.catch_up()
    return Watcher(app, read_side.model(DeadlineClocksModel), lambda _position: read_side.catch_up(), clock=clock)


def file_report(app: Ihanoi, citizen: Principal, read_side: ReadSide) -> str:
    filed = app.handle(citizen, SubmitReport(category="pothole", description="Ổ gà sâu", location=HOAN_KIEM))
    read_side.catch_up()
    return str(filed.case_id)


def watch_events(app: Ihanoi, case_id: str) -> list[tuple[str, str]]:
    """(event, threshold or agency) of the watcher's events on a case, oldest first."""
    from uuid import UUID

    found = []
    for event in app.events.get(UUID(case_id)):
        name = type(event).__name__
        if name == "DeadlineReminded":
            found.append((name, event.threshold))  # type: ignore[attr-defined]
        elif name == "DeadlineMissed":
            found.append((name, event.agency))  # type: ignore[attr-defined]
        elif name == "EscalatedForOverdue":
            found.append((name, event.to_agency))  # type: ignore[attr-defined]
    return found


def fired_at(watcher: Watcher, clock: FakeClock, moment: datetime) -> list[tuple[str, datetime]]:
    clock.set(moment)
    return [(due.threshold, due.at) for due in watcher.run_once()]


def test_across_a_weekend_each_threshold_fires_once_at_its_minute(
    app: Ihanoi, clock: FakeClock, citizen: Principal, read_side: ReadSide, watcher: Watcher
) -> None:
    # Step: filed Friday 2026-12-04 14:00. Friday gives 3 h (14–17), Monday
    # 4 h (8–12) then 1 h: due Monday 12-07 14:00. 75 % = 6 h: Friday 3 h +
    # Monday 3 h = Monday 11:00. Last hour = 7 h: Friday 3 h + Monday 4 h ends
    # at the 12:00 close. Escalation: Monday 14–17 3 h, Tuesday 8–12 4 h, 1 h
    # more = Tuesday 12-08 14:00.
    clock.set(hanoi(2026, 12, 4, 14))
    case_id = file_report(app, citizen, read_side)

    # Step: nothing over the weekend, nor a minute before each threshold; each at its minute.
    assert fired_at(watcher, clock, hanoi(2026, 12, 6, 23, 59)) == []
    assert fired_at(watcher, clock, hanoi(2026, 12, 7, 10, 59)) == []
    assert fired_at(watcher, clock, hanoi(2026, 12, 7, 11)) == [("reminder_share", hanoi(2026, 12, 7, 11))]
    assert fired_at(watcher, clock, hanoi(2026, 12, 7, 11, 59)) == []
    assert fired_at(watcher, clock, hanoi(2026, 12, 7, 12)) == [("reminder_last_hour", hanoi(2026, 12, 7, 12))]
    assert fired_at(watcher, clock, hanoi(2026, 12, 7, 13, 59)) == []
    assert fired_at(watcher, clock, hanoi(2026, 12, 7, 14)) == [("missed", hanoi(2026, 12, 7, 14))]
    assert fired_at(watcher, clock, hanoi(2026, 12, 8, 13, 59)) == []
    assert fired_at(watcher, clock, hanoi(2026, 12, 8, 14)) == [("escalation", hanoi(2026, 12, 8, 14))]

    # Step: the city (UBND_TP) is now a co-owner with its own deadline of 5
    # working days (40 office hours) from Tuesday 12-08 14:00: Tuesday 3 h,
    # Wednesday to Friday 24 h, Monday 12-14 8 h (35 h), Tuesday 12-15 4 h +
    # 1 h → due Tuesday 12-15 14:00. 75 % = 30 h → Monday 12-14 11:00; last
    # hour = 39 h → the Tuesday 12:00 close. Its reminders and miss fire for
    # the city; it escalates no further (it is the city's People's Committee).
    assert fired_at(watcher, clock, hanoi(2026, 12, 14, 10, 59)) == []
    assert fired_at(watcher, clock, hanoi(2026, 12, 14, 11)) == [("reminder_share", hanoi(2026, 12, 14, 11))]
    assert fired_at(watcher, clock, hanoi(2026, 12, 15, 12)) == [("reminder_last_hour", hanoi(2026, 12, 15, 12))]
    assert fired_at(watcher, clock, hanoi(2026, 12, 15, 13, 59)) == []
    assert fired_at(watcher, clock, hanoi(2026, 12, 15, 14)) == [("missed", hanoi(2026, 12, 15, 14))]

    # Step: later rounds fire nothing more; the case recorded each fact once,
    # the miss with who held it, the escalation to the level above (UBND_TP).
    assert fired_at(watcher, clock, hanoi(2026, 12, 31, 9)) == []
    assert watch_events(app, case_id) == [
        ("DeadlineReminded", "reminder_share"),
        ("DeadlineReminded", "reminder_last_hour"),
        ("DeadlineMissed", "UBND_HOAN_KIEM"),
        ("EscalatedForOverdue", "UBND_TP"),
        ("DeadlineReminded", "reminder_share"),
        ("DeadlineReminded", "reminder_last_hour"),
        ("DeadlineMissed", "UBND_TP"),
    ]

    # Step: the city's staff now see the case (a co-owner); the case stays one case.
    city_leader = staff(Role.LEADER, "UBND_TP")
    assert app.get_case(city_leader, case_id)["agency"] == "UBND_HOAN_KIEM"
    with pytest.raises(CaseNotFoundError):
        app.get_case(staff(Role.LEADER, "UBND_BA_DINH"), case_id)


def test_across_tet_2027_nothing_fires_on_the_days_off(
    app: Ihanoi, clock: FakeClock, citizen: Principal, read_side: ReadSide, watcher: Watcher
) -> None:
    # Step: filed Wednesday 2027-02-03 15:00, the last working day before Tết
    # (Thursday 02-04 to Wednesday 02-10 are days off). Wednesday gives 2 h;
    # Thursday 02-11 4 h (8–12) then 2 h: due Thursday 02-11 15:00. 75 % = 6 h
    # ends at the 12:00 close of 02-11; last hour = 7 h → 02-11 14:00;
    # escalation: 02-11 15–17 2 h, Friday 02-12 4 h + 2 h → 02-12 15:00.
    clock.set(hanoi(2027, 2, 3, 15))
    case_id = file_report(app, citizen, read_side)

    assert fired_at(watcher, clock, hanoi(2027, 2, 11, 11, 59)) == []
    assert fired_at(watcher, clock, hanoi(2027, 2, 11, 12)) == [("reminder_share", hanoi(2027, 2, 11, 12))]
    assert fired_at(watcher, clock, hanoi(2027, 2, 11, 14)) == [("reminder_last_hour", hanoi(2027, 2, 11, 14))]
    assert fired_at(watcher, clock, hanoi(2027, 2, 11, 14, 59)) == []
    assert fired_at(watcher, clock, hanoi(2027, 2, 11, 15)) == [("missed", hanoi(2027, 2, 11, 15))]
    assert fired_at(watcher, clock, hanoi(2027, 2, 12, 14, 59)) == []
    assert fired_at(watcher, clock, hanoi(2027, 2, 12, 15)) == [("escalation", hanoi(2027, 2, 12, 15))]
    assert len(watch_events(app, case_id)) == 4


def test_the_make_up_saturday_of_10_january_2026_counts_as_a_working_day(
    app: Ihanoi, clock: FakeClock, citizen: Principal, read_side: ReadSide, watcher: Watcher
) -> None:
    # Step: filed Friday 2026-01-09 15:00; Saturday 01-10 is worked (made up
    # for Friday 01-02). Friday 2 h; Saturday 4 h + 2 h: due Saturday 15:00;
    # 75 % at Saturday 12:00, last hour Saturday 14:00; escalation: Saturday
    # 15–17 2 h, Sunday off, Monday 01-12 4 h + 2 h → Monday 15:00.
    clock.set(hanoi(2026, 1, 9, 15))
    file_report(app, citizen, read_side)

    assert fired_at(watcher, clock, hanoi(2026, 1, 10, 12)) == [("reminder_share", hanoi(2026, 1, 10, 12))]
    assert fired_at(watcher, clock, hanoi(2026, 1, 10, 14)) == [("reminder_last_hour", hanoi(2026, 1, 10, 14))]
    assert fired_at(watcher, clock, hanoi(2026, 1, 10, 15)) == [("missed", hanoi(2026, 1, 10, 15))]
    assert fired_at(watcher, clock, hanoi(2026, 1, 11, 23)) == []
    assert fired_at(watcher, clock, hanoi(2026, 1, 12, 14, 59)) == []
    assert fired_at(watcher, clock, hanoi(2026, 1, 12, 15)) == [("escalation", hanoi(2026, 1, 12, 15))]


def test_nothing_fires_for_a_paused_clock(
    app: Ihanoi, clock: FakeClock, citizen: Principal, read_side: ReadSide, watcher: Watcher
) -> None:
    # Step: a dossier received and in processing on Monday 2026-11-30 10:00,
    # then waiting for the applicant's supplement from 11:00: its clock is paused.
    procedure = "business_household_registration"
    officer = staff(Role.OFFICER, app.directory.procedure_agency(procedure, "HOAN_KIEM").code)
    clock.set(hanoi(2026, 11, 30, 9))
    filed = app.handle(
        citizen, SubmitDossier(procedure=procedure, ward="HOAN_KIEM", applicant=APPLICANT, documents=(FORM,))
    )
    clock.set(hanoi(2026, 11, 30, 10))
    app.handle(officer, ReceiveDossier(case=filed.case_id))
    app.handle(officer, StartDossierProcessing(case=filed.case_id))
    clock.set(hanoi(2026, 11, 30, 11))
    missing = (DocumentIn("Ảnh", "https://files.example/anh.jpg", "b" * 64).name,)
    app.handle(officer, RequestDossierSupplement(case=filed.case_id, missing=missing, note="Bổ sung"))
    read_side.catch_up()

    # Step: a month later nothing has fired and no clock is watched.
    assert fired_at(watcher, clock, hanoi(2026, 12, 30, 9)) == []
    assert watch_events(app, str(filed.case_id)) == []
    assert read_side.model(DeadlineClocksModel).all() == []


def test_a_watcher_down_for_two_days_fires_what_it_missed_once_and_in_order(
    app: Ihanoi, clock: FakeClock, citizen: Principal, read_side: ReadSide, watcher: Watcher
) -> None:
    # Step: two reports filed Monday 2026-11-30 at 09:00 and 10:00 (due Tuesday
    # 09:00 and 10:00); the watcher is down until Thursday 12-03 16:00.
    clock.set(hanoi(2026, 11, 30, 9))
    first = file_report(app, citizen, read_side)
    clock.set(hanoi(2026, 11, 30, 10))
    second = file_report(app, citizen, read_side)

    # Step: on restart it fires the eight thresholds once, in the order they
    # passed (ties: reminders before the miss). First (filed 09:00): 75 % = 6 h
    # → 09–12 3 h + 13–16 = Monday 16:00; last hour 7 h → the Monday 17:00
    # close; due Tuesday 09:00; escalation 8 h later, Wednesday 09:00. Second
    # (filed 10:00): 6 h → 10–12 2 h + 13–17 4 h = Monday 17:00; 7 h → Tuesday
    # 09:00; due Tuesday 10:00; escalation Wednesday 10:00.
    fired = fired_at(watcher, clock, hanoi(2026, 12, 3, 16))
    assert fired == [
        ("reminder_share", hanoi(2026, 11, 30, 16)),
        ("reminder_share", hanoi(2026, 11, 30, 17)),
        ("reminder_last_hour", hanoi(2026, 11, 30, 17)),
        ("reminder_last_hour", hanoi(2026, 12, 1, 9)),
        ("missed", hanoi(2026, 12, 1, 9)),
        ("missed", hanoi(2026, 12, 1, 10)),
        ("escalation", hanoi(2026, 12, 2, 9)),
        ("escalation", hanoi(2026, 12, 2, 10)),
    ]

    # Step: restarting again (a fresh watcher on the same store) fires nothing.
    again = Watcher(app, read_side.model(DeadlineClocksModel), lambda _p: read_side.catch_up(), clock=clock)
    assert again.run_once() == []
    assert len(watch_events(app, first)) == len(watch_events(app, second)) == 4


def test_simulate_shows_what_would_fire_without_firing_it(
    app: Ihanoi, clock: FakeClock, citizen: Principal, read_side: ReadSide, watcher: Watcher
) -> None:
    clock.set(hanoi(2026, 12, 4, 14))
    case_id = file_report(app, citizen, read_side)
    planned = watcher.simulate(hanoi(2026, 12, 9, 9))
    assert [(d.threshold, d.at) for d in planned] == [
        ("reminder_share", hanoi(2026, 12, 7, 11)),
        ("reminder_last_hour", hanoi(2026, 12, 7, 12)),
        ("missed", hanoi(2026, 12, 7, 14)),
        ("escalation", hanoi(2026, 12, 8, 14)),
    ]
    assert all(isinstance(d, Due) for d in planned)
    assert watch_events(app, case_id) == []


def test_resolving_a_late_report_needs_a_late_explanation_shown_to_the_citizen(
    app: Ihanoi, clock: FakeClock, citizen: Principal, read_side: ReadSide, watcher: Watcher
) -> None:
    # Step: acknowledged Monday 2026-11-30 09:00 as normal (5 working days: due Monday 12-07 09:00).
    clock.set(hanoi(2026, 11, 30, 9))
    case_id = file_report(app, citizen, read_side)
    officer = staff(Role.OFFICER, "UBND_HOAN_KIEM")
    app.handle(officer, AcknowledgeReport(case=case_id, priority=Priority.NORMAL))
    app.handle(officer, AssignReport(case=case_id, assignee="officer-tran-thi-b"))

    # Step: resolving on Tuesday 12-08 without an explanation is refused; nothing is stored.
    clock.set(hanoi(2026, 12, 8, 9))
    with pytest.raises(ValidationError) as refused:
        app.handle(officer, ResolveReport(case=case_id, answer="Đã vá"))
    assert list(refused.value.errors) == ["late_explanation"]

    # Step: with one it is resolved, and the citizen reads the explanation.
    app.handle(officer, ResolveReport(case=case_id, answer="Đã vá", late_explanation="Chờ nhựa đường"))
    assert app.get_case(citizen, case_id)["late_explanation"] == "Chờ nhựa đường"


@pytest.mark.parametrize("store", ["postgres"], indirect=True)
def test_two_watchers_racing_on_postgresql_record_each_threshold_once(
    app: Ihanoi, settings: Settings, clock: FakeClock, citizen: Principal, read_side: ReadSide
) -> None:
    # Step: twelve reports filed Monday 2026-11-30 from 08:00, ten minutes apart.
    cases = []
    for minute in range(0, 120, 10):
        clock.set(hanoi(2026, 11, 30, 8 + minute // 60, minute % 60))
        cases.append(file_report(app, citizen, read_side))

    # Step: two watchers of two processes' applications (own caches, same
    # store) wake together on Friday: every threshold of every clock has passed.
    clock.set(hanoi(2026, 12, 4, 16))
    other = Ihanoi(settings, clock=clock)
    try:
        model = read_side.model(DeadlineClocksModel)
        watchers = [Watcher(application, model, lambda _p: None, clock=clock) for application in (app, other)]
        start = threading.Barrier(2)
        fired: list[list[Due]] = [[], []]

        def run(index: int) -> None:
            start.wait()
            for _ in range(4):  # Rounds on stale rows: each finds the marks already recorded.
                fired[index] += watchers[index].run_once()

        threads = [threading.Thread(target=run, args=(index,)) for index in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        other.close()

    # Step: together they recorded each of the 48 thresholds exactly once, and
    # each case holds its four facts once, in order.
    recorded = [(d.case_id, d.threshold) for d in fired[0] + fired[1]]
    assert len(recorded) == len(set(recorded)) == 48
    for case_id in cases:
        assert [name for name, _ in watch_events(app, case_id)] == [
            "DeadlineReminded",
            "DeadlineReminded",
            "DeadlineMissed",
            "EscalatedForOverdue",
        ]
    read_side.catch_up()
    rows = read_side.model(DeadlineClocksModel).all()
    assert all(row["next_at"] is None for row in rows if row["track"] == "main")
    assert sorted(row["agency"] for row in rows if row["track"] == "escalated") == ["UBND_TP"] * 12


def test_accountability_figures_are_those_counted_by_hand_and_only_for_leaders_and_auditors(
    app: Ihanoi, settings: Settings, clock: FakeClock, citizen: Principal
) -> None:
    side = ReadSide(app, settings, names=[DeadlineClocksModel.name, AccountabilityModel.name], start=False)
    try:
        refresh = lambda _position: side.catch_up()  # noqa: E731
        watcher = Watcher(app, side.model(DeadlineClocksModel), refresh, clock=clock)
        officer = staff(Role.OFFICER, "UBND_HOAN_KIEM")

        # Step: Monday 2026-11-30 09:00, R1 and R2 acknowledged (5 working days:
        # due Monday 12-07 09:00) and assigned to An and Bình; 14:00, R3 filed
        # (acknowledgement due Tuesday 12-01 14:00) and left alone.
        clock.set(hanoi(2026, 11, 30, 9))
        r1, r2 = file_report(app, citizen, side), file_report(app, citizen, side)
        for case_id, official in ((r1, "officer-an"), (r2, "officer-binh")):
            app.handle(officer, AcknowledgeReport(case=case_id, priority=Priority.NORMAL))
            app.handle(officer, AssignReport(case=case_id, assignee=official))
        clock.set(hanoi(2026, 11, 30, 14))
        file_report(app, citizen, side)

        # Step: An resolves R1 on Tuesday 10:00, on time. A week later, Tuesday
        # 12-08 10:00, the watcher records R2's miss (Monday 09:00) and
        # escalation (8 working hours later, Tuesday 09:00), and R3's (Tuesday
        # 12-01 14:00 and Wednesday 14:00); then Bình resolves R2, late.
        clock.set(hanoi(2026, 12, 1, 10))
        app.handle(officer, ResolveReport(case=r1, answer="Đã vá"))
        clock.set(hanoi(2026, 12, 8, 10))
        watcher.run_once()
        app.handle(officer, ResolveReport(case=r2, answer="Đã vá", late_explanation="Chờ vật tư"))
        side.catch_up()

        # Step: the figures. Agency: 2 missed, 2 escalations caused, 1 on time
        # and 1 late (rate 0.5), 1 overdue now (R3). Per official: An 1 on time
        # (1.0); Bình 1 missed, 1 caused, 1 late (0.0); nobody held R3.
        queries = Queries(app, side)
        leader = staff(Role.LEADER, "UBND_HOAN_KIEM")
        figures = {f.official: f for f in queries.accountability(leader)}
        total = figures[""]
        assert (total.missed, total.escalations_caused, total.resolved_on_time, total.resolved_late) == (2, 2, 1, 1)
        assert (total.on_time_rate, total.overdue_now) == (0.5, 1)
        assert (figures["officer-an"].on_time_rate, figures["officer-an"].missed) == (1.0, 0)
        binh = figures["officer-binh"]
        assert (binh.missed, binh.escalations_caused, binh.resolved_late, binh.on_time_rate) == (1, 1, 1, 0.0)
        nobody = figures["(unassigned)"]
        assert (nobody.missed, nobody.escalations_caused, nobody.overdue_now, nobody.on_time_rate) == (1, 1, 1, None)
        auditor = Principal("auditor-1", Role.AUDITOR)
        assert queries.accountability(auditor, "UBND_TP")[0].escalations_received == 2

        # Step: R3 is overdue by 37 working hours (Tuesday 14–17 3 h, Wednesday
        # to Friday 24 h, Monday 8 h, Tuesday 8–10 2 h): long delayed beyond 2
        # working days, not beyond 5.
        assert len(queries.long_delayed(leader, working_days=2)) == 1
        assert queries.long_delayed(leader, working_days=5) == []

        # Step: citizens, officers and another agency's leader are refused.
        for refused in (citizen, officer):
            with pytest.raises(ForbiddenError):
                queries.accountability(refused)
        with pytest.raises(ForbiddenError):
            queries.accountability(staff(Role.LEADER, "UBND_BA_DINH"), "UBND_HOAN_KIEM")
    finally:
        side.close()
