"""Demo data for the deadline watcher (issue #16): one report left unanswered
for four days, so ``make serve`` shows a missed deadline and an escalation;
a complaint still being verified weeks past its deadline and a dossier whose
result is ready after the leader apologised for its delay, so a decision and
a result given late, with their explanations, can be tried
(docs/deadlines.md); and one round of the watcher over every running clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.grievances import (
    AcceptComplaint,
    AssignComplaint,
    ComplainantIn,
    FileComplaint,
    StartVerification,
)
from ihanoi_core.commands.reports import SubmitReport
from ihanoi_core.commands.service_requests import (
    ApologizeForDossierDelay,
    ApplicantIn,
    MarkDossierResultReady,
    ReceiveDossier,
    StartDossierProcessing,
    SubmitDossier,
)
from ihanoi_core.commands.values import DocumentIn, LocationIn
from ihanoi_core.domain.grievance_values import ComplaintKind
from ihanoi_core.domain.values import Clock, DeadlineRule, Principal, Role, TimeUnit
from ihanoi_core.settings import Settings
from ihanoi_core.simulation import SimulatedClock
from ihanoi_projections.deadlines.clocks import DeadlineClocksModel
from ihanoi_projections.deadlines.watcher import Watcher
from ihanoi_projections.read_side import ReadSide

LEFT_UNANSWERED = LocationIn(ward="HOAN_KIEM", latitude=21.0287, longitude=105.8524, address="Phố Hàng Khay")


# The complaint and the dossier late now: the ward committee's, for the demo's own citizen.
LATE_AGENCY = "UBND_HOAN_KIEM"
LATE_PROCEDURE = "marriage_registration"
FORM = DocumentIn(name="Tờ khai đăng ký kết hôn", url="https://files.example/to-khai.pdf", sha256="5" * 64)
APOLOGY = "Chờ xác minh tình trạng hôn nhân tại nơi cư trú trước"
# The demo's citizen, as the complaint and the dossier name her.
LATE_PERSON = {"name": "Trần Thị Bình", "national_id": "001099000001", "phone": "0912000001"}
NEW_APPOINTMENT = DeadlineRule(2, TimeUnit.WORKING_DAYS, "the demo's new appointment after its apology")


def seed_deadlines(settings: Settings, citizen: str, late_citizen: str) -> int:
    """File the unanswered report four days ago and bring ``late_citizen``'s
    complaint and dossier past their deadlines, then fire what has passed by
    now; the number of thresholds recorded."""
    now = datetime.now(UTC)
    filed_at = now - timedelta(days=4)
    past = Ihanoi(settings, clock=lambda: filed_at)
    try:
        past.handle(
            Principal(citizen, Role.CITIZEN),
            SubmitReport(category="pothole", description="Ổ gà lớn chưa ai xử lý", location=LEFT_UNANSWERED),
            idempotency_key="demo-deadlines-unanswered",
        )
    finally:
        past.close()
    late_cases(settings, Principal(late_citizen, Role.CITIZEN), now)
    app = Ihanoi(settings)
    read_side = ReadSide(app, settings, names=[DeadlineClocksModel.name], start=False)
    try:
        read_side.catch_up()
        watcher = Watcher(app, read_side.model(DeadlineClocksModel), lambda _position: read_side.catch_up())
        return len(watcher.run_once())
    finally:
        read_side.close()
        app.close()


def late_cases(settings: Settings, citizen: Principal, now: datetime) -> tuple[UUID, UUID]:
    """A complaint accepted 44 days ago (30 days to decide) and still being
    verified; a dossier received 10 days ago whose leader apologised for the
    delay yesterday, with its result ready now. Their ids."""
    clock = SimulatedClock(now - timedelta(days=45))
    app = Ihanoi(settings, clock=clock)
    try:
        leader = Principal(f"leader-{LATE_AGENCY.lower()}", Role.LEADER, LATE_AGENCY)
        handler = Principal(f"officer-1-{LATE_AGENCY.lower()}", Role.OFFICER, LATE_AGENCY)
        filed = app.handle(
            citizen,
            FileComplaint(
                kind=ComplaintKind.COMPLAINT,
                subject="Quyết định xử phạt vi phạm hành chính số 27/QĐ-XPHC",
                content="Mức phạt cao hơn khung quy định cho lỗi lấn chiếm vỉa hè.",
                respondent_agency=LATE_AGENCY,
                ward="HOAN_KIEM",
                complainant=ComplainantIn(**LATE_PERSON),
            ),
            idempotency_key="demo-deadlines-late-complaint",
        )
        complaint = filed.case_id
        clock.advance_to(now - timedelta(days=44))
        # A demo run again on its store finds the case (its key): the story was told.
        if filed.created:
            app.handle(leader, AcceptComplaint(case=complaint))
            app.handle(leader, AssignComplaint(case=complaint, assignee=handler.subject))
            app.handle(handler, StartVerification(case=complaint))

        clock.advance_to(now - timedelta(days=10))
        agency = app.directory.procedure_agency(LATE_PROCEDURE, "HOAN_KIEM").code
        officer = Principal(f"officer-1-{agency.lower()}", Role.OFFICER, agency)
        submitted = app.handle(
            citizen,
            SubmitDossier(
                procedure=LATE_PROCEDURE, ward="HOAN_KIEM", applicant=ApplicantIn(**LATE_PERSON), documents=(FORM,)
            ),
            idempotency_key="demo-deadlines-late-dossier",
        )
        dossier = submitted.case_id
        if submitted.created:
            app.handle(officer, ReceiveDossier(case=dossier))
            app.handle(officer, StartDossierProcessing(case=dossier))
            clock.advance_to(now - timedelta(days=1))
            # Two working days on, from now or from the appointment it replaces if a
            # long holiday pushed that past now: a closing time on a working day.
            appointment: datetime = app.get_case(officer, dossier)["due_at"]
            new_due = app.calendar.due(Clock(started_at=max(now, appointment), rule=NEW_APPOINTMENT))
            app.handle(
                Principal(f"leader-{agency.lower()}", Role.LEADER, agency),
                ApologizeForDossierDelay(case=dossier, reason=APOLOGY, new_due=new_due),
            )
            clock.advance_to(now)
            app.handle(officer, MarkDossierResultReady(case=dossier, note="Giấy chứng nhận kết hôn đã ký"))
    finally:
        app.close()
    return complaint, dossier
