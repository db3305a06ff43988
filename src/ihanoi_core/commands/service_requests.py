"""Commands on one-stop-shop dossiers (hồ sơ dịch vụ công).

The procedure catalogue of the directory decides the agency (a fixed agency or
the People's Committee of the ward the dossier is filed in), the fee and the
processing period; the review period is ``dossier_review``. Citizens file,
supplement, withdraw and rate their own dossiers; officers of the handling
agency receive and process them; its leader also suspends, resumes and
apologises for a delay. While a dossier is forwarded, the partner agency's
staff see it and may return it, nothing more (the aggregate checks the agency).
The statuses each step is valid from are ``ServiceRequest.TRANSITIONS``; past
the appointment date the steps marked "on time" refuse until the apology.

Money is a whole number of đồng (the đồng has no minor unit in use).
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from msgspec import Meta

from ihanoi_core.commands.command import CaseCommand, CreateCommand
from ihanoi_core.commands.steps import AssignStep, CommentStep, RateStep, RejectStep, WithdrawStep
from ihanoi_core.commands.values import (
    AwareDatetime,
    Code,
    DocumentIn,
    Input,
    Name,
    NationalId,
    Phone,
    ShortText,
    Text,
)
from ihanoi_core.domain.case import Case
from ihanoi_core.domain.service_request import ServiceRequest
from ihanoi_core.domain.service_request_values import ApplicantIdentity
from ihanoi_core.domain.values import Channel, Role
from ihanoi_core.permissions import CITIZEN, LEADER, STAFF

Documents = Annotated[tuple[DocumentIn, ...], Meta(min_length=1, max_length=50)]


class ApplicantIn(Input, frozen=True):
    """Who the dossier is for (personal data: the applicant and the handling staff see it)."""

    name: Name
    national_id: NationalId
    phone: Phone | None = None
    address: ShortText | None = None

    def value(self) -> ApplicantIdentity:
        return ApplicantIdentity(name=self.name, national_id=self.national_id, phone=self.phone, address=self.address)


class SubmitDossier(CreateCommand, frozen=True, kw_only=True):
    """File a dossier for a procedure of the catalogue in a ward; the review clock
    (8 working hours) starts. The citizen filing it owns it."""

    name: ClassVar[str] = "submit"
    creates: ClassVar[tuple[type[Case], ...]] = (ServiceRequest,)
    roles: ClassVar[frozenset[Role]] = CITIZEN

    procedure: Code
    ward: Code
    applicant: ApplicantIn
    documents: Documents
    channel: Channel = Channel.WEB


class DossierCommand(CaseCommand, frozen=True, kw_only=True):
    """A command on a dossier."""

    family: ClassVar[type[Case]] = ServiceRequest
    roles: ClassVar[frozenset[Role]] = STAFF


class ReceiveDossier(DossierCommand, frozen=True, kw_only=True):
    """Accept a complete dossier; the appointment date is computed."""

    name: ClassVar[str] = "receive"


class RejectDossier(RejectStep, DossierCommand, frozen=True, kw_only=True):
    """Refuse to accept, with reasons."""


class StartDossierProcessing(DossierCommand, frozen=True, kw_only=True):
    """Begin processing (on time); the caller becomes the assignee unless one was named."""

    name: ClassVar[str] = "start-processing"


class RequestDossierSupplement(DossierCommand, frozen=True, kw_only=True):
    """Ask for every missing document at once (on time); the clock pauses."""

    name: ClassVar[str] = "request-supplement"
    missing: Annotated[tuple[ShortText, ...], Meta(min_length=1, max_length=50)]
    note: Text | None = None


class SupplementDossier(DossierCommand, frozen=True, kw_only=True):
    """Supply every requested document; the clock resumes."""

    name: ClassVar[str] = "supplement"
    roles: ClassVar[frozenset[Role]] = CITIZEN
    documents: Documents


class RequestDossierPayment(DossierCommand, frozen=True, kw_only=True):
    """Ask for fees or taxes in whole đồng (on time; by default the procedure's
    fee); the clock pauses. Where payments are set up, the payment with its
    VietQR code is created in the same save (docs/payments.md)."""

    name: ClassVar[str] = "request-payment"
    amount: Annotated[int, Meta(gt=0, le=10**13)] | None = None
    note: Text | None = None


class ConfirmDossierPayment(DossierCommand, frozen=True, kw_only=True):
    """Record the payment reference; the clock resumes."""

    name: ClassVar[str] = "confirm-payment"
    reference: Annotated[str, Meta(min_length=1, max_length=200)]


class SuspendDossier(DossierCommand, frozen=True, kw_only=True):
    """Stop processing with a reason (on time); the clock pauses."""

    name: ClassVar[str] = "suspend"
    roles: ClassVar[frozenset[Role]] = LEADER
    reason: Text


class ResumeDossier(DossierCommand, frozen=True, kw_only=True):
    """Resume a suspended dossier; the clock resumes."""

    name: ClassVar[str] = "resume"
    roles: ClassVar[frozenset[Role]] = LEADER
    note: Text | None = None


class ForwardDossier(DossierCommand, frozen=True, kw_only=True):
    """Send to a partner agency for its step (liên thông, on time), within the appointment date."""

    name: ClassVar[str] = "forward"
    to_agency: Code
    working_days: Annotated[int, Meta(ge=1, le=365)]
    note: Text


class ReturnDossier(DossierCommand, frozen=True, kw_only=True):
    """The partner agency hands the dossier back (only the staff of the agency it
    was forwarded to)."""

    name: ClassVar[str] = "return"
    note: Text | None = None


class ApologizeForDossierDelay(DossierCommand, frozen=True, kw_only=True):
    """Apologise for a delay with a new, later appointment date (phiếu xin lỗi;
    the leader of the handling agency)."""

    name: ClassVar[str] = "apologize"
    roles: ClassVar[frozenset[Role]] = LEADER
    reason: Text
    new_due: AwareDatetime


class MarkDossierResultReady(DossierCommand, frozen=True, kw_only=True):
    """The result is ready for the applicant (on time); the clock stops."""

    name: ClassVar[str] = "mark-result-ready"
    note: Text


class ReturnDossierResult(DossierCommand, frozen=True, kw_only=True):
    """The applicant has received the result."""

    name: ClassVar[str] = "return-result"
    # Required once the dossier passed an appointment date (giải trình, issue #16): 422 without it.
    late_explanation: Text | None = None


class WithdrawDossier(WithdrawStep, DossierCommand, frozen=True, kw_only=True):
    """The applicant withdraws the dossier before its result."""


class RateDossier(RateStep, DossierCommand, frozen=True, kw_only=True):
    """Rate the service 1–5, once."""


class AssignDossier(AssignStep, DossierCommand, frozen=True, kw_only=True):
    """Name the officer who handles the dossier (staff of the handling agency)."""


class CommentDossier(CommentStep, DossierCommand, frozen=True, kw_only=True):
    """Add a note the applicant can read."""
