"""Scenario tests: complaints and denunciations through every path of DESIGN
§3.2, on POPO, a real SQLite file and the real PostgreSQL server. The clock
starts on Monday 2026-11-30 09:00 in Hanoi; due times were worked out by hand
(calendar-day periods end at 17:00 on the last day, or on the next working day
when it is a day off; 2027-01-01 is a public holiday)."""

from __future__ import annotations

import hashlib
from dataclasses import astuple
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.grievances import (
    AcceptComplaint,
    AssignComplaint,
    CloseComplaint,
    CommentComplaint,
    ComplainantIn,
    ConcludeDenunciation,
    DecideComplaint,
    ExtendComplaint,
    ExtendPreliminaryCheck,
    FileComplaint,
    ForwardComplaint,
    HoldDialogue,
    RefuseComplaint,
    StartVerification,
    WithdrawComplaint,
)
from ihanoi_core.domain.grievance_values import ComplaintKind, Complexity
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import (
    CaseNotFoundError,
    ForbiddenError,
    InvalidTransitionError,
    RuleViolationError,
    ValidationError,
    VersionMismatchError,
)
from ihanoi_core.handlers.bus import CommandResult
from tests.conftest import FakeClock
from tests.integration.conftest import event_names

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
AGENCY = "UBND_HOAN_KIEM"
LEADER = Principal("leader-hoan-kiem", Role.LEADER, AGENCY)
HANDLER = Principal("officer-handler", Role.OFFICER, AGENCY)
OTHER_OFFICER = Principal("officer-other", Role.OFFICER, AGENCY)
COMPLAINANT = ComplainantIn(
    name="Nguyễn Văn An", national_id="001099012345", phone="0912345678", address="Số 12 phố Hàng Bài"
)
IDENTITY = COMPLAINANT.value()


def at(year: int, month: int, day: int, hour: int = 17) -> datetime:
    return datetime(year, month, day, hour, tzinfo=HANOI)


def log_position(app: Ihanoi) -> int:
    return app.head_position()


def file_complaint(
    app: Ihanoi, citizen: Principal, *, idempotency_key: str | None = None, **overrides: object
) -> CommandResult:
    arguments: dict[str, object] = {
        "kind": ComplaintKind.COMPLAINT,
        "subject": "Quyết định thu hồi đất số 12/QĐ-UBND",
        "content": "Mức bồi thường thấp hơn giá thị trường.",
        "respondent_agency": AGENCY,
        "ward": "HOAN_KIEM",
        "complainant": COMPLAINANT,
    }
    command = FileComplaint(**{**arguments, **overrides})  # type: ignore[arg-type]
    return app.handle(citizen, command, idempotency_key=idempotency_key)


def file_denunciation(
    app: Ihanoi, citizen: Principal, *, idempotency_key: str | None = None, **overrides: object
) -> CommandResult:
    overrides = {
        "kind": ComplaintKind.DENUNCIATION,
        "subject": "Cán bộ địa chính nhận tiền",
        "content": "Ông X nhận 20 triệu đồng để xác nhận hồ sơ.",
        **overrides,
    }
    return file_complaint(app, citizen, idempotency_key=idempotency_key, **overrides)


def decide_first_complaint(app: Ihanoi, clock: FakeClock, citizen: Principal) -> CommandResult:
    """File a complaint on Monday 09:00 and decide it on Tuesday 1 December 10:00."""
    first = file_complaint(app, citizen)
    clock.advance(days=1, hours=1)
    app.handle(LEADER, AcceptComplaint(case=first.case_id))
    app.handle(LEADER, AssignComplaint(case=first.case_id, assignee=HANDLER.subject))
    app.handle(HANDLER, StartVerification(case=first.case_id))
    return app.handle(LEADER, DecideComplaint(case=first.case_id, decision="Giữ nguyên quyết định thu hồi đất"))


# -- complaints ------------------------------------------------------------------------


