"""A dossier's fee paid by VietQR, on POPO, SQLite and PostgreSQL: requested
with the dossier's pause in one save → the QR payload → a gateway's
confirmation → the clock resumes → the result is returned → the e-receipt;
a replay and a wrong amount; reconciliation of a statement with one unmatched
line; the collections per agency and day."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.payments import ExpirePayment, IssueReceipt, RecordGatewayPayment, RefundPayment
from ihanoi_core.commands.service_requests import (
    ApplicantIn,
    MarkDossierResultReady,
    ReceiveDossier,
    RequestDossierPayment,
    ReturnDossierResult,
    StartDossierProcessing,
    SubmitDossier,
)
from ihanoi_core.commands.values import DocumentIn
from ihanoi_core.domain.case import Case
from ihanoi_core.domain.payment import Payment, payment_id_for
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import ForbiddenError, InvalidTransitionError, RuleViolationError
from ihanoi_core.payments.process import transfer_reference
from ihanoi_core.payments.reconcile import RecordedPayment, read_statement, reconcile
from ihanoi_core.payments.vietqr import VietQR
from ihanoi_core.settings import Settings
from ihanoi_core.simulation import SimulatedClock, simulate
from ihanoi_projections.engine.changes import Change
from ihanoi_projections.engine.database import ViewDatabase
from ihanoi_projections.engine.projector import Projector
from ihanoi_projections.knowledge_index import KnowledgeIndexModel
from ihanoi_projections.notifications.case_notices import case_notice
from ihanoi_projections.notifications.notices import Notice
from ihanoi_projections.payments import PaymentsModel
from ihanoi_projections.queries.questions import Switchboard
from tests.conftest import FakeClock, make_settings, staff
from tests.integration.conftest import event_names, projection_context

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
PROCEDURE = "business_household_registration"  # 100 000 đồng in the sample directory
GATEWAY = Principal("gateway:napas", Role.SYSTEM)


@pytest.fixture
def settings(store: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    return replace(
        make_settings(store, tmp_path, request),
        payments_bank_bin="970415",
        payments_account="113000006100",
        payments_account_name="UBND PHUONG HOAN KIEM",
    )


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=HANOI)


def awaiting_payment(app: Ihanoi, clock: FakeClock, citizen: Principal) -> tuple[Principal, Payment]:
    """A dossier in processing whose officer asks for the procedure's fee on Monday 11:00."""
    officer, dossier = in_processing(app, clock, citizen)
    clock.set(at(11, 30, 11))
    asked = app.handle(officer, RequestDossierPayment(case=dossier))
    assert event_names(app, dossier)[-1] == "PaymentRequested"
    payment = find_payment(app, dossier)
    assert payment.id == payment_id_for(dossier, asked.version)
    return officer, payment


def in_processing(app: Ihanoi, clock: FakeClock, citizen: Principal) -> tuple[Principal, UUID]:
    """A dossier for the procedure, received and in processing on Monday 10:00; its officer."""
    officer = staff(Role.OFFICER, app.directory.procedure_agency(PROCEDURE, "HOAN_KIEM").code)
    filed = app.handle(
        citizen,
        SubmitDossier(
            procedure=PROCEDURE,
            ward="HOAN_KIEM",
            applicant=ApplicantIn("Nguyễn Văn An", "001099012345"),
            documents=(DocumentIn("Tờ khai", "https://files.example/to-khai.pdf", "a" * 64),),
        ),
    )
    clock.set(at(11, 30, 10))
    app.handle(officer, ReceiveDossier(case=filed.case_id))
    app.handle(officer, StartDossierProcessing(case=filed.case_id))
    return officer, filed.case_id


def find_payment(app: Ihanoi, dossier_id: object) -> Payment:
    """The payment of a dossier, from the log (the read model is tested on its own)."""
    topic = "ihanoi_core.domain.payment:Payment.Requested"
    notifications = app.recorder.select_notifications(1, 1000, topics=[topic])
    found: list[Payment] = [app._load(UUID(str(n.originator_id)), Payment) for n in notifications]
    mine = [payment for payment in found if payment.dossier == dossier_id]
    assert len(mine) == 1
    return mine[0]


