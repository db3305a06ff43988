"""The payment process manager: a dossier's fee request becomes a payment,
and a gateway's confirmation becomes a paid fee and a resumed dossier, each
in ONE atomic save.

- ``request-payment`` on a dossier (``RequestDossierPayment``) pauses the
  dossier's clock and, when the settings name a payee account
  (``IHANOI_PAYMENTS_BANK_BIN``/``_ACCOUNT``), creates the ``Payment`` — the
  fee lines of the procedure (its fee and fee note, or the officer's amount
  as one line), the payee, the transfer reference and the expiry — with its
  code index, in the same save as the dossier's ``PaymentRequested`` (saved
  first, so the applicant's notice is the payment's). A dossier still
  waiting for its fee whose payment no longer pays (expired, refunded,
  mismatched; one past its expiry expires in the same save) is asked again:
  a new payment with the dossier's ``PaymentRequestedAgain``, which does not
  pause the clock a second time; while the payment is live, 409.
- ``RecordGatewayPayment`` (the webhook, as the gateway's SYSTEM principal)
  finds the payment by its transfer reference, records ``Paid`` (the full
  amount) or ``AmountMismatched`` — or, once it is no longer requested,
  ``ExtraTransactionReceived`` (an overpayment, a second transfer) —,
  registers the ``PaymentTransaction`` index of the gateway's transaction
  id, and — when paid and the dossier still waits — records the dossier's
  ``PaymentConfirmed`` (its clock resumes), all in one save. A transaction
  already registered is a no-op; fifty concurrent copies of one callback
  save once: the others lose the race on the index.

The transfer reference is ``IHN`` and the payment's code without dashes
(``IHNTT261206483920``): banks keep letters and digits of a transfer's purpose,
and the code resolves to the payment through the case code index.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from ihanoi_core.commands.payments import RecordGatewayPayment
from ihanoi_core.commands.service_requests import RequestDossierPayment
from ihanoi_core.domain.case_code import CaseCode
from ihanoi_core.domain.payment import Payment, payment_id_for
from ihanoi_core.domain.payment_transaction import PaymentTransaction, transaction_id
from ihanoi_core.domain.payment_values import FeeLine, GatewayPayment, Payee, PaymentStatus
from ihanoi_core.domain.service_request import ServiceRequest
from ihanoi_core.domain.service_request_values import DossierStatus
from ihanoi_core.domain.values import Principal
from ihanoi_core.errors import (
    CaseNotFoundError,
    ConflictError,
    ForbiddenError,
    RuleViolationError,
    ValidationError,
    VersionMismatchError,
)
from ihanoi_core.handlers.bus import CODE_ATTEMPTS, CommandBus, CommandResult, code_index
from ihanoi_core.handlers.table import handles
from ihanoi_core.permissions import authorize
from ihanoi_core.settings import Settings

REFERENCE_PREFIX = "IHN"
# A payment in these no longer pays: the dossier still waiting for its fee may ask again.
CLOSED_UNPAID = frozenset({PaymentStatus.EXPIRED, PaymentStatus.REFUNDED, PaymentStatus.AMOUNT_MISMATCHED})


def transfer_reference(payment_code: str) -> str:
    """``TT-261206-483920`` → ``IHNTT261206483920``."""
    return REFERENCE_PREFIX + payment_code.replace("-", "")


def payment_code_of(reference: str) -> str | None:
    """The payment code a transfer reference names, wherever it sits in the
    purpose a bank passed on (banks may add their own words around it)."""
    compact = "".join(reference.upper().split())
    at = compact.find(REFERENCE_PREFIX + Payment.code_prefix)
    digits = compact[at + len(REFERENCE_PREFIX) + 2 : at + len(REFERENCE_PREFIX) + 14] if at >= 0 else ""
    if len(digits) != 12 or not digits.isdigit():
        return None
    return f"{Payment.code_prefix}-{digits[:6]}-{digits[6:]}"


def fee_lines(bus: CommandBus, dossier: ServiceRequest, amount: int | None) -> tuple[FeeLine, ...]:
    """The lines the dossier's procedure charges (its fee, under its fee note),
    or the officer's ``amount`` as one line under that note."""
    procedure = bus.directory.get_procedure(dossier.procedure)
    label = (procedure.fee_note if procedure and procedure.fee_note else "") or f"Phí, lệ phí: {dossier.procedure_name}"
    total = amount if amount is not None else dossier.fee
    if not total or total <= 0:
        raise ValidationError({"amount": "the procedure charges no fee: give the amount to request"})
    return (FeeLine(label=label[:200], amount=int(total)),)


@handles(RequestDossierPayment)
def request_payment(
    bus: CommandBus, principal: Principal, command: RequestDossierPayment, expected_version: int | None
) -> CommandResult:
    settings = bus.settings
    dossier_id = bus.resolve_case_id(command.case)
    for attempt in range(CODE_ATTEMPTS):
        dossier = bus._load(dossier_id, ServiceRequest)
        authorize(principal, dossier, "request_payment", dossier_id)
        if expected_version is not None and dossier.version != expected_version:
            raise VersionMismatchError(dossier_id, expected_version, dossier.version)
        version, now = dossier.version, bus.clock()
        lines = fee_lines(bus, dossier, command.amount)
        payee = _payee(settings)
        saving: list[Aggregate] = []
        if payee is not None and dossier.status == DossierStatus.AWAITING_PAYMENT:
            # Asked again: the earlier request closed unpaid (or its expiry passed: it expires now).
            saving += _closed_request(bus, principal, dossier, now)
            dossier.request_payment_again(principal, sum(line.amount for line in lines), command.note, timestamp=now)
        else:
            dossier.request_payment(principal, sum(line.amount for line in lines), command.note, timestamp=now)
        if payee is not None:
            # Before the dossier's event in the log: the applicant's notice is the payment's (it has the code).
            saving[:0] = _new_payment(bus, principal, dossier, lines, payee, attempt, now)
        saving.append(dossier)
        try:
            recordings = bus._store(*saving)
        except IntegrityError:
            if len(saving) == 1 or bus._load(dossier_id, ServiceRequest).version != version:
                raise ConflictError(dossier_id) from None
            continue  # The payment's code was taken: try the next one.
        return bus._result(dossier, recordings[-1].notification.id)
    raise ConflictError(dossier_id, "Could not allocate a unique payment code; retry.")


