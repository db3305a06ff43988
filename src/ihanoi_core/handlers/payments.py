"""Handlers of the staff's commands on payments (``ihanoi_core.commands.payments``).

The payment's creation (with the dossier's ``request-payment``) and a
gateway's confirmation are the process manager's (``ihanoi_core.payments.process``).
"""

from __future__ import annotations

from ihanoi_core.commands.payments import ExpirePayment, IssueReceipt, RefundExtraTransaction, RefundPayment
from ihanoi_core.handlers.table import decides_by_step

decides_by_step(IssueReceipt, RefundPayment, ExpirePayment, RefundExtraTransaction)