def callback(payment: Payment, transaction: str, amount: int | None = None) -> RecordGatewayPayment:
    return RecordGatewayPayment(
        provider="napas",
        transaction_id=transaction,
        reference=f"CT DEN:{transaction} {payment.reference} Le phi",
        amount=payment.total if amount is None else amount,
        paid_at=at(12, 1, 9),
    )


def test_a_fee_paid_by_vietqr_resumes_the_dossier_and_gets_its_receipt(
    app: Ihanoi, clock: FakeClock, citizen: Principal
) -> None:
    officer, payment = awaiting_payment(app, clock, citizen)
    dossier = app.get_case(citizen, payment.dossier)
    assert dossier["status"] == "awaiting_payment"

    # The payment holds the procedure's fee as one line, the payee and a reference the bank passes on.
    assert payment.total == 100000
    assert [line.amount for line in payment.lines] == [100000]
    assert payment.reference == transfer_reference(payment.code)
    assert payment.code.startswith("TT-261130-")
    assert payment.owner == citizen.subject
    seen = app.get_case(citizen, payment.id)
    assert (seen["kind"], seen["status"]) == ("payment", "requested")

    # The VietQR payload for it says exactly that, CRC included.
    payload = VietQR("970415", "113000006100", payment.total, payment.reference).encode()
    assert VietQR.decode(payload).purpose == payment.reference

    # A dossier waiting for its fee cannot produce a result.
    with pytest.raises(InvalidTransitionError):
        app.handle(officer, MarkDossierResultReady(case=payment.dossier, note="Giấy chứng nhận đăng ký hộ kinh doanh"))

    # Tuesday 11:00 the gateway confirms: paid, and the dossier's clock resumes in the same save.
    clock.set(at(12, 1, 11))
    with pytest.raises(ForbiddenError):
        app.handle(officer, callback(payment, "FT2612010001"))
    paid = app.handle(GATEWAY, callback(payment, "FT2612010001"))
    assert (paid.status, paid.changed) == ("paid", True)
    dossier = app.get_case(citizen, payment.dossier)
    assert dossier["status"] == "processing"
    assert dossier["payment_reference"] == "napas:FT2612010001"
    assert dossier["due_at"] is not None
    events = app.events.get(payment.dossier)
    confirmed = [e for e in events if type(e).__name__ == "PaymentConfirmed"]
    assert len(confirmed) == 1
    assert getattr(confirmed[0], "actor", None) == GATEWAY

    # A replay changes nothing.
    again = app.handle(GATEWAY, callback(payment, "FT2612010001"))
    assert (again.status, again.changed, again.version) == ("paid", False, paid.version)

    # The result is returned; the e-receipt is issued.
    app.handle(officer, MarkDossierResultReady(case=payment.dossier, note="Giấy chứng nhận đăng ký hộ kinh doanh"))
    returned = app.handle(officer, ReturnDossierResult(case=payment.dossier))
    assert returned.status == "result_returned"
    receipt = app.handle(officer, IssueReceipt(case=payment.id, number="BL-2026-000123"))
    assert receipt.status == "receipt_issued"
    assert event_names(app, payment.id) == ["Requested", "Paid", "ReceiptIssued"]
    with pytest.raises(InvalidTransitionError):
        app.handle(officer, ExpirePayment(case=payment.id))


def test_the_switchboard_answers_a_citizen_asking_about_their_payment_by_its_code(
    app: Ihanoi, views: ViewDatabase, clock: FakeClock, citizen: Principal
) -> None:
    _, payment = awaiting_payment(app, clock, citizen)
    switchboard = Switchboard(app, KnowledgeIndexModel(views, projection_context(app)))
    answered = switchboard.resolve(citizen, f"khoản phí {payment.code} đã thanh toán chưa")
    assert (answered.confidence, answered.intent) == (1.0, "case_status")
    assert answered.answer is not None
    assert f"{payment.code}: requested" in answered.answer
    assert [citation.ref for citation in answered.citations] == [payment.code]


