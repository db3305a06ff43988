"""Complaint (khiếu nại) and denunciation (tố cáo): a citizen contests an
administrative decision or act that affects them, or reports an official's
breach of the law. One aggregate with a rule policy per kind (DESIGN §3.2).

``Grievance`` holds the lifecycle both kinds share; every command checks the
kind's ``TRANSITIONS`` table, so a step of one kind (a dialogue, a preliminary
check) is an ``InvalidTransitionError`` on the other. The two concrete classes
differ in their code (``KN-`` / ``TC-``), their creation event and their rules:

- ``Complaint``, Law on Complaints 2011: ``filed → accepted | refused |
  forwarded → verifying → dialogue → decided → closed``, plus ``withdrawn``.
  Filing is refused outright after the 90-day time-bar (Art. 9); acceptance is
  due 10 days after receipt (Art. 27); resolution 30 days after acceptance, 45
  when complex, 45/60 in remote wards (Art. 28). A second-time complaint is a
  new case linked to the first, filed within 30 days (remote 45) of the first
  decision or of the first deadline lapsing undecided (Art. 33), with the
  second-time periods (Art. 37).
- ``Denunciation``, Law on Denunciations 2018: ``filed`` opens a preliminary
  check (7 working days, extendable once to 10; forward within 5 if not
  competent, Art. 24) ``→ accepted | refused | forwarded → verifying →
  concluded → closed``, plus ``withdrawn``; resolution 30 days after
  acceptance, extended at most twice by 30 days with a leader's approval
  (Art. 30). The denouncer's identity is sealed (Art. 8, 9): only the assigned
  handler, the handling agency's leader and the denouncer read it; everyone
  else sees a stable pseudonym.

Every deadline is computed when decided and stored in its event with the
``Clock`` it came from; ``due_at`` is ``None`` when no clock runs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, tzinfo
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar, Protocol
from uuid import UUID

from eventsourcing.domain import event

from ihanoi_core.domain.case import Case
from ihanoi_core.domain.values import Clock, DeadlineCalendar, DeadlineRule, Principal, Role
from ihanoi_core.errors import RuleViolationError, ValidationError


class ComplaintKind(StrEnum):
    """The two legal tracks: khiếu nại (complaint) and tố cáo (denunciation)."""

    COMPLAINT = "complaint"
    DENUNCIATION = "denunciation"


class ComplaintStatus(StrEnum):
    FILED = "filed"
    PRELIMINARY_CHECK = "preliminary_check"
    FORWARDED = "forwarded"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    VERIFYING = "verifying"
    DIALOGUE = "dialogue"
    DECIDED = "decided"
    CONCLUDED = "concluded"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True, slots=True)
class ComplainantIdentity:
    """Who complains or denounces. Personal data: redacted for those not
    entitled to it, and sealed entirely for denunciations."""

    name: str
    national_id: str | None = None
    phone: str | None = None
    address: str | None = None


VALUE_TYPES: dict[str, type] = {
    "complaint_kind": ComplaintKind,
    "complaint_status": ComplaintStatus,
    "complainant_identity": ComplainantIdentity,
}


class GrievanceCalendar(DeadlineCalendar, Protocol):
    """A deadline calendar that also names its zone, to turn a decision *date*
    into the instant a time-bar starts (the working calendar has both)."""

    @property
    def zone(self) -> tzinfo: ...


Deadlines = Mapping[str, DeadlineRule]
"""The directory's legal periods by name (``complaint_accept`` …)."""

S = ComplaintStatus
MAX_TEXT = 20_000


def _rule(deadlines: Deadlines, *names: str) -> DeadlineRule:
    """The first of ``names`` the directory defines: the most specific rule wins."""
    for name in names:
        if name in deadlines:
            return deadlines[name]
    raise KeyError(f"the directory defines none of the deadlines {', '.join(names)}")


