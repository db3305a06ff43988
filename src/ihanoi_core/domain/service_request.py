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

This module holds the dossier's creation, receipt, processing, result and the
applicant's commands; the paused statuses and their clock arithmetic are in
``service_request_pauses``, forwarding in ``service_request_forwarding``, the
apology in ``service_request_apology``, and what those share in
``service_request_steps``. ``ServiceRequest`` is assembled from those mixins
and declares every event, so all of them are stored under its topic.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import ClassVar, Unpack
from uuid import UUID

from eventsourcing.domain import event

from ihanoi_core.domain.case import Case
from ihanoi_core.domain.event_versions import LateExplanationAdded
from ihanoi_core.domain.running_clocks import RunningClock, forwarded_key
from ihanoi_core.domain.service_request_apology import DossierApology
from ihanoi_core.domain.service_request_forwarding import DossierForwarding
from ihanoi_core.domain.service_request_pauses import DossierPauses
from ihanoi_core.domain.service_request_values import (
    BEFORE_RESULT,
    ERASED_STATE,
    IN_HANDS,
    PERSONAL_DATA,
    ApplicantIdentity,
    DossierStatus,
    DossierSubmission,
    check_applicant,
    checked_documents,
)
from ihanoi_core.domain.values import Channel, Clock, DeadlineCalendar, DeadlineRule, Document, Principal, deadline
from ihanoi_core.errors import RuleViolationError

S = DossierStatus