def test_a_complaint_goes_from_filing_to_decision_and_closure_with_every_actor_recorded(
    app: Ihanoi, clock: FakeClock, citizen: Principal
) -> None:
    # Step: on Monday 09:00 a citizen complains about a decision of 1 October;
    # the ward People's Committee must accept it within 10 days.
    filed = file_complaint(app, citizen, decision_date=date(2026, 10, 1))
    assert filed.code.startswith("KN-261130-")
    assert (filed.kind, filed.status) == ("complaint", "filed")
    case = app.get_case(citizen, filed.case_id)
    assert (case["agency"], case["respondent_agency"], case["ward"]) == (AGENCY, AGENCY, "HOAN_KIEM")
    assert case["due_at"] == at(2026, 12, 10)
    assert case["complainant"] == IDENTITY
    assert case["decision_date"] == date(2026, 10, 1)

    # Step: on Tuesday 10:00 the leader accepts it: resolve within 30 days,
    # Thursday 31 December 17:00.
    clock.advance(days=1, hours=1)
    accepted = app.handle(LEADER, AcceptComplaint(case=filed.case_id))
    assert accepted.status == "accepted"
    assert app.get_case(HANDLER, filed.case_id)["due_at"] == at(2026, 12, 31)

    # Step: the leader names a handler, who verifies, tells the complainant and
    # holds a dialogue.
    app.handle(LEADER, AssignComplaint(case=filed.case_id, assignee=HANDLER.subject))
    app.handle(HANDLER, StartVerification(case=filed.case_id))
    app.handle(HANDLER, CommentComplaint(case=filed.case_id, note="Đã xác minh hiện trạng thửa đất"))
    clock.advance(days=7)
    dialogue = app.handle(HANDLER, HoldDialogue(case=filed.case_id, summary="Người khiếu nại giữ nguyên yêu cầu"))
    assert dialogue.status == "dialogue"

    # Step: the leader decides; the clock stops; the officer closes the file.
    clock.advance(days=7)
    decided = app.handle(LEADER, DecideComplaint(case=filed.case_id, decision="Công nhận một phần nội dung khiếu nại"))
    case = app.get_case(citizen, filed.case_id)
    assert (case["status"], case["due_at"], case["decision"]) == (
        "decided",
        None,
        "Công nhận một phần nội dung khiếu nại",
    )
    closed = app.handle(HANDLER, CloseComplaint(case=filed.case_id))
    assert closed.status == "closed"
    assert closed.position > decided.position > filed.position

    # Every event records who acted.
    events = list(app.events.get(filed.case_id))
    assert [type(e).__name__ for e in events] == [
        "Filed",
        "Accepted",
        "Assigned",
        "VerificationStarted",
        "Commented",
        "DialogueHeld",
        "Decided",
        "Closed",
    ]
    assert [e.actor for e in events] == [  # type: ignore[attr-defined]
        citizen,
        LEADER,
        LEADER,
        HANDLER,
        HANDLER,
        HANDLER,
        LEADER,
        HANDLER,
    ]
    assert events[1].due_at == at(2026, 12, 31)  # type: ignore[attr-defined]
    assert events[1].clock.rule == app.directory.deadline("complaint_resolve")  # type: ignore[attr-defined]


def test_a_complex_complaint_in_a_remote_commune_is_extended_once_by_the_leader(
    app: Ihanoi, clock: FakeClock, citizen: Principal
) -> None:
    leader = Principal("leader-ba-vi", Role.LEADER, "UBND_BA_VI")
    officer = Principal("officer-ba-vi", Role.OFFICER, "UBND_BA_VI")

    # Step: a complaint in Ba Vì, a remote commune, accepted Tuesday 10:00:
    # 45 days, Friday 15 January 2027.
    filed = file_complaint(app, citizen, respondent_agency="UBND_BA_VI", ward="BA_VI")
    clock.advance(days=1, hours=1)
    app.handle(leader, AcceptComplaint(case=filed.case_id))
    assert app.get_case(officer, filed.case_id)["due_at"] == at(2027, 1, 15)

    # Step: an officer may not extend; the leader does, with a reason: 60 days
    # end on Saturday 30 January, so Monday 1 February.
    with pytest.raises(ForbiddenError):
        app.handle(officer, ExtendComplaint(case=filed.case_id, reason="Phức tạp"))
    app.handle(leader, ExtendComplaint(case=filed.case_id, reason="Nhiều hộ liên quan, cần đo đạc lại"))
    assert app.get_case(officer, filed.case_id)["due_at"] == at(2027, 2, 1)
    extended = list(app.events.get(filed.case_id))[-1]
    assert extended.approver == leader.subject  # type: ignore[attr-defined]
    assert extended.reason == "Nhiều hộ liên quan, cần đo đạc lại"  # type: ignore[attr-defined]

    # Step: there is no second extension of a complaint.
    with pytest.raises(RuleViolationError):
        app.handle(leader, ExtendComplaint(case=filed.case_id, reason="Thêm thời gian"))
    assert event_names(app, filed.case_id) == ["Filed", "Accepted", "Extended"]