def _payee(settings: Settings) -> Payee | None:
    """The account fees are paid into, when payments are on."""
    if settings.payments_bank_bin is None or settings.payments_account is None:
        return None
    return Payee(settings.payments_bank_bin, settings.payments_account, settings.payments_account_name)


def current_payment_id(dossier: ServiceRequest) -> UUID | None:
    """The payment of the dossier's latest fee request, if one was created
    with it (payments were on)."""
    version = getattr(dossier, "payment_requested_version", None)
    return None if version is None else payment_id_for(dossier.id, version)


def _closed_request(bus: CommandBus, principal: Principal, dossier: ServiceRequest, now: datetime) -> list[Payment]:
    """The dossier's current payment when it no longer pays (expired,
    refunded, another amount received; one still requested past its expiry
    expires now, to be saved with the new request); a live one: 409."""
    found = current_payment_id(dossier)
    try:
        payment = None if found is None else bus._load(found, Payment)
    except CaseNotFoundError:
        payment = None  # Payments were off when the fee was first asked for.
    if payment is None or payment.status in CLOSED_UNPAID:
        return []
    if payment.status == PaymentStatus.REQUESTED and now >= payment.expires_at:
        payment.expire(principal, timestamp=now)
        return [payment]
    raise RuleViolationError(
        dossier.id,
        "payment_pending",
        f"Payment {payment.code} is {payment.status}: a new request is possible once it has expired or was refunded.",
    )


def _new_payment(
    bus: CommandBus,
    principal: Principal,
    dossier: ServiceRequest,
    lines: tuple[FeeLine, ...],
    payee: Payee,
    attempt: int,
    now: datetime,
) -> tuple[Payment, CaseCode]:
    """The payment of the dossier's fee, requested ``now``, and its code index."""
    payment_id = payment_id_for(dossier.id, dossier.version)
    code = bus._make_code(Payment.code_prefix, now, payment_id, attempt)
    assert dossier.agency is not None
    payment = Payment.request(
        id=payment_id,
        code=code,
        actor=principal,
        dossier=dossier.id,
        dossier_code=dossier.code,
        agency=dossier.agency,
        owner=dossier.owner,
        lines=lines,
        payee=payee,
        reference=transfer_reference(code),
        expires_at=now + timedelta(hours=bus.settings.payments_expiry_hours),
        timestamp=now,
    )
    return payment, code_index(payment, Payment.kind, principal, now)


@handles(RecordGatewayPayment)
def record_gateway_payment(
    bus: CommandBus, principal: Principal, command: RecordGatewayPayment, expected_version: int | None
) -> CommandResult:
    if principal.role not in command.roles:
        raise ForbiddenError(command.name, principal.role.value)
    index_id = transaction_id(command.provider, command.transaction_id)
    if (done := _recorded(bus, index_id)) is not None:
        return done
    code = payment_code_of(command.reference)
    if code is None:
        raise CaseNotFoundError(command.reference)
    payment = bus._load(bus.resolve_case_id(code), Payment)
    now = bus.clock()
    received = GatewayPayment(command.provider, command.transaction_id, command.amount, command.paid_at)
    paid = False
    if payment.status == PaymentStatus.REQUESTED:
        paid = payment.confirm(principal, received, timestamp=now)
    else:
        # Paid already, or closed: kept on the payment for staff to refund (a copy
        # of a callback recorded meanwhile loses the race on the index below).
        payment.receive_extra(principal, received, timestamp=now)
    index = PaymentTransaction(
        id=index_id,
        provider=command.provider,
        transaction=command.transaction_id,
        payment=payment.id,
        actor=principal,
        timestamp=now,
    )
    saving: list[Aggregate] = [payment, index]
    if paid:
        dossier = bus._load(payment.dossier, ServiceRequest)
        if dossier.status == DossierStatus.AWAITING_PAYMENT:
            reference = f"{command.provider}:{command.transaction_id}"
            dossier.confirm_payment(principal, reference, calendar=bus.calendar, timestamp=now)
            saving.append(dossier)
    try:
        recordings = bus._store(*saving)
    except IntegrityError:
        if (done := _recorded(bus, index_id)) is not None:
            return done  # A concurrent copy of this callback saved it first.
        raise ConflictError(payment.id) from None
    return bus._result(payment, recordings[-1].notification.id)


def _recorded(bus: CommandBus, index_id: UUID) -> CommandResult | None:
    """The unchanged payment a transaction was already recorded on, if it was."""
    index = bus._stored(index_id, PaymentTransaction)
    if index is None:
        return None
    payment = bus._load(index.payment, Payment)
    return bus._result(payment, bus.head_position(), changed=False)
