"""Scenario tests: a one-stop-shop dossier through every path of DESIGN §3.3,
on POPO, a real SQLite file and the real PostgreSQL server.

The clock starts on Monday 2026-11-30 09:00 in Hanoi; the two weeks after it
hold no public holiday, and offices open 08:00-12:00 and 13:00-17:00. Every
expected date was worked out by hand.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.service_requests import (
    ApologizeForDossierDelay,
    AssignDossier,
    CommentDossier,
    ConfirmDossierPayment,
    ForwardDossier,
    MarkDossierResultReady,
    RateDossier,
    ReceiveDossier,
    RejectDossier,
    RequestDossierPayment,
    RequestDossierSupplement,
    ResumeDossier,
    ReturnDossier,
    ReturnDossierResult,
    StartDossierProcessing,
    SubmitDossier,
    SupplementDossier,
    SuspendDossier,
    WithdrawDossier,
)
from ihanoi_core.commands.values import DocumentIn
from ihanoi_core.domain.values import Channel, Principal, Role
from ihanoi_core.errors import (
    CaseNotFoundError,
    ForbiddenError,
    InvalidTransitionError,
    RuleViolationError,
    ValidationError,
    VersionMismatchError,
)
from tests.conftest import FakeClock
from tests.dossiers import APPLICANT, FORM, at, procedure_staff, submit
from tests.integration.conftest import event_names

PHOTO = DocumentIn("Ảnh chân dung", "https://files.example/anh.jpg", "b" * 64)
LEASE = DocumentIn("Hợp đồng thuê mặt bằng", "https://files.example/hop-dong.pdf", "c" * 64)


def test_a_dossier_goes_from_submission_to_result_returned_and_rating(
    app: Ihanoi, clock: FakeClock, citizen: Principal
) -> None:
    officer = procedure_staff(app, Role.OFFICER)

    # Step: the citizen files a marriage registration online on Monday 09:00; the
    # ward must review it within 8 working hours, by Tuesday 09:00.
    filed = submit(app, citizen)
    assert filed.code.startswith("HS-261130-")
    assert (filed.kind, filed.status, filed.created) == ("dossier", "submitted", True)
    case = app.get_case(citizen, filed.case_id)
    assert case["agency"] == "UBND_HOAN_KIEM"
    assert case["procedure_name"] == "Đăng ký kết hôn"
    assert case["due_at"] == at(12, 1, 9)
    assert case["national_status"] == 1
    assert case["channel"] is Channel.WEB

    # Step: the officer receives it at 10:00: five working days, appointment
    # Monday 10:00 next week.
    clock.set(at(11, 30, 10))
    received = app.handle(officer, ReceiveDossier(case=filed.case_id))
    assert received.status == "received"
    case = app.get_case(citizen, filed.case_id)
    assert case["appointment_at"] == case["due_at"] == at(12, 7, 10)

    # Step: the dossier is assigned, processed and commented on.
    app.handle(officer, AssignDossier(case=filed.case_id, assignee="officer-tran-thi-b"))
    assert app.handle(officer, StartDossierProcessing(case=filed.case_id)).status == "processing"
    app.handle(officer, CommentDossier(case=filed.case_id, note="Đang xác minh thông tin hộ tịch"))

    # Step: on Wednesday the result is ready, on Thursday the citizen collects it.
    clock.set(at(12, 2, 14))
    ready = app.handle(officer, MarkDossierResultReady(case=filed.case_id, note="Giấy chứng nhận kết hôn đã ký"))
    assert ready.status == "result_ready"
    assert app.get_case(citizen, filed.case_id)["due_at"] is None
    clock.set(at(12, 3, 9))
    returned = app.handle(officer, ReturnDossierResult(case=filed.case_id))
    assert returned.status == "result_returned"

    # Step: the citizen rates the service.
    rated = app.handle(citizen, RateDossier(case=filed.case_id, stars=5, comment="Nhanh, chu đáo"))
    case = app.get_case(citizen, filed.case_id)
    assert (case["rating"], case["national_status"], case["assignee"]) == (5, 10, "officer-tran-thi-b")
    assert rated.position > filed.position

    # Every event records who acted.
    events = list(app.events.get(filed.case_id))
    assert [type(e).__name__ for e in events] == [
        "Submitted",
        "Received",
        "Assigned",
        "ProcessingStarted",
        "Commented",
        "MarkedResultReady",
        "ResultReturned",
        "Rated",
    ]
    actors = [e.actor for e in events]  # type: ignore[attr-defined]
    assert actors[0] == actors[-1] == citizen
    assert all(actor == officer for actor in actors[1:-1])


def test_a_supplement_cycle_pauses_the_clock_and_asks_for_everything_at_once(
    app: Ihanoi, clock: FakeClock, citizen: Principal
) -> None:
    procedure = "business_household_registration"  # Three working days.
    officer = procedure_staff(app, Role.OFFICER, procedure)
    filed = submit(app, citizen, procedure)
    clock.set(at(11, 30, 10))
    app.handle(officer, ReceiveDossier(case=filed.case_id))
    app.handle(officer, StartDossierProcessing(case=filed.case_id))
    assert app.get_case(citizen, filed.case_id)["due_at"] == at(12, 3, 10)

    # Step: at 14:00 the officer lists both missing documents; the clock pauses.
    clock.set(at(11, 30, 14))
    missing = (PHOTO.name, LEASE.name)
    requested = app.handle(
        officer, RequestDossierSupplement(case=filed.case_id, missing=missing, note="Bổ sung trong 10 ngày")
    )
    assert requested.status == "supplement_requested"
    case = app.get_case(citizen, filed.case_id)
    assert (case["national_status"], case["due_at"], case["missing_documents"]) == (5, None, missing)

    # Step: a second request before the citizen answers is refused: one request, everything at once.
    before = event_names(app, filed.case_id)
    with pytest.raises(RuleViolationError) as raised:
        app.handle(officer, RequestDossierSupplement(case=filed.case_id, missing=("Sổ hộ khẩu",)))
    assert raised.value.rule == "supplement_once"
    assert event_names(app, filed.case_id) == before

    # Step: the citizen must supply every listed document, and does on Wednesday 14:00.
    clock.set(at(12, 2, 14))
    with pytest.raises(RuleViolationError, match=LEASE.name):
        app.handle(citizen, SupplementDossier(case=filed.case_id, documents=(PHOTO,)))
    with pytest.raises(ForbiddenError):
        app.handle(officer, SupplementDossier(case=filed.case_id, documents=(PHOTO, LEASE)))
    supplemented = app.handle(citizen, SupplementDossier(case=filed.case_id, documents=(PHOTO, LEASE)))

    # Sixteen office hours were paused: Thursday 10:00 becomes Monday 10:00.
    assert supplemented.status == "processing"
    case = app.get_case(citizen, filed.case_id)
    assert case["due_at"] == case["appointment_at"] == at(12, 7, 10)
    assert case["documents"] == (FORM.value(), PHOTO.value(), LEASE.value())
    assert event_names(app, filed.case_id)[-2:] == ["SupplementRequested", "Supplemented"]


def test_a_payment_request_pauses_the_clock_until_staff_confirm_it(
    app: Ihanoi, clock: FakeClock, citizen: Principal
) -> None:
    procedure = "business_household_registration"
    officer = procedure_staff(app, Role.OFFICER, procedure)
    filed = submit(app, citizen, procedure)
    assert app.get_case(citizen, filed.case_id)["fee"] == 100000
    clock.set(at(11, 30, 10))
    app.handle(officer, ReceiveDossier(case=filed.case_id))
    app.handle(officer, StartDossierProcessing(case=filed.case_id))

    # Step: at 11:00 the officer asks for the fee.
    clock.set(at(11, 30, 11))
    paying = app.handle(officer, RequestDossierPayment(case=filed.case_id, amount=100000, note="Lệ phí đăng ký"))
    assert paying.status == "awaiting_payment"
    case = app.get_case(citizen, filed.case_id)
    assert case["national_status"] == 6
    assert case["amount_due"] == 100000

    # Step: the citizen may not confirm their own payment; the officer does on Tuesday 11:00.
    clock.set(at(12, 1, 11))
    with pytest.raises(ForbiddenError):
        app.handle(citizen, ConfirmDossierPayment(case=filed.case_id, reference="VNPAY-1"))
    confirmed = app.handle(officer, ConfirmDossierPayment(case=filed.case_id, reference="VNPAY-20261201-0042"))

    # Eight office hours paused: Thursday 10:00 becomes Friday 10:00.
    assert confirmed.status == "processing"
    case = app.get_case(citizen, filed.case_id)
    assert case["due_at"] == at(12, 4, 10)
    assert case["payment_reference"] == "VNPAY-20261201-0042"


def test_only_the_leader_suspends_and_resumes_a_dossier(app: Ihanoi, clock: FakeClock, citizen: Principal) -> None:
    officer, leader = procedure_staff(app, Role.OFFICER), procedure_staff(app, Role.LEADER)
    filed = submit(app, citizen)
    clock.set(at(11, 30, 10))
    app.handle(officer, ReceiveDossier(case=filed.case_id))
    app.handle(officer, StartDossierProcessing(case=filed.case_id))

    # Step: an officer may not suspend; the leader does on Tuesday 09:00.
    clock.set(at(12, 1, 9))
    with pytest.raises(ForbiddenError):
        app.handle(officer, SuspendDossier(case=filed.case_id, reason="Chờ xác minh"))
    suspended = app.handle(
        leader, SuspendDossier(case=filed.case_id, reason="Chờ kết quả xác minh của cơ quan công an")
    )
    assert suspended.status == "suspended"
    assert app.get_case(citizen, filed.case_id)["national_status"] == 8

    # Step: the leader resumes at 15:00; five office hours were paused, so
    # Monday 10:00 becomes Monday 16:00.
    clock.set(at(12, 1, 15))
    with pytest.raises(ForbiddenError):
        app.handle(officer, ResumeDossier(case=filed.case_id))
    resumed = app.handle(leader, ResumeDossier(case=filed.case_id, note="Đã có kết quả xác minh"))
    assert resumed.status == "processing"
    assert app.get_case(citizen, filed.case_id)["due_at"] == at(12, 7, 16)
    events = list(app.events.get(filed.case_id))
    assert [type(e).__name__ for e in events[-2:]] == ["Suspended", "Resumed"]
    assert all(e.actor == leader for e in events[-2:])  # type: ignore[attr-defined]


def test_a_forwarded_dossier_is_seen_by_both_agencies_until_it_is_returned(
    app: Ihanoi, clock: FakeClock, citizen: Principal
) -> None:
    procedure = "land_use_certificate_first"  # Twenty working days, with the ward.
    officer = procedure_staff(app, Role.OFFICER, procedure)
    partner = Principal("officer-snnmt", Role.OFFICER, "SNNMT")
    stranger = Principal("officer-syt", Role.OFFICER, "SYT")
    filed = submit(app, citizen, procedure)
    clock.set(at(11, 30, 10))
    app.handle(officer, ReceiveDossier(case=filed.case_id))
    app.handle(officer, StartDossierProcessing(case=filed.case_id))

    # Step: before forwarding, the department cannot see the dossier.
    with pytest.raises(CaseNotFoundError):
        app.get_case(partner, filed.case_id)

    # Step: the ward forwards it to the department for 5 working days at 11:00.
    clock.set(at(11, 30, 11))
    forwarded = app.handle(
        officer,
        ForwardDossier(
            case=filed.case_id, to_agency="SNNMT", working_days=5, note="Đo đạc, xác nhận ranh giới thửa đất"
        ),
    )
    assert forwarded.status == "forwarded"
    seen_by_partner = app.get_case(partner, filed.case_id)
    assert seen_by_partner["forward_due_at"] == at(12, 7, 11)
    assert seen_by_partner["applicant"] == APPLICANT.value()
    assert seen_by_partner["national_status"] == 4
    assert app.get_case(officer, filed.case_id)["forwarded_to"] == "SNNMT"
    with pytest.raises(CaseNotFoundError):
        app.get_case(stranger, filed.case_id)

    # Step: only the department returns it; it may not decide the dossier.
    with pytest.raises(ForbiddenError):
        app.handle(officer, ReturnDossier(case=filed.case_id))
    with pytest.raises(InvalidTransitionError):
        app.handle(partner, MarkDossierResultReady(case=filed.case_id, note="Xong"))
    clock.set(at(12, 3, 9))
    returned = app.handle(partner, ReturnDossier(case=filed.case_id, note="Đã đo đạc, gửi kèm trích đo"))
    assert returned.status == "processing"

    # Step: the department loses sight of it; the ward finishes it.
    with pytest.raises(CaseNotFoundError):
        app.get_case(partner, filed.case_id)
    done = app.handle(officer, MarkDossierResultReady(case=filed.case_id, note="Đã cấp giấy chứng nhận"))
    assert done.status == "result_ready"
    forward_events = [e for e in app.events.get(filed.case_id) if type(e).__name__ == "Forwarded"]
    assert forward_events[0].working_days == 5  # type: ignore[attr-defined]
    assert event_names(app, filed.case_id)[-3:] == [
        "Forwarded",
        "ReturnedFromForwarding",
        "MarkedResultReady",
    ]


def test_a_late_dossier_needs_the_leaders_apology_with_a_new_appointment_before_it_continues(
    app: Ihanoi, clock: FakeClock, citizen: Principal
) -> None:
    officer, leader = procedure_staff(app, Role.OFFICER), procedure_staff(app, Role.LEADER)
    filed = submit(app, citizen)
    clock.set(at(11, 30, 10))
    app.handle(officer, ReceiveDossier(case=filed.case_id))
    app.handle(officer, StartDossierProcessing(case=filed.case_id))

    # Step: the appointment (Monday 12-07 10:00) passes; nothing moves without an apology.
    clock.set(at(12, 7, 11))
    before = event_names(app, filed.case_id)
    with pytest.raises(RuleViolationError, match="apology") as raised:
        app.handle(officer, MarkDossierResultReady(case=filed.case_id, note="Xong"))
    assert raised.value.rule == "apology_required"
    with pytest.raises(RuleViolationError, match="apology"):
        app.handle(officer, RequestDossierSupplement(case=filed.case_id, missing=("Ảnh",)))
    assert event_names(app, filed.case_id) == before

    # Step: an officer may not apologise on the agency's behalf; the leader does,
    # with a new appointment on Wednesday 17:00.
    new_due = at(12, 9, 17)
    with pytest.raises(ForbiddenError):
        app.handle(officer, ApologizeForDossierDelay(case=filed.case_id, reason="Chậm", new_due=new_due))
    with pytest.raises(ValidationError):
        app.handle(
            leader, ApologizeForDossierDelay(case=filed.case_id, reason="Chậm", new_due=datetime(2026, 12, 9, 17))
        )
    app.handle(
        leader,
        ApologizeForDossierDelay(
            case=filed.case_id, reason="Cần xác minh thêm với địa phương nơi cư trú", new_due=new_due
        ),
    )
    case = app.get_case(citizen, filed.case_id)
    assert case["due_at"] == case["appointment_at"] == new_due
    assert case["apology_count"] == 1
    assert case["public_note"] == "Cần xác minh thêm với địa phương nơi cư trú"

    # Step: processing continues.
    assert app.handle(officer, MarkDossierResultReady(case=filed.case_id, note="Đã ký")).status == "result_ready"
    assert event_names(app, filed.case_id)[-2:] == ["ApologyIssued", "MarkedResultReady"]


def test_a_dossier_rejected_at_receipt_is_closed_with_the_reason(
    app: Ihanoi, clock: FakeClock, citizen: Principal
) -> None:
    officer = procedure_staff(app, Role.OFFICER)
    filed = submit(app, citizen)

    # Step: the officer refuses it with reasons; the citizen reads them.
    clock.advance(hours=2)
    rejected = app.handle(officer, RejectDossier(case=filed.case_id, reason="Hai bên chưa đủ tuổi kết hôn"))
    assert rejected.status == "rejected"
    case = app.get_case(citizen, filed.case_id)
    assert (case["national_status"], case["due_at"]) == (3, None)
    assert case["public_note"] == "Hai bên chưa đủ tuổi kết hôn"

    # Step: a rejected dossier cannot be received or withdrawn.
    with pytest.raises(InvalidTransitionError):
        app.handle(officer, ReceiveDossier(case=filed.case_id))
    with pytest.raises(InvalidTransitionError):
        app.handle(citizen, WithdrawDossier(case=filed.case_id, reason="x"))
    assert event_names(app, filed.case_id) == ["Submitted", "Rejected"]


def test_the_applicant_withdraws_a_dossier_before_its_result(
    app: Ihanoi, clock: FakeClock, citizen: Principal, other_citizen: Principal
) -> None:
    officer = procedure_staff(app, Role.OFFICER)
    filed = submit(app, citizen)
    clock.set(at(11, 30, 10))
    app.handle(officer, ReceiveDossier(case=filed.case_id))
    app.handle(officer, StartDossierProcessing(case=filed.case_id))

    # Step: only the applicant may withdraw; another citizen cannot even see it.
    with pytest.raises(ForbiddenError):
        app.handle(officer, WithdrawDossier(case=filed.case_id, reason="x"))
    with pytest.raises(CaseNotFoundError):
        app.handle(other_citizen, WithdrawDossier(case=filed.case_id, reason="x"))
    withdrawn = app.handle(citizen, WithdrawDossier(case=filed.case_id, reason="Không còn nhu cầu"))
    assert withdrawn.status == "withdrawn"
    assert app.get_case(citizen, filed.case_id)["national_status"] == 7

    # Step: nothing happens to a withdrawn dossier any more.
    with pytest.raises(InvalidTransitionError):
        app.handle(officer, MarkDossierResultReady(case=filed.case_id, note="Xong"))
    with pytest.raises(InvalidTransitionError):
        app.handle(citizen, RateDossier(case=filed.case_id, stars=1))
    assert event_names(app, filed.case_id)[-1] == "Withdrawn"


def test_personal_data_is_hidden_from_auditors_and_other_agencies_see_nothing(
    app: Ihanoi, citizen: Principal, other_citizen: Principal, auditor: Principal
) -> None:
    officer = procedure_staff(app, Role.OFFICER)
    filed = submit(app, citizen)

    assert app.get_case(officer, filed.case_id)["applicant"] == APPLICANT.value()
    seen_by_auditor = app.get_case(auditor, filed.case_id)
    assert (seen_by_auditor["applicant"], seen_by_auditor["documents"], seen_by_auditor["owner"]) == (
        None,
        None,
        None,
    )
    assert seen_by_auditor["procedure"] == "marriage_registration"
    with pytest.raises(ForbiddenError):
        app.handle(auditor, ReceiveDossier(case=filed.case_id))
    with pytest.raises(CaseNotFoundError):
        app.get_case(other_citizen, filed.case_id)
    with pytest.raises(CaseNotFoundError):
        app.handle(Principal("officer-sxd", Role.OFFICER, "SXD"), ReceiveDossier(case=filed.case_id))
    with pytest.raises(ForbiddenError):
        app.handle(citizen, ReceiveDossier(case=filed.case_id))
    with pytest.raises(VersionMismatchError):
        app.handle(officer, ReceiveDossier(case=filed.case_id), expected_version=5)
    assert event_names(app, filed.case_id) == ["Submitted"]


def test_a_dossier_needs_a_known_procedure_and_ward_and_a_citizen_to_file_it(app: Ihanoi, citizen: Principal) -> None:
    with pytest.raises(ValidationError) as raised:
        submit(app, citizen, "no_such_procedure")
    assert "procedure" in raised.value.errors
    with pytest.raises(ValidationError) as raised:
        app.handle(
            citizen,
            SubmitDossier(procedure="marriage_registration", ward="NOWHERE", applicant=APPLICANT, documents=(FORM,)),
        )
    assert "ward" in raised.value.errors
    with pytest.raises(ForbiddenError):
        submit(app, procedure_staff(app, Role.OFFICER))


def test_the_same_idempotency_key_returns_the_first_dossier(app: Ihanoi, citizen: Principal) -> None:
    first = submit(app, citizen, idempotency_key="dvc-42")
    again = submit(app, citizen, idempotency_key="dvc-42")
    assert (again.case_id, again.code, again.created) == (first.case_id, first.code, False)
    assert first.created
    assert event_names(app, first.case_id) == ["Submitted"]
