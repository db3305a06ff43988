"""The values of a fee payment (thanh toán phí, lệ phí): its status, the
lines of the fee schedule it collects, the payee account and a gateway's
confirmation.

Money is a whole number of đồng (the đồng has no minor unit in use).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypedDict
from uuid import UUID

from ihanoi_core.domain.personal import OWNER, Personal
from ihanoi_core.domain.values import Principal


class PaymentStatus(StrEnum):
    """Where a payment is.

    ``requested``: the applicant may pay by the VietQR code until ``expires_at``;
    ``paid``: a gateway confirmed the full amount; ``amount_mismatched``: a
    gateway confirmed a transfer of another amount (staff refund it, and may
    ask for the fee again with a new payment); ``receipt_issued``: the
    e-receipt is out; ``expired``: nobody paid in time (the fee may be asked
    again); ``refunded``: the money went back. Transactions received once it
    is no longer requested are kept on it (``extra_transactions``)."""

    REQUESTED = "requested"
    PAID = "paid"
    AMOUNT_MISMATCHED = "amount_mismatched"
    RECEIPT_ISSUED = "receipt_issued"
    EXPIRED = "expired"
    REFUNDED = "refunded"


@dataclass(frozen=True, slots=True)
class FeeLine:
    """One line of a fee schedule: what it is for and its amount in đồng."""

    label: str
    amount: int


@dataclass(frozen=True, slots=True)
class Payee:
    """The account the fee is paid into: bank BIN (NAPAS), account number and
    the account holder's name (the collecting agency or the State Treasury)."""

    bank_bin: str
    account: str
    name: str


@dataclass(frozen=True, slots=True)
class GatewayPayment:
    """What a gateway confirmed: who (``provider``), its transaction id, the
    amount received and when it was received."""

    provider: str
    transaction_id: str
    amount: int
    paid_at: datetime


class PaymentRequest(TypedDict):
    """What asking for a dossier's fee says, as its Requested event records
    it (with the lines' total): whose dossier, the fee's lines, the account
    it is paid into, the transfer reference and the expiry."""

    id: UUID
    code: str
    actor: Principal
    dossier: UUID
    dossier_code: str
    agency: str
    owner: str | None
    lines: tuple[FeeLine, ...]
    payee: Payee
    reference: str
    expires_at: datetime
    timestamp: datetime


# The applicant's subject id names the data subject; nothing else of a payment is personal.
PAYMENT_PERSONAL_DATA: Mapping[str, Mapping[str, Personal]] = {"Requested": {"owner": OWNER}}
PAYMENT_ERASED_STATE: Mapping[str, object] = {"owner": None}

VALUE_TYPES: dict[str, type] = {
    "payment_status": PaymentStatus,
    "fee_line": FeeLine,
    "payee": Payee,
    "gateway_payment": GatewayPayment,
}
