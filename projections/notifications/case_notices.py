"""The notices a change of a citizen's own case calls for: a status change
made by someone else (``case_status``, or the kinds of a paused dossier:
``supplement_requested``; a dossier's fee requests and its payments are
``payment_notices``'s), a decision the law requires
to be notified (``decision_notice``, see ``legal``) and a late dossier's apology
with its new appointment (``dossier_apology``). The outbox decides who hears
it and on which channels.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ihanoi_core.domain.case import Case
from ihanoi_core.domain.payment import Payment
from ihanoi_core.domain.survey import Survey
from ihanoi_projections.case_status import summary_of
from ihanoi_projections.engine.changes import Change
from ihanoi_projections.notifications.legal import decision_kind
from ihanoi_projections.notifications.notices import Notice

# Notices of status changes that pause a dossier's clock have their own kinds.
STATUS_KINDS = {"supplement_requested": "supplement_requested"}
# A dossier's fee requests: ``payment_notices`` says it once, with the payment or without.
PAYMENT_REQUESTS = frozenset({"PaymentRequested", "PaymentRequestedAgain"})


def case_notice(change: Change, case: Case, key_of: Callable[[str], str]) -> Notice | None:
    """The notice a change of a citizen's own case calls for, if any."""
    owner = case.owner
    if change.created or owner is None or isinstance(case, Survey):
        return None
    if change.event_name in PAYMENT_REQUESTS or (isinstance(case, Payment) and change.event_name == "ReceiptIssued"):
        return None  # ``payment_notices``'s: the due fee (with its payment's code) and the receipt.
    event = change.event
    actor = getattr(event, "actor", None)
    if actor is not None and actor.subject == owner:
        return None  # The citizen did it: they know.
    status = str(case.status)
    params: dict[str, Any] = {
        "code": case.code,
        "case_kind": case.kind,
        "summary": summary_of(case),
        "status": status,
        "due_at": None if case.due_at is None else case.due_at.isoformat(),
    }
    if change.event_name == "ApologyIssued":
        kind = "dossier_apology"
        params["appointment_at"] = case.due_at.isoformat() if case.due_at else None
    elif change.before.get("status") != case.status:
        kind = decision_kind(case.kind, status) or STATUS_KINDS.get(status, "case_status")
        if kind == "supplement_requested":
            params["missing"] = list(getattr(case, "missing_documents", ()))
    else:
        return None
    return own_notice(change, case, key_of(owner), kind, params)


def own_notice(change: Change, case: Case, subject_key: str, kind: str, params: dict[str, Any]) -> Notice:
    """The notice of ``kind`` to the owner of ``case`` (``subject_key``) about ``change``."""
    return Notice.about(change, case, kind, params, subject_key=subject_key)