def test_a_complaint_about_a_decision_older_than_ninety_days_is_refused_and_nothing_is_stored(
    app: Ihanoi, citizen: Principal
) -> None:
    # Step: a decision of 30 August is still in time on Monday 30 November (day
    # 90 is Saturday 28 November, which moves to Monday).
    in_time = file_complaint(app, citizen, decision_date=date(2026, 8, 30))
    assert in_time.created
    position = log_position(app)

    # Step: a decision of 29 August is not (day 90 was Friday 27 November).
    with pytest.raises(RuleViolationError) as raised:
        file_complaint(app, citizen, decision_date=date(2026, 8, 29))
    assert raised.value.rule == "filing_window"
    assert log_position(app) == position


def test_a_complaint_is_refused_with_its_legal_basis_or_forwarded_to_the_competent_agency(
    app: Ihanoi, citizen: Principal
) -> None:
    # Step: the leader refuses one complaint, with the reason and legal basis.
    refused = file_complaint(app, citizen)
    result = app.handle(
        LEADER,
        RefuseComplaint(
            case=refused.case_id, reason="Đã có bản án của Tòa án", legal_basis="Luật Khiếu nại 2011, Điều 11"
        ),
    )
    assert result.status == "refused"
    case = app.get_case(citizen, refused.case_id)
    assert (case["refusal_legal_basis"], case["due_at"]) == ("Luật Khiếu nại 2011, Điều 11", None)
    with pytest.raises(InvalidTransitionError):
        app.handle(LEADER, AcceptComplaint(case=refused.case_id))

    # Step: an officer forwards another one to the Department of Construction;
    # the ward loses sight of it and the department accepts it.
    forwarded = file_complaint(app, citizen)
    app.handle(
        HANDLER, ForwardComplaint(case=forwarded.case_id, to_agency="SXD", reason="Thuộc thẩm quyền Sở Xây dựng")
    )
    with pytest.raises(CaseNotFoundError):
        app.get_case(LEADER, forwarded.case_id)
    department_leader = Principal("leader-sxd", Role.LEADER, "SXD")
    case = app.get_case(department_leader, forwarded.case_id)
    assert (case["status"], case["agency"], case["respondent_agency"]) == ("forwarded", "SXD", AGENCY)
    assert app.handle(department_leader, AcceptComplaint(case=forwarded.case_id)).status == "accepted"
    assert event_names(app, forwarded.case_id) == ["Filed", "Forwarded", "Accepted"]
    with pytest.raises(ValidationError):
        app.handle(department_leader, ForwardComplaint(case=forwarded.case_id, to_agency="NO_SUCH_AGENCY", reason="x"))


def test_only_the_complainant_withdraws_and_only_before_the_decision(
    app: Ihanoi, clock: FakeClock, citizen: Principal, other_citizen: Principal
) -> None:
    filed = file_complaint(app, citizen)
    app.handle(LEADER, AcceptComplaint(case=filed.case_id))

    # Step: neither another citizen nor the handler can withdraw it.
    with pytest.raises(CaseNotFoundError):
        app.handle(other_citizen, WithdrawComplaint(case=filed.case_id, reason="x"))
    with pytest.raises(ForbiddenError):
        app.handle(HANDLER, WithdrawComplaint(case=filed.case_id, reason="x"))

    # Step: the complainant withdraws; the case ends and its clock stops.
    withdrawn = app.handle(citizen, WithdrawComplaint(case=filed.case_id, reason="Đã được giải thích thỏa đáng"))
    assert withdrawn.status == "withdrawn"
    assert app.get_case(citizen, filed.case_id)["due_at"] is None
    with pytest.raises(InvalidTransitionError):
        app.handle(HANDLER, StartVerification(case=filed.case_id))

    # Step: a decided complaint can no longer be withdrawn.
    decided = decide_first_complaint(app, clock, citizen)
    with pytest.raises(InvalidTransitionError):
        app.handle(citizen, WithdrawComplaint(case=decided.case_id, reason="Rút đơn"))
    assert event_names(app, decided.case_id)[-1] == "Decided"


