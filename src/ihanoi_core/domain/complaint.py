"""Complaint (khiếu nại): a citizen contests an administrative decision or
act that affects them, under the Law on Complaints 2011. The lifecycle it
shares with denunciations is ``Grievance``'s; this module holds its rules.

``filed → accepted | refused | forwarded → verifying → dialogue → decided →
closed``, plus ``withdrawn``. Filing is refused outright after the 90-day
time-bar (Art. 9); acceptance is due 10 days after receipt (Art. 27);
resolution 30 days after acceptance, 45 when complex, 45/60 in remote wards
(Art. 28). A second-time complaint is a new case linked to the first, filed
within 30 days (remote 45) of the first decision or of the first deadline
lapsing undecided (Art. 33), with the second-time periods (Art. 37).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime, time
from typing import TYPE_CHECKING, ClassVar, Unpack
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
    GrievanceCalendar,
)
from ihanoi_core.domain.personal import Personal
from ihanoi_core.domain.values import Clock, DeadlineCalendar, DeadlineRule, Principal
from ihanoi_core.errors import RuleViolationError, ValidationError

S = ComplaintStatus


def _rule(deadlines: Deadlines, *names: str) -> DeadlineRule:
    """The first of ``names`` the directory defines: the most specific rule wins."""
    for name in names:
        if name in deadlines:
            return deadlines[name]
    raise KeyError(f"the directory defines none of the deadlines {', '.join(names)}")


_COMPLAINT_OPEN = (S.FILED, S.FORWARDED)
_COMPLAINT_RESOLVING = (S.ACCEPTED, S.VERIFYING, S.DIALOGUE)


class Complaint(Grievance):
    """An administrative complaint (khiếu nại), first or second time."""

    kind: ClassVar[str] = "complaint"
    code_prefix: ClassVar[str] = "KN"
    PERSONAL_DATA: ClassVar[Mapping[str, Mapping[str, Personal]]] = {"Filed": FILED_PERSONAL_DATA}
    STATUSES: ClassVar[tuple[ComplaintStatus, ...]] = (
        *(S.FILED, S.FORWARDED, S.ACCEPTED, S.REFUSED, S.VERIFYING),
        *(S.DIALOGUE, S.DECIDED, S.CLOSED, S.WITHDRAWN),
    )
    TRANSITIONS: ClassVar[Mapping[str, tuple[ComplaintStatus, ...]]] = {
        "accept": _COMPLAINT_OPEN,
        "refuse": _COMPLAINT_OPEN,
        "forward": _COMPLAINT_OPEN,
        "start_verification": (S.ACCEPTED,),
        "hold_dialogue": (S.VERIFYING, S.DIALOGUE),
        "extend": _COMPLAINT_RESOLVING,
        "decide": (S.VERIFYING, S.DIALOGUE),
        "close": (S.DECIDED,),
        "withdraw": (*_COMPLAINT_OPEN, *_COMPLAINT_RESOLVING),
    }

    if TYPE_CHECKING:
        remote: bool
        decision_date: date | None
        first_case: UUID | None
        first_case_code: str | None

    @property
    def is_second_time(self) -> bool:
        return self.first_case is not None

    @classmethod
    def file(
        cls,
        *,
        remote: bool,
        decision_date: date | None,
        first: Complaint | None,
        second_time_resolver: str | None = None,
        **filing: Unpack[Filing],
    ) -> Complaint:
        """File a complaint against ``respondent_agency``'s decision or act; the
        acceptance clock starts. With ``first``, a second-time complaint about
        that case's decision, handled by ``second_time_resolver``: the agency
        above the one that decided the first time (Law on Complaints, second-time
        competence), which the caller looks up in the directory. Raises
        ``RuleViolationError`` (and creates nothing) outside the filing window."""
        checked = cls._checked_filing(filing, sealed=False)
        deadlines, calendar, timestamp = filing["deadlines"], filing["calendar"], filing["timestamp"]
        if decision_date is not None and decision_date > timestamp.astimezone(calendar.zone).date():
            raise ValidationError({"decision_date": "must not be in the future"})
        if first is not None:
            cls._check_second_filing_window(first, remote, deadlines, calendar, timestamp)
            if second_time_resolver is None or second_time_resolver == first.agency:
                raise RuleViolationError(
                    first.id,
                    "second_time_resolver",
                    "A second-time complaint is resolved by the agency above the one that decided the first time.",
                )
        elif decision_date is not None:
            cls._check_filing_window(decision_date, deadlines, calendar, timestamp)
        return cls._file(
            checked,
            cls._acceptance_rule(deadlines, second_time=first is not None),
            remote=remote,
            decision_date=decision_date,
            first_case=first.id if first else None,
            first_case_code=first.code if first else None,
            handling_agency=second_time_resolver if first is not None else None,
        )

    @staticmethod
    def _check_filing_window(
        decision_date: date, deadlines: Deadlines, calendar: GrievanceCalendar, timestamp: datetime
    ) -> None:
        # Art. 9: 90 days from the decision; the decision day itself is not
        # counted and a last day off moves to the next working day (DESIGN §3.5).
        decided = datetime.combine(decision_date, time(), tzinfo=calendar.zone)
        closes_at = calendar.due(Clock(started_at=decided, rule=deadlines["complaint_filing_window"]))
        if timestamp > closes_at:
            raise RuleViolationError(
                None,
                "filing_window",
                f"A complaint about a decision of {decision_date.isoformat()} had to be filed "
                f"by {closes_at.isoformat()} ({deadlines['complaint_filing_window'].legal_basis}).",
            )

    @staticmethod
    def _check_second_filing_window(
        first: Complaint, remote: bool, deadlines: Deadlines, calendar: DeadlineCalendar, timestamp: datetime
    ) -> None:
        # Art. 33: within 30 days (remote 45) of the first decision, or of the
        # first resolution deadline lapsing without one.
        if first.is_second_time:
            raise RuleViolationError(
                first.id, "second_time", "A second-time decision is final; only a court can review it."
            )
        if first.decided_at is not None:
            opened_at = first.decided_at
        elif first.status in _COMPLAINT_RESOLVING and first.due_at is not None and timestamp > first.due_at:
            opened_at = first.due_at
        else:
            raise RuleViolationError(
                first.id,
                "second_time",
                "A second-time complaint needs the first decision, or the first deadline lapsed without one.",
            )
        names = ("complaint_second_filing_window_remote",) if remote else ()
        window = _rule(deadlines, *names, "complaint_second_filing_window")
        closes_at = calendar.due(Clock(started_at=opened_at, rule=window))
        if timestamp > closes_at:
            raise RuleViolationError(
                first.id,
                "second_filing_window",
                f"A second-time complaint about {first.code} had to be filed by {closes_at.isoformat()} "
                f"({window.legal_basis}).",
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
        remote: bool,
        complainant: ComplainantIdentity,
        owner: str | None,
        decision_date: date | None,
        first_case: UUID | None,
        first_case_code: str | None,
        clock: Clock,
        due_at: datetime,
        timestamp: datetime,
        # Since second-time complaints are routed up the directory; events
        # stored before then have none: the respondent handled the case.
        handling_agency: str | None = None,
    ) -> None:
        self._begin(code, S.FILED, respondent_agency, owner=owner, clock=clock, due_at=due_at)
        self._receive(subject, content, complainant, respondent_agency=respondent_agency, ward=ward)
        if handling_agency is not None:
            self.agency = handling_agency
        self.remote = remote
        self.decision_date = decision_date
        self.first_case = first_case
        self.first_case_code = first_case_code

    def _resolve_rule(self, deadlines: Deadlines, *, complex: bool) -> DeadlineRule:
        # Art. 28 (first time) and Art. 37 (second time): longer when complex,
        # longer again in remote areas; the most specific configured rule wins.
        base = "complaint_second_resolve" if self.is_second_time else "complaint_resolve"
        suffix = "_complex" if complex else ""
        names = (f"{base}_remote{suffix}",) if self.remote else ()
        return _rule(deadlines, *names, f"{base}{suffix}")

    def _receipt_rule(self, deadlines: Deadlines) -> DeadlineRule:
        return self._acceptance_rule(deadlines, second_time=self.is_second_time)

    @staticmethod
    def _acceptance_rule(deadlines: Deadlines, *, second_time: bool) -> DeadlineRule:
        # Art. 27 (first time) and Art. 36 (second time): 10 days from receipt.
        names = ("complaint_second_accept",) if second_time else ()
        return _rule(deadlines, *names, "complaint_accept")

    def _extended_clock(self, deadlines: Deadlines, complexity: Complexity) -> Clock:
        # The Law on Complaints knows complex cases only (Art. 28, 37).
        if complexity is not Complexity.COMPLEX:
            raise RuleViolationError(
                self.id, "complexity", "A complaint is extended as complex; 'especially complex' is for denunciations."
            )
        if self.extension_count:
            raise RuleViolationError(self.id, "extension", "The complaint already runs on the complex period.")
        return replace(self._running_clock(), rule=self._resolve_rule(deadlines, complex=True))
