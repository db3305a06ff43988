"""Commands on complaints (khiếu nại) and denunciations (tố cáo), with their
permission rows.

A case is routed to the agency whose decision or act is complained about, or
which manages the denounced official (``respondent_agency``). Legal periods
come from the directory by name (``complaint_accept``, ``denunciation_resolve``
…); which one applies — first or second time, complex, remote ward — is the
aggregate's rule policy. Complaint commands also serve denunciations where the
step exists for both; a step of the other kind has no permission row and is
forbidden.

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

from collections.abc import Callable
from datetime import date, datetime
from uuid import UUID

from ihanoi_core.domain.complaint import Complaint
from ihanoi_core.domain.denunciation import Denunciation
from ihanoi_core.domain.grievance import Grievance
from ihanoi_core.domain.grievance_values import ComplainantIdentity, ComplaintKind, Complexity
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import CaseNotFoundError, ValidationError
from ihanoi_core.handlers.bus import CommandBus, CommandResult
from ihanoi_core.permissions import CITIZEN, LEADER, STAFF, authorize_create, can_see, register

CAN_FILE = CITIZEN

_SHARED_ROWS = {
    "withdraw": CITIZEN,
    "comment": STAFF,
    "forward": STAFF,
    "start_verification": STAFF,
    "close": STAFF,
    "accept": LEADER,
    "refuse": LEADER,
    "extend": LEADER,
}
register(Complaint.kind, {**_SHARED_ROWS, "assign": STAFF, "hold_dialogue": STAFF, "decide": LEADER})
register(
    Denunciation.kind,
    {**_SHARED_ROWS, "assign": LEADER, "extend_preliminary_check": LEADER, "conclude": LEADER},
)


class ComplaintCommands(CommandBus):
    """Complaint and denunciation commands of the ``Ihanoi`` application."""

    def file_complaint(
        self,
        principal: Principal,
        *,
        kind: ComplaintKind,
        subject: str,
        content: str,
        respondent_agency: str,
        ward: str,
        complainant: ComplainantIdentity,
        decision_date: date | None = None,
        first_case: UUID | str | None = None,
        idempotency_key: str | None = None,
        request_fingerprint: str | None = None,
    ) -> CommandResult:
        """File a complaint (``KN-``) or a denunciation (``TC-``) with the
        agency ``respondent_agency``. A complaint about a decision dated
        ``decision_date`` is refused outright after the filing window; with
        ``first_case`` it is a second-time complaint about that case's decision.
        A denunciation needs the denouncer's full identity, which is sealed."""
        try:
            kind = ComplaintKind(kind)
        except ValueError:
            raise ValidationError({"kind": f"must be one of {', '.join(ComplaintKind)}"}) from None
        case_class = Complaint if kind is ComplaintKind.COMPLAINT else Denunciation
        authorize_create(principal, case_class.kind, CAN_FILE)
        errors: dict[str, str] = {}
        if self.directory.get_agency(respondent_agency) is None:
            errors["respondent_agency"] = f"unknown agency {respondent_agency!r}"
        if (ward_record := self.directory.get_ward(ward)) is None:
            errors["ward"] = f"unknown ward {ward!r}"
        if kind is ComplaintKind.DENUNCIATION:
            if decision_date is not None:
                errors["decision_date"] = "applies to complaints only"
            if first_case is not None:
                errors["first_case"] = "applies to complaints only"
        if errors:
            raise ValidationError(errors)
        assert ward_record is not None
        first = self._first_complaint(principal, first_case) if first_case is not None else None
        resolver = self._second_time_resolver(first) if first is not None else None
        owner = principal.subject if principal.role is Role.CITIZEN else None
        deadlines = self.directory.deadlines

        def build(case_id: UUID, code: str, now: datetime) -> Grievance:
            if kind is ComplaintKind.DENUNCIATION:
                return Denunciation.file(
                    id=case_id,
                    code=code,
                    actor=principal,
                    subject=subject,
                    content=content,
                    respondent_agency=respondent_agency,
                    ward=ward,
                    complainant=complainant,
                    owner=owner,
                    deadlines=deadlines,
                    calendar=self.calendar,
                    timestamp=now,
                )
            return Complaint.file(
                id=case_id,
                code=code,
                actor=principal,
                subject=subject,
                content=content,
                respondent_agency=respondent_agency,
                ward=ward,
                remote=ward_record.remote,
                complainant=complainant,
                owner=owner,
                decision_date=decision_date,
                first=first,
                deadlines=deadlines,
                calendar=self.calendar,
                timestamp=now,
                second_time_resolver=resolver,
            )

        return self._create(principal, case_class, CAN_FILE, idempotency_key, build, request_fingerprint)

    def _second_time_resolver(self, first: Complaint) -> str:
        """The agency that resolves a complaint about ``first``'s decision: the
        one above the agency that decided it (``parent`` in the directory). The
        Law on Complaints gives second-time competence to the next level up, e.g.
        the city People's Committee for a ward's or a department's decision."""
        decider = self.directory.get_agency(first.agency or "")
        if decider is None or decider.parent is None:
            raise ValidationError(
                {
                    "first_case": f"the agency above {first.agency} is outside this directory; "
                    "file the second-time complaint with it directly"
                }
            )
        return decider.parent

    def _first_complaint(self, principal: Principal, first_case: UUID | str) -> Complaint:
        """The first-time complaint a second-time one is about: the filer's own."""
        try:
            first = self._load(self.resolve_case_id(first_case), Grievance)
        except CaseNotFoundError:
            first = None
        if not isinstance(first, Complaint) or not can_see(principal, first):
            raise ValidationError({"first_case": "no such complaint of yours"})
        return first

    def _grievance(
        self,
        principal: Principal,
        case_id: UUID,
        command: str,
        decide: Callable[[Grievance, datetime], None],
        expected_version: int | None,
    ) -> CommandResult:
        return self._act(principal, case_id, Grievance, command, decide, expected_version)

    # -- leader decisions -------------------------------------------------------

    def accept_complaint(
        self, principal: Principal, case_id: UUID, *, expected_version: int | None = None
    ) -> CommandResult:
        """Accept a complaint or denunciation for resolution (thụ lý); the
        resolve clock starts."""
        return self._grievance(
            principal,
            case_id,
            "accept",
            lambda case, now: case.accept(
                principal, deadlines=self.directory.deadlines, calendar=self.calendar, timestamp=now
            ),
            expected_version,
        )

    def refuse_complaint(
        self,
        principal: Principal,
        case_id: UUID,
        *,
        reason: str,
        legal_basis: str,
        expected_version: int | None = None,
    ) -> CommandResult:
        """Refuse to accept, with the reason and its legal basis."""
        return self._grievance(
            principal,
            case_id,
            "refuse",
            lambda case, now: case.refuse(principal, reason, legal_basis, timestamp=now),
            expected_version,
        )

    def extend_complaint(
        self,
        principal: Principal,
        case_id: UUID,
        *,
        reason: str,
        complexity: Complexity | str = Complexity.COMPLEX,
        expected_version: int | None = None,
    ) -> CommandResult:
        """Extend the resolution period of a case the leader finds ``complex``
        (or, for a denunciation, ``especially_complex``): a complaint switches to
        the complex period; a denunciation gains one extension period, a second
        one only when especially complex (Law on Denunciations Art. 30)."""
        try:
            complexity = Complexity(complexity)
        except ValueError:
            raise ValidationError({"complexity": f"must be one of {', '.join(Complexity)}"}) from None
        return self._grievance(
            principal,
            case_id,
            "extend",
            lambda case, now: case.extend(
                principal,
                reason,
                complexity=complexity,
                deadlines=self.directory.deadlines,
                calendar=self.calendar,
                timestamp=now,
            ),
            expected_version,
        )

    def extend_preliminary_check(
        self, principal: Principal, case_id: UUID, *, reason: str, expected_version: int | None = None
    ) -> CommandResult:
        """Extend a denunciation's preliminary check once (7 to 10 working days)."""
        return self._grievance(
            principal,
            case_id,
            "extend_preliminary_check",
            lambda case, now: case.extend_preliminary_check(
                principal, reason, deadlines=self.directory.deadlines, calendar=self.calendar, timestamp=now
            ),
            expected_version,
        )

    def decide_complaint(
        self, principal: Principal, case_id: UUID, *, decision: str, expected_version: int | None = None
    ) -> CommandResult:
        """Issue the decision on a complaint."""
        return self._grievance(
            principal,
            case_id,
            "decide",
            lambda case, now: case.decide(principal, decision, timestamp=now),
            expected_version,
        )

    def conclude_denunciation(
        self, principal: Principal, case_id: UUID, *, conclusion: str, expected_version: int | None = None
    ) -> CommandResult:
        """Issue the conclusion on a denunciation."""
        return self._grievance(
            principal,
            case_id,
            "conclude",
            lambda case, now: case.conclude(principal, conclusion, timestamp=now),
            expected_version,
        )

    # -- handling -------------------------------------------------------------------

    def forward_complaint(
        self,
        principal: Principal,
        case_id: UUID,
        *,
        to_agency: str,
        reason: str,
        expected_version: int | None = None,
    ) -> CommandResult:
        """Forward to the competent agency, which receives it with a new clock."""
        if self.directory.get_agency(to_agency) is None:
            raise ValidationError({"to_agency": f"unknown agency {to_agency!r}"})
        return self._grievance(
            principal,
            case_id,
            "forward",
            lambda case, now: case.forward(
                principal,
                to_agency,
                reason,
                deadlines=self.directory.deadlines,
                calendar=self.calendar,
                timestamp=now,
            ),
            expected_version,
        )

    def assign_complaint(
        self, principal: Principal, case_id: UUID, *, assignee: str, expected_version: int | None = None
    ) -> CommandResult:
        """Name the officer who handles the case (for a denunciation, the one
        who may read the denouncer's identity)."""
        return self._grievance(
            principal,
            case_id,
            "assign",
            lambda case, now: case.assign(principal, assignee, timestamp=now),
            expected_version,
        )

    def start_verification(
        self, principal: Principal, case_id: UUID, *, expected_version: int | None = None
    ) -> CommandResult:
        """The assigned handler starts verifying an accepted case."""
        return self._grievance(
            principal,
            case_id,
            "start_verification",
            lambda case, now: case.start_verification(principal, timestamp=now),
            expected_version,
        )

    def hold_dialogue(
        self, principal: Principal, case_id: UUID, *, summary: str, expected_version: int | None = None
    ) -> CommandResult:
        """Record a dialogue with the complainant."""
        return self._grievance(
            principal,
            case_id,
            "hold_dialogue",
            lambda case, now: case.hold_dialogue(principal, summary, timestamp=now),
            expected_version,
        )

    def comment_complaint(
        self, principal: Principal, case_id: UUID, *, note: str, expected_version: int | None = None
    ) -> CommandResult:
        """Add a progress note for the complainant."""
        return self._grievance(
            principal,
            case_id,
            "comment",
            lambda case, now: case.comment(principal, note, timestamp=now),
            expected_version,
        )

    def close_complaint(
        self, principal: Principal, case_id: UUID, *, expected_version: int | None = None
    ) -> CommandResult:
        """Close the file after the decision or conclusion."""
        return self._grievance(
            principal,
            case_id,
            "close",
            lambda case, now: case.close(principal, timestamp=now),
            expected_version,
        )

    # -- complainant ------------------------------------------------------------------

    def withdraw_complaint(
        self, principal: Principal, case_id: UUID, *, reason: str, expected_version: int | None = None
    ) -> CommandResult:
        """The complainant or denouncer withdraws before the decision or conclusion."""
        return self._grievance(
            principal,
            case_id,
            "withdraw",
            lambda case, now: case.withdraw(principal, reason, timestamp=now),
            expected_version,
        )
