"""The ways a report leaves its agency's hands other than by being resolved:
rejected, marked a duplicate, transferred to another agency, or declared not
the agency's responsibility. ``ReportExits`` is a mixin of ``Report``, which
declares its event bodies (and the versioned event classes) as its own, so
they keep their topics (``service_request_steps`` explains the pattern).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from ihanoi_core.domain.report_values import ReportStatus as S
from ihanoi_core.domain.values import Clock, DeadlineCalendar, DeadlineRule, Principal, deadline
from ihanoi_core.errors import RuleViolationError

if TYPE_CHECKING:
    from ihanoi_core.domain.case import Case

    _Report = Case
else:
    _Report = object


class ReportExits(_Report):
    """Rejecting, marking a duplicate, transferring, declaring not responsible.
    Mixed into ``Report`` only."""

    if TYPE_CHECKING:
        clock: Clock
        duplicate_of: UUID | None
        responsible: str | None
        public_note: str | None

    def _exit(self, status: S, public_note: str) -> None:
        """Leave the agency's hands with the note the public reads; no deadline
        runs any more (called from event bodies only)."""
        self.status = status
        self.public_note = public_note
        self.due_at = None

    def reject(self, actor: Principal, reason: str, *, timestamp: datetime) -> None:
        """Refuse: out of scope, spam, or belongs to the complaint channel."""
        self._take_step("reject", actor, timestamp, reason=reason)

    def _reject(self, actor: Principal, reason: str, timestamp: datetime) -> None:
        self._exit(S.REJECTED, reason)

    def mark_duplicate(
        self, actor: Principal, original: UUID, original_code: str, public_note: str, *, timestamp: datetime
    ) -> None:
        """Close as a duplicate of an earlier report, with the note the public reads."""
        self._require("mark_duplicate")
        if original == self.id:
            raise RuleViolationError(self.id, "duplicate_of", "A report cannot duplicate itself.")
        self._mark_duplicate(
            actor=actor, original=original, original_code=original_code, public_note=public_note, timestamp=timestamp
        )

    def _mark_duplicate(
        self, actor: Principal, original: UUID, original_code: str, public_note: str, timestamp: datetime
    ) -> None:
        self._exit(S.DUPLICATE, public_note)
        self.duplicate_of = original

    def transfer(
        self,
        actor: Principal,
        to_agency: str,
        reason: str,
        *,
        acknowledge_rule: DeadlineRule,
        calendar: DeadlineCalendar,
        timestamp: datetime,
    ) -> None:
        """Hand over to another agency, which must acknowledge it anew; history stays."""
        self._require("transfer")
        if to_agency == self.agency:
            raise RuleViolationError(self.id, "to_agency", "The report is already with that agency.")
        reason = self._require_text(self.id, "reason", reason)
        clock = Clock(started_at=timestamp, rule=acknowledge_rule)
        self._transfer(
            actor=actor,
            from_agency=self.agency or "",
            to_agency=to_agency,
            reason=reason,
            **deadline(calendar, clock),
            timestamp=timestamp,
        )

    def _transfer(
        self,
        actor: Principal,
        from_agency: str,
        to_agency: str,
        reason: str,
        clock: Clock,
        due_at: datetime,
        timestamp: datetime,
    ) -> None:
        self._hand_over(S.TRANSFERRED, to_agency, clock, due_at)

    def declare_not_responsible(
        self, actor: Principal, responsible: str, public_note: str, *, timestamp: datetime
    ) -> None:
        """Close because another body is responsible, saying which, with the note the public reads."""
        self._require("declare_not_responsible")
        responsible = self._require_text(self.id, "responsible", responsible, max_length=500)
        self._declare_not_responsible(
            actor=actor, responsible=responsible, public_note=public_note, timestamp=timestamp
        )

    def _declare_not_responsible(
        self, actor: Principal, responsible: str, public_note: str, timestamp: datetime
    ) -> None:
        self._exit(S.NOT_RESPONSIBLE, public_note)
        self.responsible = responsible
