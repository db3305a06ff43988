"""Every running clock is watched (issue #16): the own deadline of an agency a
case was escalated to, which escalates once more to the city's People's
Committee and no further; a dossier's inter-agency sub-deadline; the stage
clocks of complaints and denunciations.

Minutes are counted by hand on the office hours 08:00–12:00 and 13:00–17:00
(Asia/Ho_Chi_Minh) with the directory's watch rules: a reminder after 75 % of
the clock's office time, another one working hour before due, the miss at the
due time, the escalation 8 working hours after it; an escalated co-owner's own
deadline is 5 working days (40 office hours) from the escalation.
"""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.grievances import AcceptComplaint, FileComplaint
from ihanoi_core.commands.service_requests import (
    ApologizeForDossierDelay,
    ForwardDossier,
    ReceiveDossier,
    RequestDossierSupplement,
    ReturnDossier,
    StartDossierProcessing,
    SubmitDossier,
)
from ihanoi_core.domain.grievance_values import ComplaintKind
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import CaseNotFoundError
from ihanoi_core.settings import Settings
from ihanoi_projections.deadlines.clocks import DeadlineClocksModel
from ihanoi_projections.deadlines.watcher import Watcher
from ihanoi_projections.read_side import ReadSide
from tests.conftest import FakeClock, staff
from tests.dossiers import APPLICANT, FORM
from tests.integration.test_complaint_lifecycle import COMPLAINANT
from tests.integration.test_deadline_watcher import hanoi, watch_events


@pytest.fixture
def side(app: Ihanoi, settings: Settings) -> Iterator[ReadSide]:
    read_side = ReadSide(app, settings, names=[DeadlineClocksModel.name], start=False)
    yield read_side
    read_side.close()


@pytest.fixture
def watching(app: Ihanoi, side: ReadSide, clock: FakeClock) -> Watcher:
    side.catch_up()
    return Watcher(app, side.model(DeadlineClocksModel), lambda _position: side.catch_up(), clock=clock)


def fired_by(watcher: Watcher, clock: FakeClock, moment: object) -> list[tuple[str, str, object]]:
    """(threshold, agency, at) of what a round at ``moment`` recorded."""
    clock.set(moment)  # type: ignore[arg-type]
    return [(due.threshold, due.agency, due.at) for due in watcher.run_once()]


def tracks(read_side: ReadSide, case_id: str) -> list[tuple[str, str]]:
    read_side.catch_up()
    rows = read_side.model(DeadlineClocksModel).rows()
    return sorted((row["track"], row["agency"]) for row in rows if row["case_id"] == case_id)


