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

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import event

from ihanoi_core.domain.case import Case
from ihanoi_core.domain.report_values import (
    AWAITING_ACKNOWLEDGEMENT,
    ERASED_STATE,
    OPEN_STATUSES,
    PERSONAL_DATA,
    HiddenPhoto,
    Photo,
    ReportStatus,
)
from ihanoi_core.domain.report_values import ReportStatus as S
from ihanoi_core.domain.values import (
    ANONYMOUS_SUBJECT,
    Channel,
    Clock,
    Contact,
    DeadlineCalendar,
    DeadlineRule,
    Location,
    Principal,
    Priority,
    Role,
)
from ihanoi_core.errors import RuleViolationError

# Recorded as the actor of a support instead of the citizen: the report's owner
# reads its history, and must not learn who else met the problem.
SUPPORTER = Principal(ANONYMOUS_SUBJECT, Role.CITIZEN)


class Report(Case):
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

    @classmethod
    def all_statuses(cls) -> Iterable[str]:
        return tuple(ReportStatus)

    # -- creation ---------------------------------------------------------

    @classmethod
    def submit(
        cls,
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
        acknowledge_rule: DeadlineRule,
        calendar: DeadlineCalendar,
        timestamp: datetime,
        attributes: Mapping[str, str | tuple[str, ...]] | None = None,
    ) -> Report:
        """File a report routed to ``agency``; the acknowledgement clock starts now.
        ``attributes`` are the answers to its category's extra questions (Open311
        service definition attributes), checked by the caller against the directory."""
        description = cls._require_text(None, "description", description, cls.MAX_DESCRIPTION)
        clock = Clock(started_at=timestamp, rule=acknowledge_rule)
        return cls(
            id=id,
            code=code,
            actor=actor,
            category=category,
            description=description,
            location=location,
            agency=agency,
            priority=priority,
            channel=channel,
            reporter=reporter,
            contact=contact,
            media_urls=media_urls,
            attributes=dict(attributes or {}),
            clock=clock,
            due_at=calendar.due(clock),
            timestamp=timestamp,
        )

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
        self.code = code
        self.status = S.SUBMITTED
        self.category = category
        self.description = description
        self.location = location
        self.agency = agency
        self.priority = priority
        self.channel = channel
        self.owner = reporter
        self.contact = contact
        self.media_urls = media_urls
        self.attributes = attributes
        self.clock = clock
        self.due_at = due_at
        self.assignee = None
        self.public_note = None
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
            clock=clock,
            due_at=calendar.due(clock),
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
        self._require("start")
        self._start(actor=actor, timestamp=timestamp)

    @event("Started")
    def _start(self, actor: Principal, timestamp: datetime) -> None:
        self.status = S.IN_PROGRESS

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
        self._require("resolve")
        answer = self._require_text(self.id, "answer", answer)
        explanation = self._explain_lateness(self.is_late(timestamp), late_explanation, self.due_at)
        reopen_deadline = calendar.due(Clock(started_at=timestamp, rule=reopen_window))
        self._resolve(
            actor=actor,
            answer=answer,
            reopen_deadline=reopen_deadline,
            late_explanation=explanation,
            timestamp=timestamp,
        )

    class Resolved(Case.Event):
        """Version 2 carries the late explanation (giải trình) of a report
        resolved past its due time; earlier events had none."""

        class_version = 2
        actor: Principal
        answer: str
        reopen_deadline: datetime
        late_explanation: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["late_explanation"] = None

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
        self._require("close")
        self._close(actor=actor, timestamp=timestamp)

    @event("Closed")
    def _close(self, actor: Principal, timestamp: datetime) -> None:
        self.status = S.CLOSED

    def reject(self, actor: Principal, reason: str, *, timestamp: datetime) -> None:
        """Refuse: out of scope, spam, or belongs to the complaint channel."""
        self._require("reject")
        self._reject(actor=actor, reason=self._require_text(self.id, "reason", reason), timestamp=timestamp)

    @event("Rejected")
    def _reject(self, actor: Principal, reason: str, timestamp: datetime) -> None:
        self.status = S.REJECTED
        self.public_note = reason
        self.due_at = None

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

    class MarkedDuplicate(Case.Event):
        """Version 2 carries the public note the command wrote: composed in the
        event body before, a rewording would have rewritten past notes on replay."""

        class_version = 2
        actor: Principal
        original: UUID
        original_code: str
        public_note: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            # The wording version-1 events were shown with: never change it.
            state["public_note"] = f"Trùng với phản ánh {state['original_code']}"

    @event(MarkedDuplicate)
    def _mark_duplicate(
        self, actor: Principal, original: UUID, original_code: str, public_note: str, timestamp: datetime
    ) -> None:
        self.status = S.DUPLICATE
        self.duplicate_of = original
        self.public_note = public_note
        self.due_at = None

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
            clock=clock,
            due_at=calendar.due(clock),
            timestamp=timestamp,
        )

    @event("Transferred")
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
        self.status = S.TRANSFERRED
        self.agency = to_agency
        self.assignee = None
        self.clock = clock
        self.due_at = due_at

    def declare_not_responsible(
        self, actor: Principal, responsible: str, public_note: str, *, timestamp: datetime
    ) -> None:
        """Close because another body is responsible, saying which, with the note the public reads."""
        self._require("declare_not_responsible")
        responsible = self._require_text(self.id, "responsible", responsible, max_length=500)
        self._declare_not_responsible(
            actor=actor, responsible=responsible, public_note=public_note, timestamp=timestamp
        )

    class DeclaredNotResponsible(Case.Event):
        """Version 2 carries the public note the command wrote (see ``MarkedDuplicate``)."""

        class_version = 2
        actor: Principal
        responsible: str
        public_note: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            # The wording version-1 events were shown with: never change it.
            state["public_note"] = f"Không thuộc thẩm quyền; đơn vị chịu trách nhiệm: {state['responsible']}"

    @event(DeclaredNotResponsible)
    def _declare_not_responsible(
        self, actor: Principal, responsible: str, public_note: str, timestamp: datetime
    ) -> None:
        self.status = S.NOT_RESPONSIBLE
        self.responsible = responsible
        self.public_note = public_note
        self.due_at = None

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
        self._reopen(actor=actor, reason=reason, clock=clock, due_at=calendar.due(clock), timestamp=timestamp)

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

    def rate(self, actor: Principal, stars: int, comment: str | None, *, timestamp: datetime) -> None:
        """The reporter rates the result, 1–5, once per resolution."""
        self._require("rate")
        if not 1 <= stars <= 5:
            raise RuleViolationError(self.id, "stars", "A rating is a whole number from 1 to 5.")
        if self.rating is not None:
            raise RuleViolationError(self.id, "rating", "This resolution has already been rated.")
        if comment is not None:
            comment = self._require_text(self.id, "comment", comment, max_length=1000)
        self._rate(actor=actor, stars=stars, comment=comment, timestamp=timestamp)

    @event("Rated")
    def _rate(self, actor: Principal, stars: int, comment: str | None, timestamp: datetime) -> None:
        self.rating = stars

    # -- photos -------------------------------------------------------------

    def attach_photo(self, actor: Principal, photo: Photo, *, max_photos: int, timestamp: datetime) -> None:
        """Attach a stored photo (by its hash): the reporter's evidence, or
        staff's photos of the site before and after the work. At most
        ``max_photos`` per report, each once."""
        self._require("attach_photo")
        if any(attached.sha256 == photo.sha256 for attached in self.photos):
            raise RuleViolationError(self.id, "photo", "This photo is already attached to the report.")
        if len(self.photos) >= max_photos:
            raise RuleViolationError(self.id, "photo_limit", f"A report carries at most {max_photos} photos.")
        self._attach_photo(actor=actor, photo=photo, timestamp=timestamp)

    @event("PhotoAttached")
    def _attach_photo(self, actor: Principal, photo: Photo, timestamp: datetime) -> None:
        self.photos = (*self.photos, photo)

    def hide_photo(self, actor: Principal, photo: str, reason: str, *, timestamp: datetime) -> None:
        """Take a photo out of public view for good (a face, a licence plate),
        with the reason on the record. Staff still see it."""
        self._require("hide_photo")
        if not any(attached.sha256 == photo for attached in self.photos):
            raise RuleViolationError(self.id, "photo", "No such photo is attached to the report.")
        if photo in self.hidden_photo_hashes:
            raise RuleViolationError(self.id, "photo", "This photo is hidden already.")
        reason = self._require_text(self.id, "reason", reason, max_length=1000)
        self._hide_photo(actor=actor, photo=photo, reason=reason, timestamp=timestamp)

    @event("PhotoHidden")
    def _hide_photo(self, actor: Principal, photo: str, reason: str, timestamp: datetime) -> None:
        self.hidden_photos = (*self.hidden_photos, HiddenPhoto(photo, reason))

    @property
    def hidden_photo_hashes(self) -> frozenset[str]:
        return frozenset(hidden.sha256 for hidden in self.hidden_photos)

    @property
    def public_photos(self) -> tuple[Photo, ...]:
        """The photos anyone may see: not hidden. (Whether the report itself is
        shown, and its photos with it, is the public read model's rule.)"""
        hidden = self.hidden_photo_hashes
        return tuple(photo for photo in self.photos if photo.sha256 not in hidden)

    # -- other citizens ----------------------------------------------------------

    def support(self, actor: Principal, supporter: str, *, timestamp: datetime) -> None:
        """A citizen who meets the same problem supports the report ("tôi cũng
        gặp") instead of filing a duplicate. ``supporter`` is the citizen's keyed
        pseudonym for this report (the application derives it): the event records
        it and an anonymous actor, never who the citizen is. Only while the report
        is open, never one's own report; a second support by the same citizen
        changes nothing (no event), so a retried request is harmless."""
        self._require("support")
        if self.owner is not None and actor.subject == self.owner:
            raise RuleViolationError(self.id, "own_report", "You cannot support your own report.")
        if not supporter.strip():
            raise RuleViolationError(self.id, "supporter", "A support needs the supporter's pseudonym.")
        if supporter in self._supporters:
            return
        self._support(actor=SUPPORTER, supporter=supporter, timestamp=timestamp)

    @event("Supported")
    def _support(self, actor: Principal, supporter: str, timestamp: datetime) -> None:
        self._supporters.add(supporter)
        self.support_count = len(self._supporters)