class ServiceRequest(DossierPauses, DossierForwarding, DossierApology, Case):
    """A one-stop-shop dossier, from submission to the result returned."""

    kind: ClassVar[str] = "dossier"
    code_prefix: ClassVar[str] = "HS"
    FINAL_STATUSES: ClassVar[frozenset[str]] = frozenset({S.REJECTED, S.WITHDRAWN, S.RESULT_RETURNED})
    PERSONAL_FIELDS: ClassVar[tuple[str, ...]] = ("owner", "applicant", "documents")
    PERSONAL_DATA = PERSONAL_DATA
    ERASED_STATE = ERASED_STATE
    # The steps of the mixins too; assign and comment are valid until final (Case.UNTIL_FINAL).
    TRANSITIONS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "receive": (S.SUBMITTED,),
        "reject": (S.SUBMITTED,),
        "start_processing": (S.RECEIVED,),
        "request_supplement": (S.SUBMITTED, *IN_HANDS),
        "supplement": (S.SUPPLEMENT_REQUESTED,),
        "request_payment": IN_HANDS,
        "request_payment_again": (S.AWAITING_PAYMENT,),
        "confirm_payment": (S.AWAITING_PAYMENT,),
        "suspend": IN_HANDS,
        "resume": (S.SUSPENDED,),
        "forward": (S.PROCESSING,),
        "return": (S.FORWARDED,),
        "apologize": (*IN_HANDS, S.FORWARDED),
        "mark_result_ready": (S.PROCESSING,),
        "return_result": (S.RESULT_READY,),
        "withdraw": BEFORE_RESULT,
        "rate": (S.RESULT_READY, S.RESULT_RETURNED),
    }

    STATUSES: ClassVar[tuple[str, ...]] = tuple(DossierStatus)

    @property
    def agencies(self) -> tuple[str, ...]:
        """The handling agency, while forwarded the agency working on it, and
        any agency it was escalated to for being overdue."""
        own = super().agencies
        return (*own, self.forwarded_to) if self.forwarded_to and self.forwarded_to not in own else own

    def running_clocks(self) -> list[RunningClock]:
        """Besides the dossier's own deadline (which keeps running while it is
        forwarded), the partner agency's sub-deadline while it has the dossier."""
        found = super().running_clocks()
        forwarded, clock, due = self.forwarded_to, self.forward_clock, self.forward_due_at
        if found and forwarded and clock is not None and due is not None:
            key = forwarded_key(forwarded, clock.started_at, due)
            found.append(RunningClock(key, "forwarded", forwarded, None, clock.started_at, due))
        return found

    # -- creation ---------------------------------------------------------------

    @classmethod
    def submit(
        cls, *, review_rule: DeadlineRule, calendar: DeadlineCalendar, **dossier: Unpack[DossierSubmission]
    ) -> ServiceRequest:
        """File a dossier with the agency deciding the procedure; the review
        clock starts now. The procedure's period is kept for the receipt."""
        check_applicant(dossier["applicant"])
        dossier["documents"] = checked_documents("documents", dossier["documents"])
        clock = Clock(started_at=dossier["timestamp"], rule=review_rule)
        return cls(**dossier, owner=dossier["actor"].subject, **deadline(calendar, clock))

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
        self._begin(code, S.SUBMITTED, agency, owner=owner, clock=clock, due_at=due_at)
        self._enter(S.SUBMITTED)  # and its national code
        self.procedure = procedure
        self.procedure_name = procedure_name
        self.ward = ward
        self.applicant = applicant
        self.documents = documents
        self.channel = channel
        self.fee = fee
        self.processing_rule = processing_rule
        self.appointment_at: datetime | None = None
        self.received_at: datetime | None = None
        self.paused_from: DossierStatus | None = None
        self.missing_documents: tuple[str, ...] = ()
        self.supplement_rounds = 0
        self.amount_due: Decimal | int | None = None
        self.payment_reference: str | None = None
        self.payment_requested_version: int | None = None
        self.forwarded_to: str | None = None
        self.forward_clock: Clock | None = None
        self.forward_due_at: datetime | None = None
        self.apology_count = 0
        self.result_note: str | None = None
        self.result_ready_at: datetime | None = None
        self.result_returned_at: datetime | None = None
        self.late_explanation: str | None = None
        self.rating: int | None = None

    # -- receipt ----------------------------------------------------------------

    def receive(self, actor: Principal, *, calendar: DeadlineCalendar, timestamp: datetime) -> None:
        """Accept a complete dossier (tiếp nhận): the processing clock starts and
        its due time is the appointment date on the receipt."""
        self._require("receive")
        clock = Clock(started_at=timestamp, rule=self.processing_rule)
        self._receive(actor=actor, **deadline(calendar, clock), timestamp=timestamp)

    @event("Received")
    def _receive(self, actor: Principal, clock: Clock, due_at: datetime, timestamp: datetime) -> None:
        self._enter(S.RECEIVED)
        self.clock = clock
        self.due_at = due_at
        self.appointment_at = due_at
        self.received_at = timestamp

    def reject(self, actor: Principal, reason: str, *, timestamp: datetime) -> None:
        """Refuse to accept the dossier, with reasons (phiếu từ chối tiếp nhận)."""
        self._take_step("reject", actor, timestamp, reason=reason)

    @event("Rejected")
    def _reject(self, actor: Principal, reason: str, timestamp: datetime) -> None:
        self._end(S.REJECTED, reason)

    # -- processing -------------------------------------------------------------

    def start_processing(self, actor: Principal, *, timestamp: datetime) -> None:
        """Begin the work; the officer starting it becomes the assignee unless
        one was named (rõ người)."""
        self._require("start_processing")
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
        self._require("mark_result_ready")
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

    def return_result(self, actor: Principal, late_explanation: str | None = None, *, timestamp: datetime) -> None:
        """The applicant has received the result (đã trả kết quả). A dossier
        that passed an appointment date (it has an apology) needs a late
        explanation (giải trình, issue #16), recorded and shown to the applicant."""
        self._require("return_result")
        # Late by the ranking's rule: the appointment had to be moved with an apology.
        apologised = "this dossier is late: its appointment was moved with an apology"
        explanation = self._explain_lateness(self.apology_count > 0, late_explanation, apologised)
        self._return_result(actor=actor, late_explanation=explanation, timestamp=timestamp)

    class ResultReturned(LateExplanationAdded, Case.Event):
        """Version 2 carries the late explanation of a dossier returned after
        missing an appointment date; earlier events had none."""

        actor: Principal
        late_explanation: str | None

    @event(ResultReturned)
    def _return_result(self, actor: Principal, late_explanation: str | None, timestamp: datetime) -> None:
        self._enter(S.RESULT_RETURNED)
        self.result_returned_at = timestamp
        self.late_explanation = late_explanation

    # -- events of the steps in the mixins ---------------------------------------
    # Their commands and bodies are in service_request_pauses, _forwarding and
    # _apology; declared here, they are ServiceRequest's events and are stored as
    # ``ihanoi_core.domain.service_request:ServiceRequest.<name>``, as before the
    # steps moved (service_request_steps says why). Kept in the order the events
    # were declared in.

    _request_supplement = event("SupplementRequested")(DossierPauses._request_supplement)
    _supplement = event("Supplemented")(DossierPauses._supplement)
    _request_payment = event("PaymentRequested")(DossierPauses._request_payment)
    _confirm_payment = event("PaymentConfirmed")(DossierPauses._confirm_payment)
    _suspend = event("Suspended")(DossierPauses._suspend)
    _resume_processing = event("Resumed")(DossierPauses._resume_processing)
    _forward = event("Forwarded")(DossierForwarding._forward)
    _return_from_forwarding = event("ReturnedFromForwarding")(DossierForwarding._return_from_forwarding)
    _apologize = event("ApologyIssued")(DossierApology._apologize)
    _request_payment_again = event("PaymentRequestedAgain")(DossierPauses._request_payment_again)

    # -- applicant commands -------------------------------------------------------

    def withdraw(self, actor: Principal, reason: str, *, timestamp: datetime) -> None:
        """The applicant withdraws the dossier before its result (rút hồ sơ)."""
        self._take_step("withdraw", actor, timestamp, reason=reason)

    @event("Withdrawn")
    def _withdraw(self, actor: Principal, reason: str, timestamp: datetime) -> None:
        self._end(S.WITHDRAWN, reason)
        self.forwarded_to = None
        self.forward_clock = None
        self.forward_due_at = None

    def rate(self, actor: Principal, stars: int, comment: str | None, *, timestamp: datetime) -> None:
        """The applicant rates the service, 1-5, once the result is ready."""
        self._require("rate")
        if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5:
            raise RuleViolationError(self.id, "stars", "A rating is a whole number from 1 to 5.")
        if self.rating is not None:
            raise RuleViolationError(self.id, "rating", "This dossier has already been rated.")
        comment = self._optional_text("comment", comment, max_length=1000)
        self._rate(actor=actor, stars=stars, comment=comment, timestamp=timestamp)

    @event("Rated")
    def _rate(self, actor: Principal, stars: int, comment: str | None, timestamp: datetime) -> None:
        self.rating = stars