class Grievance(Case):
    """What complaints and denunciations share. Not instantiated itself."""

    kind: ClassVar[str] = "grievance"
    complaint_kind: ClassVar[ComplaintKind]
    FINAL_STATUSES: ClassVar[frozenset[str]] = frozenset({S.CLOSED, S.REFUSED, S.WITHDRAWN})
    PERSONAL_FIELDS: ClassVar[tuple[str, ...]] = ("owner", "complainant")
    STATUSES: ClassVar[tuple[ComplaintStatus, ...]] = ()
    # command -> statuses it is valid from; a command missing here is not a
    # step of this kind at all.
    TRANSITIONS: ClassVar[Mapping[str, tuple[ComplaintStatus, ...]]] = {}

    if TYPE_CHECKING:
        subject: str
        content: str
        respondent_agency: str
        ward: str
        complainant: ComplainantIdentity
        accepted_at: datetime | None
        extension_count: int
        preliminary_extended: bool
        forward_due_at: datetime | None
        refusal_reason: str | None
        refusal_legal_basis: str | None
        dialogue_summary: str | None
        decision: str | None
        decided_at: datetime | None
        conclusion: str | None
        concluded_at: datetime | None
        withdrawal_reason: str | None

    @classmethod
    def _all_statuses(cls) -> Iterable[str]:
        return cls.STATUSES

    def _require_step(self, command: str) -> None:
        self._require(command, *self.TRANSITIONS.get(command, ()))

    def _require_approver(self, actor: Principal, command: str) -> None:
        # Extensions are decisions of the head of the handling agency
        # (Law on Complaints Art. 28, Law on Denunciations Art. 24, 30).
        if actor.role is not Role.LEADER or actor.agency != self.agency:
            raise RuleViolationError(
                self.id, "approver", f"Only a leader of the handling agency may {command.replace('_', ' ')}."
            )

    def _running_clock(self) -> Clock:
        if self.clock is None:  # every status an extension is valid from has a clock
            raise AssertionError(f"case {self.id} in status {self.status} has no running clock")
        return self.clock

    @staticmethod
    def _checked_identity(identity: ComplainantIdentity, *, sealed: bool) -> ComplainantIdentity:
        def clean(value: str | None) -> str | None:
            return (value or "").strip() or None

        name = (identity.name or "").strip()
        national_id = clean(identity.national_id)
        phone, address = clean(identity.phone), clean(identity.address)
        errors: dict[str, str] = {}
        if not name:
            errors["complainant.name"] = "is required"
        # Art. 25(2) Law on Denunciations: an unidentified sender's letter is not
        # handled as a denunciation (anonymous tips are reports of category "tip").
        if sealed and national_id is None:
            errors["complainant.national_id"] = "is required: anonymous denunciations are not accepted"
        if sealed and phone is None and address is None:
            errors["complainant.contact"] = "a phone number or an address is required"
        if errors:
            raise ValidationError(errors)
        return ComplainantIdentity(name=name, national_id=national_id, phone=phone, address=address)

    def _receive(
        self,
        *,
        code: str,
        status: ComplaintStatus,
        subject: str,
        content: str,
        respondent_agency: str,
        ward: str,
        complainant: ComplainantIdentity,
        owner: str | None,
        clock: Clock,
        due_at: datetime,
    ) -> None:
        """What every Filed event assigns (called from the event bodies only)."""
        self.code = code
        self.status = status
        self.subject = subject
        self.content = content
        self.respondent_agency = respondent_agency
        self.agency = respondent_agency
        self.ward = ward
        self.complainant = complainant
        self.owner = owner
        self.clock = clock
        self.due_at = due_at
        self.assignee = None
        self.public_note = None
        self.accepted_at = None
        self.extension_count = 0
        self.preliminary_extended = False
        self.forward_due_at = None
        self.refusal_reason = None
        self.refusal_legal_basis = None
        self.dialogue_summary = None
        self.decision = None
        self.decided_at = None
        self.conclusion = None
        self.concluded_at = None
        self.withdrawal_reason = None

    # -- rule policy, per kind ------------------------------------------------

    def _resolve_rule(self, deadlines: Deadlines, *, complex: bool) -> DeadlineRule:
        """The period to resolve the case in, counted from acceptance."""
        raise NotImplementedError

    def _receipt_rule(self, deadlines: Deadlines) -> DeadlineRule:
        """The period a receiving agency has before it must accept or refuse."""
        raise NotImplementedError

    def _forward_due(
        self, deadlines: Deadlines, calendar: DeadlineCalendar, received_at: datetime
    ) -> datetime | None:
        """By when a case received at ``received_at`` must be forwarded if the
        agency is not competent; ``None`` when the law sets no such period."""
        return None

    def _extended_clock(self, deadlines: Deadlines) -> Clock:
        """The resolve clock after one more extension, or ``RuleViolationError``."""
        raise NotImplementedError

    # -- staff commands -------------------------------------------------------

    def accept(
        self, actor: Principal, *, deadlines: Deadlines, calendar: DeadlineCalendar, timestamp: datetime
    ) -> None:
        """Accept the case for resolution (thụ lý); the resolve clock starts."""
        self._require_step("accept")
        clock = Clock(started_at=timestamp, rule=self._resolve_rule(deadlines, complex=False))
        self._accept(actor=actor, clock=clock, due_at=calendar.due(clock), timestamp=timestamp)

    @event("Accepted")
    def _accept(self, actor: Principal, clock: Clock, due_at: datetime, timestamp: datetime) -> None:
        self.status = S.ACCEPTED
        self.accepted_at = timestamp
        self.clock = clock
        self.due_at = due_at

    def refuse(self, actor: Principal, reason: str, legal_basis: str, *, timestamp: datetime) -> None:
        """Refuse to accept, with the reason and the legal basis the complainant
        is told (Law on Complaints Art. 11, 27; Law on Denunciations Art. 29)."""
        self._require_step("refuse")
        reason = self._require_text(self.id, "reason", reason)
        legal_basis = self._require_text(self.id, "legal_basis", legal_basis, max_length=500)
        self._refuse(actor=actor, reason=reason, legal_basis=legal_basis, timestamp=timestamp)

    @event("Refused")
    def _refuse(self, actor: Principal, reason: str, legal_basis: str, timestamp: datetime) -> None:
        self.status = S.REFUSED
        self.refusal_reason = reason
        self.refusal_legal_basis = legal_basis
        self.clock = None
        self.due_at = None

    def forward(
        self,
        actor: Principal,
        to_agency: str,
        reason: str,
        *,
        deadlines: Deadlines,
        calendar: DeadlineCalendar,
        timestamp: datetime,
    ) -> None:
        """Forward to the competent agency (chuyển đơn), which receives it anew
        with its own clock; the history stays with the case."""
        self._require_step("forward")
        if to_agency == self.agency:
            raise RuleViolationError(self.id, "to_agency", "The case is already with that agency.")
        reason = self._require_text(self.id, "reason", reason)
        clock = Clock(started_at=timestamp, rule=self._receipt_rule(deadlines))
        self._forward(
            actor=actor,
            from_agency=self.agency or "",
            to_agency=to_agency,
            reason=reason,
            clock=clock,
            due_at=calendar.due(clock),
            forward_due_at=self._forward_due(deadlines, calendar, timestamp),
            timestamp=timestamp,
        )

    @event("Forwarded")
    def _forward(
        self,
        actor: Principal,
        from_agency: str,
        to_agency: str,
        reason: str,
        clock: Clock,
        due_at: datetime,
        forward_due_at: datetime | None,
        timestamp: datetime,
    ) -> None:
        self.status = S.FORWARDED
        self.agency = to_agency
        self.assignee = None
        self.clock = clock
        self.due_at = due_at
        self.forward_due_at = forward_due_at
        self.preliminary_extended = False

    def extend_preliminary_check(
        self,
        actor: Principal,
        reason: str,
        *,
        deadlines: Deadlines,
        calendar: DeadlineCalendar,
        timestamp: datetime,
    ) -> None:
        """Extend a denunciation's preliminary check once, from 7 to 10 working
        days after receipt (Law on Denunciations Art. 24)."""
        self._require_step("extend_preliminary_check")
        self._require_approver(actor, "extend_preliminary_check")
        if self.preliminary_extended:
            raise RuleViolationError(
                self.id, "preliminary_extension", "The preliminary check can be extended only once."
            )
        reason = self._require_text(self.id, "reason", reason)
        clock = replace(self._running_clock(), rule=deadlines["denunciation_preliminary_extended"])
        self._extend_preliminary_check(
            actor=actor,
            reason=reason,
            approver=actor.subject,
            clock=clock,
            due_at=calendar.due(clock),
            timestamp=timestamp,
        )

    @event("PreliminaryCheckExtended")
    def _extend_preliminary_check(
        self,
        actor: Principal,
        reason: str,
        approver: str,
        clock: Clock,
        due_at: datetime,
        timestamp: datetime,
    ) -> None:
        self.preliminary_extended = True
        self.clock = clock
        self.due_at = due_at

    def start_verification(self, actor: Principal, *, timestamp: datetime) -> None:
        """The assigned handler starts verifying the content (xác minh)."""
        self._require_step("start_verification")
        if self.assignee is None:
            raise RuleViolationError(self.id, "assignee", "Assign a handler before verification starts.")
        self._start_verification(actor=actor, timestamp=timestamp)

    @event("VerificationStarted")
    def _start_verification(self, actor: Principal, timestamp: datetime) -> None:
        self.status = S.VERIFYING

    def hold_dialogue(self, actor: Principal, summary: str, *, timestamp: datetime) -> None:
        """Record a dialogue with the complainant (đối thoại), held when their
        requests and the verification results differ (Law on Complaints Art. 30)."""
        self._require_step("hold_dialogue")
        summary = self._require_text(self.id, "summary", summary, max_length=MAX_TEXT)
        self._hold_dialogue(actor=actor, summary=summary, timestamp=timestamp)

    @event("DialogueHeld")
    def _hold_dialogue(self, actor: Principal, summary: str, timestamp: datetime) -> None:
        self.status = S.DIALOGUE
        self.dialogue_summary = summary

    def extend(
        self,
        actor: Principal,
        reason: str,
        *,
        deadlines: Deadlines,
        calendar: DeadlineCalendar,
        timestamp: datetime,
    ) -> None:
        """Extend the resolution period with the reason and the approving leader
        on record: a complaint switches to the complex period, a denunciation
        gains another extension period (at most twice)."""
        self._require_step("extend")
        self._require_approver(actor, "extend")
        reason = self._require_text(self.id, "reason", reason)
        clock = self._extended_clock(deadlines)
        self._extend(
            actor=actor,
            reason=reason,
            approver=actor.subject,
            clock=clock,
            due_at=calendar.due(clock),
            timestamp=timestamp,
        )

    @event("Extended")
    def _extend(
        self,
        actor: Principal,
        reason: str,
        approver: str,
        clock: Clock,
        due_at: datetime,
        timestamp: datetime,
    ) -> None:
        self.extension_count += 1
        self.clock = clock
        self.due_at = due_at

    def decide(self, actor: Principal, decision: str, *, timestamp: datetime) -> None:
        """Issue the complaint decision (quyết định giải quyết khiếu nại)."""
        self._require_step("decide")
        decision = self._require_text(self.id, "decision", decision, max_length=MAX_TEXT)
        self._decide(actor=actor, decision=decision, timestamp=timestamp)

    @event("Decided")
    def _decide(self, actor: Principal, decision: str, timestamp: datetime) -> None:
        self.status = S.DECIDED
        self.decision = decision
        self.decided_at = timestamp
        self.clock = None
        self.due_at = None

    def conclude(self, actor: Principal, conclusion: str, *, timestamp: datetime) -> None:
        """Issue the conclusion on the denounced content (kết luận nội dung tố cáo)."""
        self._require_step("conclude")
        conclusion = self._require_text(self.id, "conclusion", conclusion, max_length=MAX_TEXT)
        self._conclude(actor=actor, conclusion=conclusion, timestamp=timestamp)

    @event("Concluded")
    def _conclude(self, actor: Principal, conclusion: str, timestamp: datetime) -> None:
        self.status = S.CONCLUDED
        self.conclusion = conclusion
        self.concluded_at = timestamp
        self.clock = None
        self.due_at = None

    def close(self, actor: Principal, *, timestamp: datetime) -> None:
        """Close the file once the decision or conclusion is issued."""
        self._require_step("close")
        self._close(actor=actor, timestamp=timestamp)

    @event("Closed")
    def _close(self, actor: Principal, timestamp: datetime) -> None:
        self.status = S.CLOSED

    # -- complainant commands -------------------------------------------------

    def withdraw(self, actor: Principal, reason: str, *, timestamp: datetime) -> None:
        """The complainant withdraws (rút đơn) before the decision or conclusion;
        resolution ends (Law on Complaints Art. 10)."""
        self._require_step("withdraw")
        reason = self._require_text(self.id, "reason", reason)
        self._withdraw(actor=actor, reason=reason, timestamp=timestamp)

    @event("Withdrawn")
    def _withdraw(self, actor: Principal, reason: str, timestamp: datetime) -> None:
        self.status = S.WITHDRAWN
        self.withdrawal_reason = reason
        self.clock = None
        self.due_at = None


