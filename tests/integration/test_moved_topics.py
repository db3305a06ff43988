"""Events stored under the topics of classes that have since moved still load,
on POPO, a real SQLite file and the real PostgreSQL server.

``Grievance`` and ``Denunciation`` were defined in ``ihanoi_core.domain.complaint``
before each got a module of its own, so a store may hold complaint and
denunciation events named ``ihanoi_core.domain.complaint:Grievance.Accepted`` or
``ihanoi_core.domain.complaint:Denunciation.Filed``. The old topics are spelt out
here, not derived from ``ihanoi_core.events.topics``: they are what was stored.
"""

from __future__ import annotations

import dataclasses
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic, resolve_topic

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.grievances import (
    AcceptComplaint,
    AssignComplaint,
    CloseComplaint,
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
from ihanoi_core.domain.denunciation import Denunciation
from ihanoi_core.domain.grievance import Grievance
from ihanoi_core.domain.grievance_values import ComplaintKind
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.events.catalogue import declared_events
from ihanoi_core.settings import Settings
from ihanoi_projections.case_status import CaseStatusModel
from ihanoi_projections.engine.database import ViewDatabase
from ihanoi_projections.engine.projector import Projector
from tests.conftest import FakeClock
from tests.integration.conftest import event_names, projection_context

OLD_CLASS_TOPICS: dict[str, type] = {
    "ihanoi_core.domain.complaint:Grievance": Grievance,
    "ihanoi_core.domain.complaint:Denunciation": Denunciation,
}
OLD_EVENT_TOPICS = {
    *(
        f"ihanoi_core.domain.complaint:Grievance.{name}"
        for name in (
            "Accepted", "Refused", "Forwarded", "PreliminaryCheckExtended", "VerificationStarted",
            "DialogueHeld", "Extended", "Decided", "Concluded", "Closed", "Withdrawn",
        )
    ),
    "ihanoi_core.domain.complaint:Denunciation.Filed",
}  # fmt: skip
WARD_LEADER = Principal("leader-hk", Role.LEADER, "UBND_HOAN_KIEM")
WARD_HANDLER = Principal("officer-hk", Role.OFFICER, "UBND_HOAN_KIEM")
POLICE_LEADER = Principal("leader-catp", Role.LEADER, "CATP")
POLICE_HANDLER = Principal("officer-catp", Role.OFFICER, "CATP")
IDENTITY = ComplainantIn(
    name="Nguyễn Văn An", national_id="001099012345", phone="0912345678", address="Số 12 phố Hàng Bài"
)


def file(app: Ihanoi, citizen: Principal, kind: ComplaintKind) -> UUID:
    return app.handle(
        citizen,
        FileComplaint(
            kind=kind,
            subject="Cán bộ địa chính nhận tiền" if kind is ComplaintKind.DENUNCIATION else "Quyết định số 12/QĐ-UBND",
            content="Nội dung đơn.",
            respondent_agency=WARD_LEADER.agency or "",
            ward="HOAN_KIEM",
            complainant=IDENTITY,
        ),
    ).case_id


def write_every_grievance_event(app: Ihanoi, clock: FakeClock, citizen: Principal) -> list[UUID]:
    """Four cases whose events, together, are every event of a moved class."""
    # Step: a complaint accepted, verified, talked over, extended, decided and closed.
    decided = file(app, citizen, ComplaintKind.COMPLAINT)
    clock.advance(hours=1)
    app.handle(WARD_LEADER, AcceptComplaint(case=decided))
    app.handle(WARD_LEADER, AssignComplaint(case=decided, assignee=WARD_HANDLER.subject))
    app.handle(WARD_HANDLER, StartVerification(case=decided))
    app.handle(WARD_HANDLER, HoldDialogue(case=decided, summary="Hai bên trình bày ý kiến."))
    app.handle(WARD_LEADER, ExtendComplaint(case=decided, reason="Vụ việc phức tạp"))
    app.handle(WARD_LEADER, DecideComplaint(case=decided, decision="Giữ nguyên quyết định."))
    app.handle(WARD_HANDLER, CloseComplaint(case=decided))
    # Step: a complaint refused, and one withdrawn.
    refused = file(app, citizen, ComplaintKind.COMPLAINT)
    app.handle(WARD_LEADER, RefuseComplaint(case=refused, reason="Đã quá thời hiệu.", legal_basis="Điều 11"))
    withdrawn = file(app, citizen, ComplaintKind.COMPLAINT)
    app.handle(citizen, WithdrawComplaint(case=withdrawn, reason="Các bên đã tự hòa giải được."))
    # Step: a denunciation checked longer, forwarded to the police, accepted,
    # verified, extended, concluded and closed there.
    concluded = file(app, citizen, ComplaintKind.DENUNCIATION)
    app.handle(WARD_LEADER, ExtendPreliminaryCheck(case=concluded, reason="Nội dung liên quan nhiều địa điểm"))
    app.handle(WARD_HANDLER, ForwardComplaint(case=concluded, to_agency="CATP", reason="Có dấu hiệu tội phạm"))
    app.handle(POLICE_LEADER, AcceptComplaint(case=concluded))
    app.handle(POLICE_LEADER, AssignComplaint(case=concluded, assignee=POLICE_HANDLER.subject))
    app.handle(POLICE_HANDLER, StartVerification(case=concluded))
    app.handle(POLICE_LEADER, ExtendComplaint(case=concluded, reason="Vụ việc đặc biệt phức tạp"))
    app.handle(POLICE_LEADER, ConcludeDenunciation(case=concluded, conclusion="Tố cáo đúng một phần."))
    app.handle(POLICE_HANDLER, CloseComplaint(case=concluded))
    return [decided, refused, withdrawn, concluded]


def stored_as_before_the_move(app: Ihanoi, event: DomainEventProtocol[UUID]) -> StoredEvent:
    """``event`` as the store held it when the moved classes were in ``complaint``:
    its topic and, for a creation, its ``originator_topic`` name the old module."""
    old_topic_of = {get_topic(moved): old for old, moved in OLD_CLASS_TOPICS.items()}

    def old(topic: str) -> str:
        owner, _, name = topic.rpartition(".")
        if topic in old_topic_of:
            return old_topic_of[topic]
        return f"{old_topic_of[owner]}.{name}" if owner in old_topic_of else topic

    if hasattr(event, "originator_topic"):
        event = dataclasses.replace(event, originator_topic=old(event.originator_topic))  # type: ignore[type-var]
    stored = app.mapper.to_stored_event(event)
    return StoredEvent(stored.originator_id, stored.originator_version, old(stored.topic), stored.state)


def test_every_old_topic_resolves_to_the_class_that_moved(app: Ihanoi) -> None:
    for old, moved in OLD_CLASS_TOPICS.items():
        assert resolve_topic(old) is moved
        for event_class in declared_events(moved):
            assert resolve_topic(f"{old}.{event_class.__name__}") is event_class
    declared = {
        f"{old}.{event_class.__name__}"
        for old, moved in OLD_CLASS_TOPICS.items()
        for event_class in declared_events(moved)
    }
    assert declared == OLD_EVENT_TOPICS


def test_cases_stored_under_the_old_topics_load_and_project_as_before(
    app: Ihanoi, views: ViewDatabase, settings: Settings, clock: FakeClock, citizen: Principal, auditor: Principal
) -> None:
    # Step: the cases are written on a scratch store, with today's topics.
    scratch = Ihanoi(Settings(database_url="memory://"), clock=clock)
    case_ids = write_every_grievance_event(scratch, clock, citizen)

    # Step: their events are copied into the store under test as they were
    # stored before the classes moved: every old topic is there.
    stored = [stored_as_before_the_move(app, event) for case_id in case_ids for event in scratch.events.get(case_id)]
    assert {event.topic for event in stored} >= OLD_EVENT_TOPICS
    assert not [event.topic for event in stored if ".grievance:" in event.topic or ".denunciation:" in event.topic]
    app.recorder.insert_events(stored)

    # Step: each case loads as the same case, event for event.
    for case_id in case_ids:
        assert type(app.repository.get(case_id)) is type(scratch.repository.get(case_id))
        assert event_names(app, case_id) == event_names(scratch, case_id)
        assert app.get_case(auditor, case_id) == scratch.get_case(auditor, case_id)

    # Step: the projector reads them too: each case's row has its final status.
    model = CaseStatusModel(views, projection_context(app))
    Projector(app, views, [model]).catch_up()
    for case_id in case_ids:
        row = model.get(case_id)
        assert row is not None
        assert row.status == scratch.get_case(auditor, case_id)["status"]
    scratch.close()
