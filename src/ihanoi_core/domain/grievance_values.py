"""The values complaints and denunciations share: their kind, status and the
complainant's identity, and the directory's legal periods they are decided by.

The enums and the identity travel inside events, so each is registered with the
transcoder by a stable name (``VALUE_TYPES``); renaming a registered name is a
stored-contract change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import StrEnum
from typing import Protocol, TypedDict
from uuid import UUID

from ihanoi_core.domain.personal import ERASED, OWNER, Personal
from ihanoi_core.domain.values import DeadlineCalendar, DeadlineRule, Principal
from ihanoi_core.errors import ValidationError


class ComplaintKind(StrEnum):
    """The two legal tracks: khiếu nại (complaint) and tố cáo (denunciation)."""

    COMPLAINT = "complaint"
    DENUNCIATION = "denunciation"


class ComplaintStatus(StrEnum):
    FILED = "filed"
    PRELIMINARY_CHECK = "preliminary_check"
    FORWARDED = "forwarded"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    VERIFYING = "verifying"
    DIALOGUE = "dialogue"
    DECIDED = "decided"
    CONCLUDED = "concluded"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


class Complexity(StrEnum):
    """How complex a case is, as its extension decision says: phức tạp, or
    (denunciations only) đặc biệt phức tạp. Law on Denunciations 2018 Art. 30:
    a complex case may be extended once, an especially complex one twice."""

    COMPLEX = "complex"
    ESPECIALLY_COMPLEX = "especially_complex"


@dataclass(frozen=True, slots=True)
class ComplainantIdentity:
    """Who complains or denounces. Personal data: redacted for those not
    entitled to it, and sealed entirely for denunciations."""

    name: str
    national_id: str | None = None
    phone: str | None = None
    address: str | None = None


VALUE_TYPES: dict[str, type] = {
    "complaint_kind": ComplaintKind,
    "complaint_status": ComplaintStatus,
    "complainant_identity": ComplainantIdentity,
    "complexity": Complexity,
}


# Who complains or denounces, and their letter: the denouncer's identity is
# sealed by law (Law on Denunciations Art. 8, 9), the letter narrates the
# complainant's own situation. The title (``subject``) is shown in worklists.
ERASED_COMPLAINANT = ComplainantIdentity(name=ERASED)
FILED_PERSONAL_DATA: Mapping[str, Personal] = {
    "owner": OWNER,
    "complainant": Personal("complainant", ERASED_COMPLAINANT),
    "content": Personal("complainant", ERASED),
}
ERASED_STATE: Mapping[str, object] = {"owner": None, "complainant": ERASED_COMPLAINANT, "content": ERASED}

Deadlines = Mapping[str, DeadlineRule]
"""The directory's legal periods by name (``complaint_accept`` …)."""

MAX_TEXT = 20_000


class GrievanceCalendar(DeadlineCalendar, Protocol):
    """A deadline calendar that also names its zone, to turn a decision *date*
    into the instant a time-bar starts (the working calendar has both)."""

    @property
    def zone(self) -> tzinfo: ...


class FilingInput(TypedDict):
    """What filing a complaint and a denunciation take alike (a complaint
    takes more: its ward's remoteness, the decision and a first case), besides
    what every new case is created with: the letter, who sends it and against
    whom, and the periods and calendar its clocks are decided by."""

    subject: str
    content: str
    respondent_agency: str
    ward: str
    complainant: ComplainantIdentity
    owner: str | None
    deadlines: Deadlines
    calendar: GrievanceCalendar


class Filing(FilingInput):
    """A filing with what every new case is created with (the command bus
    gives it: ``handlers.table.Build``)."""

    id: UUID
    code: str
    actor: Principal
    timestamp: datetime


def checked_identity(identity: ComplainantIdentity, *, sealed: bool) -> ComplainantIdentity:
    """The identity with its fields stripped; ``ValidationError`` naming each
    missing one. A denunciation's (``sealed``) must identify the denouncer."""

    def clean(value: str | None) -> str | None:
        return (value or "").strip() or None

    name = (identity.name or "").strip()
    national_id = clean(identity.national_id)
    phone, address = clean(identity.phone), clean(identity.address)
    errors: dict[str, str] = {}
    if not name:
        errors["complainant.name"] = "is required"
    # Art. 25(2) Law on Denunciations: an unidentified sender's letter is not
    # handled as a denunciation (anonymous tips are reports of category "tip").
    if sealed and national_id is None:
        errors["complainant.national_id"] = "is required: anonymous denunciations are not accepted"
    if sealed and phone is None and address is None:
        errors["complainant.contact"] = "a phone number or an address is required"
    if errors:
        raise ValidationError(errors)
    return ComplainantIdentity(name=name, national_id=national_id, phone=phone, address=address)
