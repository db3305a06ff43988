"""Asking again for a dossier's fee once its payment closed unpaid (issue #19
follow-up 1), on memory, SQLite and PostgreSQL: a live request refuses a
second one; an expired, a refunded and a mismatched one each let a new
payment be requested in one save with the dossier's ``PaymentRequestedAgain``;
a request past its expiry expires in that same save; and the dossier's clock,
paused once by the first request, is not paused again — paid on the same day,
it is due when a dossier paid at its first request is."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.payments import ExpirePayment, IssueReceipt, RefundExtraTransaction, RefundPayment
from ihanoi_core.commands.service_requests import (
    RequestDossierPayment,
)
from ihanoi_core.domain.payment import Payment, payment_id_for
from ihanoi_core.domain.payment_values import GatewayPayment
from ihanoi_core.domain.service_request import ServiceRequest
from ihanoi_core.domain.values import Principal
from ihanoi_core.errors import InvalidTransitionError, RuleViolationError
from ihanoi_core.payments.process import current_payment_id
from ihanoi_core.settings import Settings
from ihanoi_projections.engine.database import ViewDatabase
from ihanoi_projections.engine.projector import Projector
from ihanoi_projections.payments import PaymentsModel
from tests.conftest import FakeClock
from tests.integration.conftest import event_names, projection_context
from tests.integration.test_payments import GATEWAY, at, awaiting_payment, callback, in_processing, settings  # noqa: F401


def ask_again(app: Ihanoi, officer: Principal, previous: Payment) -> Payment:
    """Ask again for the fee of ``previous``'s dossier: the new payment."""
    asked = app.handle(officer, RequestDossierPayment(case=previous.dossier))
    assert asked.status == "awaiting_payment"
    assert event_names(app, previous.dossier)[-1] == "PaymentRequestedAgain"
    payment: Payment = app.repository.get(payment_id_for(previous.dossier, asked.version))
    assert (payment.status, payment.dossier, payment.total) == ("requested", previous.dossier, previous.total)
    assert payment.code != previous.code
    assert payment.reference != previous.reference
    dossier: ServiceRequest = app.repository.get(previous.dossier)
    assert current_payment_id(dossier) == payment.id
    return payment


def test_a_live_request_refuses_another_and_an_expired_one_lets_the_fee_be_asked_again(
    app: Ihanoi, clock: FakeClock, citizen: Principal
) -> None:
    officer, payment = awaiting_payment(app, clock, citizen)
    before = app.recorder.max_notification_id()
    with pytest.raises(RuleViolationError, match=payment.code):
        app.handle(officer, RequestDossierPayment(case=payment.dossier))
    assert app.recorder.max_notification_id() == before  # nothing saved

    clock.set(payment.expires_at)
    app.handle(officer, ExpirePayment(case=payment.id))
    again = ask_again(app, officer, payment)
    # The new one is live: a third request is refused in turn.
    with pytest.raises(RuleViolationError, match=again.code):
        app.handle(officer, RequestDossierPayment(case=payment.dossier))

    clock.set(at(12, 4, 10))
    paid = app.handle(GATEWAY, callback(again, "FT-AGAIN-1"))
    assert paid.status == "paid"
    assert app.get_case(citizen, payment.dossier)["status"] == "processing"
    # The expired code pays nothing: a transfer to it is kept on it for staff to refund.
    assert app.handle(GATEWAY, callback(payment, "FT-OLD-1")).status == "expired"
    assert event_names(app, payment.id)[-1] == "ExtraTransactionReceived"


def test_a_request_past_its_expiry_expires_in_the_save_that_asks_again(
    app: Ihanoi, clock: FakeClock, citizen: Principal
) -> None:
    officer, payment = awaiting_payment(app, clock, citizen)
    clock.set(payment.expires_at + timedelta(minutes=1))
    again = ask_again(app, officer, payment)
    assert event_names(app, payment.id) == ["Requested", "Expired"]
    expired: Payment = app.repository.get(payment.id)
    assert expired.modified_on == again.requested_at  # the same command, the same moment


@pytest.mark.parametrize("refund", [False, True], ids=["mismatched", "refunded"])
def test_a_mismatched_or_refunded_payment_lets_the_fee_be_asked_again(
    app: Ihanoi, clock: FakeClock, citizen: Principal, refund: bool
) -> None:
    officer, payment = awaiting_payment(app, clock, citizen)
    clock.set(at(12, 1, 9))
    assert app.handle(GATEWAY, callback(payment, "FT-LESS", amount=10000)).status == "amount_mismatched"
    if refund:
        app.handle(officer, RefundPayment(case=payment.id, reason="Chuyển sai số tiền; đã hoàn trả"))
    again = ask_again(app, officer, payment)
    if not refund:
        # The money received on the old one is still the staff's to refund.
        assert app.handle(officer, RefundPayment(case=payment.id, reason="Hoàn trả")).status == "refunded"
    assert app.handle(GATEWAY, callback(again, "FT-FULL")).status == "paid"
    assert event_names(app, payment.id)[-1] == "Refunded"