def test_a_wrong_amount_is_recorded_as_a_mismatch_and_pays_nothing(
    app: Ihanoi, clock: FakeClock, citizen: Principal
) -> None:
    officer, payment = awaiting_payment(app, clock, citizen)
    clock.set(at(12, 1, 11))
    mismatch = app.handle(GATEWAY, callback(payment, "FT2612010002", amount=10000))
    assert mismatch.status == "amount_mismatched"
    assert event_names(app, payment.id) == ["Requested", "AmountMismatched"]
    assert app.get_case(citizen, payment.dossier)["status"] == "awaiting_payment"
    # The full amount under another transaction is no longer accepted automatically: kept for staff to settle.
    extra = app.handle(GATEWAY, callback(payment, "FT2612010003"))
    assert (extra.status, extra.changed) == ("amount_mismatched", True)
    assert event_names(app, payment.id) == ["Requested", "AmountMismatched", "ExtraTransactionReceived"]
    refunded = app.handle(officer, RefundPayment(case=payment.id, reason="Chuyển sai số tiền; đã hoàn trả"))
    assert refunded.status == "refunded"


def test_an_unpaid_request_expires_only_after_its_expiry(app: Ihanoi, clock: FakeClock, citizen: Principal) -> None:
    officer, payment = awaiting_payment(app, clock, citizen)
    with pytest.raises(RuleViolationError):
        app.handle(officer, ExpirePayment(case=payment.id))
    clock.set(payment.expires_at)
    assert app.handle(officer, ExpirePayment(case=payment.id)).status == "expired"


def test_a_mismatched_payment_does_not_expire_its_money_stays_to_refund(
    app: Ihanoi, clock: FakeClock, citizen: Principal
) -> None:
    officer, payment = awaiting_payment(app, clock, citizen)
    app.handle(GATEWAY, callback(payment, "FT-LESS", amount=10000))
    clock.set(payment.expires_at)
    with pytest.raises(InvalidTransitionError):
        app.handle(officer, ExpirePayment(case=payment.id))
    refunded = app.handle(officer, RefundPayment(case=payment.id, reason="Chuyển sai số tiền; đã hoàn trả"))
    assert refunded.status == "refunded"


def test_reconciliation_and_collections(app: Ihanoi, views: ViewDatabase, clock: FakeClock, citizen: Principal) -> None:
    _, first = awaiting_payment(app, clock, citizen)
    _, second = awaiting_payment(app, clock, citizen)
    clock.set(at(12, 1, 11))
    app.handle(GATEWAY, callback(first, "FT1"))
    app.handle(GATEWAY, callback(second, "FT2"))

    model = PaymentsModel(views, projection_context(app))
    Projector(app, views, [model]).catch_up()
    rows = model.find(dossier=str(first.dossier))
    assert [(row["code"], row["status"], row["transaction_id"]) for row in rows] == [(first.code, "paid", "FT1")]

    # The statement shows the first payment and a stranger's transfer, not the second payment.
    statement = read_statement(
        "transaction_id,booked_at,amount,description\n"
        f"FT1,2026-12-01,100000,CT DEN:FT1 {first.reference} Le phi\n"
        "FT9,2026-12-01,50000,CT DEN:FT9 chuyen tien an trua\n"
    )
    recorded = {
        row["reference"]: RecordedPayment(row["code"], row["reference"], row["total"], row["status"], row["agency"])
        for row in model.find(status="paid")
    }
    result = reconcile(statement, recorded)
    assert [payment.code for _, payment in result.matched] == [first.code]
    assert [(line.transaction_id, reason) for line, reason in result.unmatched_lines] == [
        ("FT9", "no payment with this transfer reference")
    ]
    assert [payment.code for payment in result.unmatched_payments] == [second.code]
    assert not result.balanced

    # Both fees were confirmed by the gateway on Tuesday: a cashless share of 1.
    figures = model.collections(since="2026-12-01", until="2026-12-01")
    assert figures["days"] == [
        {"day": "2026-12-01", "fees": 2, "amount": 200000, "cashless_fees": 2, "cashless_amount": 200000,
         "cashless_share": 1.0}
    ]  # fmt: skip
    assert [(a["agency"], a["fees"]) for a in figures["agencies"]] == [(first.agency, 2)]


