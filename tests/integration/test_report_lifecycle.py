"""Scenario tests: a field report through every path of DESIGN §3.1, on POPO,
a real SQLite file and the real PostgreSQL server."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from eventsourcing.persistence import StoredEvent

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.reports import (
    AcknowledgeReport,
    AssignReport,
    CloseReport,
    CommentReport,
    DeclareReportNotResponsible,
    MarkReportDuplicate,
    RateReport,
    RejectReport,
    ReopenReport,
    ReportCommand,
    ResolveReport,
    StartReport,
    SubmitReport,
    TransferReport,
)
from ihanoi_core.commands.values import LocationIn
from ihanoi_core.domain.case_code import CaseCode, code_id
from ihanoi_core.domain.values import Principal, Priority, Role
from ihanoi_core.errors import (
    CaseNotFoundError,
    ForbiddenError,
    IdempotencyKeyReusedError,
    InvalidTransitionError,
    RuleViolationError,
    ValidationError,
    VersionMismatchError,
)
from ihanoi_core.settings import Settings
from tests.conftest import FakeClock, staff
from tests.integration.conftest import event_names

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
HOAN_KIEM = LocationIn(ward="HOAN_KIEM", latitude=21.0285, longitude=105.8542, address="Phố Hàng Bài")


def routed_staff(app: Ihanoi, role: Role, category: str = "pothole", ward: str = "HOAN_KIEM") -> Principal:
    """Staff of the agency a report of ``category`` in ``ward`` is routed to."""
    return staff(role, app.directory.route(category, ward).code)


def test_a_report_goes_from_submission_to_closure_with_every_actor_recorded(
    app: Ihanoi, clock: FakeClock, citizen: Principal
) -> None:
    officer, leader = routed_staff(app, Role.OFFICER), routed_staff(app, Role.LEADER)

    # Step: a citizen files a pothole report on Monday 09:00; it is routed and due
    # for acknowledgement 8 working hours later, Tuesday 09:00.
    filed = app.handle(
        citizen, SubmitReport(category="pothole", description="Ổ gà lớn trước số 12 Hàng Bài", location=HOAN_KIEM)
    )
    assert filed.code.startswith("PA-261130-")
    assert filed.status == "submitted"
    case = app.get_case(citizen, filed.case_id)
    assert case["agency"] == officer.agency
    assert case["due_at"] == datetime(2026, 12, 1, 9, 0, tzinfo=HANOI)

    # Step: the officer acknowledges at 10:30 as urgent: due 4 working hours later
    # (lunch excluded), 15:30.
    clock.advance(hours=1.5)
    app.handle(officer, AcknowledgeReport(case=filed.case_id, priority=Priority.URGENT))
    assert app.get_case(officer, filed.case_id)["due_at"] == datetime(2026, 11, 30, 15, 30, tzinfo=HANOI)

    # Step: assign, start, comment, resolve.
    app.handle(officer, AssignReport(case=filed.case_id, assignee="officer-nguyen-van-a"))
    app.handle(officer, StartReport(case=filed.case_id))
    app.handle(officer, CommentReport(case=filed.case_id, note="Đội duy tu đã có mặt tại hiện trường"))
    clock.advance(hours=3)
    resolved = app.handle(officer, ResolveReport(case=filed.case_id, answer="Đã vá ổ gà"))
    assert resolved.status == "resolved"

    # Step: the citizen rates it, then the leader closes it.
    app.handle(citizen, RateReport(case=filed.case_id, stars=5, comment="Nhanh, cảm ơn"))
    closed = app.handle(leader, CloseReport(case=filed.case_id))
    assert closed.status == "closed"
    assert closed.position > filed.position

    # Every event records who acted.
    events = list(app.events.get(filed.case_id))
    assert [type(e).__name__ for e in events] == [
        "Submitted",
        "Acknowledged",
        "Assigned",
        "Started",
        "Commented",
        "Resolved",
        "Rated",
        "Closed",
    ]
    assert [e.actor.role for e in events] == [  # type: ignore[attr-defined]
        Role.CITIZEN,
        Role.OFFICER,
        Role.OFFICER,
        Role.OFFICER,
        Role.OFFICER,
        Role.OFFICER,
        Role.CITIZEN,
        Role.LEADER,
    ]
    assert all(e.actor.agency == officer.agency for e in events[1:6])  # type: ignore[attr-defined]


def test_a_resolved_report_can_be_reopened_within_the_window_but_not_after(
    app: Ihanoi, clock: FakeClock, citizen: Principal
) -> None:
    officer = routed_staff(app, Role.OFFICER)
    filed = app.handle(citizen, SubmitReport(category="pothole", description="Ổ gà", location=HOAN_KIEM))
    app.handle(officer, AcknowledgeReport(case=filed.case_id))
    app.handle(officer, AssignReport(case=filed.case_id, assignee="a"))
    app.handle(officer, ResolveReport(case=filed.case_id, answer="Đã xử lý"))

    # Step: three days later the citizen reopens: back in progress, counted.
    clock.advance(days=3)
    reopened = app.handle(citizen, ReopenReport(case=filed.case_id, reason="Vẫn còn ổ gà"))
    assert reopened.status == "in_progress"
    assert app.get_case(citizen, filed.case_id)["reopen_count"] == 1

    # Step: resolved again, then twenty days later the window has passed.
    app.handle(officer, ResolveReport(case=filed.case_id, answer="Đã vá lại"))
    clock.advance(days=20)
    with pytest.raises(RuleViolationError):
        app.handle(citizen, ReopenReport(case=filed.case_id, reason="Lại hỏng"))
    assert event_names(app, filed.case_id)[-1] == "Resolved"


@pytest.mark.parametrize(
    ("command", "kwargs", "status"),
    [
        (RejectReport, {"reason": "Thuộc kênh khiếu nại"}, "rejected"),
        (DeclareReportNotResponsible, {"responsible": "EVN Hà Nội"}, "not_responsible"),
    ],
)
def test_a_report_can_be_closed_without_action_with_a_reason(
    app: Ihanoi, citizen: Principal, command: type[ReportCommand], kwargs: dict[str, str], status: str
) -> None:
    officer = routed_staff(app, Role.OFFICER)
    filed = app.handle(citizen, SubmitReport(category="pothole", description="x", location=HOAN_KIEM))
    result = app.handle(officer, command(case=filed.case_id, **kwargs))
    assert result.status == status
    assert app.get_case(citizen, filed.case_id)["due_at"] is None
    with pytest.raises(InvalidTransitionError):
        app.handle(officer, AcknowledgeReport(case=filed.case_id))


def test_a_duplicate_points_at_the_original_report(app: Ihanoi, citizen: Principal, other_citizen: Principal) -> None:
    officer = routed_staff(app, Role.OFFICER)
    first = app.handle(citizen, SubmitReport(category="pothole", description="Ổ gà", location=HOAN_KIEM))
    second = app.handle(other_citizen, SubmitReport(category="pothole", description="Ổ gà nữa", location=HOAN_KIEM))
    result = app.handle(officer, MarkReportDuplicate(case=second.case_id, original=first.code))
    assert result.status == "duplicate"
    case = app.get_case(other_citizen, second.case_id)
    assert case["duplicate_of"] == first.case_id
    assert first.code in case["public_note"]


def test_a_transferred_report_moves_to_the_new_agency_and_keeps_its_history(app: Ihanoi, citizen: Principal) -> None:
    leader = routed_staff(app, Role.LEADER)
    filed = app.handle(citizen, SubmitReport(category="pothole", description="Ổ gà", location=HOAN_KIEM))
    target = next(code for code in app.directory.agencies if code != leader.agency)
    app.handle(leader, TransferReport(case=filed.case_id, to_agency=target, reason="Tuyến phố do Sở quản lý"))

    # The old agency loses sight of it; the new one must acknowledge it.
    with pytest.raises(CaseNotFoundError):
        app.get_case(leader, filed.case_id)
    new_officer = Principal("officer-new", Role.OFFICER, target)
    assert app.handle(new_officer, AcknowledgeReport(case=filed.case_id)).status == "acknowledged"
    assert event_names(app, filed.case_id) == ["Submitted", "Transferred", "Acknowledged"]


def test_permissions_hide_other_peoples_cases_and_forbid_wrong_roles(
    app: Ihanoi, citizen: Principal, other_citizen: Principal, auditor: Principal
) -> None:
    officer = routed_staff(app, Role.OFFICER)
    filed = app.handle(citizen, SubmitReport(category="pothole", description="Ổ gà", location=HOAN_KIEM))
    before = event_names(app, filed.case_id)

    # Another citizen and another agency's officer cannot even see it.
    with pytest.raises(CaseNotFoundError):
        app.get_case(other_citizen, filed.case_id)
    with pytest.raises(CaseNotFoundError):
        app.handle(Principal("x", Role.OFFICER, "SYT"), AcknowledgeReport(case=filed.case_id))
    # The owner may see it but not acknowledge it; an officer may not transfer; an auditor may not act.
    with pytest.raises(ForbiddenError):
        app.handle(citizen, AcknowledgeReport(case=filed.case_id))
    with pytest.raises(ForbiddenError):
        app.handle(officer, TransferReport(case=filed.case_id, to_agency="SXD", reason="x"))
    with pytest.raises(ForbiddenError):
        app.handle(auditor, AcknowledgeReport(case=filed.case_id))
    # The auditor sees the case with personal data redacted.
    assert app.get_case(auditor, filed.case_id)["owner"] is None
    assert app.get_case(citizen, filed.case_id)["owner"] == citizen.subject
    assert event_names(app, filed.case_id) == before


def test_illegal_transitions_raise_and_append_nothing(app: Ihanoi, citizen: Principal) -> None:
    officer = routed_staff(app, Role.OFFICER)
    filed = app.handle(citizen, SubmitReport(category="pothole", description="Ổ gà", location=HOAN_KIEM))
    with pytest.raises(InvalidTransitionError) as raised:
        app.handle(officer, ResolveReport(case=filed.case_id, answer="x"))
    assert raised.value.status == "submitted"
    with pytest.raises(InvalidTransitionError):
        app.handle(citizen, RateReport(case=filed.case_id, stars=5))
    with pytest.raises(VersionMismatchError):
        app.handle(officer, AcknowledgeReport(case=filed.case_id), expected_version=7)
    assert event_names(app, filed.case_id) == ["Submitted"]


def test_the_same_idempotency_key_returns_the_first_case(
    app: Ihanoi, citizen: Principal, other_citizen: Principal
) -> None:
    first = app.handle(
        citizen, SubmitReport(category="pothole", description="Ổ gà", location=HOAN_KIEM), idempotency_key="k-1"
    )
    again = app.handle(
        citizen, SubmitReport(category="pothole", description="Ổ gà", location=HOAN_KIEM), idempotency_key="k-1"
    )
    theirs = app.handle(
        other_citizen, SubmitReport(category="pothole", description="Ổ gà", location=HOAN_KIEM), idempotency_key="k-1"
    )
    assert (again.case_id, again.code) == (first.case_id, first.code)
    assert first.created
    assert not again.created
    assert theirs.case_id != first.case_id
    assert app.get_case(citizen, first.code)["id"] == first.case_id


def test_the_same_idempotency_key_with_another_request_is_refused_and_stores_nothing(
    app: Ihanoi, citizen: Principal
) -> None:
    # Step: the first request creates the case and keeps its fingerprint.
    first = app.handle(
        citizen, SubmitReport(category="pothole", description="Ổ gà", location=HOAN_KIEM), idempotency_key="k-2"
    )
    log_head = app.recorder.max_notification_id()
    # Step: another request under the same key is refused; nothing is stored.
    with pytest.raises(IdempotencyKeyReusedError) as refused:
        app.handle(
            citizen,
            SubmitReport(category="street_light_out", description="Đèn hỏng", location=HOAN_KIEM),
            idempotency_key="k-2",
        )
    assert refused.value.case_id == first.case_id
    assert set(refused.value.errors) == {"idempotency_key"}
    assert app.recorder.max_notification_id() == log_head
    # Step: a retry of the first request still answers the first case.
    again = app.handle(
        citizen, SubmitReport(category="pothole", description="Ổ gà", location=HOAN_KIEM), idempotency_key="k-2"
    )
    assert (again.case_id, again.created) == (first.case_id, False)


def test_a_code_registered_before_fingerprints_were_kept_loads_and_answers_any_retry(
    app: Ihanoi, clock: FakeClock, citizen: Principal
) -> None:
    # Step: a report filed under a key is copied into the store under test with
    # its code's registration in the version 1 shape (no fingerprint).
    scratch = Ihanoi(Settings(database_url="memory://"), clock=clock)
    first = scratch.handle(
        citizen, SubmitReport(category="pothole", description="Ổ gà", location=HOAN_KIEM), idempotency_key="k-old"
    )
    stored = []
    for event in [*scratch.events.get(first.case_id), *scratch.events.get(code_id(first.code))]:
        record = app.mapper.to_stored_event(event)
        if isinstance(event, CaseCode.Registered):
            state = app.mapper.transcoder.decode(record.state)
            assert state.pop("class_version") == 2
            del state["request_fingerprint"]
            record = StoredEvent(record.originator_id, record.originator_version, record.topic,
                                 app.mapper.transcoder.encode(state))  # fmt: skip
        stored.append(record)
    app.recorder.insert_events(stored)
    scratch.close()
    # Step: the old registration loads, with no fingerprint.
    index: CaseCode = app.repository.get(code_id(first.code))
    assert (index.case_id, index.request_fingerprint) == (first.case_id, None)
    # Step: a retry with a fingerprint finds the first case: there is nothing to compare it with.
    again = app.handle(
        citizen, SubmitReport(category="pothole", description="Ổ gà", location=HOAN_KIEM), idempotency_key="k-old"
    )
    assert (again.case_id, again.created) == (first.case_id, False)


def test_closing_notes_stored_before_events_carried_them_load_with_the_words_they_had(
    app: Ihanoi, clock: FakeClock, citizen: Principal, other_citizen: Principal
) -> None:
    # Step: on a scratch store, one report is marked a duplicate and another
    # declared not ours; today's events carry the note the command wrote.
    scratch = Ihanoi(Settings(database_url="memory://"), clock=clock)
    officer = routed_staff(scratch, Role.OFFICER)
    first = scratch.handle(citizen, SubmitReport(category="pothole", description="Ổ gà", location=HOAN_KIEM))
    second = scratch.handle(other_citizen, SubmitReport(category="pothole", description="Ổ gà nữa", location=HOAN_KIEM))
    third = scratch.handle(other_citizen, SubmitReport(category="pothole", description="Cột điện", location=HOAN_KIEM))
    scratch.handle(officer, MarkReportDuplicate(case=second.case_id, original=first.code))
    scratch.handle(officer, DeclareReportNotResponsible(case=third.case_id, responsible="EVN Hà Nội"))
    closing: list[Any] = [list(scratch.events.get(case_id))[-1] for case_id in (second.case_id, third.case_id)]
    assert [event.public_note for event in closing] == [
        f"Trùng với phản ánh {first.code}",
        "Không thuộc thẩm quyền; đơn vị chịu trách nhiệm: EVN Hà Nội",
    ]

    # Step: the events are copied into the store under test in their version 1
    # shape, which had no note: the event body composed it.
    stored = []
    for case_id in (first.case_id, second.case_id, third.case_id):
        for event in scratch.events.get(case_id):
            record = app.mapper.to_stored_event(event)
            if event in closing:
                state = app.mapper.transcoder.decode(record.state)
                assert state.pop("class_version") == 2
                del state["public_note"]
                record = StoredEvent(record.originator_id, record.originator_version, record.topic,
                                     app.mapper.transcoder.encode(state))  # fmt: skip
            stored.append(record)
    app.recorder.insert_events(stored)
    scratch.close()

    # Step: the old events load with the notes they were shown with.
    assert app.get_case(other_citizen, second.case_id)["public_note"] == f"Trùng với phản ánh {first.code}"
    assert (
        app.get_case(other_citizen, third.case_id)["public_note"]
        == "Không thuộc thẩm quyền; đơn vị chịu trách nhiệm: EVN Hà Nội"
    )


def test_attribute_answers_are_kept_as_structured_attributes_in_canonical_form(app: Ihanoi, citizen: Principal) -> None:
    # Step: a citizen answers the waste category's questions, one list choice by its name.
    filed = app.handle(
        citizen,
        SubmitReport(
            category="uncollected_waste",
            description="Rác ở đầu ngõ",
            location=HOAN_KIEM,
            attributes={"days_uncollected": " 4 ", "waste_type": ["Rác cồng kềnh", "household", "bulky"]},
        ),
    )
    # Step: the report keeps them apart from its description, keys for choices, in the category's order.
    report = app.get_case(citizen, filed.case_id)
    assert report["description"] == "Rác ở đầu ngõ"
    assert report["attributes"] == {"waste_type": ("bulky", "household"), "days_uncollected": "4"}
    assert list(report["attributes"]) == ["waste_type", "days_uncollected"]


def test_attribute_answers_the_category_does_not_ask_for_or_cannot_take_are_refused(
    app: Ihanoi, citizen: Principal
) -> None:
    with pytest.raises(ValidationError) as refused:
        app.handle(
            citizen,
            SubmitReport(
                category="pothole",
                description="Ổ gà",
                location=HOAN_KIEM,
                attributes={"road_type": ["alley", "street"], "size": "huge", "colour": "red"},
            ),
        )
    assert refused.value.errors == {
        "attributes.colour": "is not a question of category 'pothole'",
        "attributes.road_type": "takes one value",
        "attributes.size": "must be among large, medium, small",
    }
    # Step: the JSON API does not insist on a required answer (Open311 does: its clients saw the definition).
    assert app.handle(citizen, SubmitReport(category="pothole", description="Ổ gà", location=HOAN_KIEM)).created


def test_a_report_submitted_before_answers_were_kept_loads_with_none(
    app: Ihanoi, clock: FakeClock, citizen: Principal
) -> None:
    # Step: a report's Submitted event is copied into the store under test in
    # its version 1 shape, which had no attributes.
    scratch = Ihanoi(Settings(database_url="memory://"), clock=clock)
    first = scratch.handle(citizen, SubmitReport(category="pothole", description="Ổ gà", location=HOAN_KIEM))
    stored = []
    for event in [*scratch.events.get(first.case_id), *scratch.events.get(code_id(first.code))]:
        record = app.mapper.to_stored_event(event)
        if event.originator_id == first.case_id and event.originator_version == 1:
            state = app.mapper.transcoder.decode(record.state)
            assert state.pop("class_version") == 2
            del state["attributes"]
            record = StoredEvent(record.originator_id, record.originator_version, record.topic,
                                 app.mapper.transcoder.encode(state))  # fmt: skip
        stored.append(record)
    app.recorder.insert_events(stored)
    scratch.close()
    # Step: it loads, with no answers.
    report = app.get_case(citizen, first.case_id)
    assert (report["description"], report["attributes"]) == ("Ổ gà", {})
