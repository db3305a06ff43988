"""Behaviour of the complaint and denunciation aggregate, without a store: every
transition, every rule, every deadline. Due times were worked out by hand from
a wall calendar (2026-11-30 is a Monday; 2027-01-01 is a public holiday;
calendar-day periods do not count the start day and end at 17:00, moved to the
next working day when the last day is a day off)."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest

from ihanoi_core.domain.complaint import Complaint
from ihanoi_core.domain.denunciation import Denunciation
from ihanoi_core.domain.grievance import Grievance
from ihanoi_core.domain.grievance_values import ComplainantIdentity, ComplaintStatus, Complexity
from ihanoi_core.domain.values import DeadlineRule, Principal, Role, TimeUnit
from ihanoi_core.errors import InvalidTransitionError, RuleViolationError, ValidationError
from ihanoi_core.law.calendar import WorkingCalendar

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
CALENDAR = WorkingCalendar()
DAYS, WORKING_DAYS = TimeUnit.CALENDAR_DAYS, TimeUnit.WORKING_DAYS
DEADLINES = {
    "complaint_filing_window": DeadlineRule(90, DAYS, "Luật Khiếu nại 2011, Điều 9"),
    "complaint_accept": DeadlineRule(10, DAYS, "Luật Khiếu nại 2011, Điều 27"),
    "complaint_resolve": DeadlineRule(30, DAYS, "Luật Khiếu nại 2011, Điều 28"),
    "complaint_resolve_complex": DeadlineRule(45, DAYS, "Luật Khiếu nại 2011, Điều 28"),
    "complaint_resolve_remote": DeadlineRule(45, DAYS, "Luật Khiếu nại 2011, Điều 28"),
    "complaint_resolve_remote_complex": DeadlineRule(60, DAYS, "Luật Khiếu nại 2011, Điều 28"),
    "complaint_second_filing_window": DeadlineRule(30, DAYS, "Luật Khiếu nại 2011, Điều 33"),
    "complaint_second_filing_window_remote": DeadlineRule(45, DAYS, "Luật Khiếu nại 2011, Điều 33"),
    "complaint_second_resolve": DeadlineRule(45, DAYS, "Luật Khiếu nại 2011, Điều 37"),
    "complaint_second_resolve_complex": DeadlineRule(60, DAYS, "Luật Khiếu nại 2011, Điều 37"),
    "denunciation_preliminary": DeadlineRule(7, WORKING_DAYS, "Luật Tố cáo 2018, Điều 24"),
    "denunciation_preliminary_extended": DeadlineRule(10, WORKING_DAYS, "Luật Tố cáo 2018, Điều 24"),
    "denunciation_forward": DeadlineRule(5, WORKING_DAYS, "Luật Tố cáo 2018, Điều 24"),
    "denunciation_resolve": DeadlineRule(30, DAYS, "Luật Tố cáo 2018, Điều 30"),
    "denunciation_extension": DeadlineRule(30, DAYS, "Luật Tố cáo 2018, Điều 30"),
}

AGENCY = "UBND_HOAN_KIEM"
CITIZEN = Principal("vneid:001099012345", Role.CITIZEN)
OTHER_CITIZEN = Principal("vneid:001099099999", Role.CITIZEN)
HANDLER = Principal("officer-handler", Role.OFFICER, AGENCY)
OTHER_OFFICER = Principal("officer-other", Role.OFFICER, AGENCY)
LEADER = Principal("leader-hk", Role.LEADER, AGENCY)
OTHER_LEADER = Principal("leader-sxd", Role.LEADER, "SXD")
AUDITOR = Principal("inspector-01", Role.AUDITOR)
SYSTEM = Principal("system", Role.SYSTEM)
IDENTITY = ComplainantIdentity(
    name="Nguyễn Văn An", national_id="001099012345", phone="0912345678", address="12 Hàng Bài"
)


def at(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    """A time in Hanoi: November and December 2026, the other months 2027."""
    year = 2026 if month >= 11 else 2027
    return datetime(year, month, day, hour, minute, tzinfo=HANOI)


FILED_AT = at(11, 30)  # Monday 09:00


def file_complaint(
    *, timestamp: datetime = FILED_AT, remote: bool = False, first: Complaint | None = None, **overrides: Any
) -> Complaint:
    arguments: dict[str, Any] = {
        "id": uuid4(),
        "code": "KN-261130-000001",
        "actor": CITIZEN,
        "subject": "Quyết định thu hồi đất số 12/QĐ-UBND",
        "content": "Tôi không đồng ý với mức bồi thường.",
        "respondent_agency": AGENCY,
        "ward": "HOAN_KIEM",
        "remote": remote,
        "complainant": IDENTITY,
        "owner": CITIZEN.subject,
        "decision_date": None,
        "first": first,
        "deadlines": DEADLINES,
        "calendar": CALENDAR,
        "timestamp": timestamp,
    }
    if first is not None:
        # The resolver of a second complaint is the level above the first decider.
        arguments["second_time_resolver"] = "UBND_TP"
    return Complaint.file(**{**arguments, **overrides})


def file_denunciation(*, timestamp: datetime = FILED_AT, **overrides: Any) -> Denunciation:
    arguments: dict[str, Any] = {
        "id": uuid4(),
        "code": "TC-261130-000001",
        "actor": CITIZEN,
        "subject": "Cán bộ địa chính nhận tiền",
        "content": "Ông X nhận 20 triệu để xác nhận hồ sơ.",
        "respondent_agency": AGENCY,
        "ward": "HOAN_KIEM",
        "complainant": IDENTITY,
        "owner": CITIZEN.subject,
        "deadlines": DEADLINES,
        "calendar": CALENDAR,
        "timestamp": timestamp,
    }
    return Denunciation.file(**{**arguments, **overrides})


def accept(case: Grievance, timestamp: datetime) -> None:
    case.accept(LEADER, deadlines=DEADLINES, calendar=CALENDAR, timestamp=timestamp)


def extend(
    case: Grievance,
    timestamp: datetime,
    actor: Principal = LEADER,
    complexity: Complexity = Complexity.COMPLEX,
) -> None:
    case.extend(
        actor, "Vụ việc phức tạp", complexity=complexity, deadlines=DEADLINES, calendar=CALENDAR, timestamp=timestamp
    )


def forward(case: Grievance, to_agency: str, timestamp: datetime) -> None:
    reason = "Không thuộc thẩm quyền"
    case.forward(HANDLER, to_agency, reason, deadlines=DEADLINES, calendar=CALENDAR, timestamp=timestamp)


def extend_preliminary_check(case: Grievance, timestamp: datetime, actor: Principal = LEADER) -> None:
    reason = "Nội dung liên quan nhiều địa điểm"
    case.extend_preliminary_check(actor, reason, deadlines=DEADLINES, calendar=CALENDAR, timestamp=timestamp)


def verifying(case: Grievance, accepted_at: datetime) -> None:
    accept(case, accepted_at)
    case.assign(LEADER, HANDLER.subject, timestamp=accepted_at)
    case.start_verification(HANDLER, timestamp=accepted_at)


def decided_complaint(decided_at: datetime) -> Complaint:
    first = file_complaint()
    verifying(first, at(12, 1, 10))
    first.decide(LEADER, "Giữ nguyên quyết định thu hồi đất", timestamp=decided_at)
    return first


def names(case: Grievance) -> list[str]:
    return [type(e).__name__ for e in case.pending_events]


def replayed(case: Grievance) -> Grievance:
    rebuilt = None
    for domain_event in case.pending_events:
        rebuilt = domain_event.mutate(rebuilt)
    assert isinstance(rebuilt, Grievance)
    return rebuilt


# -- complaints: filing and acceptance -------------------------------------------


def test_a_complaint_is_filed_with_acceptance_due_at_office_close_ten_days_after_receipt() -> None:
    complaint = file_complaint()
    assert complaint.status == ComplaintStatus.FILED
    assert complaint.code.startswith("KN-")
    assert complaint.agency == AGENCY
    assert complaint.owner == CITIZEN.subject
    assert complaint.due_at == at(12, 10, 17)
    filed = complaint.pending_events[0]
    assert names(complaint) == ["Filed"]
    assert filed.actor == CITIZEN  # type: ignore[attr-defined]
    assert filed.clock.rule == DEADLINES["complaint_accept"]  # type: ignore[attr-defined]
    assert filed.due_at == at(12, 10, 17)  # type: ignore[attr-defined]


def test_accepting_starts_a_thirty_day_resolve_clock_stored_in_the_event() -> None:
    complaint = file_complaint()
    accept(complaint, at(12, 1, 10))
    assert complaint.status == ComplaintStatus.ACCEPTED
    assert complaint.due_at == at(12, 31, 17)
    accepted = complaint.pending_events[-1]
    assert type(accepted).__name__ == "Accepted"
    assert accepted.actor == LEADER  # type: ignore[attr-defined]
    assert accepted.clock.started_at == at(12, 1, 10)  # type: ignore[attr-defined]
    assert accepted.clock.rule == DEADLINES["complaint_resolve"]  # type: ignore[attr-defined]
    assert accepted.due_at == at(12, 31, 17)  # type: ignore[attr-defined]


def test_replaying_the_events_rebuilds_the_same_case() -> None:
    complaint = file_complaint()
    verifying(complaint, at(12, 1, 10))
    extend(complaint, at(12, 5))
    rebuilt = replayed(complaint)
    assert type(rebuilt) is Complaint
    assert (rebuilt.status, rebuilt.due_at, rebuilt.assignee) == (
        complaint.status,
        complaint.due_at,
        complaint.assignee,
    )


def test_extending_a_complaint_switches_once_to_the_complex_period() -> None:
    complaint = file_complaint()
    accept(complaint, at(12, 1, 10))
    extend(complaint, at(12, 20))
    # 45 days after 1 December: Friday 15 January.
    assert complaint.due_at == at(1, 15, 17)
    extended = complaint.pending_events[-1]
    assert type(extended).__name__ == "Extended"
    assert extended.approver == LEADER.subject  # type: ignore[attr-defined]
    assert extended.reason == "Vụ việc phức tạp"  # type: ignore[attr-defined]
    with pytest.raises(RuleViolationError) as raised:
        extend(complaint, at(12, 21))
    assert raised.value.rule == "extension"
    assert names(complaint) == ["Filed", "Accepted", "Extended"]


def test_a_remote_ward_gets_forty_five_days_and_sixty_when_complex() -> None:
    complaint = file_complaint(remote=True)
    accept(complaint, at(12, 1, 10))
    assert complaint.due_at == at(1, 15, 17)
    extend(complaint, at(12, 2))
    # Day 60 is Saturday 30 January 2027, so the period ends Monday 1 February.
    assert complaint.due_at == at(2, 1, 17)


@pytest.mark.parametrize("approver", [HANDLER, OTHER_LEADER], ids=["officer", "leader-of-another-agency"])
def test_only_a_leader_of_the_handling_agency_approves_an_extension(approver: Principal) -> None:
    complaint = file_complaint()
    accept(complaint, at(12, 1, 10))
    with pytest.raises(RuleViolationError) as raised:
        extend(complaint, at(12, 2), actor=approver)
    assert raised.value.rule == "approver"
    assert complaint.due_at == at(12, 31, 17)


def test_a_complaint_goes_through_verification_and_dialogue_to_a_decision_and_closure() -> None:
    complaint = file_complaint()
    verifying(complaint, at(12, 1, 10))
    assert complaint.status == ComplaintStatus.VERIFYING
    complaint.hold_dialogue(HANDLER, "Người khiếu nại giữ nguyên yêu cầu", timestamp=at(12, 10))
    assert complaint.status == ComplaintStatus.DIALOGUE
    complaint.decide(LEADER, "Công nhận một phần nội dung khiếu nại", timestamp=at(12, 20))
    assert complaint.status == ComplaintStatus.DECIDED
    assert complaint.decided_at == at(12, 20)
    assert complaint.due_at is None
    complaint.close(HANDLER, timestamp=at(12, 21))
    assert complaint.is_final
    assert complaint.due_at is None
    assert names(complaint) == [
        "Filed",
        "Accepted",
        "Assigned",
        "VerificationStarted",
        "DialogueHeld",
        "Decided",
        "Closed",
    ]


def test_verification_needs_an_assigned_handler() -> None:
    complaint = file_complaint()
    accept(complaint, at(12, 1, 10))
    with pytest.raises(RuleViolationError) as raised:
        complaint.start_verification(LEADER, timestamp=at(12, 2))
    assert raised.value.rule == "assignee"
    assert complaint.status == ComplaintStatus.ACCEPTED


def test_refusal_records_reason_and_legal_basis_and_stops_the_clock() -> None:
    complaint = file_complaint()
    complaint.refuse(LEADER, "Đã có bản án của Tòa án", "Luật Khiếu nại 2011, Điều 11", timestamp=at(12, 2))
    assert complaint.status == ComplaintStatus.REFUSED
    assert (complaint.refusal_reason, complaint.refusal_legal_basis) == (
        "Đã có bản án của Tòa án",
        "Luật Khiếu nại 2011, Điều 11",
    )
    assert complaint.due_at is None
    with pytest.raises(RuleViolationError):
        file_complaint().refuse(LEADER, "Lý do", "   ", timestamp=at(12, 2))


def test_forwarding_moves_the_complaint_to_the_new_agency_with_a_fresh_acceptance_clock() -> None:
    complaint = file_complaint()
    complaint.assign(HANDLER, HANDLER.subject, timestamp=at(12, 1))
    forward(complaint, "SXD", at(12, 2, 10))
    assert complaint.status == ComplaintStatus.FORWARDED
    assert (complaint.agency, complaint.respondent_agency, complaint.assignee) == ("SXD", AGENCY, None)
    # Day 10 after 2 December is Saturday 12 December: Monday 14 December.
    assert complaint.due_at == at(12, 14, 17)
    with pytest.raises(RuleViolationError):
        forward(complaint, "SXD", at(12, 3))
    accept(complaint, at(12, 3, 10))
    assert complaint.status == ComplaintStatus.ACCEPTED


@pytest.mark.parametrize("stage", ["filed", "accepted", "verifying", "dialogue"])
def test_the_complainant_can_withdraw_before_the_decision(stage: str) -> None:
    complaint = file_complaint()
    if stage != "filed":
        accept(complaint, at(12, 1, 10))
    if stage in ("verifying", "dialogue"):
        complaint.assign(LEADER, HANDLER.subject, timestamp=at(12, 2))
        complaint.start_verification(HANDLER, timestamp=at(12, 2))
    if stage == "dialogue":
        complaint.hold_dialogue(HANDLER, "Đối thoại", timestamp=at(12, 3))
    complaint.withdraw(CITIZEN, "Đã được giải thích thỏa đáng", timestamp=at(12, 4))
    assert complaint.status == ComplaintStatus.WITHDRAWN
    assert complaint.withdrawal_reason == "Đã được giải thích thỏa đáng"
    assert complaint.due_at is None
    assert complaint.is_final


def test_a_decided_complaint_can_no_longer_be_withdrawn() -> None:
    complaint = decided_complaint(at(12, 20))
    with pytest.raises(InvalidTransitionError) as raised:
        complaint.withdraw(CITIZEN, "Rút đơn", timestamp=at(12, 21))
    assert raised.value.status == "decided"
    assert names(complaint)[-1] == "Decided"


@pytest.mark.parametrize(
    ("command", "allowed_from"),
    [
        (lambda c: c.decide(LEADER, "x", timestamp=at(12, 1)), ("verifying", "dialogue")),
        (lambda c: c.close(LEADER, timestamp=at(12, 1)), ("decided",)),
        (lambda c: c.start_verification(HANDLER, timestamp=at(12, 1)), ("accepted",)),
        (lambda c: c.hold_dialogue(HANDLER, "x", timestamp=at(12, 1)), ("verifying", "dialogue")),
        (lambda c: extend(c, at(12, 1)), ("accepted", "verifying", "dialogue")),
        # Steps of the other kind are valid from no status at all.
        (lambda c: c.conclude(LEADER, "x", timestamp=at(12, 1)), ()),
        (lambda c: extend_preliminary_check(c, at(12, 1)), ()),
    ],
    ids=["decide", "close", "start_verification", "hold_dialogue", "extend", "conclude", "extend_check"],
)
def test_illegal_complaint_transitions_raise_and_append_nothing(command: Any, allowed_from: tuple[str, ...]) -> None:
    complaint = file_complaint()
    with pytest.raises(InvalidTransitionError) as raised:
        command(complaint)
    assert raised.value.status == "filed"
    assert raised.value.allowed_from == allowed_from
    assert names(complaint) == ["Filed"]
    assert complaint.status == ComplaintStatus.FILED


def test_a_closed_complaint_accepts_no_comment_or_assignment() -> None:
    complaint = decided_complaint(at(12, 20))
    complaint.close(LEADER, timestamp=at(12, 21))
    with pytest.raises(InvalidTransitionError):
        complaint.comment(HANDLER, "x", timestamp=at(12, 22))
    with pytest.raises(InvalidTransitionError):
        complaint.assign(LEADER, "someone", timestamp=at(12, 22))


# -- complaints: the filing windows ----------------------------------------------


def test_a_decision_within_ninety_days_can_be_complained_about() -> None:
    # 30 August + 90 days is Saturday 28 November, so the window runs to
    # Monday 30 November 17:00 and a complaint at 09:00 that day is in time.
    complaint = file_complaint(decision_date=date(2026, 8, 30))
    assert complaint.decision_date == date(2026, 8, 30)


def test_a_decision_older_than_ninety_days_is_refused_at_filing() -> None:
    # 29 August + 90 days is Friday 27 November: the window closed at 17:00.
    with pytest.raises(RuleViolationError) as raised:
        file_complaint(decision_date=date(2026, 8, 29))
    assert raised.value.rule == "filing_window"
    assert raised.value.case_id is None


def test_a_decision_dated_in_the_future_is_invalid_input() -> None:
    with pytest.raises(ValidationError) as raised:
        file_complaint(decision_date=date(2026, 12, 1))
    assert "decision_date" in raised.value.errors


def test_a_second_time_complaint_within_thirty_days_of_the_first_decision_uses_second_time_periods() -> None:
    first = decided_complaint(at(12, 1, 10))
    # The window ends 30 days after 1 December: Thursday 31 December 17:00.
    second = file_complaint(first=first, timestamp=at(12, 31, 16, 59))
    assert second.is_second_time
    assert (second.first_case, second.first_case_code) == (first.id, first.code)
    # Acceptance: 10 days, Sunday 10 January 2027 → Monday 11 January.
    assert second.due_at == at(1, 11, 17)
    accept(second, at(1, 4, 9))
    # Second time: 45 days after 4 January is Thursday 18 February.
    assert second.due_at == at(2, 18, 17)
    extend(second, at(1, 5), actor=Principal("leader-tp", Role.LEADER, "UBND_TP"))
    # Complex second time: 60 days after 4 January is Friday 5 March.
    assert second.due_at == at(3, 5, 17)


def test_a_second_time_complaint_after_the_window_is_refused() -> None:
    first = decided_complaint(at(12, 1, 10))
    with pytest.raises(RuleViolationError) as raised:
        file_complaint(first=first, timestamp=at(12, 31, 17, 1))
    assert raised.value.rule == "second_filing_window"
    assert raised.value.case_id == first.id


def test_a_remote_complainant_has_forty_five_days_for_a_second_time_complaint() -> None:
    first = decided_complaint(at(12, 1, 10))
    # 45 days after 1 December is Friday 15 January.
    assert file_complaint(first=first, remote=True, timestamp=at(1, 15, 16)).is_second_time
    with pytest.raises(RuleViolationError):
        file_complaint(first=first, remote=True, timestamp=at(1, 15, 17, 1))


def test_a_second_time_complaint_may_follow_a_first_deadline_that_lapsed_without_a_decision() -> None:
    first = file_complaint()
    verifying(first, at(12, 1, 10))  # due Thursday 31 December 17:00
    with pytest.raises(RuleViolationError) as raised:
        file_complaint(first=first, timestamp=at(12, 20))
    assert raised.value.rule == "second_time"
    # From the lapse, 30 days run to Saturday 30 January → Monday 1 February.
    assert file_complaint(first=first, timestamp=at(2, 1, 16)).is_second_time
    with pytest.raises(RuleViolationError):
        file_complaint(first=first, timestamp=at(2, 2, 9))


def test_there_is_no_third_complaint_and_no_second_one_about_a_refused_complaint() -> None:
    second = file_complaint(first=decided_complaint(at(12, 1, 10)), timestamp=at(12, 2))
    verifying(second, at(12, 3))
    second.decide(LEADER, "Quyết định lần hai", timestamp=at(12, 10))
    with pytest.raises(RuleViolationError) as raised:
        file_complaint(first=second, timestamp=at(12, 11))
    assert raised.value.rule == "second_time"
    refused = file_complaint()
    refused.refuse(LEADER, "Hết thời hiệu", "Luật Khiếu nại 2011, Điều 11", timestamp=at(12, 1))
    with pytest.raises(RuleViolationError):
        file_complaint(first=refused, timestamp=at(12, 2))


def test_a_complaint_needs_a_named_complainant() -> None:
    with pytest.raises(ValidationError) as raised:
        file_complaint(complainant=ComplainantIdentity(name="  "))
    assert "complainant.name" in raised.value.errors
    # A name alone is enough for a complaint.
    named_only = file_complaint(complainant=ComplainantIdentity(name=" Trần Thị Bình "))
    assert named_only.complainant == ComplainantIdentity(name="Trần Thị Bình")


def test_complaint_personal_data_is_for_the_complainant_and_the_agency_staff() -> None:
    complaint = file_complaint()
    assert complaint.can_read_personal(CITIZEN)
    assert complaint.can_read_personal(OTHER_OFFICER)
    assert not complaint.can_read_personal(OTHER_CITIZEN)
    assert not complaint.can_read_personal(AUDITOR)
    assert complaint.pseudonymised_fields() == {}


# -- denunciations ------------------------------------------------------------------


def test_a_denunciation_opens_a_seven_working_day_preliminary_check() -> None:
    denunciation = file_denunciation()
    assert denunciation.status == ComplaintStatus.PRELIMINARY_CHECK
    assert denunciation.code.startswith("TC-")
    # 09:00 Monday plus 7 × 8 office hours: 09:00 Wednesday 9 December.
    assert denunciation.due_at == at(12, 9)
    # If not competent, forward within 5 working days: Monday 7 December 09:00.
    assert denunciation.forward_due_at == at(12, 7)
    assert denunciation.pending_events[0].forward_due_at == at(12, 7)  # type: ignore[attr-defined]


def test_the_preliminary_check_is_extended_once_to_ten_working_days() -> None:
    denunciation = file_denunciation()
    extend_preliminary_check(denunciation, at(12, 3))
    assert denunciation.due_at == at(12, 14)
    assert denunciation.pending_events[-1].approver == LEADER.subject  # type: ignore[attr-defined]
    with pytest.raises(RuleViolationError) as raised:
        extend_preliminary_check(denunciation, at(12, 4))
    assert raised.value.rule == "preliminary_extension"
    assert names(denunciation) == ["Filed", "PreliminaryCheckExtended"]


@pytest.mark.parametrize(
    ("identity", "field"),
    [
        (ComplainantIdentity(name="", national_id="001", phone="09"), "complainant.name"),
        (ComplainantIdentity(name="Nguyễn Văn An", phone="09"), "complainant.national_id"),
        (ComplainantIdentity(name="Nguyễn Văn An", national_id="001"), "complainant.contact"),
    ],
    ids=["no-name", "no-national-id", "no-contact"],
)
def test_an_unidentified_denunciation_is_not_accepted(identity: ComplainantIdentity, field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        file_denunciation(complainant=identity)
    assert field in raised.value.errors


def test_an_especially_complex_denunciation_is_extended_twice_and_never_a_third_time() -> None:
    # Law on Denunciations 2018 Art. 30(3): especially complex, twice, 30 days each.
    denunciation = file_denunciation()
    verifying(denunciation, at(12, 1, 10))
    assert denunciation.due_at == at(12, 31, 17)
    extend(denunciation, at(12, 15), complexity=Complexity.ESPECIALLY_COMPLEX)
    # 60 days: Saturday 30 January → Monday 1 February.
    assert denunciation.due_at == at(2, 1, 17)
    extend(denunciation, at(1, 20), complexity=Complexity.ESPECIALLY_COMPLEX)
    # 90 days after 1 December: Monday 1 March 2027.
    assert denunciation.due_at == at(3, 1, 17)
    assert denunciation.extension_count == 2
    with pytest.raises(RuleViolationError) as raised:
        extend(denunciation, at(2, 20), complexity=Complexity.ESPECIALLY_COMPLEX)
    assert raised.value.rule == "extension"
    assert names(denunciation).count("Extended") == 2
    assert denunciation.due_at == at(3, 1, 17)


def test_a_complex_denunciation_is_extended_once_and_its_second_extension_is_refused() -> None:
    # Law on Denunciations 2018 Art. 30(2): a complex case, once, at most 30 days.
    denunciation = file_denunciation()
    verifying(denunciation, at(12, 1, 10))
    extend(denunciation, at(12, 15))
    assert denunciation.due_at == at(2, 1, 17)
    assert denunciation.pending_events[-1].complexity is Complexity.COMPLEX  # type: ignore[attr-defined]
    with pytest.raises(RuleViolationError) as raised:
        extend(denunciation, at(1, 20))
    assert raised.value.rule == "extension"
    assert "Điều 30" in str(raised.value)
    assert denunciation.due_at == at(2, 1, 17)


def test_an_extension_event_stored_without_its_complexity_still_loads() -> None:
    # Extended events stored before the complexity was recorded lack the
    # field; they load, keep the due time decided then, and count.
    denunciation = file_denunciation()
    verifying(denunciation, at(12, 1, 10))
    extend(denunciation, at(12, 15))
    extended = denunciation.pending_events[-1]
    del extended.__dict__["complexity"]
    rebuilt = replayed(denunciation)
    assert rebuilt.extension_count == 1
    assert rebuilt.due_at == at(2, 1, 17)


def test_a_complaint_is_not_extended_as_especially_complex() -> None:
    # The Law on Complaints (Art. 28, 37) knows complex cases only.
    complaint = file_complaint()
    accept(complaint, at(12, 1, 10))
    with pytest.raises(RuleViolationError) as raised:
        extend(complaint, at(12, 2), complexity=Complexity.ESPECIALLY_COMPLEX)
    assert raised.value.rule == "complexity"


def test_a_second_time_complaint_is_handled_by_the_agency_above_the_first_decider() -> None:
    # Law on Complaints, second-time competence: the level above the first decider.
    first = decided_complaint(at(12, 1, 10))
    second = file_complaint(first=first, timestamp=at(12, 2))
    assert (second.agency, second.respondent_agency) == ("UBND_TP", AGENCY)
    with pytest.raises(RuleViolationError) as raised:
        file_complaint(first=first, timestamp=at(12, 2), second_time_resolver=AGENCY)
    assert raised.value.rule == "second_time_resolver"


def test_a_complaint_filed_before_second_time_routing_loads_with_the_respondent_as_handler() -> None:
    complaint = file_complaint()
    del complaint.pending_events[0].__dict__["handling_agency"]
    assert replayed(complaint).agency == AGENCY


def test_a_denunciation_goes_from_verification_to_conclusion_and_closure() -> None:
    denunciation = file_denunciation()
    verifying(denunciation, at(12, 1, 10))
    denunciation.conclude(LEADER, "Tố cáo đúng một phần", timestamp=at(12, 20))
    assert denunciation.status == ComplaintStatus.CONCLUDED
    assert (denunciation.conclusion, denunciation.concluded_at, denunciation.due_at) == (
        "Tố cáo đúng một phần",
        at(12, 20),
        None,
    )
    denunciation.close(HANDLER, timestamp=at(12, 21))
    assert denunciation.status == ComplaintStatus.CLOSED
    assert names(denunciation) == [
        "Filed",
        "Accepted",
        "Assigned",
        "VerificationStarted",
        "Concluded",
        "Closed",
    ]


def test_dialogue_and_decision_are_not_steps_of_a_denunciation() -> None:
    denunciation = file_denunciation()
    verifying(denunciation, at(12, 1, 10))
    with pytest.raises(InvalidTransitionError) as raised:
        denunciation.hold_dialogue(HANDLER, "x", timestamp=at(12, 2))
    assert raised.value.allowed_from == ()
    with pytest.raises(InvalidTransitionError):
        denunciation.decide(LEADER, "x", timestamp=at(12, 2))
    with pytest.raises(InvalidTransitionError):
        denunciation.close(LEADER, timestamp=at(12, 2))
    assert denunciation.status == ComplaintStatus.VERIFYING


def test_a_forwarded_denunciation_gets_a_new_preliminary_check_at_the_receiving_agency() -> None:
    denunciation = file_denunciation()
    extend_preliminary_check(denunciation, at(12, 1))
    forward(denunciation, "CATP", at(12, 3, 10))
    assert (denunciation.status, denunciation.agency) == (ComplaintStatus.FORWARDED, "CATP")
    # Thursday 10:00 plus 7 working days: Monday 14 December 10:00; forward by Thursday 10 December.
    assert denunciation.due_at == at(12, 14, 10)
    assert denunciation.forward_due_at == at(12, 10, 10)
    # The receiving agency may extend its own check once.
    police_leader = Principal("leader-catp", Role.LEADER, "CATP")
    extend_preliminary_check(denunciation, at(12, 4), actor=police_leader)
    assert denunciation.due_at == at(12, 17, 10)


def test_a_denouncer_can_withdraw_before_the_conclusion_only() -> None:
    withdrawn = file_denunciation()
    withdrawn.withdraw(CITIZEN, "Rút đơn", timestamp=at(12, 1))
    assert (withdrawn.status, withdrawn.due_at) == (ComplaintStatus.WITHDRAWN, None)
    concluded = file_denunciation()
    verifying(concluded, at(12, 1, 10))
    concluded.conclude(LEADER, "Tố cáo sai", timestamp=at(12, 5))
    with pytest.raises(InvalidTransitionError):
        concluded.withdraw(CITIZEN, "Rút đơn", timestamp=at(12, 6))


def test_the_denouncers_identity_is_readable_only_by_the_denouncer_the_handler_and_the_leader() -> None:
    denunciation = file_denunciation()
    assert not denunciation.can_read_personal(HANDLER)  # not assigned yet
    denunciation.assign(LEADER, HANDLER.subject, timestamp=at(12, 1))
    assert denunciation.can_read_personal(CITIZEN)
    assert denunciation.can_read_personal(HANDLER)
    assert denunciation.can_read_personal(LEADER)
    for outsider in (OTHER_CITIZEN, OTHER_OFFICER, OTHER_LEADER, AUDITOR, SYSTEM):
        assert not denunciation.can_read_personal(outsider), outsider
    # A handler from another agency with the same subject id gains nothing.
    assert not denunciation.can_read_personal(Principal(HANDLER.subject, Role.OFFICER, "SXD"))


def test_everyone_else_sees_a_stable_pseudonym_of_the_denouncer() -> None:
    denunciation = file_denunciation(id=UUID("0b5e0d8e-2f1c-4a4e-9d77-1c3e6a2b9f10"))
    expected = hashlib.sha256(b"0b5e0d8e-2f1c-4a4e-9d77-1c3e6a2b9f10denouncer").hexdigest()[:8]
    assert denunciation.pseudonymised_fields() == {"complainant": f"Người tố cáo #{expected}"}
    assert replayed(denunciation).pseudonymised_fields() == denunciation.pseudonymised_fields()
    assert file_denunciation().pseudonym != denunciation.pseudonym
    assert set(Denunciation.PERSONAL_FIELDS) >= {"owner", "complainant"}


@pytest.mark.parametrize(
    ("file", "misspelt"),
    [(file_denunciation, {"remote": True}), (file_complaint, {"second_time_resolvr": "UBND_TP"})],
)
def test_a_filing_refuses_a_keyword_it_does_not_take(file: Any, misspelt: dict[str, Any]) -> None:
    # The filing fields come as one Filing mapping: a keyword no kind takes
    # (a denunciation has no remoteness; a misspelt resolver) must not be dropped.
    with pytest.raises(TypeError, match=next(iter(misspelt))):
        file(**misspelt)
