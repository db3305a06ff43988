"""Denunciation (tố cáo): a citizen reports an official's breach of the law,
under the Law on Denunciations 2018. The lifecycle it shares with complaints is
``Grievance``'s; this module holds its rules and the sealed identity.

``filed`` opens a preliminary check (7 working days, extendable once to 10;
forward within 5 if not competent, Art. 24) ``→ accepted | refused |
forwarded → verifying → concluded → closed``, plus ``withdrawn``; resolution
30 days after acceptance, extended by 30 days with a leader's approval once
when the case is complex and a second time only when it is especially complex
(Art. 30). The denouncer's identity is sealed (Art. 8, 9): only the
assigned handler, the handling agency's leader and the denouncer read it;
everyone else sees a stable pseudonym.

Events stored before this class moved here name ``ihanoi_core.domain.complaint``
and still load (``ihanoi_core.events.topics``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import ClassVar, Unpack
from uuid import UUID

from eventsourcing.domain import event

from ihanoi_core.domain.grievance import Grievance
from ihanoi_core.domain.grievance_values import (
    FILED_PERSONAL_DATA,
    ComplainantIdentity,
    ComplaintStatus,
    Complexity,
    Deadlines,
    Filing,
)
from ihanoi_core.domain.personal import Personal
from ihanoi_core.domain.values import Clock, DeadlineCalendar, DeadlineRule, Principal, Role
from ihanoi_core.errors import RuleViolationError

S = ComplaintStatus


_DENUNCIATION_OPEN = (S.PRELIMINARY_CHECK, S.FORWARDED)
_DENUNCIATION_RESOLVING = (S.ACCEPTED, S.VERIFYING)


class Denunciation(Grievance):
    """A denunciation (tố cáo), with the denouncer's identity sealed."""

    kind: ClassVar[str] = "denunciation"
    code_prefix: ClassVar[str] = "TC"
    PERSONAL_DATA: ClassVar[Mapping[str, Mapping[str, Personal]]] = {"Filed": FILED_PERSONAL_DATA}
    # Art. 30(2)-(3): once if complex, twice if especially complex.
    MAX_EXTENSIONS: ClassVar[Mapping[Complexity, int]] = {Complexity.COMPLEX: 1, Complexity.ESPECIALLY_COMPLEX: 2}
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
    def file(cls, **filing: Unpack[Filing]) -> Denunciation:
        """File a denunciation with the agency managing the denounced official;
        its preliminary check starts at once. The denouncer must be identified."""
        checked = cls._checked_filing(filing, sealed=True)
        deadlines = filing["deadlines"]
        return cls._file(
            checked,
            deadlines["denunciation_preliminary"],
            forward_due_at=cls._forward_due(deadlines, filing["calendar"], filing["timestamp"]),
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
        self._begin(code, S.PRELIMINARY_CHECK, respondent_agency, owner=owner, clock=clock, due_at=due_at)
        self._receive(subject, content, complainant, respondent_agency=respondent_agency, ward=ward)
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

    @classmethod
    def _forward_due(cls, deadlines: Deadlines, calendar: DeadlineCalendar, received_at: datetime) -> datetime:
        return calendar.due(Clock(started_at=received_at, rule=deadlines["denunciation_forward"]))

    def _extended_clock(self, deadlines: Deadlines, complexity: Complexity) -> Clock:
        extension = deadlines["denunciation_extension"]
        allowed = self.MAX_EXTENSIONS[complexity]
        if self.extension_count >= allowed:
            raise RuleViolationError(
                self.id,
                "extension",
                "A complex denunciation is extended once; only an especially complex one a second time, "
                f"and never a third ({extension.legal_basis}).",
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