def test_the_escalated_co_owners_own_deadline_escalates_once_more_to_the_city_across_tet_2027(
    app: Ihanoi, clock: FakeClock, citizen: Principal, side: ReadSide, watching: Watcher
) -> None:
    # Step: a residence dossier for the Hoàn Kiếm ward police, filed Wednesday
    # 2027-02-03 09:00, the last working day before Tết (02-04 to 02-10 off),
    # and never reviewed. Review clock 8 h: Wednesday 9–12 3 h + 13–17 4 h,
    # Thursday 02-11 8–9 → due Thursday 02-11 09:00; 75 % = 6 h → Wednesday
    # 16:00; last hour = 7 h → the Wednesday 17:00 close; escalation to the City
    # Police (the ward police's parent) 8 h after due: Thursday 3 h + 4 h,
    # Friday 02-12 8–9 → Friday 02-12 09:00.
    clock.set(hanoi(2027, 2, 3, 9))
    filed = app.handle(
        citizen,
        SubmitDossier(procedure="residence_registration", ward="HOAN_KIEM", applicant=APPLICANT, documents=(FORM,)),
    )
    case_id = str(filed.case_id)
    assert app.get_case(citizen, case_id)["agency"] == "CA_HOAN_KIEM"
    side.catch_up()
    assert fired_by(watching, clock, hanoi(2027, 2, 3, 16)) == [
        ("reminder_share", "CA_HOAN_KIEM", hanoi(2027, 2, 3, 16))
    ]
    assert fired_by(watching, clock, hanoi(2027, 2, 10, 23)) == [
        ("reminder_last_hour", "CA_HOAN_KIEM", hanoi(2027, 2, 3, 17))
    ]
    assert fired_by(watching, clock, hanoi(2027, 2, 11, 9)) == [("missed", "CA_HOAN_KIEM", hanoi(2027, 2, 11, 9))]
    assert fired_by(watching, clock, hanoi(2027, 2, 12, 8, 59)) == []
    assert fired_by(watching, clock, hanoi(2027, 2, 12, 9)) == [("escalation", "CA_HOAN_KIEM", hanoi(2027, 2, 12, 9))]
    assert tracks(side, case_id) == [("escalated", "CATP"), ("main", "CA_HOAN_KIEM")]

    # Step: the City Police's own deadline, 40 h from Friday 02-12 09:00:
    # Friday 7 h, Monday 02-15 to Thursday 02-18 32 h (39 h), Friday 02-19 8–9
    # → due Friday 02-19 09:00. 75 % = 30 h → Wednesday 02-17 16:00 (Tuesday's
    # close is 23 h, Wednesday 4 h + 3 h); last hour = 39 h → Thursday 02-18
    # 17:00; escalation 8 h after due → Monday 02-22 09:00, to the city's
    # People's Committee (the top of the chain, not the police's parent).
    assert fired_by(watching, clock, hanoi(2027, 2, 17, 15, 59)) == []
    assert fired_by(watching, clock, hanoi(2027, 2, 17, 16)) == [("reminder_share", "CATP", hanoi(2027, 2, 17, 16))]
    assert fired_by(watching, clock, hanoi(2027, 2, 18, 17)) == [("reminder_last_hour", "CATP", hanoi(2027, 2, 18, 17))]
    assert fired_by(watching, clock, hanoi(2027, 2, 19, 9)) == [("missed", "CATP", hanoi(2027, 2, 19, 9))]
    assert fired_by(watching, clock, hanoi(2027, 2, 21, 23)) == []
    assert fired_by(watching, clock, hanoi(2027, 2, 22, 9)) == [("escalation", "CATP", hanoi(2027, 2, 22, 9))]

    # Step: the city's own deadline, 40 h from Monday 02-22 09:00: Monday 7 h,
    # Tuesday to Friday 32 h (39 h), Monday 03-01 8–9 → due 03-01 09:00; 75 %
    # = 30 h → Thursday 02-25 16:00; last hour → Friday 02-26 17:00. It
    # escalates nowhere: the chain stops at the city.
    assert fired_by(watching, clock, hanoi(2027, 2, 25, 16)) == [("reminder_share", "UBND_TP", hanoi(2027, 2, 25, 16))]
    assert fired_by(watching, clock, hanoi(2027, 2, 26, 17)) == [
        ("reminder_last_hour", "UBND_TP", hanoi(2027, 2, 26, 17))
    ]
    assert fired_by(watching, clock, hanoi(2027, 3, 1, 9)) == [("missed", "UBND_TP", hanoi(2027, 3, 1, 9))]
    assert fired_by(watching, clock, hanoi(2027, 4, 30, 9)) == []
    assert watch_events(app, case_id) == [
        ("DeadlineReminded", "reminder_share"),
        ("DeadlineReminded", "reminder_last_hour"),
        ("DeadlineMissed", "CA_HOAN_KIEM"),
        ("EscalatedForOverdue", "CATP"),
        ("DeadlineReminded", "reminder_share"),
        ("DeadlineReminded", "reminder_last_hour"),
        ("DeadlineMissed", "CATP"),
        ("EscalatedForOverdue", "UBND_TP"),
        ("DeadlineReminded", "reminder_share"),
        ("DeadlineReminded", "reminder_last_hour"),
        ("DeadlineMissed", "UBND_TP"),
    ]
    for agency in ("CATP", "UBND_TP"):
        assert app.get_case(staff(Role.LEADER, agency), case_id)["agency"] == "CA_HOAN_KIEM"

    # Step: once the ward police receive the dossier, its review clock is over:
    # the co-owners' clocks that belonged to it stop with it.
    clock.set(hanoi(2027, 3, 1, 10))
    app.handle(staff(Role.OFFICER, "CA_HOAN_KIEM"), ReceiveDossier(case=filed.case_id))
    assert tracks(side, case_id) == [("main", "CA_HOAN_KIEM")]


