"""Payment (thanh toán phí, lệ phí): the fee of one dossier, asked for with a
VietQR code and confirmed by a gateway's signed callback.

A payment is requested for a dossier when its officer asks for the fee: the
lines of the procedure's fee schedule, their total, the account it is paid
into, a transfer reference that the bank statement carries (the payer's
transfer purpose) and an expiry. A gateway's confirmation of the full amount
makes it ``paid`` — the process manager (``ihanoi_core.payments.process``)
records, in the same atomic save, the dossier's payment confirmation, so its
clock resumes; a transfer of another amount is recorded as
``AmountMismatched`` and pays nothing, and a transaction once the payment is
no longer requested (an overpayment, a second transfer) as
``ExtraTransactionReceived``, for staff to refund. Staff issue the e-receipt (biên lai
điện tử), refund, or let an unpaid request expire.

The applicant (``owner``) is the dossier's; their subject id is their
personal data, sealed with their key. The amount and the accounts are not.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import ClassVar, Unpack
from uuid import UUID, uuid5

from eventsourcing.domain import event

from ihanoi_core.domain.case import Case
from ihanoi_core.domain.payment_values import (
    PAYMENT_ERASED_STATE,
    PAYMENT_PERSONAL_DATA,
    FeeLine,
    GatewayPayment,
    Payee,
    PaymentRequest,
    PaymentStatus,
)
from ihanoi_core.domain.payment_values import PaymentStatus as S
from ihanoi_core.domain.personal import Personal
from ihanoi_core.domain.status_steps import entering
from ihanoi_core.domain.values import Principal
from ihanoi_core.errors import RuleViolationError, ValidationError

MAX_REFERENCE = 25
PAYMENT_NAMESPACE = UUID("0e6f3a52-7b1d-4c8e-a4f9-3d2c1b0a9e87")


def payment_id_for(dossier: UUID, version: int) -> UUID:
    """The id of the payment a dossier's ``request-payment`` created: the
    dossier and the version its ``PaymentRequested`` has (the version the
    command returned), so whoever asked can find it without a read model."""
    return uuid5(PAYMENT_NAMESPACE, f"{dossier}\x1f{version}")


class Payment(Case):
    """The fee of one dossier (see module docstring)."""

    kind: ClassVar[str] = "payment"
    code_prefix: ClassVar[str] = "TT"
    FINAL_STATUSES: ClassVar[frozenset[str]] = frozenset({S.EXPIRED, S.REFUNDED})
    PERSONAL_FIELDS: ClassVar[tuple[str, ...]] = ("owner",)
    TEXT_LIMITS: ClassVar[Mapping[str, int]] = {"number": 60, "reason": 500}
    TRANSITIONS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "record_paid": (S.REQUESTED,),
        "record_mismatch": (S.REQUESTED,),
        "issue_receipt": (S.PAID,),
        "refund": (S.PAID, S.RECEIPT_ISSUED, S.AMOUNT_MISMATCHED),
        # Only an unpaid request expires: money received on a mismatched one stays the staff's to refund.
        "expire": (S.REQUESTED,),
        # Transactions are kept only once it is no longer requested (``receive_extra``).
        "refund_extra": (S.PAID, S.RECEIPT_ISSUED, S.AMOUNT_MISMATCHED, S.EXPIRED, S.REFUNDED),
    }
    UNTIL_FINAL: ClassVar[frozenset[str]] = frozenset()
    PERSONAL_DATA: ClassVar[Mapping[str, Mapping[str, Personal]]] = PAYMENT_PERSONAL_DATA
    ERASED_STATE: ClassVar[Mapping[str, object]] = PAYMENT_ERASED_STATE

    STATUSES: ClassVar[tuple[str, ...]] = tuple(PaymentStatus)

    # -- creation ---------------------------------------------------------

    @classmethod
    def request(cls, **request: Unpack[PaymentRequest]) -> Payment:
        """Ask for ``lines`` (at least one, each a positive whole amount) into
        ``payee``'s account, payable until ``expires_at``."""
        lines, reference, id = request["lines"], request["reference"], request["id"]
        if not lines or any(isinstance(line.amount, bool) or line.amount <= 0 for line in lines):
            raise ValidationError({"amount": "a fee has at least one line, each a positive whole number of đồng"})
        if not reference or len(reference) > MAX_REFERENCE or not reference.isascii():
            raise RuleViolationError(id, "reference", f"a transfer reference is 1 to {MAX_REFERENCE} ASCII characters")
        if request["expires_at"] <= request["timestamp"]:
            raise RuleViolationError(id, "expires_at", "a payment request expires after it is made")
        return cls(**request, total=sum(line.amount for line in lines))

    @event("Requested")
    def __init__(
        self,
        *,
        id: UUID,
        code: str,
        actor: Principal,
        dossier: UUID,
        dossier_code: str,
        agency: str,
        owner: str | None,
        lines: tuple[FeeLine, ...],
        total: int,
        payee: Payee,
        reference: str,
        expires_at: datetime,
        timestamp: datetime,
    ) -> None:
        # The expiry is no legal deadline: no clock runs on a payment.
        self._begin(code, S.REQUESTED, agency, owner=owner)
        self.dossier = dossier
        self.dossier_code = dossier_code
        self.lines = lines
        self.total = total
        self.payee = payee
        self.reference = reference
        self.expires_at = expires_at
        self.requested_at = timestamp
        self.payment: GatewayPayment | None = None
        self.mismatches: tuple[GatewayPayment, ...] = ()
        self.extra_transactions: tuple[GatewayPayment, ...] = ()
        self.refunded_extras: tuple[str, ...] = ()  # transaction ids of the kept ones refunded
        self.receipt_number: str | None = None
        self.refund_reason: str | None = None

    # -- a gateway's confirmation ------------------------------------------

    def confirm(self, actor: Principal, payment: GatewayPayment, *, timestamp: datetime) -> bool:
        """A gateway confirmed ``payment``: ``paid`` when it is the full
        amount (True), else ``AmountMismatched`` (False); either is refused
        unless the payment is still requested."""
        if payment.amount == self.total:
            self._require("record_paid")
            self._record_paid(actor=actor, payment=payment, timestamp=timestamp)
            return True
        self._require("record_mismatch")
        self._record_mismatch(actor=actor, payment=payment, expected=self.total, timestamp=timestamp)
        return False

    def receive_extra(self, actor: Principal, payment: GatewayPayment, *, timestamp: datetime) -> None:
        """A gateway confirmed a transaction the payment no longer asks for
        (paid already, closed, or settling a mismatch): an overpayment or a
        second transfer. It pays nothing and changes no status; it is kept on
        the payment, for staff to refund."""
        if self.status == S.REQUESTED:
            raise RuleViolationError(self.id, "extra_transaction", "a requested payment is paid or mismatched")
        self._receive_extra(actor=actor, payment=payment, timestamp=timestamp)

    @event("ExtraTransactionReceived")
    def _receive_extra(self, actor: Principal, payment: GatewayPayment, timestamp: datetime) -> None:
        # A payment snapshotted before extra transactions were kept has none yet.
        self.extra_transactions = (*getattr(self, "extra_transactions", ()), payment)

    def refund_extra(self, actor: Principal, transaction_id: str, reason: str, *, timestamp: datetime) -> None:
        """Record that the kept transaction ``transaction_id`` went back to the
        payer, and why; the fee itself stays as it is."""
        self._require("refund_extra")
        kept = {extra.transaction_id for extra in getattr(self, "extra_transactions", ())}
        if transaction_id not in kept:
            raise RuleViolationError(self.id, "transaction_id", "no such transaction is kept on this payment")
        if transaction_id in getattr(self, "refunded_extras", ()):
            raise RuleViolationError(self.id, "transaction_id", "this transaction was refunded already")
        reason = self._require_text(self.id, "reason", reason, self.TEXT_LIMITS["reason"])
        self._refund_extra(actor=actor, transaction_id=transaction_id, reason=reason, timestamp=timestamp)

    @event("ExtraTransactionRefunded")
    def _refund_extra(self, actor: Principal, transaction_id: str, reason: str, timestamp: datetime) -> None:
        self.refunded_extras = (*getattr(self, "refunded_extras", ()), transaction_id)

    @event("Paid")
    def _record_paid(self, actor: Principal, payment: GatewayPayment, timestamp: datetime) -> None:
        self.payment = payment
        self.status = S.PAID

    @event("AmountMismatched")
    def _record_mismatch(self, actor: Principal, payment: GatewayPayment, expected: int, timestamp: datetime) -> None:
        self.mismatches = (*self.mismatches, payment)
        self.status = S.AMOUNT_MISMATCHED

    # -- staff steps ---------------------------------------------------------

    def issue_receipt(self, actor: Principal, number: str, *, timestamp: datetime) -> None:
        """Record the e-receipt (biên lai điện tử) issued for the paid fee, by its number."""
        self._take_step("issue_receipt", actor, timestamp, number=number)

    @event("ReceiptIssued")
    def _issue_receipt(self, actor: Principal, number: str, timestamp: datetime) -> None:
        self.receipt_number = number
        self.status = S.RECEIPT_ISSUED

    def refund(self, actor: Principal, reason: str, *, timestamp: datetime) -> None:
        """Record that the money received went back to the payer, and why."""
        self._take_step("refund", actor, timestamp, reason=reason)

    @event("Refunded")
    def _refund(self, actor: Principal, reason: str, timestamp: datetime) -> None:
        self.refund_reason = reason
        self.status = S.REFUNDED

    def expire(self, actor: Principal, *, timestamp: datetime) -> None:
        """Close an unpaid request whose expiry has passed (the code no longer pays)."""
        refusal = f"the request runs until {self.expires_at.isoformat()}"
        self._take_step_when_due("expire", actor, timestamp, "expires_at", refusal)

    _expire = event("Expired")(entering(S.EXPIRED))