def test_the_citizen_is_notified_of_the_request_and_the_confirmation(
    app: Ihanoi, clock: FakeClock, citizen: Principal
) -> None:
    _, payment = awaiting_payment(app, clock, citizen)
    clock.set(at(12, 1, 11))
    app.handle(GATEWAY, callback(payment, "FT3"))
    key_of = {citizen.subject: "citizen-key"}.__getitem__

    def notice(case_id: UUID, event_name: str, before: str) -> Notice | None:
        """The notice the event calls for, from the case as it was right after it."""
        [event] = [e for e in app.events.get(case_id) if type(e).__name__ == event_name]
        case: Case = app.repository.get(case_id, version=event.originator_version)
        return case_notice(Change(1, event, {"status": before}, case, False), case, key_of)

    # The request's notice is the payment's, with its code (tests/integration/test_payment_notices.py).
    assert notice(payment.dossier, "PaymentRequested", "processing") is None
    # The confirmation: the payment is paid (by the gateway, not the citizen), and the dossier runs again.
    paid = notice(payment.id, "Paid", "requested")
    assert paid is not None
    assert (paid.kind, paid.params["code"], paid.params["status"]) == ("case_status", payment.code, "paid")
    resumed = notice(payment.dossier, "PaymentConfirmed", "awaiting_payment")
    assert resumed is not None
    assert (resumed.kind, resumed.params["status"]) == ("case_status", "processing")


def test_the_demo_simulation_pays_most_fees_by_vietqr_where_payments_are_set_up(
    settings: Settings, views: ViewDatabase
) -> None:
    start = datetime(2026, 11, 29, 17, 0, tzinfo=UTC)
    clock = SimulatedClock(start)
    app = Ihanoi(settings, clock=clock)
    try:
        summary = simulate(
            app, clock, seed=2026, days=20, reports_per_day=0.0, complaints_per_day=0.0, dossiers_per_day=30.0,
            surveys=0,
        )  # fmt: skip
        assert summary.errors == 0
        model = PaymentsModel(views, projection_context(app))
        Projector(app, views, [model]).catch_up()
        paid = model.find(status="paid")
        assert paid
        assert {row["provider"] for row in paid} == {"demo"}
        figures = model.collections(since="2026-11-01", until="2026-12-31")
        [city] = [{"fees": sum(a["fees"] for a in figures["agencies"]),
                   "cashless": sum(a["cashless_fees"] for a in figures["agencies"])}]  # fmt: skip
        assert city["cashless"] == len(paid)
        assert 0 < city["cashless"] < city["fees"]
        # A few mistyped an amount first and were asked again (a new payment, then paid); a few paid twice.
        mistyped = model.find(status="amount_mismatched")
        assert mistyped
        for row in mistyped:
            assert sorted(other["status"] for other in model.find(dossier=row["dossier_id"])) == [
                "amount_mismatched",
                "paid",
            ]
        assert [row["extra_count"] for row in paid if row["extra_count"]] == [1, 1]
    finally:
        app.close()


# The command line opens the store in another process: not the in-memory one.
@pytest.mark.parametrize("store", ["sqlite", "postgres"], indirect=True)
def test_ihanoi_payments_expire_closes_the_requests_past_their_expiry(
    app: Ihanoi, settings: Settings, clock: FakeClock, citizen: Principal
) -> None:
    _, overdue = awaiting_payment(app, clock, citizen)
    _, paid = awaiting_payment(app, clock, citizen)
    app.handle(GATEWAY, callback(paid, "FT4"))
    _, mismatched = awaiting_payment(app, clock, citizen)  # its money is the staff's to refund: it stays
    app.handle(GATEWAY, callback(mismatched, "FT5", amount=10000))
    assert datetime.now(UTC) > overdue.expires_at  # the command line runs on the real clock
    env = {"IHANOI_DATABASE_URL": settings.database_url, "IHANOI_ENV": "test", "PATH": os.environ.get("PATH", "")}
    command = [sys.executable, "-m", "ihanoi_server.cli", "payments", "expire", "--json"]
    dry = subprocess.run([*command, "--dry-run"], env=env, capture_output=True, text=True, timeout=120)
    assert json.loads(dry.stdout) == [{"payment": overdue.code, "status": "would expire"}], dry.stderr
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert json.loads(done.stdout) == [{"payment": overdue.code, "status": "expired"}], done.stderr
    assert event_names(app, overdue.id) == ["Requested", "Expired"]
    assert event_names(app, paid.id) == ["Requested", "Paid"]
    assert event_names(app, mismatched.id) == ["Requested", "AmountMismatched"]
