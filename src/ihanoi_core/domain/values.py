"""Value objects shared by the aggregates.

Everything here is immutable and travels inside events, so each type is
registered with the transcoder by a stable name (see ``VALUE_TYPES``): renaming a
class is fine, renaming its registered name is a stored-contract change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import StrEnum
from typing import Protocol, TypedDict

from ihanoi_core.errors import ValidationError


class Role(StrEnum):
    """Who a principal is to the platform (DESIGN §2; ``dpo``, the data
    protection officer who decides erasure requests, from DESIGN §10)."""

    CITIZEN = "citizen"
    OFFICER = "officer"
    LEADER = "leader"
    AUDITOR = "auditor"
    ADMIN = "admin"
    PARTNER = "partner"
    SYSTEM = "system"
    DPO = "dpo"
    # A person acting for a business (issue #18): their principal's ``agency``
    # is the business's tax code (``Principal.organisation``).
    BUSINESS = "business"


# The subject of the one principal that stands for every respondent of an
# anonymous survey: not a person, never a data subject.
ANONYMOUS_SUBJECT = "anonymous"


@dataclass(frozen=True, slots=True)
class Principal:
    """The acting identity: the subject id from the identity provider (e.g.
    VNeID), its role and, for staff, the agency it works for; for a person
    acting for a business (``Role.BUSINESS``), the organisation they act for:
    the business's tax code, from the token's organisation claim. Every event
    records the principal that caused it as ``actor``."""

    subject: str
    role: Role
    agency: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.OFFICER, Role.LEADER)

    @property
    def organisation(self) -> str | None:
        """The tax code of the business a ``business`` principal acts for."""
        return self.agency if self.role is Role.BUSINESS else None


class TimeUnit(StrEnum):
    """How a legal period is counted (DESIGN §3.5)."""

    WORKING_HOURS = "working_hours"
    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"


@dataclass(frozen=True, slots=True)
class DeadlineRule:
    """A legal period as data: ``amount`` of ``unit`` under ``legal_basis``
    (e.g. ``10 calendar_days, "Luật Khiếu nại 2011, Điều 27"``)."""

    amount: int
    unit: TimeUnit
    legal_basis: str


@dataclass(frozen=True, slots=True)
class Clock:
    """A running legal deadline: where it started, which rule counts it, how
    much extension was granted and how much paused time is excluded. The due
    time is computed from this by the working calendar and stored in events."""

    started_at: datetime
    rule: DeadlineRule
    extension: int = 0
    paused_seconds: int = 0
    paused_days: int = 0
    paused_at: datetime | None = None


class DeadlineCalendar(Protocol):
    """What the domain needs from the working calendar: compute a due time.
    The concrete calendar (holidays, office hours) lives outside the domain."""

    def due(self, clock: Clock) -> datetime: ...

    @property
    def zone(self) -> tzinfo:
        """The zone due times are given in: legal deadlines are local."""
        ...

    def pause_time(self, paused_at: datetime, resumed_at: datetime) -> tuple[int, int]:
        """Office seconds and calendar days between a pause and a resume."""
        ...


class Deadline(TypedDict):
    """A clock and the due time the calendar gives it: what every event that
    starts or changes a case's deadline records (``clock``, ``due_at``)."""

    clock: Clock
    due_at: datetime


def deadline(calendar: DeadlineCalendar, clock: Clock) -> Deadline:
    """``clock`` with its due time, for the event that records them."""
    return Deadline(clock=clock, due_at=calendar.due(clock))


class Priority(StrEnum):
    """Report priority levels of iHanoi (QĐ 1207/QĐ-UBND): khẩn, bình thường, phức tạp."""

    URGENT = "urgent"
    NORMAL = "normal"
    COMPLEX = "complex"


class Channel(StrEnum):
    """Where a case came in."""

    APP = "app"
    WEB = "web"
    HOTLINE = "hotline"
    OPEN311 = "open311"
    DESK = "desk"
    POST = "post"
    ZALO = "zalo"
    MESSENGER = "messenger"


@dataclass(frozen=True, slots=True)
class Location:
    """Where a report is: coordinates and/or a street address, and the ward."""

    ward: str
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = None


@dataclass(frozen=True, slots=True)
class Contact:
    """Personal data of a person who filed a case. Never shown publicly."""

    name: str | None = None
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class Document:
    """A submitted document: name, where it is stored and its checksum."""

    name: str
    url: str
    sha256: str


VALUE_TYPES: dict[str, type] = {
    "role": Role,
    "principal": Principal,
    "time_unit": TimeUnit,
    "deadline_rule": DeadlineRule,
    "clock": Clock,
    "priority": Priority,
    "channel": Channel,
    "location": Location,
    "contact": Contact,
    "document": Document,
}


def required_text(name: str, text: str | None, most: int) -> str:
    """``text`` without its surrounding white space; ``ValidationError`` naming
    the field ``name`` when that leaves nothing or more than ``most`` characters."""
    text = (text or "").strip()
    if not text or len(text) > most:
        raise ValidationError({name: f"must be 1 to {most} characters, not only white space"})
    return text