def test_a_dossier_partners_sub_deadline_fires_for_the_partner_across_a_weekend(
    app: Ihanoi, clock: FakeClock, citizen: Principal, side: ReadSide, watching: Watcher
) -> None:
    # Step: a land-use dossier (20 working days, with the ward) received and in
    # processing Friday 2026-12-04 10:00, forwarded at 14:00 to the Department
    # of Agriculture and Environment for 1 working day: Friday 14–17 3 h,
    # Monday 12-07 8–12 4 h + 1 h → due Monday 14:00; 75 % = 6 h → Monday
    # 11:00; last hour = 7 h → the Monday 12:00 close. The partner is reminded
    # and its miss recorded against it; a sub-deadline escalates nowhere (the
    # dossier's own deadline escalates the ward).
    procedure = "land_use_certificate_first"
    officer = staff(Role.OFFICER, app.directory.procedure_agency(procedure, "HOAN_KIEM").code)
    clock.set(hanoi(2026, 12, 4, 9))
    filed = app.handle(
        citizen, SubmitDossier(procedure=procedure, ward="HOAN_KIEM", applicant=APPLICANT, documents=(FORM,))
    )
    clock.set(hanoi(2026, 12, 4, 10))
    app.handle(officer, ReceiveDossier(case=filed.case_id))
    app.handle(officer, StartDossierProcessing(case=filed.case_id))
    clock.set(hanoi(2026, 12, 4, 14))
    app.handle(officer, ForwardDossier(case=filed.case_id, to_agency="SNNMT", working_days=1, note="Đo đạc"))
    case_id = str(filed.case_id)
    assert tracks(side, case_id) == [("forwarded", "SNNMT"), ("main", officer.agency)]

    assert fired_by(watching, clock, hanoi(2026, 12, 6, 23)) == []
    assert fired_by(watching, clock, hanoi(2026, 12, 7, 11)) == [("reminder_share", "SNNMT", hanoi(2026, 12, 7, 11))]
    assert fired_by(watching, clock, hanoi(2026, 12, 7, 12)) == [
        ("reminder_last_hour", "SNNMT", hanoi(2026, 12, 7, 12))
    ]
    assert fired_by(watching, clock, hanoi(2026, 12, 7, 13, 59)) == []
    assert fired_by(watching, clock, hanoi(2026, 12, 7, 14)) == [("missed", "SNNMT", hanoi(2026, 12, 7, 14))]
    assert fired_by(watching, clock, hanoi(2026, 12, 9, 9)) == []
    missed = [e for e in app.events.get(UUID(case_id)) if type(e).__name__ == "DeadlineMissed"]
    assert [(e.agency, e.assignee) for e in missed] == [("SNNMT", None)]  # type: ignore[attr-defined]

    # Step: handed back, the sub-deadline stops; the dossier's own runs on.
    clock.set(hanoi(2026, 12, 9, 10))
    app.handle(staff(Role.OFFICER, "SNNMT"), ReturnDossier(case=filed.case_id, note="Đã đo đạc"))
    assert tracks(side, case_id) == [("main", officer.agency)]


