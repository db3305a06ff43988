"""Commands on complaints (khiếu nại) and denunciations (tố cáo): grievances.

A case is routed to the agency whose decision or act is complained about, or
which manages the denounced official (``respondent_agency``). Legal periods
come from the directory by name (``complaint_accept``, ``denunciation_resolve``
…); which one applies — first or second time, complex, remote ward — is the
aggregate's rule policy. One command type serves both kinds where the step
exists for both; a step of the other kind has no permission row and is
forbidden. The statuses each step is valid from are ``Complaint.TRANSITIONS``
and ``Denunciation.TRANSITIONS`` (``assign`` and ``comment``: until final).

Permissions (DESIGN §2), once the case is visible to the principal:

    command                   complaint        denunciation
    file                      citizen          citizen
    withdraw                  citizen (own)    citizen (own)
    assign                    officer, leader  leader
    comment                   officer, leader  officer, leader
    forward                   officer, leader  officer, leader
    start_verification        officer, leader  officer, leader
    hold_dialogue             officer, leader  —
    close                     officer, leader  officer, leader
    accept, refuse            leader           leader
    extend                    leader           leader
    extend_preliminary_check  —                leader
    decide                    leader           —
    conclude                  —                leader

Acceptance, refusal, the decision or conclusion and every extension are legal
decisions of the head of the agency (Law on Complaints Art. 27-28, 31; Law on
Denunciations Art. 29-30, 35). Assigning a denunciation is the leader's alone
because the assignee reads the sealed identity of the denouncer: an officer who
could assign themselves could unseal it. Letter handling — forwarding to the
competent agency, verification, dialogue, closing the file — is officers' work.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated, ClassVar

from msgspec import Meta

from ihanoi_core.commands.command import CaseCommand, CreateCommand
from ihanoi_core.commands.steps import AssignStep, CommentStep, WithdrawStep
from ihanoi_core.commands.values import Code, Input, Name, NationalId, Phone, ShortText, Text
from ihanoi_core.domain.case import Case
from ihanoi_core.domain.complaint import Complaint
from ihanoi_core.domain.denunciation import Denunciation
from ihanoi_core.domain.grievance import Grievance
from ihanoi_core.domain.grievance_values import MAX_TEXT, ComplainantIdentity, ComplaintKind, Complexity
from ihanoi_core.domain.values import Role
from ihanoi_core.errors import ValidationError
from ihanoi_core.permissions import CITIZEN, LEADER, STAFF

LongText = Annotated[str, Meta(min_length=1, max_length=MAX_TEXT)]


class ComplainantIn(Input, frozen=True):
    """Who complains or denounces: personal data, sealed for a denunciation, which needs it in full."""

    name: Name
    national_id: NationalId | None = None
    phone: Phone | None = None
    address: ShortText | None = None

    def value(self) -> ComplainantIdentity:
        return ComplainantIdentity(name=self.name, national_id=self.national_id, phone=self.phone, address=self.address)


class FileComplaint(CreateCommand, frozen=True, kw_only=True):
    """File a complaint (khiếu nại) or a denunciation (tố cáo), as its kind says.
    It goes to ``respondent_agency``: the agency whose decision or act it
    contests, or which manages the denounced official. A complaint about a
    decision dated ``decision_date`` is refused outright after the filing
    window; with ``first_case`` it is a second-time complaint about that case's
    decision. A denunciation needs the denouncer's full identity, which is sealed."""

    name: ClassVar[str] = "file"
    creates: ClassVar[tuple[type[Case], ...]] = (Complaint, Denunciation)
    roles: ClassVar[frozenset[Role]] = CITIZEN

    kind: ComplaintKind
    subject: ShortText
    content: LongText
    respondent_agency: Code
    ward: Code
    complainant: ComplainantIn
    decision_date: date | None = None
    first_case: Code | None = None

    def complaint_kind(self) -> ComplaintKind:
        """``kind`` as the enum; ``ValidationError`` for any other string."""
        try:
            return ComplaintKind(self.kind)
        except ValueError:
            raise ValidationError({"kind": f"must be one of {', '.join(ComplaintKind)}"}) from None

    def case_type(self) -> type[Case]:
        return Denunciation if self.complaint_kind() is ComplaintKind.DENUNCIATION else Complaint