def test_a_second_time_complaint_within_the_window_is_linked_to_the_first_decision(
    app: Ihanoi, clock: FakeClock, citizen: Principal
) -> None:
    # Step: the first complaint is decided on Tuesday 1 December 10:00.
    first = decide_first_complaint(app, clock, citizen)

    # Step: 29 days later, on 30 December, the citizen complains a second time,
    # naming the first case by its code.
    clock.advance(days=29)
    second = file_complaint(app, citizen, first_case=first.code)
    assert second.code.startswith("KN-261230-")
    case = app.get_case(citizen, second.case_id)
    assert (case["first_case"], case["first_case_code"]) == (first.case_id, first.code)
    # Acceptance within 10 days: Saturday 9 January moves to Monday 11 January.
    assert case["due_at"] == at(2027, 1, 11)

    # Step: the ward's decision is complained about a second time to the level
    # above it, the city People's Committee (the directory's parent).
    assert case["agency"] == "UBND_TP"

    # Step: accepted on 31 December 10:00 by the city's leader with the
    # second-time period, 45 days: Sunday 14 February, then Monday 15 February.
    clock.advance(days=1)
    app.handle(Principal("leader-tp", Role.LEADER, "UBND_TP"), AcceptComplaint(case=second.case_id))
    assert app.get_case(citizen, second.case_id)["due_at"] == at(2027, 2, 15)


def test_a_second_time_complaint_after_the_window_is_refused_and_nothing_is_stored(
    app: Ihanoi, clock: FakeClock, citizen: Principal, other_citizen: Principal
) -> None:
    first = decide_first_complaint(app, clock, citizen)

    # Step: someone else cannot build on the citizen's case.
    with pytest.raises(ValidationError):
        file_complaint(app, other_citizen, first_case=str(first.case_id))

    # Step: the window ended Thursday 31 December 17:00; at 17:30 it is too late.
    clock.set(at(2026, 12, 31, 17).replace(minute=30))
    position = log_position(app)
    with pytest.raises(RuleViolationError) as raised:
        file_complaint(app, citizen, first_case=str(first.case_id))
    assert raised.value.rule == "second_filing_window"
    assert log_position(app) == position


# -- denunciations ---------------------------------------------------------------------


def test_a_denunciation_is_checked_accepted_verified_extended_twice_and_concluded(
    app: Ihanoi, clock: FakeClock, citizen: Principal
) -> None:
    # Step: on Monday 09:00 a citizen denounces an official; the preliminary
    # check runs 7 working days, to Wednesday 9 December 09:00.
    filed = file_denunciation(app, citizen)
    assert filed.code.startswith("TC-261130-")
    assert (filed.kind, filed.status) == ("denunciation", "preliminary_check")
    case = app.get_case(LEADER, filed.case_id)
    assert case["due_at"] == at(2026, 12, 9, 9)
    assert case["forward_due_at"] == at(2026, 12, 7, 9)

    # Step: the leader extends the check to 10 working days: Monday 14 December 09:00.
    clock.advance(days=1)
    app.handle(LEADER, ExtendPreliminaryCheck(case=filed.case_id, reason="Nội dung liên quan nhiều địa điểm"))
    assert app.get_case(LEADER, filed.case_id)["due_at"] == at(2026, 12, 14, 9)

    # Step: accepted on Wednesday 2 December 10:00: 30 days end on Friday 1
    # January, a public holiday, so Monday 4 January.
    clock.advance(days=1, hours=1)
    app.handle(LEADER, AcceptComplaint(case=filed.case_id))
    assert app.get_case(LEADER, filed.case_id)["due_at"] == at(2027, 1, 4)

    # Step: the leader assigns the handler, who starts verifying.
    app.handle(LEADER, AssignComplaint(case=filed.case_id, assignee=HANDLER.subject))
    app.handle(HANDLER, StartVerification(case=filed.case_id))

    # Step: two extensions of 30 days of an especially complex case (Law on
    # Denunciations Art. 30(3)): Sunday 31 January → Monday 1 February, then
    # 90 days, Tuesday 2 March.
    especially = Complexity.ESPECIALLY_COMPLEX
    app.handle(LEADER, ExtendComplaint(case=filed.case_id, reason="Vụ việc đặc biệt phức tạp", complexity=especially))
    assert app.get_case(LEADER, filed.case_id)["due_at"] == at(2027, 2, 1)
    app.handle(LEADER, ExtendComplaint(case=filed.case_id, reason="Vụ việc đặc biệt phức tạp", complexity=especially))
    assert app.get_case(LEADER, filed.case_id)["due_at"] == at(2027, 3, 2)

    # Step: the third extension is refused and changes nothing.
    with pytest.raises(RuleViolationError) as raised:
        app.handle(LEADER, ExtendComplaint(case=filed.case_id, reason="Cần thêm thời gian", complexity=especially))
    assert raised.value.rule == "extension"
    assert app.get_case(LEADER, filed.case_id)["due_at"] == at(2027, 3, 2)

    # Step: the leader concludes; the officer closes the file.
    app.handle(LEADER, ConcludeDenunciation(case=filed.case_id, conclusion="Tố cáo đúng một phần"))
    assert app.handle(HANDLER, CloseComplaint(case=filed.case_id)).status == "closed"
    assert event_names(app, filed.case_id) == [
        "Filed",
        "PreliminaryCheckExtended",
        "Accepted",
        "Assigned",
        "VerificationStarted",
        "Extended",
        "Extended",
        "Concluded",
        "Closed",
    ]