def test_a_denunciations_preliminary_check_is_watched_across_the_make_up_saturday(
    app: Ihanoi, clock: FakeClock, citizen: Principal, side: ReadSide, watching: Watcher
) -> None:
    # Step: a denunciation filed Monday 2026-01-05 09:00 with the Hoàn Kiếm ward;
    # preliminary check 7 working days = 56 h, Saturday 01-10 worked (made up
    # for Friday 01-02): Monday 7 h, Tuesday to Friday 32 h (39 h), Saturday
    # 8 h (47 h), Monday 01-12 8 h (55 h), Tuesday 01-13 8–9 → due Tuesday
    # 09:00. 75 % = 42 h → Saturday 01-10 11:00; last hour = 55 h → Monday
    # 01-12 17:00; escalation to the city 8 h after due → Wednesday 01-14 09:00.
    clock.set(hanoi(2026, 1, 5, 9))
    filed = app.handle(
        citizen,
        FileComplaint(
            kind=ComplaintKind.DENUNCIATION,
            subject="Cán bộ địa chính nhận tiền",
            content="Ông X nhận 20 triệu đồng để xác nhận hồ sơ.",
            respondent_agency="UBND_HOAN_KIEM",
            ward="HOAN_KIEM",
            complainant=COMPLAINANT,
        ),
    )
    case_id = str(filed.case_id)
    side.catch_up()
    assert fired_by(watching, clock, hanoi(2026, 1, 10, 10, 59)) == []
    assert fired_by(watching, clock, hanoi(2026, 1, 10, 11)) == [
        ("reminder_share", "UBND_HOAN_KIEM", hanoi(2026, 1, 10, 11))
    ]
    assert fired_by(watching, clock, hanoi(2026, 1, 11, 23)) == []
    assert fired_by(watching, clock, hanoi(2026, 1, 12, 17)) == [
        ("reminder_last_hour", "UBND_HOAN_KIEM", hanoi(2026, 1, 12, 17))
    ]
    assert fired_by(watching, clock, hanoi(2026, 1, 13, 9)) == [("missed", "UBND_HOAN_KIEM", hanoi(2026, 1, 13, 9))]
    assert fired_by(watching, clock, hanoi(2026, 1, 14, 9)) == [("escalation", "UBND_HOAN_KIEM", hanoi(2026, 1, 14, 9))]
    assert tracks(side, case_id) == [("escalated", "UBND_TP"), ("main", "UBND_HOAN_KIEM")]

    # Step: accepted (thụ lý) at 10:00, the resolve clock starts: a new main
    # clock, and the co-owner's clock of the preliminary check stops.
    clock.set(hanoi(2026, 1, 14, 10))
    app.handle(staff(Role.LEADER, "UBND_HOAN_KIEM"), AcceptComplaint(case=filed.case_id))
    assert tracks(side, case_id) == [("main", "UBND_HOAN_KIEM")]
    row = side.model(DeadlineClocksModel).rows()[0]
    assert (row["next_threshold"], row["missed"]) == ("reminder_share", 0)
    assert fired_by(watching, clock, hanoi(2026, 1, 21, 17)) == []


