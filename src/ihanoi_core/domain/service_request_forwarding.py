"""Inter-agency steps of a dossier (liên thông): the handling agency forwards
the dossier to a partner agency for its step, due within a sub-deadline that
must fit in the dossier's own time, and the partner hands it back.

``DossierForwarding`` is a mixin of ``ServiceRequest``, which declares its
event bodies as its own events (``service_request_steps`` says why).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from ihanoi_core.domain.service_request_steps import DossierSteps
from ihanoi_core.domain.service_request_values import FORWARD_BASIS, DossierStatus
from ihanoi_core.domain.values import Clock, DeadlineCalendar, DeadlineRule, Principal, TimeUnit
from ihanoi_core.errors import ForbiddenError, RuleViolationError, ValidationError

S = DossierStatus


class DossierForwarding(DossierSteps):
    """Forwarding a dossier to a partner agency and its return."""

    if TYPE_CHECKING:
        forwarded_to: str | None
        forward_clock: Clock | None
        forward_due_at: datetime | None

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
        self._require("forward")
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

    # The body of ServiceRequest.Forwarded (declared there).
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
        self._require("return")
        if actor.is_staff and actor.agency != self.forwarded_to:
            raise ForbiddenError("return", actor.role.value, self.id)
        note = self._optional_text("note", note)
        self._return_from_forwarding(actor=actor, from_agency=self.forwarded_to or "", note=note, timestamp=timestamp)

    # The body of ServiceRequest.ReturnedFromForwarding (declared there).
    def _return_from_forwarding(
        self, actor: Principal, from_agency: str, note: str | None, timestamp: datetime
    ) -> None:
        self._enter(S.PROCESSING)
        self.forwarded_to = None
        self.forward_clock = None
        self.forward_due_at = None
