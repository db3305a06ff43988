"""ServiceRequest (hồ sơ dịch vụ công): a one-stop-shop dossier for an
administrative procedure, from submission to the result handed back.

Statuses are the national dossier codes (``DossierStatus``, with the
applicant's identity in ``service_request_values``); while ``forwarded`` (liên
thông) another agency works on the dossier within its own sub-deadline until it
returns it.

Two clocks run. The review clock (``dossier_review``, 8 working hours, Decree
45/2020) runs from submission until receipt; the processing clock runs from
receipt on the procedure's period, and its due time is the appointment date
printed on the receipt (Giấy tiếp nhận và hẹn trả kết quả). Statuses 5, 6 and 8
pause the running clock ("tạm dừng xử lý"); leaving them adds the paused office
time (calendar days for calendar-day periods), so the dossier keeps exactly
the time it had left. Once the appointment has passed, the handling agency must
first issue an apology with a new appointment date (phiếu xin lỗi và hẹn lại
ngày trả kết quả) before it may process further. Every due time is computed by
the command and stored in its event.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from eventsourcing.domain import event

from ihanoi_core.domain.case import Case
from ihanoi_core.domain.service_request_values import (
    APOLOGY_BASIS,
    BEFORE_RESULT,
    FORWARD_BASIS,
    IN_HANDS,
    ApplicantIdentity,
    DossierStatus,
    check_applicant,
    checked_documents,
)
from ihanoi_core.domain.values import (
    Channel,
    Clock,
    DeadlineCalendar,
    DeadlineRule,
    Document,
    Principal,
    TimeUnit,
)
from ihanoi_core.errors import ForbiddenError, RuleViolationError, ValidationError

S = DossierStatus


class ServiceRequest(Case):
    """A one-stop-shop dossier, from submission to the result returned."""

    kind: ClassVar[str] = "dossier"
    code_prefix: ClassVar[str] = "HS"
    FINAL_STATUSES: ClassVar[frozenset[str]] = frozenset({S.REJECTED, S.WITHDRAWN, S.RESULT_RETURNED})
    PERSONAL_FIELDS: ClassVar[tuple[str, ...]] = ("owner", "applicant", "documents")

    @classmethod
    def all_statuses(cls) -> Iterable[str]:
        return tuple(DossierStatus)

    @property
    def agencies(self) -> tuple[str, ...]:
        """The handling agency, and while forwarded the agency working on it."""
        own = (self.agency,) if self.agency else ()
        return (*own, self.forwarded_to) if self.forwarded_to else own

    # -- creation ---------------------------------------------------------------

    @classmethod
    def submit(
        cls,
        *,
        id: UUID,
        code: str,
        actor: Principal,
        procedure: str,
        procedure_name: str,
        agency: str,
        ward: str,
        applicant: ApplicantIdentity,
        documents: tuple[Document, ...],
        channel: Channel,
        fee: int,
        processing_rule: DeadlineRule,
        review_rule: DeadlineRule,
        calendar: DeadlineCalendar,
        timestamp: datetime,
    ) -> ServiceRequest:
        """File a dossier with the agency deciding the procedure; the review
        clock starts now. The procedure's period is kept for the receipt."""
        check_applicant(applicant)
        documents = checked_documents("documents", documents)
        clock = Clock(started_at=timestamp, rule=review_rule)
        return cls(
            id=id,
            code=code,
            actor=actor,
            procedure=procedure,
            procedure_name=procedure_name,
            agency=agency,
            ward=ward,
            owner=actor.subject,
            applicant=applicant,
            documents=documents,
            channel=channel,
            fee=fee,
            processing_rule=processing_rule,
            clock=clock,
            due_at=calendar.due(clock),
            timestamp=timestamp,
        )

    @event("Submitted")
    def __init__(
        self,
        *,
        id: UUID,
        code: str,
        actor: Principal,
        procedure: str,
        procedure_name: str,
        agency: str,
        ward: str,
        owner: str,
        applicant: ApplicantIdentity,
        documents: tuple[Document, ...],
        channel: Channel,
        fee: int,
        processing_rule: DeadlineRule,
        clock: Clock,
        due_at: datetime,
        timestamp: datetime,
    ) -> None:
        self.code = code
        self._enter(S.SUBMITTED)
        self.procedure = procedure
        self.procedure_name = procedure_name
        self.agency = agency
        self.ward = ward
        self.owner = owner
        self.applicant = applicant
        self.documents = documents
        self.channel = channel
        self.fee = fee
        self.processing_rule = processing_rule
        self.clock = clock
        self.due_at = due_at
        self.assignee = None
        self.public_note = None
        self.appointment_at: datetime | None = None
        self.received_at: datetime | None = None
        self.paused_from: DossierStatus | None = None
        self.missing_documents: tuple[str, ...] = ()
        self.supplement_rounds = 0
        self.amount_due: Decimal | int | None = None
        self.payment_reference: str | None = None
        self.forwarded_to: str | None = None
        self.forward_clock: Clock | None = None
        self.forward_due_at: datetime | None = None
        self.apology_count = 0
        self.result_note: str | None = None
        self.result_ready_at: datetime | None = None
        self.result_returned_at: datetime | None = None
        self.rating: int | None = None

    def _enter(self, status: DossierStatus) -> None:
        """Set the status and its national code together (called by event bodies)."""
        self.status = status
        self.national_status = status.number

    # -- receipt ----------------------------------------------------------------

    def receive(self, actor: Principal, *, calendar: DeadlineCalendar, timestamp: datetime) -> None:
        """Accept a complete dossier (tiếp nhận): the processing clock starts and
        its due time is the appointment date on the receipt."""
        self._require("receive", S.SUBMITTED)
        clock = Clock(started_at=timestamp, rule=self.processing_rule)
        self._receive(actor=actor, clock=clock, due_at=calendar.due(clock), timestamp=timestamp)

    @event("Received")
    def _receive(self, actor: Principal, clock: Clock, due_at: datetime, timestamp: datetime) -> None:
        self._enter(S.RECEIVED)
        self.clock = clock
        self.due_at = due_at
        self.appointment_at = due_at
        self.received_at = timestamp

    def reject(self, actor: Principal, reason: str, *, timestamp: datetime) -> None:
        """Refuse to accept the dossier, with reasons (phiếu từ chối tiếp nhận)."""
        self._require("reject", S.SUBMITTED)
        self._reject(actor=actor, reason=self._require_text(self.id, "reason", reason), timestamp=timestamp)

    @event("Rejected")
    def _reject(self, actor: Principal, reason: str, timestamp: datetime) -> None:
        self._enter(S.REJECTED)
        self.public_note = reason
        self.due_at = None

    # -- processing -------------------------------------------------------------

    def start_processing(self, actor: Principal, *, timestamp: datetime) -> None:
        """Begin the work; the officer starting it becomes the assignee unless
        one was named (rõ người)."""
        self._require("start_processing", S.RECEIVED)
        self._require_on_time("start_processing", timestamp)
        self._start_processing(actor=actor, assignee=self.assignee or actor.subject, timestamp=timestamp)

    @event("ProcessingStarted")
    def _start_processing(self, actor: Principal, assignee: str, timestamp: datetime) -> None:
        self._enter(S.PROCESSING)
        self.assignee = assignee

    def assign(self, actor: Principal, assignee: str, *, timestamp: datetime) -> None:
        """Name the officer of the handling agency who handles the dossier."""
        self._require_handling_agency(actor, "assign")
        super().assign(actor, assignee, timestamp=timestamp)

    def mark_result_ready(self, actor: Principal, note: str, *, timestamp: datetime) -> None:
        """The result is ready at the one-stop desk (đã xử lý xong); the clock stops."""
        self._require("mark_result_ready", S.PROCESSING)
        self._require_on_time("mark_result_ready", timestamp)
        note = self._require_text(self.id, "note", note)
        self._mark_result_ready(actor=actor, note=note, timestamp=timestamp)

    @event("MarkedResultReady")
    def _mark_result_ready(self, actor: Principal, note: str, timestamp: datetime) -> None:
        self._enter(S.RESULT_READY)
        self.result_note = note
        self.public_note = note
        self.result_ready_at = timestamp
        self.due_at = None

    def return_result(self, actor: Principal, *, timestamp: datetime) -> None:
        """The applicant has received the result (đã trả kết quả)."""
        self._require("return_result", S.RESULT_READY)
        self._return_result(actor=actor, timestamp=timestamp)

    @event("ResultReturned")
    def _return_result(self, actor: Principal, timestamp: datetime) -> None:
        self._enter(S.RESULT_RETURNED)
        self.result_returned_at = timestamp

    # -- paused statuses: supplement, payment, suspension -------------------------

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
        self._require("request_supplement", S.SUBMITTED, *IN_HANDS)
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

    @event("SupplementRequested")
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
        self._require("supplement", S.SUPPLEMENT_REQUESTED)
        documents = checked_documents("documents", documents)
        supplied = {document.name.strip() for document in documents}
        still_missing = [name for name in self.missing_documents if name not in supplied]
        if still_missing:
            listed = "; ".join(still_missing)
            raise RuleViolationError(self.id, "missing", f"Requested documents still missing: {listed}.")
        clock, due_at = self._resumed_clock(calendar, timestamp)
        self._supplement(
            actor=actor,
            documents=documents,
            resumed_to=self._paused_from(),
            clock=clock,
            due_at=due_at,
            timestamp=timestamp,
        )

    @event("Supplemented")
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
        self._require("request_payment", *IN_HANDS)
        self._require_on_time("request_payment", timestamp)
        # The đồng has no minor unit in use, so an amount is a whole number.
        whole = isinstance(amount, int) or (
            isinstance(amount, Decimal) and amount.is_finite() and amount == amount.to_integral_value()
        )
        if isinstance(amount, bool) or not whole or not amount > 0:
            raise ValidationError({"amount": "must be a positive whole number of đồng"})
        note = self._optional_text("note", note)
        self._request_payment(
            actor=actor, amount=amount, note=note, clock=self._paused_clock(timestamp), timestamp=timestamp
        )

    @event("PaymentRequested")
    def _request_payment(
        self, actor: Principal, amount: Decimal | int, note: str | None, clock: Clock, timestamp: datetime
    ) -> None:
        self._pause(S.AWAITING_PAYMENT, clock)
        self.amount_due = amount

    def confirm_payment(
        self, actor: Principal, reference: str, *, calendar: DeadlineCalendar, timestamp: datetime
    ) -> None:
        """Staff confirm the payment (receipt or transaction reference); the clock resumes."""
        self._require("confirm_payment", S.AWAITING_PAYMENT)
        reference = self._require_text(self.id, "reference", reference, max_length=200)
        clock, due_at = self._resumed_clock(calendar, timestamp)
        self._confirm_payment(
            actor=actor,
            reference=reference,
            resumed_to=self._paused_from(),
            clock=clock,
            due_at=due_at,
            timestamp=timestamp,
        )

    @event("PaymentConfirmed")
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
        self._require("suspend", *IN_HANDS)
        self._require_on_time("suspend", timestamp)
        reason = self._require_text(self.id, "reason", reason)
        self._suspend(actor=actor, reason=reason, clock=self._paused_clock(timestamp), timestamp=timestamp)

    @event("Suspended")
    def _suspend(self, actor: Principal, reason: str, clock: Clock, timestamp: datetime) -> None:
        self._pause(S.SUSPENDED, clock)

    def resume(self, actor: Principal, note: str | None, *, calendar: DeadlineCalendar, timestamp: datetime) -> None:
        """The leader resumes a suspended dossier; the clock resumes."""
        self._require("resume", S.SUSPENDED)
        note = self._optional_text("note", note)
        clock, due_at = self._resumed_clock(calendar, timestamp)
        self._resume_processing(
            actor=actor,
            note=note,
            resumed_to=self._paused_from(),
            clock=clock,
            due_at=due_at,
            timestamp=timestamp,
        )

    @event("Resumed")
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

    # -- inter-agency steps (liên thông) -------------------------------------------

    def forward(
        self,
        actor: Principal,
        to_agency: str,
        working_days: int,
        note: str,
        *,
        calendar: DeadlineCalendar,
        timestamp: datetime,
    ) -> None:
        """Send the dossier to another agency for its step, due within
        ``working_days``; the dossier's own clock keeps running."""
        self._require("forward", S.PROCESSING)
        self._require_on_time("forward", timestamp)
        if to_agency == self.agency:
            raise RuleViolationError(self.id, "to_agency", "The dossier is already with that agency.")
        if isinstance(working_days, bool) or not isinstance(working_days, int) or working_days < 1:
            raise ValidationError({"working_days": "must be a whole number of working days, at least 1"})
        note = self._require_text(self.id, "note", note)
        forward_clock = Clock(
            started_at=timestamp, rule=DeadlineRule(working_days, TimeUnit.WORKING_DAYS, FORWARD_BASIS)
        )
        forward_due_at = calendar.due(forward_clock)
        # The partner's step is part of the procedure's period, not added to it.
        if self.due_at is not None and forward_due_at > self.due_at:
            raise RuleViolationError(
                self.id,
                "working_days",
                f"{working_days} working days would end after the appointment date "
                f"{self.due_at.isoformat()}; the partner's step must fit in the dossier's time.",
            )
        self._forward(
            actor=actor,
            to_agency=to_agency,
            working_days=working_days,
            note=note,
            forward_clock=forward_clock,
            forward_due_at=forward_due_at,
            timestamp=timestamp,
        )

    @event("Forwarded")
    def _forward(
        self,
        actor: Principal,
        to_agency: str,
        working_days: int,
        note: str,
        forward_clock: Clock,
        forward_due_at: datetime,
        timestamp: datetime,
    ) -> None:
        self._enter(S.FORWARDED)
        self.forwarded_to = to_agency
        self.forward_clock = forward_clock
        self.forward_due_at = forward_due_at

    def return_from_forwarding(self, actor: Principal, note: str | None, *, timestamp: datetime) -> None:
        """The partner agency hands the dossier back to the handling agency."""
        self._require("return", S.FORWARDED)
        if actor.is_staff and actor.agency != self.forwarded_to:
            raise ForbiddenError("return", actor.role.value, self.id)
        note = self._optional_text("note", note)
        self._return_from_forwarding(actor=actor, from_agency=self.forwarded_to or "", note=note, timestamp=timestamp)

    @event("ReturnedFromForwarding")
    def _return_from_forwarding(
        self, actor: Principal, from_agency: str, note: str | None, timestamp: datetime
    ) -> None:
        self._enter(S.PROCESSING)
        self.forwarded_to = None
        self.forward_clock = None
        self.forward_due_at = None

    # -- late dossiers ------------------------------------------------------------

    def apologize(
        self,
        actor: Principal,
        reason: str,
        new_due: datetime,
        *,
        calendar: DeadlineCalendar,
        timestamp: datetime,
    ) -> None:
        """Apologise for the delay and set a new appointment date (phiếu xin lỗi
        và hẹn lại ngày trả kết quả). Allowed once late, or ahead of a delay
        the agency foresees, and as often as needed: whether Decree 118/2025
        requires the letter before the appointment or limits how often the
        date is re-set could not be read (``APOLOGY_BASIS``). Either limit
        must keep a late dossier movable, since nothing else moves it past
        its appointment (``_require_on_time``)."""
        self._require("apologize", *IN_HANDS, S.FORWARDED)
        self._require_handling_agency(actor, "apologize")
        reason = self._require_text(self.id, "reason", reason)
        if new_due.tzinfo is None or new_due.utcoffset() is None:
            raise ValidationError({"new_due": "must be a timezone-aware datetime"})
        if new_due <= timestamp or (self.due_at is not None and new_due <= self.due_at):
            raise RuleViolationError(
                self.id, "new_due", "The new appointment date must be in the future and after the old one."
            )
        # Sent with any offset, kept in the calendar's like every computed due time.
        new_due = new_due.astimezone(calendar.zone)
        # The new appointment becomes the clock: a zero-length period ending on
        # that date, so a later pause still pushes it by the office time paused.
        clock = Clock(started_at=new_due, rule=DeadlineRule(0, TimeUnit.WORKING_HOURS, APOLOGY_BASIS))
        self._apologize(
            actor=actor,
            reason=reason,
            previous_due_at=self.due_at,
            clock=clock,
            due_at=new_due,
            timestamp=timestamp,
        )

    @event("ApologyIssued")
    def _apologize(
        self,
        actor: Principal,
        reason: str,
        previous_due_at: datetime | None,
        clock: Clock,
        due_at: datetime,
        timestamp: datetime,
    ) -> None:
        self.clock = clock
        self.due_at = due_at
        self.appointment_at = due_at
        self.apology_count += 1
        self.public_note = reason

    # -- applicant commands -------------------------------------------------------

    def withdraw(self, actor: Principal, reason: str, *, timestamp: datetime) -> None:
        """The applicant withdraws the dossier before its result (rút hồ sơ)."""
        self._require("withdraw", *BEFORE_RESULT)
        self._withdraw(actor=actor, reason=self._require_text(self.id, "reason", reason), timestamp=timestamp)

    @event("Withdrawn")
    def _withdraw(self, actor: Principal, reason: str, timestamp: datetime) -> None:
        self._enter(S.WITHDRAWN)
        self.public_note = reason
        self.due_at = None
        self.forwarded_to = None
        self.forward_clock = None
        self.forward_due_at = None

    def rate(self, actor: Principal, stars: int, comment: str | None, *, timestamp: datetime) -> None:
        """The applicant rates the service, 1-5, once the result is ready."""
        self._require("rate", S.RESULT_READY, S.RESULT_RETURNED)
        if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5:
            raise RuleViolationError(self.id, "stars", "A rating is a whole number from 1 to 5.")
        if self.rating is not None:
            raise RuleViolationError(self.id, "rating", "This dossier has already been rated.")
        comment = self._optional_text("comment", comment, max_length=1000)
        self._rate(actor=actor, stars=stars, comment=comment, timestamp=timestamp)

    @event("Rated")
    def _rate(self, actor: Principal, stars: int, comment: str | None, timestamp: datetime) -> None:
        self.rating = stars

    # -- helpers --------------------------------------------------------------------

    def _require_on_time(self, command: str, timestamp: datetime) -> None:
        """Past the appointment date, nothing moves until the apology is issued."""
        if self.appointment_at is not None and self.due_at is not None and timestamp > self.due_at:
            raise RuleViolationError(
                self.id,
                "apology_required",
                f"The dossier passed its appointment date {self.due_at.isoformat()}; the agency's "
                f"leader must issue an apology with a new appointment date (phiếu xin lỗi) "
                f"before it can {command.replace('_', ' ')}.",
            )

    def _require_handling_agency(self, actor: Principal, command: str) -> None:
        """A partner agency sees a forwarded dossier; it may comment on its part
        and return it, but every other step belongs to the handling agency."""
        if actor.is_staff and actor.agency != self.agency:
            raise ForbiddenError(command, actor.role.value, self.id)

    def _optional_text(self, rule: str, text: str | None, max_length: int = 4000) -> str | None:
        if text is None or not text.strip():
            return None
        return self._require_text(self.id, rule, text, max_length)

    def _paused_clock(self, timestamp: datetime) -> Clock:
        assert self.clock is not None  # Every dossier has a clock from submission on.
        return replace(self.clock, paused_at=timestamp)

    def _resumed_clock(self, calendar: DeadlineCalendar, timestamp: datetime) -> tuple[Clock, datetime]:
        """The clock with the pause just ended excluded, and its new due time."""
        clock = self.clock
        # Only paused statuses resume, and every dossier has a clock.
        assert clock is not None
        assert clock.paused_at is not None
        seconds, days = calendar.pause_time(clock.paused_at, timestamp)
        resumed = replace(
            clock,
            paused_seconds=clock.paused_seconds + seconds,
            paused_days=clock.paused_days + days,
            paused_at=None,
        )
        return resumed, calendar.due(resumed)

    def _paused_from(self) -> DossierStatus:
        assert self.paused_from is not None  # Set by every event entering a paused status.
        return self.paused_from

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
