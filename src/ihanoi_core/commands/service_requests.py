"""Commands on one-stop-shop dossiers (hồ sơ dịch vụ công), with their
permission rows.

The procedure catalogue of the directory decides the agency (a fixed agency or
the People's Committee of the ward the dossier is filed in), the fee and the
processing period; the review period is ``dossier_review``. Citizens file,
supplement, withdraw and rate their own dossiers; officers of the handling
agency receive and process them; its leader also suspends, resumes and
apologises for a delay. While a dossier is forwarded, the partner agency's
staff see it and may return it, nothing more (the aggregate checks the agency).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from ihanoi_core.domain.service_request import ServiceRequest
from ihanoi_core.domain.service_request_values import ApplicantIdentity
from ihanoi_core.domain.values import Channel, Document, Principal
from ihanoi_core.errors import ValidationError
from ihanoi_core.handlers.bus import CommandBus, CommandResult
from ihanoi_core.permissions import CITIZEN, LEADER, STAFF, register

CAN_SUBMIT_DOSSIER = CITIZEN

register(
    ServiceRequest.kind,
    {
        "receive": STAFF,
        "reject": STAFF,
        "start_processing": STAFF,
        "assign": STAFF,
        "comment": STAFF,
        "request_supplement": STAFF,
        "request_payment": STAFF,
        "confirm_payment": STAFF,
        "forward": STAFF,
        "return": STAFF,
        "mark_result_ready": STAFF,
        "return_result": STAFF,
        "suspend": LEADER,
        "resume": LEADER,
        "apologize": LEADER,
        "supplement": CITIZEN,
        "withdraw": CITIZEN,
        "rate": CITIZEN,
    },
)


class ServiceRequestCommands(CommandBus):
    """Dossier commands of the ``Ihanoi`` application."""

    def submit_dossier(
        self,
        principal: Principal,
        *,
        procedure: str,
        ward: str,
        applicant: ApplicantIdentity,
        documents: tuple[Document, ...],
        channel: Channel = Channel.WEB,
        idempotency_key: str | None = None,
        request_fingerprint: str | None = None,
    ) -> CommandResult:
        """File a dossier for a procedure in a ward; the 8-working-hour review
        clock starts. The citizen filing it owns it."""
        found = self.directory.get_procedure(procedure)
        if found is None:
            raise ValidationError({"procedure": f"unknown procedure {procedure!r}"})
        if self.directory.get_ward(ward) is None:
            raise ValidationError({"ward": f"unknown ward {ward!r}"})
        agency = self.directory.procedure_agency(procedure, ward).code
        review_rule = self.directory.deadline("dossier_review")

        def build(case_id: UUID, code: str, now: datetime) -> ServiceRequest:
            return ServiceRequest.submit(
                id=case_id,
                code=code,
                actor=principal,
                procedure=found.code,
                procedure_name=found.name,
                agency=agency,
                ward=ward,
                applicant=applicant,
                documents=tuple(documents),
                channel=channel,
                fee=found.fee,
                processing_rule=found.processing,
                review_rule=review_rule,
                calendar=self.calendar,
                timestamp=now,
            )

        return self._create(principal, ServiceRequest, CAN_SUBMIT_DOSSIER, idempotency_key, build, request_fingerprint)

    def receive_dossier(
        self, principal: Principal, case_id: UUID, *, expected_version: int | None = None
    ) -> CommandResult:
        """Accept a complete dossier; the appointment date is computed."""
        return self._act(
            principal,
            case_id,
            ServiceRequest,
            "receive",
            lambda dossier, now: dossier.receive(principal, calendar=self.calendar, timestamp=now),
            expected_version,
        )

    def reject_dossier(
        self, principal: Principal, case_id: UUID, *, reason: str, expected_version: int | None = None
    ) -> CommandResult:
        """Refuse to accept a dossier, with reasons."""
        return self._act(
            principal,
            case_id,
            ServiceRequest,
            "reject",
            lambda dossier, now: dossier.reject(principal, reason, timestamp=now),
            expected_version,
        )

    def start_processing(
        self, principal: Principal, case_id: UUID, *, expected_version: int | None = None
    ) -> CommandResult:
        """Begin processing a received dossier."""
        return self._act(
            principal,
            case_id,
            ServiceRequest,
            "start_processing",
            lambda dossier, now: dossier.start_processing(principal, timestamp=now),
            expected_version,
        )

    def request_supplement(
        self,
        principal: Principal,
        case_id: UUID,
        *,
        missing: tuple[str, ...],
        note: str | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        """Ask for every missing document at once; the clock pauses."""
        return self._act(
            principal,
            case_id,
            ServiceRequest,
            "request_supplement",
            lambda dossier, now: dossier.request_supplement(principal, tuple(missing), note, timestamp=now),
            expected_version,
        )

    def supplement_dossier(
        self,
        principal: Principal,
        case_id: UUID,
        *,
        documents: tuple[Document, ...],
        expected_version: int | None = None,
    ) -> CommandResult:
        """The applicant supplies the missing documents; the clock resumes."""
        return self._act(
            principal,
            case_id,
            ServiceRequest,
            "supplement",
            lambda dossier, now: dossier.supplement(principal, tuple(documents), calendar=self.calendar, timestamp=now),
            expected_version,
        )

    def request_payment(
        self,
        principal: Principal,
        case_id: UUID,
        *,
        amount: Decimal | int,
        note: str | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        """Ask the applicant to pay fees or taxes; the clock pauses."""
        return self._act(
            principal,
            case_id,
            ServiceRequest,
            "request_payment",
            lambda dossier, now: dossier.request_payment(principal, amount, note, timestamp=now),
            expected_version,
        )

    def confirm_payment(
        self, principal: Principal, case_id: UUID, *, reference: str, expected_version: int | None = None
    ) -> CommandResult:
        """Record the payment; the clock resumes."""
        return self._act(
            principal,
            case_id,
            ServiceRequest,
            "confirm_payment",
            lambda dossier, now: dossier.confirm_payment(principal, reference, calendar=self.calendar, timestamp=now),
            expected_version,
        )

    def suspend_dossier(
        self, principal: Principal, case_id: UUID, *, reason: str, expected_version: int | None = None
    ) -> CommandResult:
        """The leader stops processing, with a reason; the clock pauses."""
        return self._act(
            principal,
            case_id,
            ServiceRequest,
            "suspend",
            lambda dossier, now: dossier.suspend(principal, reason, timestamp=now),
            expected_version,
        )

    def resume_dossier(
        self,
        principal: Principal,
        case_id: UUID,
        *,
        note: str | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        """The leader resumes a suspended dossier; the clock resumes."""
        return self._act(
            principal,
            case_id,
            ServiceRequest,
            "resume",
            lambda dossier, now: dossier.resume(principal, note, calendar=self.calendar, timestamp=now),
            expected_version,
        )

    def forward_dossier(
        self,
        principal: Principal,
        case_id: UUID,
        *,
        to_agency: str,
        working_days: int,
        note: str,
        expected_version: int | None = None,
    ) -> CommandResult:
        """Send the dossier to a partner agency for its step (liên thông)."""
        if self.directory.get_agency(to_agency) is None:
            raise ValidationError({"to_agency": f"unknown agency {to_agency!r}"})
        return self._act(
            principal,
            case_id,
            ServiceRequest,
            "forward",
            lambda dossier, now: dossier.forward(
                principal, to_agency, working_days, note, calendar=self.calendar, timestamp=now
            ),
            expected_version,
        )

    def return_dossier(
        self,
        principal: Principal,
        case_id: UUID,
        *,
        note: str | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        """The partner agency hands the dossier back to the handling agency."""
        return self._act(
            principal,
            case_id,
            ServiceRequest,
            "return",
            lambda dossier, now: dossier.return_from_forwarding(principal, note, timestamp=now),
            expected_version,
        )

    def apologize_for_delay(
        self,
        principal: Principal,
        case_id: UUID,
        *,
        reason: str,
        new_due: datetime,
        expected_version: int | None = None,
    ) -> CommandResult:
        """The leader apologises for a delay and sets a new appointment date."""
        return self._act(
            principal,
            case_id,
            ServiceRequest,
            "apologize",
            lambda dossier, now: dossier.apologize(principal, reason, new_due, calendar=self.calendar, timestamp=now),
            expected_version,
        )

    def mark_result_ready(
        self, principal: Principal, case_id: UUID, *, note: str, expected_version: int | None = None
    ) -> CommandResult:
        """The result is ready for the applicant."""
        return self._act(
            principal,
            case_id,
            ServiceRequest,
            "mark_result_ready",
            lambda dossier, now: dossier.mark_result_ready(principal, note, timestamp=now),
            expected_version,
        )

    def return_result(
        self, principal: Principal, case_id: UUID, *, expected_version: int | None = None
    ) -> CommandResult:
        """The applicant has received the result."""
        return self._act(
            principal,
            case_id,
            ServiceRequest,
            "return_result",
            lambda dossier, now: dossier.return_result(principal, timestamp=now),
            expected_version,
        )

    def withdraw_dossier(
        self, principal: Principal, case_id: UUID, *, reason: str, expected_version: int | None = None
    ) -> CommandResult:
        """The applicant withdraws the dossier before its result."""
        return self._act(
            principal,
            case_id,
            ServiceRequest,
            "withdraw",
            lambda dossier, now: dossier.withdraw(principal, reason, timestamp=now),
            expected_version,
        )

    def rate_dossier(
        self,
        principal: Principal,
        case_id: UUID,
        *,
        stars: int,
        comment: str | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        """The applicant rates the service from 1 to 5."""
        return self._act(
            principal,
            case_id,
            ServiceRequest,
            "rate",
            lambda dossier, now: dossier.rate(principal, stars, comment, timestamp=now),
            expected_version,
        )

    def assign_dossier(
        self, principal: Principal, case_id: UUID, *, assignee: str, expected_version: int | None = None
    ) -> CommandResult:
        """Name the officer who handles the dossier."""
        return self._act(
            principal,
            case_id,
            ServiceRequest,
            "assign",
            lambda dossier, now: dossier.assign(principal, assignee, timestamp=now),
            expected_version,
        )

    def comment_dossier(
        self, principal: Principal, case_id: UUID, *, note: str, expected_version: int | None = None
    ) -> CommandResult:
        """Add a progress note the applicant can read."""
        return self._act(
            principal,
            case_id,
            ServiceRequest,
            "comment",
            lambda dossier, now: dossier.comment(principal, note, timestamp=now),
            expected_version,
        )
