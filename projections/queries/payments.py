"""The payment queries: a dossier's payments (whoever can see the dossier)
and the fees collected per agency and day with the daily cashless share
(``PAYMENT_COLLECTIONS``: the agency's staff, auditors for any agency or the
city). Both read ``payments``; ``overdue`` is the expiry run's (no principal:
``ihanoi payments expire`` acts as the system)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from ihanoi_core.domain.values import Principal
from ihanoi_core.errors import CaseNotFoundError, ValidationError
from ihanoi_projections.engine.base import from_micros
from ihanoi_projections.engine.database import Row
from ihanoi_projections.payments import PaymentsModel
from ihanoi_projections.queries.access import DOSSIER_PAYMENTS, PAYMENT_COLLECTIONS, authorize, authorize_agency
from ihanoi_projections.read_side import ReadSideQueries

MAX_DAYS = 366
TIME_COLUMNS = ("requested_at", "expires_at", "paid_at")
PUBLIC_COLUMNS = (
    "payment_id",
    "code",
    "dossier_id",
    "dossier_code",
    "agency",
    "status",
    "total",
    "reference",
    "requested_at",
    "expires_at",
    "paid_at",
    "paid_amount",
    "provider",
    "transaction_id",
    "receipt_number",
)


class PaymentQueries(ReadSideQueries):
    """See the module docstring."""

    @property
    def payments(self) -> PaymentsModel:
        return self.read_side.model(PaymentsModel)

    def of_dossier(self, principal: Principal, dossier: UUID | str) -> list[dict[str, Any]]:
        """The payments of a dossier the principal can see, newest first."""
        authorize(principal, DOSSIER_PAYMENTS)
        case = self.app.get_case(principal, dossier)
        if case["kind"] != "dossier":
            raise CaseNotFoundError(dossier)
        return [public(row) for row in self.payments.find(dossier=str(case["id"]))]

    def collections(
        self, principal: Principal, *, since: str | None, until: str | None, agency: str | None = None
    ) -> dict[str, Any]:
        """Fees confirmed per agency and per day from ``since`` to ``until``
        (local ISO dates; by default the last 30 days), with the cashless share."""
        chosen = authorize_agency(principal, PAYMENT_COLLECTIONS, agency)
        today = self.app.clock().astimezone(self.app.calendar.zone).date()
        first, last = _day("since", since, today - timedelta(days=29)), _day("until", until, today)
        if first > last or (last - first).days >= MAX_DAYS:
            raise ValidationError({"since": f"must be on or before until, at most {MAX_DAYS} days apart"})
        return self.payments.collections(since=first.isoformat(), until=last.isoformat(), agency=chosen)

    def overdue(self, now: datetime, limit: int = 500) -> list[Row]:
        """Unpaid requests whose expiry has passed at ``now``."""
        return self.payments.find(expired_at=now, limit=limit)


def public(row: Row) -> dict[str, Any]:
    """A payment's row as the API gives it (times as datetimes, no owner key)."""
    found = {column: row[column] for column in PUBLIC_COLUMNS}
    for column in TIME_COLUMNS:
        found[column] = from_micros(found[column])
    return found


def _day(name: str, text: str | None, default: date) -> date:
    if text is None:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError({name: "must be a date, YYYY-MM-DD"}) from None
