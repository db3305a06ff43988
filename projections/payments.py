"""payments: every fee payment, and every dossier fee confirmed, for the
collections per agency and day and the daily cashless share.

Two tables:

- ``view_payments``: one row per payment (its latest state): dossier, agency,
  status, total, transfer reference, requested/expiry/paid times, the gateway
  and its transaction id, the receipt number, and the transactions received
  once it was no longer requested and not refunded yet (count and đồng: the
  staff's to refund). The applicant is kept as the
  keyed hash "my cases" uses (``owner_key``), never their subject id.
- ``view_fee_confirmations``: one row per dossier ``PaymentConfirmed``: the
  agency, the local day, the amount, and whether a gateway confirmed it
  (cashless) or an officer did (at the counter).

The cashless share of a day is the gateway-confirmed fees over all fees
confirmed that day, in count and in đồng.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

from ihanoi_core.domain.payment import Payment
from ihanoi_core.domain.service_request import ServiceRequest
from ihanoi_core.domain.values import Role
from ihanoi_projections.engine.base import ReadModel, ViewTable, micros
from ihanoi_projections.engine.changes import Change
from ihanoi_projections.engine.database import Cursor, Row

PAYMENTS = ViewTable(
    "view_payments",
    {
        "payment_id": "TEXT PRIMARY KEY",
        "code": "TEXT NOT NULL",
        "dossier_id": "TEXT NOT NULL",
        "dossier_code": "TEXT NOT NULL",
        "agency": "TEXT NOT NULL",
        "owner_key": "TEXT",
        "status": "TEXT NOT NULL",
        "total": "BIGINT NOT NULL",
        "reference": "TEXT NOT NULL",
        "requested_at": "BIGINT NOT NULL",
        "expires_at": "BIGINT NOT NULL",
        "paid_at": "BIGINT",
        "paid_amount": "BIGINT",
        "provider": "TEXT",
        "transaction_id": "TEXT",
        "receipt_number": "TEXT",
        "position": "BIGINT NOT NULL",
    },
    unique={"reference": "reference"},
    indexes={"dossier": "dossier_id", "status": "status, expires_at"},
    # Transactions received once it was no longer requested, not refunded yet: staff's to refund.
    added={"extra_count": "BIGINT NOT NULL DEFAULT 0", "extra_amount": "BIGINT NOT NULL DEFAULT 0"},
)
CONFIRMATIONS = ViewTable(
    "view_fee_confirmations",
    {
        "dossier_id": "TEXT NOT NULL",
        "version": "BIGINT NOT NULL",
        "agency": "TEXT NOT NULL",
        "day": "TEXT NOT NULL",
        "amount": "BIGINT NOT NULL",
        "cashless": "BIGINT NOT NULL",
    },
    key="dossier_id, version",
    indexes={"day": "day, agency"},
)
# The statements of each flush, written once.
UPSERT_PAYMENT = PAYMENTS.upsert()
ADD_CONFIRMATION = CONFIRMATIONS.insert(" ON CONFLICT (dossier_id, version) DO NOTHING")


class PaymentsModel(ReadModel):
    name = "payments"
    tables = (PAYMENTS.name, CONFIRMATIONS.name)
    kinds = (Payment, ServiceRequest)
    partitionable: ClassVar[bool] = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._latest: dict[Any, tuple[Payment, int]] = {}
        self._confirmations: list[tuple[Any, ...]] = []

    def schema(self) -> Sequence[str]:
        return (*PAYMENTS.schema(), *CONFIRMATIONS.schema())

    def apply(self, change: Change) -> None:
        case = change.case
        if isinstance(case, Payment):
            self._latest[case.id] = (case, change.position)
        elif change.event_name == "PaymentConfirmed" and isinstance(case, ServiceRequest):
            actor = change.event.actor
            day = change.event.timestamp.astimezone(self.context.calendar.zone).date().isoformat()
            amount = int(case.amount_due or 0)
            cashless = 1 if actor.role is Role.SYSTEM else 0
            self._confirmations.append((str(case.id), case.version, case.agency or "", day, amount, cashless))

    def flush(self, cursor: Cursor) -> None:
        rows = [self.row(payment, position) for payment, position in self._latest.values()]
        cursor.executemany(UPSERT_PAYMENT, rows)
        cursor.executemany(ADD_CONFIRMATION, self._confirmations)
        self.discard()

    def discard(self) -> None:
        self._latest.clear()
        self._confirmations.clear()

    def row(self, payment: Payment, position: int) -> tuple[Any, ...]:
        paid = payment.payment or (payment.mismatches[-1] if payment.mismatches else None)
        refunded = getattr(payment, "refunded_extras", ())
        extras = [extra for extra in getattr(payment, "extra_transactions", ()) if extra.transaction_id not in refunded]
        return (
            str(payment.id),
            payment.code,
            str(payment.dossier),
            payment.dossier_code,
            payment.agency,
            self.context.subject_key(payment.owner),
            str(payment.status),
            payment.total,
            payment.reference,
            micros(payment.requested_at),
            micros(payment.expires_at),
            micros(paid.paid_at) if paid else None,
            paid.amount if paid else None,
            paid.provider if paid else None,
            paid.transaction_id if paid else None,
            payment.receipt_number,
            position,
            len(extras),
            sum(extra.amount for extra in extras),
        )

    # -- queries ------------------------------------------------------------

    def find(
        self,
        *,
        dossier: str | None = None,
        agency: str | None = None,
        owner_key: str | None = None,
        status: str | None = None,
        expired_at: datetime | None = None,
        limit: int = 500,
    ) -> list[Row]:
        """Payments, newest request first: of a dossier, an agency, an owner,
        in a status, or (``expired_at``) still unpaid with their expiry passed."""
        where: list[str] = []
        params: list[Any] = []
        for column, value in (("dossier_id", dossier), ("agency", agency), ("owner_key", owner_key)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if status is not None:
            where.append("status = ?")
            params.append(status)
        if expired_at is not None:
            where.append("status = 'requested' AND expires_at <= ?")
            params.append(micros(expired_at))
        sql = "SELECT * FROM view_payments" + (" WHERE " + " AND ".join(where) if where else "")
        params.append(limit)
        return self.database.query(sql + " ORDER BY requested_at DESC, payment_id LIMIT ?", params)

    def by_reference(self, references: Sequence[str]) -> dict[str, Row]:
        """The payments with these transfer references."""
        found: dict[str, Row] = {}
        for start in range(0, len(references), 500):
            chunk = list(references[start : start + 500])
            marks = ", ".join("?" * len(chunk))
            for row in self.database.query(f"SELECT * FROM view_payments WHERE reference IN ({marks})", chunk):
                found[row["reference"]] = row
        return found

    def collections(self, *, since: str, until: str, agency: str | None = None) -> dict[str, Any]:
        """Fees confirmed from day ``since`` to ``until`` (ISO dates, local):
        totals per agency and the cashless share of each day."""
        where, params = "day >= ? AND day <= ?", [since, until]
        if agency is not None:
            where, params = where + " AND agency = ?", [*params, agency]
        agencies = self.database.query(
            "SELECT agency, COUNT(*) AS fees, SUM(amount) AS amount, SUM(cashless) AS cashless_fees,"
            " SUM(amount * cashless) AS cashless_amount"
            f" FROM view_fee_confirmations WHERE {where} GROUP BY agency ORDER BY agency",
            params,
        )
        days = self.database.query(
            "SELECT day, COUNT(*) AS fees, SUM(amount) AS amount, SUM(cashless) AS cashless_fees,"
            " SUM(amount * cashless) AS cashless_amount"
            f" FROM view_fee_confirmations WHERE {where} GROUP BY day ORDER BY day",
            params,
        )
        return {
            "since": since,
            "until": until,
            "agencies": [_totals(row, "agency") for row in agencies],
            "days": [_totals(row, "day") for row in days],
        }

    def rows(self) -> list[Row]:
        return [
            *self.database.query("SELECT * FROM view_payments ORDER BY payment_id"),
            *self.database.query("SELECT * FROM view_fee_confirmations ORDER BY dossier_id, version"),
        ]


def _totals(row: Row, key: str) -> dict[str, Any]:
    fees, amount = int(row["fees"]), int(row["amount"] or 0)
    cashless_fees, cashless_amount = int(row["cashless_fees"] or 0), int(row["cashless_amount"] or 0)
    return {
        key: row[key],
        "fees": fees,
        "amount": amount,
        "cashless_fees": cashless_fees,
        "cashless_amount": cashless_amount,
        "cashless_share": round(cashless_fees / fees, 4) if fees else None,
    }
