"""Commands on fee payments (thanh toán phí, lệ phí; ``docs/payments.md``).

A payment is created by the dossier's ``request-payment`` (the process
manager, ``ihanoi_core.payments.process``), never on its own. A gateway's
signed callback becomes ``RecordGatewayPayment``, run by the webhook as the
SYSTEM principal of that gateway; it has no command route. Staff of the
collecting agency issue the e-receipt, refund, and expire an unpaid request
(``ihanoi payments expire`` does the last for every overdue one). The
statuses each step is valid from are ``Payment.TRANSITIONS``.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from msgspec import Meta

from ihanoi_core.commands.command import CaseCommand, Command
from ihanoi_core.commands.values import AwareDatetime, ShortText
from ihanoi_core.domain.case import Case
from ihanoi_core.domain.payment import Payment
from ihanoi_core.domain.values import Role
from ihanoi_core.permissions import STAFF

Token = Annotated[str, Meta(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")]


class PaymentCommand(CaseCommand, frozen=True, kw_only=True):
    """A command on a payment."""

    family: ClassVar[type[Case]] = Payment
    roles: ClassVar[frozenset[Role]] = STAFF


class IssueReceipt(PaymentCommand, frozen=True, kw_only=True):
    """Record the e-receipt (biên lai điện tử) issued for the paid fee, by its number."""

    name: ClassVar[str] = "receipt"
    step_name: ClassVar[str] = "issue_receipt"
    number: Annotated[str, Meta(min_length=1, max_length=60)]


class RefundPayment(PaymentCommand, frozen=True, kw_only=True):
    """Record that the money received went back to the payer, with the reason."""

    name: ClassVar[str] = "refund"
    reason: ShortText


class RefundExtraTransaction(PaymentCommand, frozen=True, kw_only=True):
    """Record that a transaction kept on the payment (paid twice, an
    overpayment) went back to the payer, with the reason; the fee stays paid."""

    name: ClassVar[str] = "refund-extra"
    step_name: ClassVar[str] = "refund_extra"
    transaction_id: Token
    reason: ShortText


class ExpirePayment(PaymentCommand, frozen=True, kw_only=True):
    """Close an unpaid request whose expiry has passed."""

    name: ClassVar[str] = "expire"


class RecordGatewayPayment(Command, frozen=True, kw_only=True):
    """A gateway confirmed a transfer: ``amount`` đồng with the transfer
    ``reference`` under its ``transaction_id``. Recorded once per transaction:
    the full amount pays the fee (and resumes the dossier), another amount is
    recorded as a mismatch; a replay changes nothing."""

    name: ClassVar[str] = "record-gateway-payment"
    roles: ClassVar[frozenset[Role]] = frozenset({Role.SYSTEM})
    provider: Token
    transaction_id: Token
    reference: Annotated[str, Meta(min_length=1, max_length=100)]
    amount: Annotated[int, Meta(ge=0, le=10**13)]
    paid_at: AwareDatetime
