"""A dossier's events keep the topics they have always been stored under, on
POPO, a real SQLite file and the real PostgreSQL server.

The dossier's steps are written in mixins of ``ServiceRequest`` (the paused
statuses, forwarding, the apology: ``service_request_pauses``,
``service_request_forwarding``, ``service_request_apology``), but every event is
still declared on ``ServiceRequest``, so it is stored, old and new alike, as
``ihanoi_core.domain.service_request:ServiceRequest.<name>``. The topics are
spelt out here, not derived from the classes: they are what stores hold.
"""

from __future__ import annotations

import inspect
from datetime import datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.domain import Aggregate, CommandMethodDecorator
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic, resolve_topic

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.service_requests import (
    ApologizeForDossierDelay,
    ApplicantIn,
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
from ihanoi_core.domain.service_request import ServiceRequest
from ihanoi_core.domain.service_request_apology import DossierApology
from ihanoi_core.domain.service_request_forwarding import DossierForwarding
from ihanoi_core.domain.service_request_pauses import DossierPauses
from ihanoi_core.domain.service_request_steps import DossierSteps
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.events.catalogue import declared_events
from ihanoi_core.settings import Settings
from ihanoi_projections.case_status import CaseStatusModel
from ihanoi_projections.engine.database import ViewDatabase
from ihanoi_projections.engine.projector import Projector
from tests.conftest import FakeClock, staff
from tests.integration.conftest import event_names, projection_context

MODULE = "ihanoi_core.domain.service_request"
AGGREGATE_TOPIC = f"{MODULE}:ServiceRequest"
STORED_TOPICS = {
    name: f"{AGGREGATE_TOPIC}.{name}"
    for name in (
        "Submitted", "Received", "Rejected", "ProcessingStarted", "MarkedResultReady", "ResultReturned",
        "SupplementRequested", "Supplemented", "PaymentRequested", "PaymentConfirmed", "Suspended", "Resumed",
        "Forwarded", "ReturnedFromForwarding", "ApologyIssued", "Withdrawn", "Rated", "PaymentRequestedAgain",
    )
}  # fmt: skip
STEP_MIXINS = (DossierSteps, DossierPauses, DossierForwarding, DossierApology)
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
PROCEDURE = "land_use_certificate_first"  # Twenty working days, forwarded to the department.
PARTNER = Principal("officer-snnmt", Role.OFFICER, "SNNMT")
APPLICANT = ApplicantIn("Nguyễn Văn An", "001099012345", "0912345678", "12 Hàng Bài, Hoàn Kiếm")
FORM = DocumentIn("Tờ khai", "https://files.example/to-khai.pdf", "a" * 64)
PLAN = DocumentIn("Sơ đồ thửa đất", "https://files.example/so-do.pdf", "b" * 64)


def at(year: int, month: int, day: int, hour: int) -> datetime:
    return datetime(year, month, day, hour, tzinfo=HANOI)


def submit(app: Ihanoi, citizen: Principal) -> UUID:
    return app.handle(
        citizen, SubmitDossier(procedure=PROCEDURE, ward="HOAN_KIEM", applicant=APPLICANT, documents=(FORM,))
    ).case_id


def write_every_dossier_event(app: Ihanoi, clock: FakeClock, citizen: Principal) -> list[UUID]:
    """Three dossiers whose events, together, are every event of ``ServiceRequest``."""
    agency = app.directory.procedure_agency(PROCEDURE, "HOAN_KIEM").code
    officer, leader = staff(Role.OFFICER, agency), staff(Role.LEADER, agency)
    clock.set(at(2026, 11, 30, 9))
    # Step: a dossier received and taken through every pause, forwarded and returned.
    done = submit(app, citizen)
    clock.set(at(2026, 11, 30, 10))
    app.handle(officer, ReceiveDossier(case=done))
    app.handle(officer, StartDossierProcessing(case=done))
    clock.set(at(2026, 11, 30, 14))
    app.handle(officer, RequestDossierSupplement(case=done, missing=(PLAN.name,)))
    clock.set(at(2026, 12, 1, 9))
    app.handle(citizen, SupplementDossier(case=done, documents=(PLAN,)))
    app.handle(officer, RequestDossierPayment(case=done, amount=100000))
    clock.set(at(2026, 12, 1, 11))
    # The fee asked again once its payment expired (where payments are set up; see the scratch store's settings).
    app.handle(officer, RequestDossierPayment(case=done, amount=100000))
    app.handle(officer, ConfirmDossierPayment(case=done, reference="VNPAY-20261201-0042"))
    app.handle(leader, SuspendDossier(case=done, reason="Chờ kết quả xác minh của cơ quan công an"))
    clock.set(at(2026, 12, 1, 15))
    app.handle(leader, ResumeDossier(case=done, note="Đã có kết quả xác minh"))
    app.handle(
        officer, ForwardDossier(case=done, to_agency=PARTNER.agency or "", working_days=5, note="Đo đạc ranh giới")
    )
    clock.set(at(2026, 12, 3, 9))
    app.handle(PARTNER, ReturnDossier(case=done, note="Đã đo đạc"))
    # Step: its appointment passes; the leader apologises and the result is handed back and rated.
    clock.set(at(2027, 1, 11, 9))
    app.handle(leader, ApologizeForDossierDelay(case=done, reason="Cần xác minh thêm", new_due=at(2027, 1, 13, 17)))
    app.handle(officer, MarkDossierResultReady(case=done, note="Đã cấp giấy chứng nhận"))
    app.handle(officer, ReturnDossierResult(case=done, late_explanation="Cần xác minh thêm"))
    app.handle(citizen, RateDossier(case=done, stars=4, comment=None))
    # Step: one dossier rejected at receipt, one withdrawn by the applicant.
    rejected = submit(app, citizen)
    app.handle(officer, RejectDossier(case=rejected, reason="Thiếu giấy tờ chứng minh quyền sử dụng đất"))
    withdrawn = submit(app, citizen)
    app.handle(citizen, WithdrawDossier(case=withdrawn, reason="Không còn nhu cầu"))
    return [done, rejected, withdrawn]


def stored_under_the_spelt_out_topic(stored: StoredEvent) -> StoredEvent:
    """``stored`` with its topic taken from ``STORED_TOPICS`` rather than from its
    class: a dossier event as a store written before the split holds it."""
    owner, _, name = stored.topic.rpartition(".")
    if owner != AGGREGATE_TOPIC:
        return stored  # An event of ``Case`` (Assigned, Commented), not the dossier's own.
    return StoredEvent(stored.originator_id, stored.originator_version, STORED_TOPICS[name], stored.state)


def test_every_dossier_event_is_declared_on_service_request_under_its_stored_topic() -> None:
    declared = {event_class.__name__: event_class for event_class in declared_events(ServiceRequest)}
    assert {name: get_topic(event_class) for name, event_class in declared.items()} == STORED_TOPICS
    for name, topic in STORED_TOPICS.items():
        assert resolve_topic(topic) is declared[name] is getattr(ServiceRequest, name)
    assert get_topic(ServiceRequest) == AGGREGATE_TOPIC
    # The mixins are plain classes and declare no event of their own: an event
    # declared on one would be stored under the mixin's topic.
    for mixin in STEP_MIXINS:
        assert not issubclass(mixin, Aggregate)
        assert not [name for name, value in vars(mixin).items() if isinstance(value, (type, CommandMethodDecorator))]


def test_every_event_body_in_the_step_mixins_is_declared_as_an_event_on_service_request() -> None:
    # An event body takes ``actor`` and ``timestamp`` (every event carries both)
    # and is private; undeclared, calling it would change a dossier without
    # recording anything.
    bodies = {
        name
        for mixin in STEP_MIXINS
        for name, value in vars(mixin).items()
        if name.startswith("_")
        and inspect.isfunction(value)
        and {"actor", "timestamp"} <= set(inspect.signature(value).parameters)
    }
    assert bodies == {
        "_request_supplement", "_supplement", "_request_payment", "_confirm_payment", "_suspend",
        "_resume_processing", "_forward", "_return_from_forwarding", "_apologize", "_request_payment_again",
    }  # fmt: skip
    for name in bodies:
        declaration = vars(ServiceRequest)[name]
        assert isinstance(declaration, CommandMethodDecorator)
        assert declaration.event_cls_name in STORED_TOPICS


def test_dossiers_stored_under_the_spelt_out_topics_load_and_project_as_before(
    app: Ihanoi, views: ViewDatabase, settings: Settings, clock: FakeClock, citizen: Principal, auditor: Principal
) -> None:
    # Step: the dossiers are written on a scratch store; their new events carry
    # the topics dossier events have always had, and so does their creation.
    # (with the data keys of the store under test: the copies' personal fields open there).
    payments = Settings(
        database_url="memory://", payments_bank_bin="970415", payments_account="113000006100", payments_expiry_hours=1
    )
    scratch = Ihanoi(payments, clock=clock, personal_keys=app.personal_keys)
    case_ids = write_every_dossier_event(scratch, clock, citizen)
    written = [event for case_id in case_ids for event in scratch.recorder.select_events(case_id)]
    assert {event.topic for event in written} >= set(STORED_TOPICS.values())
    assert not [event.topic for event in written if "service_request_" in event.topic]
    for case_id in case_ids:
        assert next(iter(scratch.events.get(case_id))).originator_topic == AGGREGATE_TOPIC  # type: ignore[attr-defined]

    # Step: they are copied into the store under test with the topics spelt out
    # above, every one of which is there.
    stored = [stored_under_the_spelt_out_topic(event) for event in written]
    assert {event.topic for event in stored} >= set(STORED_TOPICS.values())
    app.recorder.insert_events(stored)

    # Step: each dossier loads as the same dossier, event for event.
    for case_id in case_ids:
        assert type(app.repository.get(case_id)) is ServiceRequest
        assert event_names(app, case_id) == event_names(scratch, case_id)
        assert app.get_case(auditor, case_id) == scratch.get_case(auditor, case_id)
    assert app.get_case(auditor, case_ids[0])["apology_count"] == 1
    assert app.get_case(auditor, case_ids[0])["payment_reference"] == "VNPAY-20261201-0042"

    # Step: the projector reads them too: each dossier's row has its final status.
    model = CaseStatusModel(views, projection_context(app))
    Projector(app, views, [model]).catch_up()
    for case_id in case_ids:
        row = model.get(case_id)
        assert row is not None
        assert row.status == scratch.get_case(auditor, case_id)["status"]
    scratch.close()