_COMPLAINT_OPEN = (S.FILED, S.FORWARDED)
_COMPLAINT_RESOLVING = (S.ACCEPTED, S.VERIFYING, S.DIALOGUE)


class Complaint(Grievance):
    """An administrative complaint (khiếu nại), first or second time."""

    kind: ClassVar[str] = "complaint"
    code_prefix: ClassVar[str] = "KN"
    complaint_kind: ClassVar[ComplaintKind] = ComplaintKind.COMPLAINT
    STATUSES: ClassVar[tuple[ComplaintStatus, ...]] = (
        *(S.FILED, S.FORWARDED, S.ACCEPTED, S.REFUSED, S.VERIFYING),
        *(S.DIALOGUE, S.DECIDED, S.CLOSED, S.WITHDRAWN),
    )
    TRANSITIONS: ClassVar[Mapping[str, tuple[ComplaintStatus, ...]]] = {
        "accept": _COMPLAINT_OPEN,
        "refuse": _COMPLAINT_OPEN,
        "forward": _COMPLAINT_OPEN,
        "start_verification": (S.ACCEPTED,),
        "hold_dialogue": (S.VERIFYING, S.DIALOGUE),
        "extend": _COMPLAINT_RESOLVING,
        "decide": (S.VERIFYING, S.DIALOGUE),
        "close": (S.DECIDED,),
        "withdraw": (*_COMPLAINT_OPEN, *_COMPLAINT_RESOLVING),
    }

    if TYPE_CHECKING:
        remote: bool
        decision_date: date | None
        first_case: UUID | None
        first_case_code: str | None

    @property
    def is_second_time(self) -> bool:
        return self.first_case is not None

    @classmethod
    def file(
        cls,
        *,
        id: UUID,
        code: str,
        actor: Principal,
        subject: str,
        content: str,
        respondent_agency: str,
        ward: str,
        remote: bool,
        complainant: ComplainantIdentity,
        owner: str | None,
        decision_date: date | None,
        first: Complaint | None,
        deadlines: Deadlines,
        calendar: GrievanceCalendar,
        timestamp: datetime,
    ) -> Complaint:
        """File a complaint against ``respondent_agency``'s decision or act; the
        acceptance clock starts. With ``first``, a second-time complaint about
        that case's decision. Raises ``RuleViolationError`` (and creates nothing)
        outside the filing window."""
        subject = cls._require_text(None, "subject", subject, max_length=500)
        content = cls._require_text(None, "content", content, max_length=MAX_TEXT)
        complainant = cls._checked_identity(complainant, sealed=False)
        if decision_date is not None and decision_date > timestamp.astimezone(calendar.zone).date():
            raise ValidationError({"decision_date": "must not be in the future"})
        if first is not None:
            cls._check_second_filing_window(first, remote, deadlines, calendar, timestamp)
        elif decision_date is not None:
            cls._check_filing_window(decision_date, deadlines, calendar, timestamp)
        accept_rule = cls._acceptance_rule(deadlines, second_time=first is not None)
        clock = Clock(started_at=timestamp, rule=accept_rule)
        return cls(
            id=id,
            code=code,
            actor=actor,
            subject=subject,
            content=content,
            respondent_agency=respondent_agency,
            ward=ward,
            remote=remote,
            complainant=complainant,
            owner=owner,
            decision_date=decision_date,
            first_case=first.id if first else None,
            first_case_code=first.code if first else None,
            clock=clock,
            due_at=calendar.due(clock),
            timestamp=timestamp,
        )

    @staticmethod
    def _check_filing_window(
        decision_date: date, deadlines: Deadlines, calendar: GrievanceCalendar, timestamp: datetime
    ) -> None:
        # Art. 9: 90 days from the decision; the decision day itself is not
        # counted and a last day off moves to the next working day (DESIGN §3.5).
        decided = datetime.combine(decision_date, time(), tzinfo=calendar.zone)
        closes_at = calendar.due(Clock(started_at=decided, rule=deadlines["complaint_filing_window"]))
        if timestamp > closes_at:
            raise RuleViolationError(
                None,
                "filing_window",
                f"A complaint about a decision of {decision_date.isoformat()} had to be filed "
                f"by {closes_at.isoformat()} ({deadlines['complaint_filing_window'].legal_basis}).",
            )

    @staticmethod
    def _check_second_filing_window(
        first: Complaint, remote: bool, deadlines: Deadlines, calendar: DeadlineCalendar, timestamp: datetime
    ) -> None:
        # Art. 33: within 30 days (remote 45) of the first decision, or of the
        # first resolution deadline lapsing without one.
        if first.is_second_time:
            raise RuleViolationError(
                first.id, "second_time", "A second-time decision is final; only a court can review it."
            )
        if first.decided_at is not None:
            opened_at = first.decided_at
        elif first.status in _COMPLAINT_RESOLVING and first.due_at is not None and timestamp > first.due_at:
            opened_at = first.due_at
        else:
            raise RuleViolationError(
                first.id,
                "second_time",
                "A second-time complaint needs the first decision, or the first deadline lapsed without one.",
            )
        names = ("complaint_second_filing_window_remote",) if remote else ()
        window = _rule(deadlines, *names, "complaint_second_filing_window")
        closes_at = calendar.due(Clock(started_at=opened_at, rule=window))
        if timestamp > closes_at:
            raise RuleViolationError(
                first.id,
                "second_filing_window",
                f"A second-time complaint about {first.code} had to be filed by {closes_at.isoformat()} "
                f"({window.legal_basis}).",
            )

    @event("Filed")
    def __init__(
        self,
        *,
        id: UUID,
        code: str,
        actor: Principal,
        subject: str,
        content: str,
        respondent_agency: str,
        ward: str,
        remote: bool,
        complainant: ComplainantIdentity,
        owner: str | None,
        decision_date: date | None,
        first_case: UUID | None,
        first_case_code: str | None,
        clock: Clock,
        due_at: datetime,
        timestamp: datetime,
    ) -> None:
        self._receive(
            code=code,
            status=S.FILED,
            subject=subject,
            content=content,
            respondent_agency=respondent_agency,
            ward=ward,
            complainant=complainant,
            owner=owner,
            clock=clock,
            due_at=due_at,
        )
        self.remote = remote
        self.decision_date = decision_date
        self.first_case = first_case
        self.first_case_code = first_case_code

    def _resolve_rule(self, deadlines: Deadlines, *, complex: bool) -> DeadlineRule:
        # Art. 28 (first time) and Art. 37 (second time): longer when complex,
        # longer again in remote areas; the most specific configured rule wins.
        base = "complaint_second_resolve" if self.is_second_time else "complaint_resolve"
        suffix = "_complex" if complex else ""
        names = (f"{base}_remote{suffix}",) if self.remote else ()
        return _rule(deadlines, *names, f"{base}{suffix}")

    def _receipt_rule(self, deadlines: Deadlines) -> DeadlineRule:
        return self._acceptance_rule(deadlines, second_time=self.is_second_time)

    @staticmethod
    def _acceptance_rule(deadlines: Deadlines, *, second_time: bool) -> DeadlineRule:
        # Art. 27 (first time) and Art. 36 (second time): 10 days from receipt.
        names = ("complaint_second_accept",) if second_time else ()
        return _rule(deadlines, *names, "complaint_accept")

    def _extended_clock(self, deadlines: Deadlines) -> Clock:
        if self.extension_count:
            raise RuleViolationError(
                self.id, "extension", "The complaint already runs on the complex period."
            )
        return replace(self._running_clock(), rule=self._resolve_rule(deadlines, complex=True))


