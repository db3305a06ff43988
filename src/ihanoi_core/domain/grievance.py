"""Grievance: what a complaint (khiếu nại) and a denunciation (tố cáo) share.
A citizen contests an administrative decision or act that affects them, or
reports an official's breach of the law: one lifecycle with a rule policy per
kind (DESIGN §3.2), the kinds in ``complaint`` and ``denunciation``.

``Grievance`` holds the lifecycle both kinds share; every command checks the
kind's ``TRANSITIONS`` table, so a step of one kind (a dialogue, a preliminary
check) is an ``InvalidTransitionError`` on the other. The two concrete classes
differ in their code (``KN-`` / ``TC-``), their creation event and their rules.

Every deadline is computed when decided and stored in its event with the
``Clock`` it came from; ``due_at`` is ``None`` when no clock runs.

Events defined here are stored under this class's topic whichever kind
triggers them (``…grievance:Grievance.Accepted``); those stored before it moved
here from ``complaint`` still load (``ihanoi_core.events.topics``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Self

from eventsourcing.domain import event

from ihanoi_core.domain.case import Case
from ihanoi_core.domain.event_versions import LateExplanationAdded
from ihanoi_core.domain.grievance_steps import GrievanceSteps
from ihanoi_core.domain.grievance_values import ERASED_STATE as GRIEVANCE_ERASED_STATE
from ihanoi_core.domain.grievance_values import (
    MAX_TEXT,
    ComplainantIdentity,
    ComplaintStatus,
    Complexity,
    Deadlines,
    Filing,
    checked_identity,
)
from ihanoi_core.domain.status_steps import entering
from ihanoi_core.domain.values import Clock, DeadlineCalendar, DeadlineRule, Principal, Role, deadline
from ihanoi_core.errors import RuleViolationError

S = ComplaintStatus


class Grievance(GrievanceSteps, Case):
    """What complaints and denunciations share. Not instantiated itself."""

    kind: ClassVar[str] = "grievance"
    FINAL_STATUSES: ClassVar[frozenset[str]] = frozenset({S.CLOSED, S.REFUSED, S.WITHDRAWN})
    PERSONAL_FIELDS: ClassVar[tuple[str, ...]] = ("owner", "complainant")
    ERASED_STATE = GRIEVANCE_ERASED_STATE
    MAX_ANSWER: ClassVar[int] = MAX_TEXT
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
    def _checked_filing(cls, filing: Filing, *, sealed: bool) -> Filing:
        """What every filing checks first: a subject and a content in writing,
        and who files identified (a denouncer's identity, ``sealed``, fully).
        A keyword ``Filing`` does not name is refused, as a misspelt argument
        would be by a signature that listed them."""
        unknown = filing.keys() - Filing.__required_keys__
        if unknown:
            raise TypeError(f"{cls.__name__} filing got unexpected keyword arguments: {', '.join(sorted(unknown))}")
        return {
            **filing,
            "subject": cls._require_text(None, "subject", filing["subject"], max_length=500),
            "content": cls._require_text(None, "content", filing["content"], max_length=MAX_TEXT),
            "complainant": checked_identity(filing["complainant"], sealed=sealed),
        }

    @classmethod
    def _file(cls, filing: Filing, rule: DeadlineRule, **more: Any) -> Self:
        """Create the case from a checked ``filing`` and its kind's ``more``
        fields: its Filed event, with the clock of ``rule`` started at filing."""
        clock = Clock(started_at=filing["timestamp"], rule=rule)
        # Each kind declares its own Filed event as ``__init__``; ``Grievance`` has none.
        create: Callable[..., Self] = cls
        return create(
            id=filing["id"],
            code=filing["code"],
            actor=filing["actor"],
            subject=filing["subject"],
            content=filing["content"],
            respondent_agency=filing["respondent_agency"],
            ward=filing["ward"],
            complainant=filing["complainant"],
            owner=filing["owner"],
            **deadline(filing["calendar"], clock),
            timestamp=filing["timestamp"],
            **more,
        )

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

    def _receive(
        self, subject: str, content: str, complainant: ComplainantIdentity, *, respondent_agency: str, ward: str
    ) -> None:
        """What every Filed event assigns after ``_begin``: the letter and its
        sender, against whom and where, and nothing decided yet (called from
        the event bodies only)."""
        self.subject = subject
        self.content = content
        self.respondent_agency = respondent_agency
        self.ward = ward
        self.complainant = complainant
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
        self.late_explanation: str | None = None
        self.concluded_at = None
        self.withdrawal_reason = None

    def _stop(self, status: ComplaintStatus) -> None:
        """Enter ``status`` with no deadline running: refused, answered (a
        decision or conclusion), withdrawn (called from event bodies only)."""
        self.status = status
        self.clock = None
        self.due_at = None

    # -- rule policy, per kind ------------------------------------------------

    def _resolve_rule(self, deadlines: Deadlines, *, complex: bool) -> DeadlineRule:
        """The period to resolve the case in, counted from acceptance."""
        raise NotImplementedError

    def _receipt_rule(self, deadlines: Deadlines) -> DeadlineRule:
        """The period a receiving agency has before it must accept or refuse."""
        raise NotImplementedError

    @classmethod
    def _forward_due(cls, deadlines: Deadlines, calendar: DeadlineCalendar, received_at: datetime) -> datetime | None:
        """By when a case received at ``received_at`` must be forwarded if the
        agency is not competent; ``None`` when the law sets no such period."""
        return None

    def _extended_clock(self, deadlines: Deadlines, complexity: Complexity) -> Clock:
        """The resolve clock after one more extension of a case this complex,
        or ``RuleViolationError``."""
        raise NotImplementedError

    # -- staff commands -------------------------------------------------------

    def accept(
        self, actor: Principal, *, deadlines: Deadlines, calendar: DeadlineCalendar, timestamp: datetime
    ) -> None:
        """Accept the case for resolution (thụ lý); the resolve clock starts."""
        self._require("accept")
        clock = Clock(started_at=timestamp, rule=self._resolve_rule(deadlines, complex=False))
        self._accept(actor=actor, **deadline(calendar, clock), timestamp=timestamp)

    @event("Accepted")
    def _accept(self, actor: Principal, clock: Clock, due_at: datetime, timestamp: datetime) -> None:
        self.status = S.ACCEPTED
        self.accepted_at = timestamp
        self.clock = clock
        self.due_at = due_at

    def refuse(self, actor: Principal, reason: str, legal_basis: str, *, timestamp: datetime) -> None:
        """Refuse to accept, with the reason and the legal basis the complainant
        is told (Law on Complaints Art. 11, 27; Law on Denunciations Art. 29)."""
        self._require("refuse")
        reason = self._require_text(self.id, "reason", reason)
        legal_basis = self._require_text(self.id, "legal_basis", legal_basis, max_length=500)
        self._refuse(actor=actor, reason=reason, legal_basis=legal_basis, timestamp=timestamp)

    @event("Refused")
    def _refuse(self, actor: Principal, reason: str, legal_basis: str, timestamp: datetime) -> None:
        self._stop(S.REFUSED)
        self.refusal_reason = reason
        self.refusal_legal_basis = legal_basis

    # The handling steps' event bodies (``grievance_steps``), declared as this class's own events.
    _forward = event("Forwarded")(GrievanceSteps._forward)
    _extend_preliminary_check = event("PreliminaryCheckExtended")(GrievanceSteps._extend_preliminary_check)
    _start_verification = event("VerificationStarted")(GrievanceSteps._start_verification)
    _hold_dialogue = event("DialogueHeld")(GrievanceSteps._hold_dialogue)
    _extend = event("Extended")(GrievanceSteps._extend)

    # Declared here, before Withdrawn, as it was first (the catalogue lists events in this order).
    _close = event("Closed")(entering(S.CLOSED))

    def decide(
        self, actor: Principal, decision: str, late_explanation: str | None = None, *, timestamp: datetime
    ) -> None:
        """Issue the complaint decision (quyết định giải quyết khiếu nại). Past
        the resolve deadline it needs a late explanation (giải trình, issue #16)."""
        self._issue_answer("decide", "decision", actor, decision, late_explanation, timestamp)

    class Decided(LateExplanationAdded, Case.Event):
        """Version 2 carries the late explanation of a complaint decided past
        its deadline; earlier events had none."""

        actor: Principal
        decision: str
        late_explanation: str | None

    @event(Decided)
    def _decide(self, actor: Principal, decision: str, late_explanation: str | None, timestamp: datetime) -> None:
        self._stop(S.DECIDED)
        self.decision = decision
        self.late_explanation = late_explanation
        self.decided_at = timestamp

    def conclude(
        self, actor: Principal, conclusion: str, late_explanation: str | None = None, *, timestamp: datetime
    ) -> None:
        """Issue the conclusion on the denounced content (kết luận nội dung tố
        cáo). Past the resolve deadline it needs a late explanation (giải trình)."""
        self._issue_answer("conclude", "conclusion", actor, conclusion, late_explanation, timestamp)

    class Concluded(LateExplanationAdded, Case.Event):
        """Version 2 carries the late explanation of a denunciation concluded
        past its deadline; earlier events had none."""

        actor: Principal
        conclusion: str
        late_explanation: str | None

    @event(Concluded)
    def _conclude(self, actor: Principal, conclusion: str, late_explanation: str | None, timestamp: datetime) -> None:
        self._stop(S.CONCLUDED)
        self.conclusion = conclusion
        self.late_explanation = late_explanation
        self.concluded_at = timestamp

    def close(self, actor: Principal, *, timestamp: datetime) -> None:
        """Close the file once the decision or conclusion is issued."""
        self._take_step("close", actor, timestamp)

    # -- complainant commands -------------------------------------------------

    def withdraw(self, actor: Principal, reason: str, *, timestamp: datetime) -> None:
        """The complainant withdraws (rút đơn) before the decision or conclusion;
        resolution ends (Law on Complaints Art. 10)."""
        self._take_step("withdraw", actor, timestamp, reason=reason)

    @event("Withdrawn")
    def _withdraw(self, actor: Principal, reason: str, timestamp: datetime) -> None:
        self._stop(S.WITHDRAWN)
        self.withdrawal_reason = reason
