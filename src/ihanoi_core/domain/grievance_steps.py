"""The handling steps of a grievance between acceptance and decision:
forwarding to the competent agency (chuyển đơn), a denunciation's extended
preliminary check, verification (xác minh), a complaint's dialogue (đối thoại)
and the extension of the resolution period. ``GrievanceSteps`` is a mixin of
``Grievance``, which declares its event bodies as its own events, so they keep
their topics (``…grievance:Grievance.Forwarded``; ``service_request_steps``
explains the pattern).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from ihanoi_core.domain.grievance_values import MAX_TEXT, ComplaintStatus, Complexity, Deadlines
from ihanoi_core.domain.values import Clock, DeadlineCalendar, DeadlineRule, Principal, deadline
from ihanoi_core.errors import RuleViolationError

if TYPE_CHECKING:
    from ihanoi_core.domain.case import Case

    _Grievance = Case
else:
    _Grievance = object

S = ComplaintStatus


class GrievanceSteps(_Grievance):
    """Forwarding, the preliminary check's extension, verification, dialogue,
    extension. Mixed into ``Grievance`` only."""

    if TYPE_CHECKING:
        preliminary_extended: bool
        forward_due_at: datetime | None
        dialogue_summary: str | None
        extension_count: int

        # The rule policy each kind gives (``Grievance``).
        def _require_approver(self, actor: Principal, command: str) -> None: ...
        def _running_clock(self) -> Clock: ...
        def _receipt_rule(self, deadlines: Deadlines) -> DeadlineRule: ...
        @classmethod
        def _forward_due(
            cls, deadlines: Deadlines, calendar: DeadlineCalendar, received_at: datetime
        ) -> datetime | None: ...
        def _extended_clock(self, deadlines: Deadlines, complexity: Complexity) -> Clock: ...

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
        self._require("forward")
        if to_agency == self.agency:
            raise RuleViolationError(self.id, "to_agency", "The case is already with that agency.")
        reason = self._require_text(self.id, "reason", reason)
        clock = Clock(started_at=timestamp, rule=self._receipt_rule(deadlines))
        self._forward(
            actor=actor,
            from_agency=self.agency or "",
            to_agency=to_agency,
            reason=reason,
            **deadline(calendar, clock),
            forward_due_at=self._forward_due(deadlines, calendar, timestamp),
            timestamp=timestamp,
        )

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
        self._hand_over(S.FORWARDED, to_agency, clock, due_at)
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
        self._require("extend_preliminary_check")
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
            **deadline(calendar, clock),
            timestamp=timestamp,
        )

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
        self._require("start_verification")
        if self.assignee is None:
            raise RuleViolationError(self.id, "assignee", "Assign a handler before verification starts.")
        self._start_verification(actor=actor, timestamp=timestamp)

    def _start_verification(self, actor: Principal, timestamp: datetime) -> None:
        self.status = S.VERIFYING

    def hold_dialogue(self, actor: Principal, summary: str, *, timestamp: datetime) -> None:
        """Record a dialogue with the complainant (đối thoại), held when their
        requests and the verification results differ (Law on Complaints Art. 30)."""
        self._require("hold_dialogue")
        summary = self._require_text(self.id, "summary", summary, max_length=MAX_TEXT)
        self._hold_dialogue(actor=actor, summary=summary, timestamp=timestamp)

    def _hold_dialogue(self, actor: Principal, summary: str, timestamp: datetime) -> None:
        self.status = S.DIALOGUE
        self.dialogue_summary = summary

    def extend(
        self,
        actor: Principal,
        reason: str,
        *,
        complexity: Complexity = Complexity.COMPLEX,
        deadlines: Deadlines,
        calendar: DeadlineCalendar,
        timestamp: datetime,
    ) -> None:
        """Extend the resolution period with the reason, the approving leader and
        how complex the case is on record: a complaint switches to the complex
        period; a denunciation gains another extension period, once when complex
        and twice only when especially complex (Law on Denunciations Art. 30)."""
        self._require("extend")
        self._require_approver(actor, "extend")
        reason = self._require_text(self.id, "reason", reason)
        clock = self._extended_clock(deadlines, Complexity(complexity))
        self._extend(
            actor=actor,
            reason=reason,
            approver=actor.subject,
            **deadline(calendar, clock),
            complexity=Complexity(complexity),
            timestamp=timestamp,
        )

    def _extend(
        self,
        actor: Principal,
        reason: str,
        approver: str,
        clock: Clock,
        due_at: datetime,
        timestamp: datetime,
        # Recorded since the extension says how complex the case is; events
        # stored before then have none and load with None.
        complexity: Complexity | None = None,
    ) -> None:
        self.extension_count += 1
        self.clock = clock
        self.due_at = due_at
