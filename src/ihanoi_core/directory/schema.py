"""The directory file's schema: the shape and types of each TOML table, as
``msgspec`` structs the loader converts the file into before checking what a
schema cannot (unique codes, references between tables). Unknown keys are
errors, so a misspelt key never silently falls back to a default."""

from __future__ import annotations

from typing import Any

import msgspec

from ihanoi_core.directory.model import Agency, Attribute, CalendarOverride, RetentionRule, Sections, Ward


class RawRule(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    amount: int
    unit: str
    legal_basis: str


class RawReportDeadlines(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    acknowledge: RawRule | None = None
    urgent: RawRule | None = None
    normal: RawRule | None = None
    complex: RawRule | None = None


class RawJurisdiction(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    id: str
    name: str
    name_en: str = ""


class RawOverride(CalendarOverride, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """An override as the file gives it: the loader checks its notice and
    issuer before it becomes a ``CalendarOverride``."""


class RawCalendar(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    office_hours: tuple[tuple[str, str], ...] = (("08:00", "12:00"), ("13:00", "17:00"))
    timezone: str = "Asia/Ho_Chi_Minh"
    overrides: tuple[RawOverride, ...] = ()
    # The old bare-date tables, read only to refuse them with a message that
    # says what to write instead: a date without its notice has no source.
    days_off: tuple[Any, ...] = ()
    working_days: tuple[Any, ...] = ()


class RawCategory(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    code: str
    name_vi: str
    name_en: str
    group: str
    description: str = ""
    routing: str
    keywords: tuple[str, ...] = ()
    default_priority: str = "normal"
    deadlines: RawReportDeadlines = RawReportDeadlines()
    attributes: tuple[Attribute, ...] = ()


class RawProcedure(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    code: str
    national_code: str | None = None
    name: str
    name_en: str = ""
    agency: str
    processing: RawRule
    fee: int = 0
    fee_note: str = ""
    required_documents: tuple[str, ...] = ()


class RawRetention(RetentionRule, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A retention rule as the file gives it: the loader checks its kinds,
    hold and legal basis before it becomes a ``RetentionRule``."""


class RawDeadlineWatch(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    reminder_share_percent: int = 75
    reminder_share_basis: str = "project default, configurable: no text sets when a reminder is due"
    city_committee: str | None = None


class RawDirectory(Sections, frozen=True, forbid_unknown_fields=True, kw_only=True):
    jurisdiction: RawJurisdiction
    calendar: RawCalendar = RawCalendar()
    wards: tuple[Ward, ...]
    agencies: tuple[Agency, ...]
    categories: tuple[RawCategory, ...]
    procedures: tuple[RawProcedure, ...] = ()
    # Converted entry by entry, so that an error path can name the deadline.
    deadlines: dict[str, Any]
    retention: tuple[RawRetention, ...] = ()
    deadline_watch: RawDeadlineWatch = RawDeadlineWatch()
