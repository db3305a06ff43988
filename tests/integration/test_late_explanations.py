"""Late explanations (giải trình, issue #16) for complaints, denunciations and
dossiers: deciding a complaint or concluding a denunciation past its resolve
deadline, or returning the result of a dossier that passed an appointment date,
needs one; it is stored in the event and the citizen reads it. Events stored
before they carried one load with none."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.grievances import (
    AcceptComplaint,
    AssignComplaint,
    ConcludeDenunciation,
    DecideComplaint,
    StartVerification,
)
from ihanoi_core.commands.service_requests import (
    ApologizeForDossierDelay,
    MarkDossierResultReady,
    ReceiveDossier,
    ReturnDossierResult,
    StartDossierProcessing,
)
from ihanoi_core.domain.case_code import code_id
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import ValidationError
from ihanoi_core.settings import Settings
from ihanoi_projections.deadlines.accountability import AccountabilityModel
from ihanoi_projections.deadlines.clocks import DeadlineClocksModel
from ihanoi_projections.deadlines.ranking import AgencyRankingModel
from ihanoi_projections.read_side import ReadSide
from tests.conftest import FakeClock
from tests.dossiers import at, procedure_staff, submit
from tests.integration.conftest import event_names
from tests.integration.test_complaint_lifecycle import HANDLER, LEADER, file_complaint, file_denunciation

HANOI_LATE = "Phải xác minh thêm tại ba đơn vị liên quan"


def accepted_and_verifying(app: Ihanoi, clock: FakeClock, case_id: UUID) -> None:
    """Accepted Tuesday 2026-12-01 10:00 (30 calendar days: due Thursday 12-31
    17:00), assigned, verifying."""
    clock.advance(days=1, hours=1)
    app.handle(LEADER, AcceptComplaint(case=case_id))
    app.handle(LEADER, AssignComplaint(case=case_id, assignee=HANDLER.subject))
    app.handle(HANDLER, StartVerification(case=case_id))


@pytest.mark.parametrize("kind", ["complaint", "denunciation"])
def test_a_late_complaint_decision_or_denunciation_conclusion_needs_a_late_explanation(
    app: Ihanoi, clock: FakeClock, citizen: Principal, kind: str
) -> None:
    filed = (file_complaint if kind == "complaint" else file_denunciation)(app, citizen)
    accepted_and_verifying(app, clock, filed.case_id)

    def finish(explanation: str | None) -> object:
        if kind == "complaint":
            command: object = DecideComplaint(case=filed.case_id, decision="Giữ nguyên", late_explanation=explanation)
        else:
            command = ConcludeDenunciation(case=filed.case_id, conclusion="Đúng một phần", late_explanation=explanation)
        return app.handle(LEADER, command)  # type: ignore[arg-type]

    # Step: on Monday 2027-01-04 the deadline (Thursday 12-31 17:00) has passed:
    # without an explanation (or a blank one) it is refused, nothing stored.
    clock.set(datetime.fromisoformat("2027-01-04T09:00:00+07:00"))
    before = event_names(app, filed.case_id)
    for missing in (None, "   "):
        with pytest.raises(ValidationError) as refused:
            finish(missing)
        assert list(refused.value.errors) == ["late_explanation"]
    assert event_names(app, filed.case_id) == before

    # Step: with one it is stored in the event and the citizen reads it.
    finish(HANOI_LATE)
    last = list(app.events.get(filed.case_id))[-1]
    assert (type(last).__name__, last.late_explanation) == (  # type: ignore[attr-defined]
        "Decided" if kind == "complaint" else "Concluded",
        HANOI_LATE,
    )
    assert app.get_case(citizen, filed.case_id)["late_explanation"] == HANOI_LATE


def test_an_explanation_given_on_time_is_not_recorded(app: Ihanoi, clock: FakeClock, citizen: Principal) -> None:
    filed = file_complaint(app, citizen)
    accepted_and_verifying(app, clock, filed.case_id)
    app.handle(LEADER, DecideComplaint(case=filed.case_id, decision="Giữ nguyên", late_explanation="Không chậm"))
    assert app.get_case(citizen, filed.case_id)["late_explanation"] is None


def test_the_result_of_a_dossier_that_passed_its_appointment_is_returned_with_a_late_explanation(
    app: Ihanoi, clock: FakeClock, citizen: Principal
) -> None:
    # Step: received Monday 2026-11-30 10:00 (appointment Monday 12-07 10:00);
    # on 12-07 11:00 the leader apologises with a new appointment, the result is ready.
    officer, leader = procedure_staff(app, Role.OFFICER), procedure_staff(app, Role.LEADER)
    filed = submit(app, citizen)
    clock.set(at(11, 30, 10))
    app.handle(officer, ReceiveDossier(case=filed.case_id))
    app.handle(officer, StartDossierProcessing(case=filed.case_id))
    clock.set(at(12, 7, 11))
    app.handle(leader, ApologizeForDossierDelay(case=filed.case_id, reason="Chậm", new_due=at(12, 9, 17)))
    app.handle(officer, MarkDossierResultReady(case=filed.case_id, note="Đã ký"))

    # Step: returning the result needs the explanation, and the refusal says why
    # (the apology, not a due time: the new appointment is still ahead); then the applicant reads it.
    with pytest.raises(ValidationError) as refused:
        app.handle(officer, ReturnDossierResult(case=filed.case_id))
    assert refused.value.errors == {
        "late_explanation": "required: this dossier is late: its appointment was moved with an apology;"
        " explain the delay (giải trình)"
    }
    app.handle(officer, ReturnDossierResult(case=filed.case_id, late_explanation="Chờ xác minh nơi cư trú"))
    case = app.get_case(citizen, filed.case_id)
    assert (case["status"], case["late_explanation"]) == ("result_returned", "Chờ xác minh nơi cư trú")


def test_a_dossier_returned_on_time_needs_no_explanation(app: Ihanoi, clock: FakeClock, citizen: Principal) -> None:
    officer = procedure_staff(app, Role.OFFICER)
    filed = submit(app, citizen)
    clock.set(at(11, 30, 10))
    for command in (ReceiveDossier, StartDossierProcessing):
        app.handle(officer, command(case=filed.case_id))
    app.handle(officer, MarkDossierResultReady(case=filed.case_id, note="Đã ký"))
    app.handle(officer, ReturnDossierResult(case=filed.case_id))
    assert app.get_case(citizen, filed.case_id)["late_explanation"] is None


def copy_as_version_1(app: Ihanoi, scratch: Ihanoi, case_id: UUID, code: str, event_name: str) -> None:
    """Copy a case's events from ``scratch`` into ``app``, ``event_name`` in its
    version 1 shape: no ``late_explanation``, no class_version."""
    stored = []
    for event in [*scratch.events.get(case_id), *scratch.events.get(code_id(code))]:
        record = app.mapper.to_stored_event(event)
        if type(event).__name__ == event_name:
            state = app.mapper.transcoder.decode(record.state)
            assert state.pop("class_version") == 2
            del state["late_explanation"]
            record = StoredEvent(record.originator_id, record.originator_version, record.topic,
                                 app.mapper.transcoder.encode(state))  # fmt: skip
        stored.append(record)
    app.recorder.insert_events(stored)


@pytest.mark.parametrize("event_name", ["Decided", "Concluded", "ResultReturned"])
def test_events_stored_before_late_explanations_load_with_none(
    app: Ihanoi, clock: FakeClock, citizen: Principal, event_name: str
) -> None:
    # Step: a case decided, concluded or returned is written in a scratch store
    # and copied into the store under test with that event in its version 1 shape.
    scratch = Ihanoi(Settings(database_url="memory://"), clock=clock)
    try:
        steps: dict[str, Callable[[], tuple[UUID, str, str]]] = {}

        def grievance(kind: str) -> tuple[UUID, str, str]:
            filed = (file_complaint if kind == "Decided" else file_denunciation)(scratch, citizen)
            accepted_and_verifying(scratch, clock, filed.case_id)
            if kind == "Decided":
                scratch.handle(LEADER, DecideComplaint(case=filed.case_id, decision="Giữ nguyên"))
                return filed.case_id, filed.code, "decided"
            scratch.handle(LEADER, ConcludeDenunciation(case=filed.case_id, conclusion="Đúng một phần"))
            return filed.case_id, filed.code, "concluded"

        def dossier() -> tuple[UUID, str, str]:
            officer = procedure_staff(scratch, Role.OFFICER)
            filed = submit(scratch, citizen)
            for command in (ReceiveDossier, StartDossierProcessing):
                scratch.handle(officer, command(case=filed.case_id))
            scratch.handle(officer, MarkDossierResultReady(case=filed.case_id, note="Đã ký"))
            scratch.handle(officer, ReturnDossierResult(case=filed.case_id))
            return filed.case_id, filed.code, "result_returned"

        steps = {"Decided": lambda: grievance("Decided"), "Concluded": lambda: grievance("Concluded")}
        steps["ResultReturned"] = dossier
        case_id, code, status = steps[event_name]()
        copy_as_version_1(app, scratch, case_id, code, event_name)
    finally:
        scratch.close()
    # Step: it loads in its status, with no late explanation.
    case = app.get_case(citizen, case_id)
    assert (case["status"], case["late_explanation"]) == (status, None)


def test_late_and_on_time_decisions_and_results_count_in_the_figures_and_the_ranking(
    app: Ihanoi, settings: Settings, clock: FakeClock, citizen: Principal
) -> None:
    # Step: a complaint decided late (Monday 2027-01-04, due 2026-12-31) by the
    # handler it was assigned to, and a dossier whose result is ready on time
    # (Monday 2026-11-30 10:00, due Monday 12-07 10:00) for its officer.
    names = [AccountabilityModel.name, AgencyRankingModel.name, DeadlineClocksModel.name]
    side = ReadSide(app, settings, names=names, start=False)
    try:
        filed = file_complaint(app, citizen)
        accepted_and_verifying(app, clock, filed.case_id)
        officer = procedure_staff(app, Role.OFFICER)
        dossier = submit(app, citizen)
        clock.set(at(11, 30, 10))
        for command in (ReceiveDossier, StartDossierProcessing):
            app.handle(officer, command(case=dossier.case_id))
        app.handle(officer, MarkDossierResultReady(case=dossier.case_id, note="Đã ký"))
        clock.set(datetime.fromisoformat("2027-01-04T09:00:00+07:00"))
        app.handle(LEADER, DecideComplaint(case=filed.case_id, decision="Giữ nguyên", late_explanation=HANOI_LATE))
        side.catch_up()

        # Step: the handler has one late, the dossier's officer one on time; the months say the same.
        figures = {
            (f.agency, f.official): (f.resolved_on_time, f.resolved_late)
            for agency in {LEADER.agency, officer.agency}
            for f in side.model(AccountabilityModel).figures(agency or "", clock())
        }
        assert figures[(LEADER.agency or "", HANDLER.subject)] == (0, 1)
        assert figures[(officer.agency or "", officer.subject)] == (1, 0)
        ranking = side.model(AgencyRankingModel)
        (january,) = ranking.ranking("2027-01", 1, app.directory).agencies
        assert (january.agency, january.finished_late, january.on_time_rate) == (LEADER.agency, 1, 0.0)
        november = {a.agency: a.finished_on_time for a in ranking.ranking("2026-11", 1, app.directory).agencies}
        assert november == {officer.agency: 1}
    finally:
        side.close()
