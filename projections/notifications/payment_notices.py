"""The applicant's notices about their fee (issue #19): ``payment_requested``
when it is due, and ``payment_receipt`` when the paid fee's e-receipt is out.

Where payments are set up, a fee request creates a ``Payment`` in the same
save as the dossier's ``PaymentRequested`` (or ``PaymentRequestedAgain``), and
the notice is the payment's: the dossier's code, the amount, the payment's
code, its expiry, the payee account and the transfer reference (to pay by
hand), and where to pay — the payment's page and its VietQR image
(``/api/v1/payments/{id}``, ``…/qr.png``, paths of this server). Without
payments, the dossier's ``PaymentRequested`` says the amount due, as before.

Exactly once: the payment and the dossier's event name each other (the
payment's id is ``payment_id_for(dossier, version of the dossier's event)``),
and whichever of the two the log holds first decides the notice; the other
finds it in ``view_notification_payment_requests`` (the first one's id, kept
until the second comes) and says nothing. The process manager saves the
payment first (so its notice, with the code, is the one); payments saved
before it, after their dossier's event, keep the dossier's notice on a
rebuild, as they had it live.

Nothing here is personal beyond the applicant's own notice: amounts, codes,
the collecting agency's account and the payment's paths.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ihanoi_core.domain.payment import Payment, payment_id_for
from ihanoi_core.domain.service_request import ServiceRequest
from ihanoi_projections.engine.changes import Change
from ihanoi_projections.engine.database import Cursor, Row
from ihanoi_projections.notifications.case_notices import PAYMENT_REQUESTS, own_notice
from ihanoi_projections.notifications.triggers import PAYMENT_REQUESTS_SEEN, Trigger, register


def payment_params(payment: Payment) -> dict[str, Any]:
    """What a notice says of a payment: its dossier's code (the notice's
    ``code``), its own code, the amount and where to pay it."""
    path = f"/api/v1/payments/{payment.id}"
    return {
        "code": payment.dossier_code,
        "case_kind": "dossier",
        "status": str(payment.status),
        "payment_code": payment.code,
        "amount": str(payment.total),
        "reference": payment.reference,
        "bank_bin": payment.payee.bank_bin,
        "account": payment.payee.account,
        "account_name": payment.payee.name,
        "expires_at": payment.expires_at.isoformat(),
        "pay_url": path,
        "qr_url": f"{path}/qr.png",
    }


@register
class PaymentNoticeTrigger(Trigger):
    """Queues the notices of the module docstring."""

    def schema(self) -> Sequence[str]:
        return (f"CREATE TABLE IF NOT EXISTS {PAYMENT_REQUESTS_SEEN} (payment_id TEXT PRIMARY KEY)",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.seen: set[str] = set()  # first halves seen in this batch
        self.matched: set[str] = set()  # first halves written before, met again in this batch

    def apply(self, change: Change) -> None:
        case = change.case
        owner = getattr(case, "owner", None)
        if isinstance(case, Payment) and change.created:
            if self._first(str(case.id)) and owner is not None:
                self._notice(change, case, owner, "payment_requested", payment_params(case))
        elif isinstance(case, Payment) and change.event_name == "ReceiptIssued" and owner is not None:
            params = {**payment_params(case), "receipt_number": case.receipt_number}
            self._notice(change, case, owner, "payment_receipt", params)
        elif isinstance(case, ServiceRequest) and change.event_name in PAYMENT_REQUESTS:
            first = self._first(str(payment_id_for(case.id, case.version)))
            # Asked again without payments set up cannot happen: only the first request speaks alone.
            if first and change.event_name == "PaymentRequested" and owner is not None:
                params = {"code": case.code, "case_kind": case.kind, "status": str(case.status)}
                params["amount"] = None if case.amount_due is None else str(case.amount_due)
                self._notice(change, case, owner, "payment_requested", params)

    def _notice(self, change: Change, case: Any, owner: str, kind: str, params: dict[str, Any]) -> None:
        actor = getattr(change.event, "actor", None)
        if actor is not None and actor.subject == owner:
            return  # The citizen did it: they know.
        self.model.add_step(own_notice(change, case, self.model._key(owner), kind, params))

    def _first(self, payment_id: str) -> bool:
        """Whether this is the first of the payment's two halves the log holds."""
        if payment_id in self.seen:
            self.seen.discard(payment_id)
            return False
        query = f"SELECT payment_id FROM {PAYMENT_REQUESTS_SEEN} WHERE payment_id = ?"
        if self.model.database.query(query, [payment_id]):
            self.matched.add(payment_id)
            return False
        self.seen.add(payment_id)
        return True

    def flush(self, cursor: Cursor) -> None:
        cursor.executemany(
            f"INSERT INTO {PAYMENT_REQUESTS_SEEN} (payment_id) VALUES (?) ON CONFLICT (payment_id) DO NOTHING",
            [(payment_id,) for payment_id in sorted(self.seen)],
        )
        cursor.executemany(
            f"DELETE FROM {PAYMENT_REQUESTS_SEEN} WHERE payment_id = ?",
            [(payment_id,) for payment_id in sorted(self.matched)],
        )
        self.discard()

    def discard(self) -> None:
        self.seen, self.matched = set(), set()

    def rows(self) -> list[Row]:
        query = f"SELECT * FROM {PAYMENT_REQUESTS_SEEN} ORDER BY payment_id"
        return [{"payment_request": row} for row in self.model.database.query(query)]