def test_asking_again_does_not_pause_the_clock_twice(app: Ihanoi, clock: FakeClock, citizen: Principal) -> None:
    # Two dossiers asked for their fee on Monday 11:00; both paid on Friday 10:00,
    # one by its first code, the other by a second asked for on Thursday after the first expired.
    officer, once = awaiting_payment(app, clock, citizen)
    _, twice = awaiting_payment(app, clock, citizen)
    paused: ServiceRequest = app.repository.get(twice.dossier)
    assert paused.clock is not None
    paused_at = paused.clock.paused_at
    clock.set(twice.expires_at)
    app.handle(officer, ExpirePayment(case=twice.id))
    clock.set(at(12, 3, 14))
    again = ask_again(app, officer, twice)
    dossier: ServiceRequest = app.repository.get(twice.dossier)
    assert dossier.clock is not None
    assert dossier.clock.paused_at == paused_at
    assert dossier.paused_from == "processing"

    clock.set(at(12, 4, 10))
    app.handle(GATEWAY, callback(once, "FT-ONCE"))
    app.handle(GATEWAY, callback(again, "FT-TWICE"))
    first, second = (app.get_case(citizen, p.dossier) for p in (once, twice))
    assert (first["status"], second["status"]) == ("processing", "processing")
    assert first["due_at"] == second["due_at"] is not None


def test_without_payments_a_dossier_awaiting_its_fee_is_not_asked_again(
    settings: Settings,  # noqa: F811
    clock: FakeClock,
    citizen: Principal,
) -> None:
    app = Ihanoi(replace(settings, payments_bank_bin=None, payments_account=None), clock=clock)
    try:
        officer, dossier = in_processing(app, clock, citizen)
        app.handle(officer, RequestDossierPayment(case=dossier))
        with pytest.raises(InvalidTransitionError):
            app.handle(officer, RequestDossierPayment(case=dossier))
        assert event_names(app, dossier)[-1] == "PaymentRequested"
    finally:
        app.close()


def test_a_second_transaction_on_a_paid_payment_is_kept_once_for_staff(
    app: Ihanoi, views: ViewDatabase, clock: FakeClock, citizen: Principal
) -> None:
    officer, payment = awaiting_payment(app, clock, citizen)
    clock.set(at(12, 1, 10))
    app.handle(GATEWAY, callback(payment, "FT-FIRST"))
    # The same fee paid again, then an overpayment: each kept, once, nothing else changes.
    second = app.handle(GATEWAY, callback(payment, "FT-SECOND"))
    assert (second.status, second.changed) == ("paid", True)
    replayed = app.handle(GATEWAY, callback(payment, "FT-SECOND"))
    assert (replayed.changed, replayed.version) == (False, second.version)
    app.handle(officer, IssueReceipt(case=payment.id, number="BL-2026-000900"))
    more = app.handle(GATEWAY, callback(payment, "FT-MORE", amount=150000))
    assert (more.status, more.changed) == ("receipt_issued", True)
    assert event_names(app, payment.id) == [
        "Requested", "Paid", "ExtraTransactionReceived", "ReceiptIssued", "ExtraTransactionReceived",
    ]  # fmt: skip
    seen = app.get_case(officer, payment.id)
    assert [(extra.transaction_id, extra.amount) for extra in seen["extra_transactions"]] == [
        ("FT-SECOND", 100000),
        ("FT-MORE", 150000),
    ]
    # The dossier was confirmed once, by the first.
    confirmed = [e for e in app.events.get(payment.dossier) if type(e).__name__ == "PaymentConfirmed"]
    assert [getattr(e, "reference", None) for e in confirmed] == ["napas:FT-FIRST"]
    # Staff refund the overpayment, once; an unknown transaction is refused.
    refunded = app.handle(officer, RefundExtraTransaction(case=payment.id, transaction_id="FT-MORE", reason="Hoàn trả"))
    assert (refunded.status, refunded.changed) == ("receipt_issued", True)
    for transaction in ("FT-MORE", "FT-NONE"):
        with pytest.raises(RuleViolationError):
            app.handle(officer, RefundExtraTransaction(case=payment.id, transaction_id=transaction, reason="Hoàn trả"))
    assert app.get_case(officer, payment.id)["refunded_extras"] == ("FT-MORE",)
    # The staff's list shows what is theirs to refund.
    model = PaymentsModel(views, projection_context(app))
    Projector(app, views, [model]).catch_up()
    [row] = model.find(dossier=str(payment.dossier))
    assert (row["status"], row["extra_count"], row["extra_amount"]) == ("receipt_issued", 1, 100000)  # FT-SECOND
    # A transaction on a requested payment is no extra: it pays it (or is a mismatch).
    _, fresh = awaiting_payment(app, clock, citizen)
    with pytest.raises(RuleViolationError):
        fresh.receive_extra(GATEWAY, GatewayPayment("napas", "FT-X", fresh.total, at(12, 1, 9)), timestamp=clock())