def test_a_denunciation_is_forwarded_with_a_new_preliminary_check_or_withdrawn(
    app: Ihanoi, clock: FakeClock, citizen: Principal
) -> None:
    # Step: not competent, the ward forwards the denunciation to the police on
    # Tuesday 10:00; they get 7 working days, to Thursday 10 December 10:00.
    filed = file_denunciation(app, citizen)
    clock.advance(days=1, hours=1)
    app.handle(HANDLER, ForwardComplaint(case=filed.case_id, to_agency="CATP", reason="Có dấu hiệu tội phạm"))
    police = Principal("leader-catp", Role.LEADER, "CATP")
    case = app.get_case(police, filed.case_id)
    assert (case["status"], case["agency"], case["due_at"]) == ("forwarded", "CATP", at(2026, 12, 10, 10))

    # Step: the denouncer withdraws; the clock stops.
    app.handle(citizen, WithdrawComplaint(case=filed.case_id, reason="Rút đơn tố cáo"))
    assert app.get_case(citizen, filed.case_id)["due_at"] is None
    assert event_names(app, filed.case_id) == ["Filed", "Forwarded", "Withdrawn"]


def test_the_denouncers_identity_is_sealed_from_everyone_but_the_handler_and_the_leader(
    app: Ihanoi, citizen: Principal, auditor: Principal
) -> None:
    filed = file_denunciation(app, citizen)
    app.handle(LEADER, AssignComplaint(case=filed.case_id, assignee=HANDLER.subject))
    digest = hashlib.sha256(f"{filed.case_id}denouncer".encode()).hexdigest()[:8]
    pseudonym = f"Người tố cáo #{digest}"

    # Step: the assigned handler, the agency's leader and the denouncer read the identity.
    for entitled in (HANDLER, LEADER, citizen):
        case = app.get_case(entitled, filed.case_id)
        assert case["complainant"] == IDENTITY, entitled
        assert case["owner"] == citizen.subject

    # Step: another officer of the agency and the auditor see the pseudonym,
    # and nothing of the identity anywhere in what they get.
    for outsider in (OTHER_OFFICER, auditor):
        case = app.get_case(outsider, filed.case_id)
        assert case["complainant"] == pseudonym
        assert case["owner"] is None
        shown = repr(case)
        for secret in (*(value for value in astuple(IDENTITY) if value), citizen.subject):
            assert secret not in shown

    # Step: an officer may not assign a denunciation (and so unseal it for themselves).
    with pytest.raises(ForbiddenError):
        app.handle(OTHER_OFFICER, AssignComplaint(case=filed.case_id, assignee=OTHER_OFFICER.subject))
    assert app.get_case(OTHER_OFFICER, filed.case_id)["complainant"] == pseudonym

    # Step: reassigned by the leader, the former handler loses access.
    app.handle(LEADER, AssignComplaint(case=filed.case_id, assignee=OTHER_OFFICER.subject))
    assert app.get_case(OTHER_OFFICER, filed.case_id)["complainant"] == IDENTITY
    assert app.get_case(HANDLER, filed.case_id)["complainant"] == pseudonym


def test_a_complainants_identity_is_shown_to_agency_staff_but_not_to_the_auditor(
    app: Ihanoi, citizen: Principal, auditor: Principal
) -> None:
    filed = file_complaint(app, citizen)
    assert app.get_case(OTHER_OFFICER, filed.case_id)["complainant"] == IDENTITY
    case = app.get_case(auditor, filed.case_id)
    assert (case["complainant"], case["owner"]) == (None, None)


def test_an_anonymous_denunciation_is_not_accepted_and_nothing_is_stored(app: Ihanoi, citizen: Principal) -> None:
    position = log_position(app)
    with pytest.raises(ValidationError) as raised:
        file_denunciation(app, citizen, complainant=ComplainantIn(name="Ẩn danh"))
    assert set(raised.value.errors) == {"complainant.national_id", "complainant.contact"}
    with pytest.raises(ValidationError):
        file_denunciation(app, citizen, decision_date=date(2026, 11, 1))
    assert log_position(app) == position