class GrievanceCommand(CaseCommand, frozen=True, kw_only=True):
    """A command on a complaint or a denunciation."""

    family: ClassVar[type[Case]] = Grievance
    roles: ClassVar[frozenset[Role]] = STAFF


class AcceptComplaint(GrievanceCommand, frozen=True, kw_only=True):
    """Accept for resolution (thụ lý); the resolve clock starts."""

    name: ClassVar[str] = "accept"
    roles: ClassVar[frozenset[Role]] = LEADER


class RefuseComplaint(GrievanceCommand, frozen=True, kw_only=True):
    """Refuse to accept, with the reason and its legal basis."""

    name: ClassVar[str] = "refuse"
    roles: ClassVar[frozenset[Role]] = LEADER
    reason: Text
    legal_basis: ShortText


class ForwardComplaint(GrievanceCommand, frozen=True, kw_only=True):
    """Forward to the competent agency, which receives it with a new clock."""

    name: ClassVar[str] = "forward"
    to_agency: Code
    reason: Text


class AssignComplaint(AssignStep, GrievanceCommand, frozen=True, kw_only=True):
    """Name the handler (for a denunciation, the one who may read the denouncer's identity)."""

    # The assignee unseals the denouncer's identity: the leader's call alone.
    roles_by_kind: ClassVar[Mapping[str, frozenset[Role]]] = {Denunciation.kind: LEADER}


class StartVerification(GrievanceCommand, frozen=True, kw_only=True):
    """The assigned handler starts verifying (xác minh); needs an assignee."""

    name: ClassVar[str] = "start-verification"


class HoldDialogue(GrievanceCommand, frozen=True, kw_only=True):
    """Record a dialogue with the complainant (complaints only)."""

    name: ClassVar[str] = "hold-dialogue"
    kinds: ClassVar[tuple[str, ...]] = (Complaint.kind,)
    summary: LongText


class ExtendComplaint(GrievanceCommand, frozen=True, kw_only=True):
    """Extend the resolve period, saying how complex the case is: a complaint
    once to the complex period; a denunciation once when complex, twice when
    especially complex (Law on Denunciations Art. 30). The handling agency's
    leader approves."""

    name: ClassVar[str] = "extend"
    roles: ClassVar[frozenset[Role]] = LEADER
    reason: Text
    # Law on Denunciations Art. 30: "especially_complex" allows a second extension.
    complexity: Complexity = Complexity.COMPLEX


class ExtendPreliminaryCheck(GrievanceCommand, frozen=True, kw_only=True):
    """Extend a denunciation's preliminary check once, 7 to 10 working days."""

    name: ClassVar[str] = "extend-preliminary-check"
    roles: ClassVar[frozenset[Role]] = LEADER
    kinds: ClassVar[tuple[str, ...]] = (Denunciation.kind,)
    reason: Text


class DecideComplaint(GrievanceCommand, frozen=True, kw_only=True):
    """Issue the decision on a complaint."""

    name: ClassVar[str] = "decide"
    roles: ClassVar[frozenset[Role]] = LEADER
    kinds: ClassVar[tuple[str, ...]] = (Complaint.kind,)
    decision: LongText
    # Required past the resolve deadline (giải trình, issue #16): 422 without it.
    late_explanation: Text | None = None


class ConcludeDenunciation(GrievanceCommand, frozen=True, kw_only=True):
    """Issue the conclusion on a denunciation."""

    name: ClassVar[str] = "conclude"
    roles: ClassVar[frozenset[Role]] = LEADER
    kinds: ClassVar[tuple[str, ...]] = (Denunciation.kind,)
    conclusion: LongText
    # Required past the resolve deadline (giải trình, issue #16): 422 without it.
    late_explanation: Text | None = None


class CloseComplaint(GrievanceCommand, frozen=True, kw_only=True):
    """Close the file after the decision or conclusion."""

    name: ClassVar[str] = "close"


class WithdrawComplaint(WithdrawStep, GrievanceCommand, frozen=True, kw_only=True):
    """The complainant or denouncer withdraws before the decision or conclusion."""


class CommentComplaint(CommentStep, GrievanceCommand, frozen=True, kw_only=True):
    """Add a progress note for the filer."""
