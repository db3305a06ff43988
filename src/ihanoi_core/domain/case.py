"""What every case has in common ("rõ người, rõ việc, rõ thời gian").

A case always has a human code, a responsible agency, an assignee once
accepted, and a due time; its history from receipt to result is its event
stream ("xuyên suốt"). Concrete aggregates (``Report``, ``Complaint``,
``ServiceRequest``, ``Survey``) subclass ``Case``.

Rules of this package: commands (public methods) check and compute, then call
a private ``@event`` method that only assigns. Every event carries ``actor``
(who acted: subject, role, agency) and ``timestamp`` (when, passed in by the
application's clock — no clock reads here).

Each aggregate declares its events' personal fields in ``PERSONAL_DATA`` (see
``personal``) and what its state holds of them in ``ERASED_STATE``: when the
case's data subject is erased, ``PersonalDataErased`` sets those attributes to
what a replay of the sealed events now gives, so a case kept in memory and one
loaded afresh agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from ihanoi_core.domain.case_steps import CaseSteps
from ihanoi_core.domain.personal import ACTOR, Personal, declare_personal_data
from ihanoi_core.domain.running_clocks import (
    Mark,
    RunningClock,
    coowner_clock,
    coowner_key,
    key_of_mark,
    main_key,
    main_of,
)
from ihanoi_core.domain.values import Clock, Principal, Role
from ihanoi_core.errors import RuleViolationError


class Case(CaseSteps, Aggregate):
    """Base of every case aggregate. Subclasses set ``kind``, ``code_prefix``
    and ``FINAL_STATUSES`` and define their own ``__init__`` event."""

    kind: ClassVar[str] = "case"
    code_prefix: ClassVar[str] = "CS"
    # Attributes holding personal data, hidden from principals not entitled to it.
    PERSONAL_FIELDS: ClassVar[tuple[str, ...]] = ("owner", "contact")
    # event name -> its personal fields (only those the class declares itself;
    # every event's ``actor`` is added by ``Event``).
    PERSONAL_DATA: ClassVar[Mapping[str, Mapping[str, Personal]]] = {}
    # attribute -> what it reads as once the case's data subject is erased.
    ERASED_STATE: ClassVar[Mapping[str, object]] = {"owner": None}

    class Event(Aggregate.Event):
        """Base of every case event: its ``actor`` is personal when a citizen acted."""

        personal_data: ClassVar[Mapping[str, Personal]] = {"actor": ACTOR}

    def __init_subclass__(cls, **kwargs: object) -> None:
        # After the library has made the event classes of the subclass's
        # ``@event`` methods: only then can their declarations be attached.
        super().__init_subclass__(**kwargs)  # type: ignore[arg-type]
        declare_personal_data(cls, cls.__dict__.get("PERSONAL_DATA", {}))

    if TYPE_CHECKING:
        # Set by each subclass's creation event. Declared here for type checkers
        # only: class annotations would become fields of the "Created" event.
        code: str
        status: str
        agency: str | None
        owner: str | None
        assignee: str | None
        clock: Clock | None
        due_at: datetime | None
        public_note: str | None
        # Deadline watcher (issue #16): thresholds already recorded, the
        # agencies above that became co-owners when the case was escalated,
        # and the keys of their own clocks (``running_clocks``).
        deadline_marks: tuple[str, ...]
        escalated_to: tuple[str, ...]
        # Legally required notices delivered (issue #14): their outbox ids.
        notices_delivered: tuple[str, ...]
        coowner_clocks: tuple[str, ...]
    else:
        # Class defaults, so cases stored before the watcher existed load with none.
        deadline_marks = ()
        escalated_to = ()
        notices_delivered = ()
        coowner_clocks = ()

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL_STATUSES

    @property
    def agencies(self) -> tuple[str, ...]:
        """Agencies whose staff may see this case now: the responsible one and
        any agency above it the case was escalated to (a co-owner; the case
        stays one case, "xuyên suốt")."""
        own = (self.agency,) if self.agency else ()
        return own + tuple(code for code in self.escalated_to if code not in own)

    @property
    def clock_key(self) -> str | None:
        """Which running deadline this is, for the watcher's deterministic
        threshold marks: its start and its due time. An extension or a resume
        gives a new due time, so a new key and fresh thresholds; ``None`` when
        no clock runs (final, paused, waiting on nobody)."""
        clock = getattr(self, "clock", None)
        if self.is_final or self.due_at is None or clock is None:
            return None
        return main_key(clock.started_at, self.due_at)

    def running_clocks(self) -> list[RunningClock]:
        """Every deadline of the case running now (``running_clocks``): its
        own, then the co-owners' own deadlines that belong to it."""
        key = self.clock_key
        if key is None or self.agency is None or self.due_at is None:
            return []
        assert self.clock is not None
        found = [RunningClock(key, "main", self.agency, self.assignee, self.clock.started_at, self.due_at)]
        found.extend(coowner_clock(other) for other in self.coowner_clocks if main_of(other) == key)
        return found

    def running_clock(self, clock_key: str) -> RunningClock | None:
        return next((clock for clock in self.running_clocks() if clock.key == clock_key), None)

    def is_late(self, at: datetime) -> bool:
        """Whether the running deadline has passed at ``at``."""
        return self.due_at is not None and at > self.due_at

    @property
    def is_public(self) -> bool:
        """Whether every citizen may read this case (only published surveys)."""
        return False

    def can_read_personal(self, principal: Principal) -> bool:
        """Personal data is for the person it is about and the staff handling
        the case; auditors and other agencies see it redacted."""
        if principal.role is Role.SYSTEM:
            return True
        if principal.role is Role.CITIZEN:
            return self.owner is not None and principal.subject == self.owner
        if principal.role is Role.BUSINESS:
            business = getattr(self, "business", None)
            return business is not None and business == principal.organisation
        return principal.is_staff and principal.agency in self.agencies

    def pseudonymised_fields(self) -> dict[str, object]:
        """Replacement values shown where personal fields are redacted."""
        return {}

    def _begin(
        self,
        code: str,
        status: str,
        agency: str | None,
        *,
        owner: str | None = None,
        clock: Clock | None = None,
        due_at: datetime | None = None,
    ) -> None:
        """What a creation event sets on every case; nobody assigned, no note yet."""
        self.code = code
        self.status = status
        self.agency = agency
        self.owner = owner
        self.assignee = None
        self.clock = clock
        self.due_at = due_at
        self.public_note = None

    # -- shared commands ------------------------------------------------

    def comment(self, actor: Principal, note: str, *, timestamp: datetime) -> None:
        """Add a public answer note (visible to the citizen and, for reports, the public)."""
        self._take_step("comment", actor, timestamp, note=note)

    @event("Commented")
    def _comment(self, actor: Principal, note: str, timestamp: datetime) -> None:
        self.public_note = note

    def assign(self, actor: Principal, assignee: str, *, timestamp: datetime) -> None:
        """Name the officer who handles the case (rõ người)."""
        self._require("assign")
        assignee = self._require_text(self.id, "assignee", assignee, max_length=200)
        self._assign(actor=actor, assignee=assignee, timestamp=timestamp)

    @event("Assigned")
    def _assign(self, actor: Principal, assignee: str, timestamp: datetime) -> None:
        self.assignee = assignee
        self._status_after_assign()

    def _hand_over(self, status: str, to_agency: str, clock: Clock, due_at: datetime) -> None:
        """Another agency receives the case anew, on its own clock, with nobody
        assigned there yet (called from event bodies only)."""
        self.status, self.agency, self.assignee = status, to_agency, None
        self.clock, self.due_at = clock, due_at

    def _status_after_assign(self) -> None:
        """Subclasses move their status here when assigning implies it."""

    # -- the deadline watcher's facts (issue #16) ---------------------------

    def _require_mark(self, clock_key: str, threshold: str) -> Mark | None:
        """The mark of ``threshold`` on the running clock ``clock_key``, with
        who holds that clock and its due time; raises ``RuleViolationError``
        when that clock no longer runs (the case moved on since the watcher
        read it), and returns ``None`` when the mark is already recorded (a
        second watcher, a retried round): the command is then a no-op, which
        is what makes each threshold fire once."""
        clock = self.running_clock(clock_key)
        if clock is None:
            raise RuleViolationError(self.id, "deadline_clock", f"the clock {clock_key} no longer runs on this case")
        mark = clock.mark(threshold)
        return None if mark["mark"] in self.deadline_marks else mark

    def remind_deadline(
        self, actor: Principal, clock_key: str, threshold: str, at: datetime, *, timestamp: datetime
    ) -> None:
        """Record that the assignee and their leader were reminded at ``at``
        (a share of the time used, or the last working hour), once per clock.
        On a co-owner's or a partner's clock, that agency is the one reminded."""
        if mark := self._require_mark(clock_key, threshold):
            self._remind_deadline(actor=actor, threshold=threshold, at=at, timestamp=timestamp, **mark)

    @event("DeadlineReminded")
    def _remind_deadline(
        self,
        actor: Principal,
        mark: str,
        threshold: str,
        at: datetime,
        due_at: datetime | None,
        agency: str | None,
        assignee: str | None,
        timestamp: datetime,
    ) -> None:
        self.deadline_marks = (*self.deadline_marks, mark)

    def record_deadline_missed(self, actor: Principal, clock_key: str, *, timestamp: datetime) -> None:
        """Record that the running deadline passed unmet, with who held the case
        then (agency and assignee): "rõ trách nhiệm". Once per clock."""
        if mark := self._require_mark(clock_key, "missed"):
            self._record_deadline_missed(actor=actor, timestamp=timestamp, **mark)

    @event("DeadlineMissed")
    def _record_deadline_missed(
        self,
        actor: Principal,
        mark: str,
        due_at: datetime | None,
        agency: str | None,
        assignee: str | None,
        timestamp: datetime,
    ) -> None:
        self.deadline_marks = (*self.deadline_marks, mark)

    def escalate_for_overdue(
        self,
        actor: Principal,
        clock_key: str,
        to_agency: str,
        at: datetime,
        escalation_due_at: datetime,
        *,
        timestamp: datetime,
    ) -> None:
        """Escalate the overdue case to the agency above (``to_agency``), which
        becomes a co-owner with its own deadline ``escalation_due_at``. Once
        per clock; from a co-owner's clock, the co-owner is who escalates."""
        if mark := self._require_mark(clock_key, "escalation"):
            self._escalate_for_overdue(
                actor=actor,
                mark=mark["mark"],
                from_agency=mark["agency"],
                to_agency=to_agency,
                assignee=mark["assignee"],
                at=at,
                escalation_due_at=escalation_due_at,
                timestamp=timestamp,
            )

    @event("EscalatedForOverdue")
    def _escalate_for_overdue(
        self,
        actor: Principal,
        mark: str,
        from_agency: str | None,
        to_agency: str,
        assignee: str | None,
        at: datetime,
        escalation_due_at: datetime,
        timestamp: datetime,
    ) -> None:
        self.deadline_marks = (*self.deadline_marks, mark)
        if to_agency not in self.escalated_to:
            self.escalated_to = (*self.escalated_to, to_agency)
        # The co-owner's own deadline, running while the clock it escalated from runs.
        own = coowner_key(main_of(key_of_mark(mark)), to_agency, at, escalation_due_at)
        self.coowner_clocks = (*self.coowner_clocks, own)

    # -- notices the law requires the person to receive (issue #14) --------

    def record_notice_delivered(
        self, actor: Principal, notice: str, channel: str, kind: str, delivered_at: datetime, *, timestamp: datetime
    ) -> bool:
        """Record that the legally required notice ``notice`` (its outbox id:
        the apology for a late dossier, a decision) reached the person on
        ``channel`` at ``delivered_at``. Once per notice: a second report of
        the same delivery changes nothing (False). Valid in every status: a
        decision notice often follows the final one. No address is recorded."""
        if notice in self.notices_delivered:
            return False
        self._record_notice_delivered(
            actor=actor, notice=notice, channel=channel, kind=kind, delivered_at=delivered_at, timestamp=timestamp
        )
        return True

    @event("NoticeDelivered")
    def _record_notice_delivered(
        self, actor: Principal, notice: str, channel: str, kind: str, delivered_at: datetime, timestamp: datetime
    ) -> None:
        self.notices_delivered = (*self.notices_delivered, notice)

    def erase_personal_data(self, actor: Principal, erasure: UUID, *, timestamp: datetime) -> None:
        """Record that the personal data of this case's data subject was erased
        by the erasure ``erasure`` (its key destroyed): whatever the case holds
        of it reads as erased from now on. Valid in every status, final ones too."""
        self._erase_personal_data(actor=actor, erasure=erasure, timestamp=timestamp)

    @event("PersonalDataErased")
    def _erase_personal_data(self, actor: Principal, erasure: UUID, timestamp: datetime) -> None:
        for name, erased in self.ERASED_STATE.items():
            if getattr(self, name, None) is not None:
                setattr(self, name, erased)
