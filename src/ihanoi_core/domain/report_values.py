"""The statuses of a field report and the groups of them the rules name, its
photos, and the personal data its events carry."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypedDict
from uuid import UUID

from ihanoi_core.domain.personal import Personal
from ihanoi_core.domain.values import Channel, Contact, Location, Principal, Priority, Role


class ReportStatus(StrEnum):
    SUBMITTED = "submitted"
    ACKNOWLEDGED = "acknowledged"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"
    TRANSFERRED = "transferred"
    NOT_RESPONSIBLE = "not_responsible"


class ReportSubmission(TypedDict):
    """What a reporter tells, as the Submitted event records it: the problem
    (category, description, place, photos), the agency it is routed to, its
    priority and channel, and who reports it, if known, with their contact."""

    id: UUID
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
    timestamp: datetime


class PhotoStage(StrEnum):
    """What a photo shows: the problem as reported (``evidence``, the reporter's
    or an officer's), or the site before and after the agency's work."""

    EVIDENCE = "evidence"
    BEFORE = "before"
    AFTER = "after"


@dataclass(frozen=True, slots=True)
class Photo:
    """A photo attached to a report, as its event records it: the sha256 of the
    stored (re-encoded, metadata-free) JPEG — never the bytes —, its size and
    type, what it shows, and the role of who attached it (who, by name, is the
    event's ``actor``, sealed when a citizen acted)."""

    sha256: str
    width: int
    height: int
    content_type: str
    stage: PhotoStage
    uploaded_by: Role


@dataclass(frozen=True, slots=True)
class HiddenPhoto:
    """A photo staff took out of public view (a face, a licence plate), and why.
    Kept in the report's state only; the event ``PhotoHidden`` records it."""

    sha256: str
    reason: str


VALUE_TYPES: dict[str, type] = {"report_status": ReportStatus, "photo_stage": PhotoStage, "photo": Photo}

S = ReportStatus
AWAITING_ACKNOWLEDGEMENT = (S.SUBMITTED, S.TRANSFERRED)
OPEN_STATUSES = (S.SUBMITTED, S.TRANSFERRED, S.ACKNOWLEDGED, S.ASSIGNED, S.IN_PROGRESS)

# The reporter (absent for an anonymous report) and the contact given for the
# report: a partner's or the hotline's caller, or the citizen's own details.
PERSONAL_DATA: Mapping[str, Mapping[str, Personal]] = {
    "Submitted": {"reporter": Personal("reporter", None, names_subject=True), "contact": Personal("reporter")},
}
ERASED_STATE: Mapping[str, object] = {"owner": None, "contact": None}
