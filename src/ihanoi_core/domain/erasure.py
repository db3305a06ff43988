"""ErasureRequest: a data subject's request to have their personal data
deleted (quyền xóa dữ liệu cá nhân, Law 91/2025/QH15 on Personal Data
Protection), and its decision.

``requested → erased | refused``. A citizen asks for themselves; the data
protection officer (or the platform admin) decides. A request is refused when
a retention rule of the directory holds one of the subject's cases (an open
complaint, a denunciation file, a dossier kept under archive law): the refusal
names the rules, their legal bases and the cases they hold. Otherwise the
subject's data key is destroyed — crypto-shredding, see ``docs/privacy.md`` —
and ``SubjectErased`` records who decided, when, why, under which legal basis,
which key and which cases. The subject's id on the request is itself sealed
under that key, so after the erasure the request no longer says whose it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import ClassVar, TypedDict
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from ihanoi_core.domain.personal import ACTOR, ERASED_PRINCIPAL, Personal, declare_personal_data, is_person
from ihanoi_core.domain.values import Principal, required_text
from ihanoi_core.errors import InvalidTransitionError, ValidationError

MAX_REASON = 2000


class ErasureStatus(StrEnum):
    REQUESTED = "requested"
    ERASED = "erased"
    REFUSED = "refused"


VALUE_TYPES: dict[str, type] = {"erasure_status": ErasureStatus}


class ErasureRequest(Aggregate):
    """A request to erase one data subject's personal data, and its decision."""

    kind: ClassVar[str] = "erasure_request"

    @classmethod
    def request(cls, *, id: UUID, actor: Principal, subject: str, reason: str, timestamp: datetime) -> ErasureRequest:
        """Ask for ``subject``'s personal data to be erased, with the reason given."""
        subject = subject.strip()
        if not subject:
            raise ValidationError({"subject": "must name the data subject, not only white space"})
        return cls(
            id=id, actor=actor, subject=subject, reason=required_text("reason", reason, MAX_REASON), timestamp=timestamp
        )

    @event("Requested")
    def __init__(self, *, id: UUID, actor: Principal, subject: str, reason: str, timestamp: datetime) -> None:
        self.subject: str | None = subject
        self.reason = reason
        self.requested_by = actor
        self.status = ErasureStatus.REQUESTED
        self.decided_at: datetime | None = None
        self.decision_reason: str | None = None
        self.legal_basis: str | None = None
        self.rules: tuple[str, ...] = ()
        self.cases: tuple[str, ...] = ()

    def _decision(self, step: str, reason: str, legal_basis: str) -> Decision:
        """What every decision checks: the request is still undecided, and it
        gives its reason and legal basis in writing."""
        if self.status is not ErasureStatus.REQUESTED:
            raise InvalidTransitionError(self.id, step, self.status, (ErasureStatus.REQUESTED,))
        return Decision(
            reason=required_text("reason", reason, MAX_REASON),
            legal_basis=required_text("legal_basis", legal_basis, MAX_REASON),
        )

    def _decide(
        self, status: ErasureStatus, reason: str, legal_basis: str, cases: tuple[str, ...], timestamp: datetime
    ) -> None:
        """What every decision's event records (called from event bodies only)."""
        self.status = status
        self.decided_at = timestamp
        self.decision_reason = reason
        self.legal_basis = legal_basis
        self.cases = cases

    def refuse(
        self,
        actor: Principal,
        reason: str,
        legal_basis: str,
        *,
        rules: tuple[str, ...] = (),
        cases: tuple[str, ...] = (),
        timestamp: datetime,
    ) -> None:
        """Refuse, in writing with the reason and legal basis: a retention rule
        (``rules``) holds some of the subject's ``cases``, or the officer decided so."""
        decision = self._decision("refuse", reason, legal_basis)
        self._refuse(actor=actor, rules=rules, cases=cases, timestamp=timestamp, **decision)

    @event("Refused")
    def _refuse(
        self,
        actor: Principal,
        reason: str,
        legal_basis: str,
        rules: tuple[str, ...],
        cases: tuple[str, ...],
        timestamp: datetime,
    ) -> None:
        self._decide(ErasureStatus.REFUSED, reason, legal_basis, cases, timestamp)
        self.rules = rules

    def record_erasure(
        self, actor: Principal, reason: str, legal_basis: str, *, key: str, cases: tuple[str, ...], timestamp: datetime
    ) -> None:
        """Record that the subject's data key ``key`` is destroyed: the
        personal data of ``cases`` (their codes) reads as erased."""
        self._erase(
            actor=actor, key=key, cases=cases, timestamp=timestamp, **self._decision("erase", reason, legal_basis)
        )

    @event("SubjectErased")
    def _erase(
        self, actor: Principal, reason: str, legal_basis: str, key: str, cases: tuple[str, ...], timestamp: datetime
    ) -> None:
        self._decide(ErasureStatus.ERASED, reason, legal_basis, cases, timestamp)
        # What a replay now reads of the request's sealed fields.
        self.subject = None
        if is_person(self.requested_by):
            self.requested_by = ERASED_PRINCIPAL


class Decision(TypedDict):
    """The reason and legal basis every decision gives in writing."""

    reason: str
    legal_basis: str


# Whose request it is: the subject named (and the citizen asking, when one does).
REQUESTED_PERSONAL_DATA: Mapping[str, Personal] = {
    "subject": Personal("the data subject", None, names_subject=True),
    "actor": ACTOR,
}
declare_personal_data(
    ErasureRequest,
    {"Requested": REQUESTED_PERSONAL_DATA, "Refused": {"actor": ACTOR}, "SubjectErased": {"actor": ACTOR}},
)
