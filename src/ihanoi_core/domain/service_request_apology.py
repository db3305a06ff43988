"""Late dossiers: once the appointment date has passed, the handling agency
must issue an apology with a new appointment date (phiếu xin lỗi và hẹn lại
ngày trả kết quả) before it may process further (``_require_on_time``).

``DossierApology`` is a mixin of ``ServiceRequest``, which declares its event
body as its own event (``service_request_steps`` says why).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from ihanoi_core.domain.service_request_steps import DossierSteps
from ihanoi_core.domain.service_request_values import APOLOGY_BASIS
from ihanoi_core.domain.values import Clock, DeadlineCalendar, DeadlineRule, Principal, TimeUnit
from ihanoi_core.errors import RuleViolationError, ValidationError


class DossierApology(DossierSteps):
    """The apology with a new appointment date."""

    if TYPE_CHECKING:
        apology_count: int

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
        self._require("apologize")
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

    # The body of ServiceRequest.ApologyIssued (declared there).
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