def test_a_complaints_acceptance_clock_in_calendar_days_is_watched_across_a_weekend(
    app: Ihanoi, clock: FakeClock, citizen: Principal, side: ReadSide, watching: Watcher
) -> None:
    # Step: a complaint filed Friday 2026-12-04 10:00; acceptance within 10
    # calendar days (the day of filing not counted): due at the 17:00 close of
    # Monday 12-14. Office time: Friday 6 h, the next week 40 h, Monday 8 h =
    # 54 h. 75 % = 40.5 h → Friday 12-11 10:30 (Friday 6 h + Monday to
    # Thursday 32 h = 38 h, then 2.5 h); last hour = 53 h → Monday 12-14 16:00;
    # escalation 8 h after due → the Tuesday 12-15 17:00 close.
    clock.set(hanoi(2026, 12, 4, 10))
    filed = app.handle(
        citizen,
        FileComplaint(
            kind=ComplaintKind.COMPLAINT,
            subject="Quyết định thu hồi đất số 12/QĐ-UBND",
            content="Mức bồi thường thấp hơn giá thị trường.",
            respondent_agency="UBND_HOAN_KIEM",
            ward="HOAN_KIEM",
            complainant=COMPLAINANT,
        ),
    )
    side.catch_up()
    agency = "UBND_HOAN_KIEM"
    assert fired_by(watching, clock, hanoi(2026, 12, 11, 10, 29)) == []
    assert fired_by(watching, clock, hanoi(2026, 12, 11, 10, 30)) == [
        ("reminder_share", agency, hanoi(2026, 12, 11, 10, 30))
    ]
    assert fired_by(watching, clock, hanoi(2026, 12, 13, 12)) == []
    assert fired_by(watching, clock, hanoi(2026, 12, 14, 16)) == [
        ("reminder_last_hour", agency, hanoi(2026, 12, 14, 16))
    ]
    assert fired_by(watching, clock, hanoi(2026, 12, 14, 17)) == [("missed", agency, hanoi(2026, 12, 14, 17))]
    assert fired_by(watching, clock, hanoi(2026, 12, 15, 16, 59)) == []
    assert fired_by(watching, clock, hanoi(2026, 12, 15, 17)) == [("escalation", agency, hanoi(2026, 12, 15, 17))]
    assert [name for name, _ in watch_events(app, str(filed.case_id))] == [
        "DeadlineReminded",
        "DeadlineReminded",
        "DeadlineMissed",
        "EscalatedForOverdue",
    ]
    # The city co-owns it now; another ward does not see it.
    with pytest.raises(CaseNotFoundError):
        app.get_case(staff(Role.LEADER, "UBND_BA_DINH"), str(filed.case_id))


def test_a_co_owners_clock_stops_with_the_one_it_belongs_to_and_a_paused_dossier_fires_nothing(
    app: Ihanoi, clock: FakeClock, citizen: Principal, side: ReadSide, watching: Watcher
) -> None:
    # Step: a business registration (3 working days = 24 h) received and in
    # processing Monday 2026-11-30 10:00: due Thursday 12-03 10:00 (Monday 6 h,
    # Tuesday 8 h, Wednesday 8 h, Thursday 2 h); escalated to the city 8 h
    # later, Friday 12-04 10:00.
    procedure = "business_household_registration"
    agency = app.directory.procedure_agency(procedure, "HOAN_KIEM").code
    officer, leader = staff(Role.OFFICER, agency), staff(Role.LEADER, agency)
    clock.set(hanoi(2026, 11, 30, 9))
    filed = app.handle(
        citizen, SubmitDossier(procedure=procedure, ward="HOAN_KIEM", applicant=APPLICANT, documents=(FORM,))
    )
    clock.set(hanoi(2026, 11, 30, 10))
    app.handle(officer, ReceiveDossier(case=filed.case_id))
    app.handle(officer, StartDossierProcessing(case=filed.case_id))
    side.catch_up()
    assert fired_by(watching, clock, hanoi(2026, 12, 4, 10))[-2:] == [
        ("missed", agency, hanoi(2026, 12, 3, 10)),
        ("escalation", agency, hanoi(2026, 12, 4, 10)),
    ]
    case_id = str(filed.case_id)
    assert tracks(side, case_id) == [("escalated", "UBND_TP"), ("main", agency)]

    # Step: the leader apologises with a new appointment: a new clock, and the
    # city's clock, which belonged to the missed one, stops.
    clock.set(hanoi(2026, 12, 4, 11))
    app.handle(
        leader, ApologizeForDossierDelay(case=filed.case_id, reason="Chờ xác minh", new_due=hanoi(2026, 12, 9, 17))
    )
    assert tracks(side, case_id) == [("main", agency)]

    # Step: waiting for the applicant's supplement, the clock is paused: no
    # clock is watched and nothing fires, a month on.
    app.handle(officer, RequestDossierSupplement(case=filed.case_id, missing=("Ảnh",), note="Bổ sung ảnh"))
    assert tracks(side, case_id) == []
    assert fired_by(watching, clock, hanoi(2027, 1, 4, 9)) == []
