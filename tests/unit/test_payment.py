"""The Payment aggregate: what a request must hold, the full amount paying
and another amount recorded as a mismatch, each step only from its statuses,
and an expiry only once it has passed; the transaction index's id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from ihanoi_core.domain.payment import Payment
from ihanoi_core.domain.payment_transaction import transaction_id
from ihanoi_core.domain.payment_values import FeeLine, GatewayPayment, Payee
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import InvalidTransitionError, RuleViolationError, ValidationError
from ihanoi_core.payments.process import payment_code_of, transfer_reference

NOW = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
OFFICER = Principal("officer-hk", Role.OFFICER, "UBND_HOAN_KIEM")
GATEWAY = Principal("gateway:napas", Role.SYSTEM)
PAYEE = Payee("970415", "113000006100", "UBND PHUONG HOAN KIEM")


def requested(*lines: FeeLine, reference: str = "IHNTT261206000001", expires: timedelta = timedelta(days=3)) -> Payment:
    return Payment.request(
        id=uuid4(), code="TT-261206-000001", actor=OFFICER, dossier=uuid4(), dossier_code="HS-261206-000001",
        agency="UBND_HOAN_KIEM", owner="vneid:1", lines=lines or (FeeLine("Lệ phí", 100000),), payee=PAYEE,
        reference=reference, expires_at=NOW + expires, timestamp=NOW,
    )  # fmt: skip


def transfer(amount: int, transaction: str = "FT1") -> GatewayPayment:
    return GatewayPayment("napas", transaction, amount, NOW)


def test_a_request_totals_its_lines() -> None:
    payment = requested(FeeLine("Lệ phí", 50000), FeeLine("Phí thẩm định", 30000))
    assert (payment.status, payment.total, payment.clock, payment.due_at) == ("requested", 80000, None, None)


@pytest.mark.parametrize(
    ("lines", "reference", "expires", "error"),
    [
        ((FeeLine("Lệ phí", 0),), "IHNTT261206000001", timedelta(days=1), ValidationError),
        ((FeeLine("Lệ phí", 1000),), "", timedelta(days=1), RuleViolationError),
        ((FeeLine("Lệ phí", 1000),), "IHN TT Lệ phí", timedelta(days=1), RuleViolationError),
        ((FeeLine("Lệ phí", 1000),), "IHNTT261206000001", timedelta(0), RuleViolationError),
    ],
)
def test_a_request_is_refused_without_a_positive_fee_an_ascii_reference_or_a_future_expiry(
    lines: tuple[FeeLine, ...], reference: str, expires: timedelta, error: type[Exception]
) -> None:
    with pytest.raises(error):
        requested(*lines, reference=reference, expires=expires)


def test_the_full_amount_pays_and_only_once() -> None:
    payment = requested()
    assert payment.confirm(GATEWAY, transfer(100000), timestamp=NOW) is True
    assert (payment.status, payment.payment) == ("paid", transfer(100000))
    with pytest.raises(InvalidTransitionError):
        payment.confirm(GATEWAY, transfer(100000, "FT2"), timestamp=NOW)
    payment.issue_receipt(OFFICER, "BL-1", timestamp=NOW)
    assert (payment.status, payment.receipt_number) == ("receipt_issued", "BL-1")
    payment.refund(OFFICER, "Nộp trùng", timestamp=NOW)
    assert payment.status == "refunded"
    assert payment.is_final


def test_a_step_refused_in_its_status_says_which_step_and_from_which_statuses() -> None:
    payment = requested()
    payment.confirm(GATEWAY, transfer(100000), timestamp=NOW)
    payment.issue_receipt(OFFICER, "BL-1", timestamp=NOW)
    with pytest.raises(InvalidTransitionError) as refused:
        payment.issue_receipt(OFFICER, "BL-2", timestamp=NOW)
    assert refused.value.detail == "Cannot issue receipt: the case is 'receipt_issued' (allowed from: paid)."


def test_another_amount_is_a_mismatch_that_pays_nothing() -> None:
    payment = requested()
    assert payment.confirm(GATEWAY, transfer(10000), timestamp=NOW) is False
    assert (payment.status, payment.payment, payment.mismatches) == ("amount_mismatched", None, (transfer(10000),))
    with pytest.raises(InvalidTransitionError):
        payment.issue_receipt(OFFICER, "BL-1", timestamp=NOW)
    # The money received is the staff's to refund: it does not expire with the request.
    with pytest.raises(InvalidTransitionError):
        payment.expire(OFFICER, timestamp=NOW + timedelta(days=3))
    payment.refund(OFFICER, "Chuyển sai số tiền", timestamp=NOW + timedelta(days=3))
    assert payment.status == "refunded"


def test_an_unpaid_request_expires_only_once_its_expiry_has_passed() -> None:
    payment = requested()
    with pytest.raises(RuleViolationError):
        payment.expire(OFFICER, timestamp=NOW + timedelta(days=2))
    payment.expire(OFFICER, timestamp=NOW + timedelta(days=3))
    with pytest.raises(InvalidTransitionError):
        payment.confirm(GATEWAY, transfer(100000), timestamp=NOW + timedelta(days=4))


def test_the_transfer_reference_round_trips_through_what_banks_write_around_it() -> None:
    reference = transfer_reference("TT-261206-483920")
    assert reference == "IHNTT261206483920"
    assert payment_code_of(f"CT DEN:FT2612 {reference} Le phi") == "TT-261206-483920"
    assert payment_code_of("ihn tt261206483920") == "TT-261206-483920"
    assert payment_code_of("chuyen tien an trua") is None
    assert payment_code_of("IHNTT2612") is None


def test_a_transaction_index_id_is_per_provider_and_transaction() -> None:
    assert transaction_id("napas", "FT1") == transaction_id("napas", "FT1")
    assert transaction_id("napas", "FT1") != transaction_id("vnpay", "FT1")
