"""Report (phản ánh hiện trường): a citizen's field report — a pothole, a
flooded street, uncollected waste. Open311 calls it a "service request".

Lifecycle (DESIGN §3.1):
``submitted → acknowledged → assigned → in_progress → resolved → closed``, with
the exits ``rejected``, ``duplicate``, ``transferred`` (to another agency, which
must acknowledge again), ``not_responsible`` and ``reopened`` (by the reporter
within the reopen window after resolution: back to ``in_progress``, counted
against the agency). While a report is open, other citizens who meet the same
problem may *support* it ("tôi cũng gặp") instead of filing a duplicate: each
counts once, recorded under a keyed pseudonym, never by name. Two clocks run: acknowledge within 8 working hours of
receipt, then resolve within the priority's period after acknowledgement
(QĐ 1207/QĐ-UBND). Each deadline is computed when decided and stored in the
event.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar, Unpack
from uuid import UUID

from eventsourcing.domain import event

from ihanoi_core.domain.case import Case
from ihanoi_core.domain.event_versions import LateExplanationAdded, PublicNoteAdded
from ihanoi_core.domain.report_exits import ReportExits
from ihanoi_core.domain.report_public import ReportPublicSide
from ihanoi_core.domain.report_values import (
    AWAITING_ACKNOWLEDGEMENT,
    ERASED_STATE,
    OPEN_STATUSES,
    PERSONAL_DATA,
    HiddenPhoto,
    Photo,
    ReportStatus,
    ReportSubmission,
)
from ihanoi_core.domain.report_values import ReportStatus as S
from ihanoi_core.domain.status_steps import entering
from ihanoi_core.domain.values import (
    Channel,
    Clock,
    Contact,
    DeadlineCalendar,
    DeadlineRule,
    Location,
    Principal,
    Priority,
    deadline,
)
from ihanoi_core.errors import RuleViolationError


class Report(ReportExits, ReportPublicSide, Case):
    """A field report, from receipt to result."""

    kind: ClassVar[str] = "report"
    code_prefix: ClassVar[str] = "PA"
    FINAL_STATUSES: ClassVar[frozenset[str]] = frozenset({S.CLOSED, S.REJECTED, S.DUPLICATE, S.NOT_RESPONSIBLE})
    TRANSITIONS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "acknowledge": AWAITING_ACKNOWLEDGEMENT,
        "assign": (S.ACKNOWLEDGED, S.ASSIGNED, S.IN_PROGRESS),
        "start": (S.ASSIGNED,),
        "resolve": (S.ASSIGNED, S.IN_PROGRESS),
        "close": (S.RESOLVED,),
        "reject": (*AWAITING_ACKNOWLEDGEMENT, S.ACKNOWLEDGED),
        "mark_duplicate": (*AWAITING_ACKNOWLEDGEMENT, S.ACKNOWLEDGED, S.ASSIGNED),
        "transfer": (*AWAITING_ACKNOWLEDGEMENT, S.ACKNOWLEDGED, S.ASSIGNED, S.IN_PROGRESS),
        "declare_not_responsible": (*AWAITING_ACKNOWLEDGEMENT, S.ACKNOWLEDGED),
        "reopen": (S.RESOLVED, S.CLOSED),
        "rate": (S.RESOLVED, S.CLOSED),
        # Photos: added while the agency still works on it or just answered
        # (its "after" photos); hidden whatever the status, closed reports too.
        "attach_photo": (*OPEN_STATUSES, S.RESOLVED),
        "hide_photo": tuple(S),
        "support": OPEN_STATUSES,
    }
    MAX_DESCRIPTION = 4000
    PERSONAL_DATA = PERSONAL_DATA
    ERASED_STATE = ERASED_STATE

    STATUSES: ClassVar[tuple[str, ...]] = tuple(ReportStatus)

    # -- creation ---------------------------------------------------------

    @classmethod
    def submit(
        cls,
        *,
        acknowledge_rule: DeadlineRule,
        calendar: DeadlineCalendar,
        attributes: Mapping[str, str | tuple[str, ...]] | None = None,
        **report: Unpack[ReportSubmission],
    ) -> Report:
        """File a report routed to ``agency``; the acknowledgement clock starts now.
        ``attributes`` are the answers to its category's extra questions (Open311
        service definition attributes), checked by the caller against the directory."""
        report["description"] = cls._require_text(None, "description", report["description"], cls.MAX_DESCRIPTION)
        clock = Clock(started_at=report["timestamp"], rule=acknowledge_rule)
        return cls(**report, attributes=dict(attributes or {}), **deadline(calendar, clock))

    class Submitted(Case.Created):
        """Version 2 added ``attributes``, the answers to the category's extra
        questions; version 1 had none (Open311 answers were written into the
        description), so its events load with none."""

        class_version = 2
        code: str
        actor: Principal
        category: str
        description: str
        location: Location
        agency: str
        priority: Priority
        channel: Channel
        reporter: str | None
        contact: Contact | None
        media_urls: tuple[str, ...]
        attributes: dict[str, str | tuple[str, ...]]
        clock: Clock
        due_at: datetime

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["attributes"] = {}

    @event(Submitted)
    def __init__(
        self,
        *,
        id: UUID,
        code: str,
        actor: Principal,
        category: str,
        description: str,
        location: Location,
        agency: str,
        priority: Priority,
        channel: Channel,
        reporter: str | None,
        contact: Contact | None,
        media_urls: tuple[str, ...],
        attributes: dict[str, str | tuple[str, ...]],
        clock: Clock,
        due_at: datetime,
        timestamp: datetime,
    ) -> None:
        self._begin(code, S.SUBMITTED, agency, owner=reporter, clock=clock, due_at=due_at)
        self.category = category
        self.description = description
        self.location = location
        self.priority = priority
        self.channel = channel
        self.contact = contact
        self.media_urls = media_urls
        self.attributes = attributes
        self.acknowledged_at: datetime | None = None
        self.resolved_at: datetime | None = None
        self.reopen_deadline: datetime | None = None
        self.late_explanation: str | None = None
        self.reopen_count = 0
        self.rating: int | None = None
        self.duplicate_of: UUID | None = None
        self.responsible: str | None = None
        # Set here, not in the event: reports filed before photos existed replay with none.
        self.photos: tuple[Photo, ...] = ()
        self.hidden_photos: tuple[HiddenPhoto, ...] = ()
        self.support_count = 0
        # The supporters' pseudonyms: private (``case_view`` leaves out names
        # starting with ``_``), only the count is shown.
        self._supporters: set[str] = set()

    # -- staff commands ---------------------------------------------------

    def acknowledge(
        self,
        actor: Principal,
        *,
        priority: Priority | None,
        resolve_rule: DeadlineRule,
        calendar: DeadlineCalendar,
        timestamp: datetime,
    ) -> None:
        """Receive the report for the agency (tiếp nhận) and start the resolve clock."""
        self._require("acknowledge")
        clock = Clock(started_at=timestamp, rule=resolve_rule)
        self._acknowledge(
            actor=actor,
            priority=priority or self.priority,
            **deadline(calendar, clock),
            timestamp=timestamp,
        )

    @event("Acknowledged")
    def _acknowledge(
        self, actor: Principal, priority: Priority, clock: Clock, due_at: datetime, timestamp: datetime
    ) -> None:
        self.status = S.ACKNOWLEDGED
        self.priority = priority
        self.clock = clock
        self.due_at = due_at
        if self.acknowledged_at is None:
            self.acknowledged_at = timestamp

    def _status_after_assign(self) -> None:
        if self.status == S.ACKNOWLEDGED:
            self.status = S.ASSIGNED

    def start(self, actor: Principal, *, timestamp: datetime) -> None:
        """The assignee starts work on site."""
        self._take_step("start", actor, timestamp)

    _start = event("Started")(entering(S.IN_PROGRESS))

    def resolve(
        self,
        actor: Principal,
        answer: str,
        *,
        reopen_window: DeadlineRule,
        calendar: DeadlineCalendar,
        timestamp: datetime,
        late_explanation: str | None = None,
    ) -> None:
        """Resolve with a public answer; the reporter may reopen until the window ends.
        Past its due time the resolver must explain the delay (giải trình,
        issue #16): the explanation is recorded and shown to the citizen."""
        reopen_deadline = calendar.due(Clock(started_at=timestamp, rule=reopen_window))
        self._issue_answer(
            "resolve", "answer", actor, answer, late_explanation, timestamp, reopen_deadline=reopen_deadline
        )

    class Resolved(LateExplanationAdded, Case.Event):
        """Version 2 carries the late explanation (giải trình) of a report
        resolved past its due time; earlier events had none."""

        actor: Principal
        answer: str
        reopen_deadline: datetime
        late_explanation: str | None

    @event(Resolved)
    def _resolve(
        self,
        actor: Principal,
        answer: str,
        reopen_deadline: datetime,
        late_explanation: str | None,
        timestamp: datetime,
    ) -> None:
        self.status = S.RESOLVED
        self.public_note = answer
        self.late_explanation = late_explanation
        self.resolved_at = timestamp
        self.reopen_deadline = reopen_deadline
        self.due_at = None

    def close(self, actor: Principal, *, timestamp: datetime) -> None:
        """Close a resolved report (after the citizen's rating or the reopen window)."""
        self._take_step("close", actor, timestamp)

    # The exits' event bodies (``report_exits``), declared as the report's own events.
    _close = event("Closed")(entering(S.CLOSED))
    _reject = event("Rejected")(ReportExits._reject)
    _transfer = event("Transferred")(ReportExits._transfer)

    class MarkedDuplicate(PublicNoteAdded, Case.Event):
        """Version 2 carries the public note the command wrote: composed in the
        event body before, a rewording would have rewritten past notes on replay."""

        V1_PUBLIC_NOTE = "Trùng với phản ánh {original_code}"
        actor: Principal
        original: UUID
        original_code: str
        public_note: str

    _mark_duplicate = event(MarkedDuplicate)(ReportExits._mark_duplicate)

    class DeclaredNotResponsible(PublicNoteAdded, Case.Event):
        """Version 2 carries the public note the command wrote (see ``MarkedDuplicate``)."""

        V1_PUBLIC_NOTE = "Không thuộc thẩm quyền; đơn vị chịu trách nhiệm: {responsible}"
        actor: Principal
        responsible: str
        public_note: str

    _declare_not_responsible = event(DeclaredNotResponsible)(ReportExits._declare_not_responsible)

    # -- reporter commands --------------------------------------------------

    def reopen(
        self,
        actor: Principal,
        reason: str,
        *,
        resolve_rule: DeadlineRule,
        calendar: DeadlineCalendar,
        timestamp: datetime,
    ) -> None:
        """The reporter says it is not fixed: back to ``in_progress`` with a new
        resolve clock. Only within the reopen window after resolution."""
        self._require("reopen")
        if self.reopen_deadline is None or timestamp > self.reopen_deadline:
            raise RuleViolationError(self.id, "reopen_window", "The reopen window after resolution has ended.")
        reason = self._require_text(self.id, "reason", reason)
        clock = Clock(started_at=timestamp, rule=resolve_rule)
        self._reopen(actor=actor, reason=reason, **deadline(calendar, clock), timestamp=timestamp)

    @event("Reopened")
    def _reopen(self, actor: Principal, reason: str, clock: Clock, due_at: datetime, timestamp: datetime) -> None:
        self.status = S.IN_PROGRESS
        self.reopen_count += 1
        self.clock = clock
        self.due_at = due_at
        self.resolved_at = None
        self.late_explanation = None
        self.reopen_deadline = None
        self.rating = None

    # The mixin's event bodies, declared as the report's own events (topics unchanged).
    _attach_photo = event("PhotoAttached")(ReportPublicSide._attach_photo)
    _hide_photo = event("PhotoHidden")(ReportPublicSide._hide_photo)
    _support = event("Supported")(ReportPublicSide._support)
    _rate = event("Rated")(ReportPublicSide._rate)