_DENUNCIATION_OPEN = (S.PRELIMINARY_CHECK, S.FORWARDED)
_DENUNCIATION_RESOLVING = (S.ACCEPTED, S.VERIFYING)


class Denunciation(Grievance):
    """A denunciation (tố cáo), with the denouncer's identity sealed."""

    kind: ClassVar[str] = "denunciation"
    code_prefix: ClassVar[str] = "TC"
    complaint_kind: ClassVar[ComplaintKind] = ComplaintKind.DENUNCIATION
    # Art. 30: once if complex, twice if especially complex.
    MAX_EXTENSIONS: ClassVar[int] = 2
    STATUSES: ClassVar[tuple[ComplaintStatus, ...]] = (
        *(S.PRELIMINARY_CHECK, S.FORWARDED, S.ACCEPTED, S.REFUSED),
        *(S.VERIFYING, S.CONCLUDED, S.CLOSED, S.WITHDRAWN),
    )
    TRANSITIONS: ClassVar[Mapping[str, tuple[ComplaintStatus, ...]]] = {
        "accept": _DENUNCIATION_OPEN,
        "refuse": _DENUNCIATION_OPEN,
        "forward": _DENUNCIATION_OPEN,
        "extend_preliminary_check": _DENUNCIATION_OPEN,
        "start_verification": (S.ACCEPTED,),
        "extend": _DENUNCIATION_RESOLVING,
        "conclude": (S.VERIFYING,),
        "close": (S.CONCLUDED,),
        "withdraw": (*_DENUNCIATION_OPEN, *_DENUNCIATION_RESOLVING),
    }

    @classmethod
    def file(
        cls,
        *,
        id: UUID,
        code: str,
        actor: Principal,
        subject: str,
        content: str,
        respondent_agency: str,
        ward: str,
        complainant: ComplainantIdentity,
        owner: str | None,
        deadlines: Deadlines,
        calendar: DeadlineCalendar,
        timestamp: datetime,
    ) -> Denunciation:
        """File a denunciation with the agency managing the denounced official;
        its preliminary check starts at once. The denouncer must be identified."""
        subject = cls._require_text(None, "subject", subject, max_length=500)
        content = cls._require_text(None, "content", content, max_length=MAX_TEXT)
        complainant = cls._checked_identity(complainant, sealed=True)
        clock = Clock(started_at=timestamp, rule=deadlines["denunciation_preliminary"])
        return cls(
            id=id,
            code=code,
            actor=actor,
            subject=subject,
            content=content,
            respondent_agency=respondent_agency,
            ward=ward,
            complainant=complainant,
            owner=owner,
            clock=clock,
            due_at=calendar.due(clock),
            forward_due_at=calendar.due(Clock(started_at=timestamp, rule=deadlines["denunciation_forward"])),
            timestamp=timestamp,
        )

    @event("Filed")
    def __init__(
        self,
        *,
        id: UUID,
        code: str,
        actor: Principal,
        subject: str,
        content: str,
        respondent_agency: str,
        ward: str,
        complainant: ComplainantIdentity,
        owner: str | None,
        clock: Clock,
        due_at: datetime,
        forward_due_at: datetime,
        timestamp: datetime,
    ) -> None:
        self._receive(
            code=code,
            status=S.PRELIMINARY_CHECK,
            subject=subject,
            content=content,
            respondent_agency=respondent_agency,
            ward=ward,
            complainant=complainant,
            owner=owner,
            clock=clock,
            due_at=due_at,
        )
        self.forward_due_at = forward_due_at

    # -- the sealed identity ----------------------------------------------------

    def can_read_personal(self, principal: Principal) -> bool:
        """Only the denouncer, the assigned handler and a leader of the handling
        agency (Art. 8, 9(1)(b)). Not other officers, auditors or the system
        principal: projections and logs see the pseudonym."""
        if principal.role is Role.CITIZEN:
            return self.owner is not None and principal.subject == self.owner
        if self.agency is None or principal.agency != self.agency:
            return False
        if principal.role is Role.LEADER:
            return True
        return principal.role is Role.OFFICER and principal.subject == self.assignee

    @property
    def pseudonym(self) -> str:
        """A stable stand-in for the denouncer, the same for everyone."""
        digest = hashlib.sha256(f"{self.id}denouncer".encode()).hexdigest()
        return f"Người tố cáo #{digest[:8]}"

    def pseudonymised_fields(self) -> dict[str, object]:
        return {"complainant": self.pseudonym}

    # -- rule policy --------------------------------------------------------------

    def _resolve_rule(self, deadlines: Deadlines, *, complex: bool) -> DeadlineRule:
        return deadlines["denunciation_resolve"]

    def _receipt_rule(self, deadlines: Deadlines) -> DeadlineRule:
        # The receiving agency runs its own preliminary check (Art. 24).
        return deadlines["denunciation_preliminary"]

    def _forward_due(
        self, deadlines: Deadlines, calendar: DeadlineCalendar, received_at: datetime
    ) -> datetime | None:
        return calendar.due(Clock(started_at=received_at, rule=deadlines["denunciation_forward"]))

    def _extended_clock(self, deadlines: Deadlines) -> Clock:
        extension = deadlines["denunciation_extension"]
        if self.extension_count >= self.MAX_EXTENSIONS:
            raise RuleViolationError(
                self.id,
                "extension",
                f"A denunciation is extended at most {self.MAX_EXTENSIONS} times ({extension.legal_basis}).",
            )
        clock = self._running_clock()
        if extension.unit is not clock.rule.unit:
            # The extension is added to the resolve period, so both must count alike.
            raise RuleViolationError(
                self.id,
                "extension_unit",
                f"The extension counts {extension.unit} but the resolve period {clock.rule.unit}.",
            )
        return replace(clock, extension=clock.extension + extension.amount)
