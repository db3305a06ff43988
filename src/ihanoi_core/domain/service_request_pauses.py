"""The paused statuses of a dossier: supplement (5), payment (6) and suspension
(8). Entering one pauses the running clock ("tạm dừng xử lý"); leaving it adds
the paused office time (calendar days for calendar-day periods) to the clock,
so the dossier keeps exactly the time it had left, and the new due time is
computed by the command and stored in its event.

``DossierPauses`` is a mixin of ``ServiceRequest``, which declares its event
bodies as its own events (``service_request_steps`` says why).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict

from ihanoi_core.domain.service_request_steps import DossierSteps
from ihanoi_core.domain.service_request_values import DossierStatus, checked_documents
from ihanoi_core.domain.values import Clock, DeadlineCalendar, Document, Principal
from ihanoi_core.errors import RuleViolationError, ValidationError

S = DossierStatus


def _require_whole(amount: Decimal | int) -> None:
    # The đồng has no minor unit in use, so an amount is a whole number.
    whole = isinstance(amount, int) or (
        isinstance(amount, Decimal) and amount.is_finite() and amount == amount.to_integral_value()
    )
    if isinstance(amount, bool) or not whole or not amount > 0:
        raise ValidationError({"amount": "must be a positive whole number of đồng"})


class Resumption(TypedDict):
    """The fields every event leaving a pause shares (Supplemented,
    PaymentConfirmed, Resumed), computed once by ``_resumption``."""

    resumed_to: DossierStatus
    clock: Clock
    due_at: datetime


class DossierPauses(DossierSteps):
    """Requesting and receiving a supplement, a payment, a suspension and its end."""

    if TYPE_CHECKING:
        documents: tuple[Document, ...]
        paused_from: DossierStatus | None
        missing_documents: tuple[str, ...]
        supplement_rounds: int
        amount_due: Decimal | int | None
        payment_requested_version: int | None
        payment_reference: str | None

    def request_supplement(
        self, actor: Principal, missing: tuple[str, ...], note: str | None, *, timestamp: datetime
    ) -> None:
        """Ask the applicant for every missing document at once (phiếu yêu cầu bổ
        sung, hoàn thiện hồ sơ); the running clock pauses."""
        if self.status == S.SUPPLEMENT_REQUESTED:
            # Decree 61/2018 (replaced by Decree 118/2025 from 01/07/2025, whose
            # wording was not read here): the request is one-time and lists
            # everything, so the applicant is never sent back twice for the same round.
            raise RuleViolationError(
                self.id,
                "supplement_once",
                "A supplement request must list everything missing at once; the applicant "
                f"has not yet answered the request for: {'; '.join(self.missing_documents)}.",
            )
        self._require("request_supplement")
        self._require_on_time("request_supplement", timestamp)
        names = tuple(self._require_text(self.id, "missing", name, max_length=500) for name in missing)
        if not names:
            raise RuleViolationError(self.id, "missing", "List at least one missing document.")
        if len(set(names)) != len(names):
            raise RuleViolationError(self.id, "missing", "Each missing document is listed once.")
        note = self._optional_text("note", note)
        self._request_supplement(
            actor=actor, missing=names, note=note, clock=self._paused_clock(timestamp), timestamp=timestamp
        )

    # The body of ServiceRequest.SupplementRequested (declared there).
    def _request_supplement(
        self, actor: Principal, missing: tuple[str, ...], note: str | None, clock: Clock, timestamp: datetime
    ) -> None:
        self._pause(S.SUPPLEMENT_REQUESTED, clock)
        self.missing_documents = missing
        self.supplement_rounds += 1
        self.public_note = note or "Yêu cầu bổ sung: " + "; ".join(missing)

    def supplement(
        self,
        actor: Principal,
        documents: tuple[Document, ...],
        *,
        calendar: DeadlineCalendar,
        timestamp: datetime,
    ) -> None:
        """The applicant supplies every missing document; the clock resumes with
        the time it had left."""
        self._require("supplement")
        documents = checked_documents("documents", documents)
        supplied = {document.name.strip() for document in documents}
        still_missing = [name for name in self.missing_documents if name not in supplied]
        if still_missing:
            listed = "; ".join(still_missing)
            raise RuleViolationError(self.id, "missing", f"Requested documents still missing: {listed}.")
        self._supplement(actor=actor, documents=documents, timestamp=timestamp, **self._resumption(calendar, timestamp))

    # The body of ServiceRequest.Supplemented (declared there).
    def _supplement(
        self,
        actor: Principal,
        documents: tuple[Document, ...],
        resumed_to: DossierStatus,
        clock: Clock,
        due_at: datetime,
        timestamp: datetime,
    ) -> None:
        self._resume(resumed_to, clock, due_at)
        self.documents = (*self.documents, *documents)
        self.missing_documents = ()

    def request_payment(
        self, actor: Principal, amount: Decimal | int, note: str | None, *, timestamp: datetime
    ) -> None:
        """Ask the applicant to pay fees or taxes (nghĩa vụ tài chính); the clock pauses."""
        self._require("request_payment")
        self._require_on_time("request_payment", timestamp)
        _require_whole(amount)
        note = self._optional_text("note", note)
        self._request_payment(
            actor=actor, amount=amount, note=note, clock=self._paused_clock(timestamp), timestamp=timestamp
        )

    # The body of ServiceRequest.PaymentRequested (declared there).
    def _request_payment(
        self, actor: Principal, amount: Decimal | int, note: str | None, clock: Clock, timestamp: datetime
    ) -> None:
        self._pause(S.AWAITING_PAYMENT, clock)
        self.amount_due = amount
        # The event's version names the payment created with it (payments.process.payment_id_for).
        self.payment_requested_version = self.version + 1

    def request_payment_again(
        self, actor: Principal, amount: Decimal | int, note: str | None, *, timestamp: datetime
    ) -> None:
        """Ask again for the fee of a dossier still waiting for it, after its
        payment request closed unpaid (expired, refunded, or paid with another
        amount). The clock stays paused as it has been since the first
        request: it is not paused again, so no waiting time is lost."""
        self._require("request_payment_again")
        _require_whole(amount)
        note = self._optional_text("note", note)
        self._request_payment_again(actor=actor, amount=amount, note=note, timestamp=timestamp)

    # The body of ServiceRequest.PaymentRequestedAgain (declared there).
    def _request_payment_again(
        self, actor: Principal, amount: Decimal | int, note: str | None, timestamp: datetime
    ) -> None:
        self.amount_due = amount
        self.payment_requested_version = self.version + 1

    def confirm_payment(
        self, actor: Principal, reference: str, *, calendar: DeadlineCalendar, timestamp: datetime
    ) -> None:
        """Staff confirm the payment (receipt or transaction reference); the clock resumes."""
        self._require("confirm_payment")
        reference = self._require_text(self.id, "reference", reference, max_length=200)
        self._confirm_payment(
            actor=actor, reference=reference, timestamp=timestamp, **self._resumption(calendar, timestamp)
        )

    # The body of ServiceRequest.PaymentConfirmed (declared there).
    def _confirm_payment(
        self,
        actor: Principal,
        reference: str,
        resumed_to: DossierStatus,
        clock: Clock,
        due_at: datetime,
        timestamp: datetime,
    ) -> None:
        self._resume(resumed_to, clock, due_at)
        self.payment_reference = reference

    def suspend(self, actor: Principal, reason: str, *, timestamp: datetime) -> None:
        """The leader stops processing for a reason outside the agency's control
        (dừng xử lý); the clock pauses."""
        self._require("suspend")
        self._require_on_time("suspend", timestamp)
        reason = self._require_text(self.id, "reason", reason)
        self._suspend(actor=actor, reason=reason, clock=self._paused_clock(timestamp), timestamp=timestamp)

    # The body of ServiceRequest.Suspended (declared there).
    def _suspend(self, actor: Principal, reason: str, clock: Clock, timestamp: datetime) -> None:
        self._pause(S.SUSPENDED, clock)

    def resume(self, actor: Principal, note: str | None, *, calendar: DeadlineCalendar, timestamp: datetime) -> None:
        """The leader resumes a suspended dossier; the clock resumes."""
        self._require("resume")
        note = self._optional_text("note", note)
        self._resume_processing(actor=actor, note=note, timestamp=timestamp, **self._resumption(calendar, timestamp))

    # The body of ServiceRequest.Resumed (declared there).
    def _resume_processing(
        self,
        actor: Principal,
        note: str | None,
        resumed_to: DossierStatus,
        clock: Clock,
        due_at: datetime,
        timestamp: datetime,
    ) -> None:
        self._resume(resumed_to, clock, due_at)

    # -- the paused clock ---------------------------------------------------------

    def _paused_clock(self, timestamp: datetime) -> Clock:
        assert self.clock is not None  # Every dossier has a clock from submission on.
        return replace(self.clock, paused_at=timestamp)

    def _resumption(self, calendar: DeadlineCalendar, timestamp: datetime) -> Resumption:
        """What every event leaving a pause records: the status it returns to,
        the clock with the pause just ended excluded, and its new due time."""
        clock = self.clock
        # Only paused statuses resume, and every dossier has a clock.
        assert clock is not None
        assert clock.paused_at is not None
        assert self.paused_from is not None  # Set by every event entering a paused status.
        seconds, days = calendar.pause_time(clock.paused_at, timestamp)
        resumed = replace(
            clock,
            paused_seconds=clock.paused_seconds + seconds,
            paused_days=clock.paused_days + days,
            paused_at=None,
        )
        return Resumption(resumed_to=self.paused_from, clock=resumed, due_at=calendar.due(resumed))

    def _pause(self, status: DossierStatus, clock: Clock) -> None:
        # While paused no deadline runs, so nothing can be overdue; the
        # appointment date stays on record.
        self.paused_from = DossierStatus(self.status)
        self._enter(status)
        self.clock = clock
        self.due_at = None

    def _resume(self, status: DossierStatus, clock: Clock, due_at: datetime) -> None:
        self._enter(status)
        self.paused_from = None
        self.clock = clock
        self.due_at = due_at
        if self.appointment_at is not None:
            self.appointment_at = due_at