def test_a_library_caller_gets_a_validation_error_for_a_kind_or_complexity_outside_the_enum(
    app: Ihanoi, citizen: Principal
) -> None:
    # HTTP decoding refuses these strings (422); a command built in Python is not
    # decoded, so its handler checks them and nothing is stored.
    position = log_position(app)
    with pytest.raises(ValidationError) as raised:
        file_complaint(app, citizen, kind="appeal")
    assert set(raised.value.errors) == {"kind"}
    assert log_position(app) == position
    filed = file_denunciation(app, citizen)
    app.handle(LEADER, AcceptComplaint(case=filed.case_id))
    extend = ExtendComplaint(case=filed.case_id, reason="Phức tạp", complexity="very")  # type: ignore[arg-type]
    with pytest.raises(ValidationError) as raised:
        app.handle(LEADER, extend)
    assert set(raised.value.errors) == {"complexity"}
    assert event_names(app, filed.case_id) == ["Filed", "Accepted"]


# -- access and concurrency ----------------------------------------------------------


def test_permissions_hide_other_peoples_cases_and_forbid_wrong_roles(
    app: Ihanoi, citizen: Principal, other_citizen: Principal, auditor: Principal
) -> None:
    complaint = file_complaint(app, citizen)
    denunciation = file_denunciation(app, citizen)
    before = event_names(app, complaint.case_id), event_names(app, denunciation.case_id)

    # Another citizen and another agency cannot even see the cases.
    with pytest.raises(CaseNotFoundError):
        app.get_case(other_citizen, complaint.case_id)
    with pytest.raises(CaseNotFoundError):
        app.handle(Principal("leader-sxd", Role.LEADER, "SXD"), AcceptComplaint(case=denunciation.case_id))
    # Acceptance and decisions are the leader's; auditors and citizens do not act.
    for principal, command in [
        (HANDLER, AcceptComplaint(case=complaint.case_id)),
        (citizen, AcceptComplaint(case=complaint.case_id)),
        (auditor, AcceptComplaint(case=complaint.case_id)),
        (citizen, CloseComplaint(case=complaint.case_id)),
    ]:
        with pytest.raises(ForbiddenError):
            app.handle(principal, command)
    with pytest.raises(ForbiddenError):
        app.handle(HANDLER, DecideComplaint(case=complaint.case_id, decision="x"))
    # A step of the other kind is nobody's to take.
    with pytest.raises(ForbiddenError):
        app.handle(LEADER, DecideComplaint(case=denunciation.case_id, decision="x"))
    with pytest.raises(ForbiddenError):
        app.handle(LEADER, ConcludeDenunciation(case=complaint.case_id, conclusion="x"))
    with pytest.raises(ForbiddenError):
        app.handle(HANDLER, HoldDialogue(case=denunciation.case_id, summary="x"))
    # Only citizens file.
    with pytest.raises(ForbiddenError):
        file_complaint(app, HANDLER)
    assert (event_names(app, complaint.case_id), event_names(app, denunciation.case_id)) == before


def test_illegal_transitions_and_stale_versions_append_nothing(app: Ihanoi, citizen: Principal) -> None:
    filed = file_complaint(app, citizen)
    with pytest.raises(InvalidTransitionError) as raised:
        app.handle(LEADER, DecideComplaint(case=filed.case_id, decision="x"))
    assert raised.value.status == "filed"
    with pytest.raises(InvalidTransitionError):
        app.handle(LEADER, CloseComplaint(case=filed.case_id))
    with pytest.raises(VersionMismatchError):
        app.handle(LEADER, AcceptComplaint(case=filed.case_id), expected_version=5)
    assert event_names(app, filed.case_id) == ["Filed"]
    assert app.handle(LEADER, AcceptComplaint(case=filed.case_id), expected_version=1).version == 2


def test_the_same_idempotency_key_returns_the_first_case(app: Ihanoi, citizen: Principal) -> None:
    first = file_complaint(app, citizen, idempotency_key="don-1")
    again = file_complaint(app, citizen, idempotency_key="don-1")
    assert (again.case_id, again.code, again.created) == (first.case_id, first.code, False)
    assert file_denunciation(app, citizen, idempotency_key="don-1").case_id != first.case_id
