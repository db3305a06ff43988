"""What the parts of a dossier share: ``DossierSteps`` is the base of the
mixins ``ServiceRequest`` is assembled from, one per topic of its lifecycle
(``service_request_pauses``, ``service_request_forwarding``,
``service_request_apology``). It holds the checks every step makes and declares,
for type checkers, the attributes the creation event sets.

The mixins are plain classes, not aggregates, and their event bodies are plain
methods: an ``@event`` method defined on a base class triggers an event nested
on that base, stored under the base's topic. ``ServiceRequest`` declares each
body as one of its own events (``_suspend = event("Suspended")(DossierPauses._suspend)``),
so they are stored as ``ihanoi_core.domain.service_request:ServiceRequest.Suspended``,
as they were before the steps moved out of that module. A body not declared
there would change the dossier without recording an event; a test checks that
every one is (``tests/integration/test_service_request_topics.py``).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from ihanoi_core.domain.service_request_values import DossierStatus
from ihanoi_core.domain.values import Principal
from ihanoi_core.errors import ForbiddenError, RuleViolationError

if TYPE_CHECKING:
    from ihanoi_core.domain.case import Case

    # Type checkers see the case the mixins are always mixed into; at run
    # time they are plain classes, so they define no events of their own.
    _Dossier = Case
else:
    _Dossier = object


class DossierSteps(_Dossier):
    """The checks every step of a dossier makes. Mixed into ``ServiceRequest``
    only, never instantiated or stored itself."""

    if TYPE_CHECKING:
        # Set by ServiceRequest's creation event (class annotations on an
        # aggregate would become fields of its "Created" event).
        national_status: int
        appointment_at: datetime | None

    def _enter(self, status: DossierStatus) -> None:
        """Set the status and its national code together (called by event bodies)."""
        self.status = status
        self.national_status = status.number

    def _end(self, status: DossierStatus, reason: str) -> None:
        """End the dossier without a result (rejected, withdrawn), the reason
        as its public note; no deadline runs any more (called from event bodies)."""
        self._enter(status)
        self.public_note = reason
        self.due_at = None

    def _require_on_time(self, command: str, timestamp: datetime) -> None:
        """Past the appointment date, nothing moves until the apology is issued."""
        if self.appointment_at is not None and self.due_at is not None and timestamp > self.due_at:
            raise RuleViolationError(
                self.id,
                "apology_required",
                f"The dossier passed its appointment date {self.due_at.isoformat()}; the agency's "
                f"leader must issue an apology with a new appointment date (phiếu xin lỗi) "
                f"before it can {command.replace('_', ' ')}.",
            )

    def _require_handling_agency(self, actor: Principal, command: str) -> None:
        """A partner agency sees a forwarded dossier; it may comment on its part
        and return it, but every other step belongs to the handling agency."""
        if actor.is_staff and actor.agency != self.agency:
            raise ForbiddenError(command, actor.role.value, self.id)

    def _optional_text(self, rule: str, text: str | None, max_length: int = 4000) -> str | None:
        if text is None or not text.strip():
            return None
        return self._require_text(self.id, rule, text, max_length)
