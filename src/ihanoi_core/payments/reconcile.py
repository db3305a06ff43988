"""Reconciling a bank statement with the payments recorded (đối soát).

A statement is a CSV file with a header row naming at least ``amount`` and
``description`` (the transfer purpose the payer's bank passed on), and
optionally ``transaction_id`` and ``booked_at``. Each line is matched to the
payment whose transfer reference its description carries, and matches when
the amounts agree and the payment was recorded as paid. What is left over is
reported both ways: statement lines with no recorded payment (money the
platform does not know it received) and payments recorded as paid that no
line of the statement shows (a confirmation the bank does not back).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ihanoi_core.errors import ValidationError
from ihanoi_core.payments.process import payment_code_of, transfer_reference

PAID_STATUSES = frozenset({"paid", "receipt_issued"})


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One credit of the statement, with its line number in the file."""

    line: int
    amount: int
    description: str
    transaction_id: str = ""
    booked_at: str = ""

    @property
    def reference(self) -> str | None:
        code = payment_code_of(self.description)
        return transfer_reference(code) if code is not None else None


@dataclass(frozen=True, slots=True)
class RecordedPayment:
    """What the platform recorded of one payment."""

    code: str
    reference: str
    total: int
    status: str
    agency: str


@dataclass(slots=True)
class Reconciliation:
    """Matched pairs, and the unmatched on each side with the reason."""

    matched: list[tuple[StatementLine, RecordedPayment]] = field(default_factory=list)
    unmatched_lines: list[tuple[StatementLine, str]] = field(default_factory=list)
    unmatched_payments: list[RecordedPayment] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        return not self.unmatched_lines and not self.unmatched_payments


def read_statement(text: str) -> list[StatementLine]:
    """The statement's lines; ``ValidationError`` naming the first bad one."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    names = {name.strip().lower() for name in reader.fieldnames or ()}
    if not {"amount", "description"} <= names:
        raise ValidationError({"statement": "the header must name at least the columns amount and description"})
    lines = []
    for number, row in enumerate(reader, start=2):
        cells = {(key or "").strip().lower(): (value or "").strip() for key, value in row.items()}
        amount = cells["amount"].replace(",", "").replace(".", "")
        if not amount.isdigit():
            raise ValidationError({"statement": f"line {number}: amount {cells['amount']!r} is not whole đồng"})
        lines.append(
            StatementLine(
                line=number,
                amount=int(amount),
                description=cells["description"],
                transaction_id=cells.get("transaction_id", ""),
                booked_at=cells.get("booked_at", ""),
            )
        )
    return lines


def reconcile(lines: Iterable[StatementLine], payments: Mapping[str, RecordedPayment]) -> Reconciliation:
    """Match ``lines`` to ``payments`` (by transfer reference). Every payment
    of ``payments`` recorded as paid must be matched by one line."""
    result = Reconciliation()
    seen: set[str] = set()
    for line in lines:
        reference = line.reference
        payment = payments.get(reference) if reference else None
        if payment is None:
            result.unmatched_lines.append((line, "no payment with this transfer reference"))
        elif reference in seen:
            result.unmatched_lines.append((line, f"a second credit for {payment.code}"))
        elif line.amount != payment.total:
            result.unmatched_lines.append((line, f"{line.amount} đồng, {payment.code} asks {payment.total}"))
        elif payment.status not in PAID_STATUSES:
            result.unmatched_lines.append((line, f"{payment.code} is {payment.status}, not recorded as paid"))
        else:
            result.matched.append((line, payment))
        if reference:
            seen.add(reference)
    matched = {payment.reference for _, payment in result.matched}
    result.unmatched_payments = [
        payment for payment in payments.values() if payment.status in PAID_STATUSES and payment.reference not in matched
    ]
    return result
