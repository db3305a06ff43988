"""The directory: agencies, wards, report categories, procedures and legal
deadlines of a city, loaded from one TOML file (DESIGN §3.6).

The result of loading is immutable: frozen structs and read-only maps that keep
the file's order (Open311 lists services in that order). How a file is read and
checked — and how a mistake in it is reported with its file, key and line — is
``loader``'s: ``load_directory()`` without a path loads the Hanoi sample
shipped in ``ihanoi_core/data/hanoi.toml``.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from datetime import date, time
from typing import Annotated

import msgspec
from msgspec import Meta

from ihanoi_core.directory.alerts import AlertDirectory
from ihanoi_core.directory.business import BusinessDirectory
from ihanoi_core.directory.questions import QuestionDirectory
from ihanoi_core.domain.values import DeadlineRule, Priority

ROUTE_TO_WARD = "ward"
"""The routing of a category (or agency of a procedure) that means "the People's
Committee of the ward where it happened", instead of a fixed agency code."""

ROUTE_TO_WARD_POLICE = "ward_police"
"""The routing of a procedure that means "the police of the ward where the
citizen files" (Công an xã, phường): the residence registration body under the
Law on Residence 68/2020/QH14, Art. 2(4)."""

AGENCY_LEVELS = ("city", "ward", "ward_police")
"""``ward`` is the People's Committee of a ward or commune (phường, xã), the
commune tier of the two-tier local government; ``ward_police`` is the police of
a ward or commune. Both list the wards they serve."""

WARD_ROUTING_LEVELS = {ROUTE_TO_WARD: "ward", ROUTE_TO_WARD_POLICE: "ward_police"}
"""Each routing value that names a ward's body, and the agency level it resolves to."""

ATTRIBUTE_DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
"""The datatypes of an Open311 GeoReport v2 service attribute."""

REQUIRED_DEADLINES = (
    "report_acknowledge",
    "report_resolve_urgent",
    "report_resolve_normal",
    "report_resolve_complex",
    "report_reopen_window",
    "complaint_filing_window",
    "complaint_accept",
    "complaint_resolve",
    "complaint_resolve_complex",
    "complaint_resolve_remote",
    "complaint_resolve_remote_complex",
    "complaint_second_filing_window",
    "complaint_second_resolve",
    "complaint_second_resolve_complex",
    "denunciation_preliminary",
    "denunciation_preliminary_extended",
    "denunciation_forward",
    "denunciation_resolve",
    "denunciation_extension",
    "dossier_review",
)
"""Deadline names the aggregates look up; a directory without one cannot run."""

RETENTION_KINDS = ("report", "complaint", "denunciation", "dossier")
"""The kinds of case a retention rule may hold."""

RETENTION_HELD = ("while_open", "years_after_final", "always")
"""How long a retention rule holds a case: until it is final, for ``years``
after it became final, or until the city configures a period."""


# -- public records ----------------------------------------------------------
# Structs read straight from the file forbid unknown fields, so a misspelt key
# is an error rather than silently ignored.


class Ward(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A ward or commune (phường, xã). ``remote`` marks remote or hard-to-reach
    areas, where the Law on Complaints 2011 (Art. 28, 37) allows longer periods."""

    code: str
    name: str
    name_en: str = ""
    remote: bool = False
    # Approximate centre (latitude, longitude): maps a reported point to a ward.
    centre: tuple[Annotated[float, Meta(ge=-90, le=90)], Annotated[float, Meta(ge=-180, le=180)]] | None = None


class Agency(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A body that receives and handles cases: the city People's Committee, a
    department, the police, the People's Committee of a ward (``level =
    "ward"``) or the police of a ward (``level = "ward_police"``); the last two
    list the wards they serve."""

    code: str
    name: str
    name_en: str = ""
    level: str = "city"
    parent: str | None = None
    wards: tuple[str, ...] = ()

    @property
    def is_ward_committee(self) -> bool:
        return self.level == "ward"

    @property
    def serves_wards(self) -> bool:
        """A ward-tier body (committee or police), as opposed to a city one."""
        return self.level != "city"


class AttributeValue(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One choice of a list attribute (Open311 ``values[]``)."""

    key: str
    name: str


class Attribute(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """An extra question asked when filing a report (Open311 service
    definition attribute)."""

    code: str
    datatype: str
    description: str
    order: int
    required: bool = False
    variable: bool = True
    datatype_description: str = ""
    values: tuple[AttributeValue, ...] = ()


class CalendarOverride(msgspec.Struct, frozen=True, kw_only=True):
    """One day the Government's notice makes differ from the ``holidays``
    package: a day off (``working = False``, e.g. a bridge day) or a make-up
    working day (``working = True``, e.g. a Saturday worked in exchange).

    Every override names the notice that made it — its number, date and issuer
    — because a wrong day off moves every deadline around it (DESIGN §10:
    nothing invented ships as the default)."""

    date: _dt.date
    working: bool
    notice: str
    notice_date: _dt.date
    issuer: str
    note: str = ""

    @property
    def source(self) -> str:
        """The notice in one line: number, date and issuer."""
        return f"{self.notice} ngày {self.notice_date.strftime('%d/%m/%Y')} của {self.issuer}"


class CalendarSettings(msgspec.Struct, frozen=True, kw_only=True):
    """What the working calendar needs: office hours in local wall-clock time,
    the time zone, and the overrides of late government notices with their
    sources; ``days_off`` and ``working_days`` are the overrides' dates."""

    office_hours: tuple[tuple[time, time], ...]
    timezone: str
    overrides: tuple[CalendarOverride, ...] = ()

    @property
    def days_off(self) -> tuple[date, ...]:
        return tuple(override.date for override in self.overrides if not override.working)

    @property
    def working_days(self) -> tuple[date, ...]:
        return tuple(override.date for override in self.overrides if override.working)


class Category(msgspec.Struct, frozen=True, kw_only=True):
    """A report category (Open311 service). ``routing`` is ``ROUTE_TO_WARD`` or
    an agency code; ``deadlines`` holds this category's overrides of the report
    deadlines, keyed ``acknowledge``, ``urgent``, ``normal`` or ``complex``."""

    code: str
    name_vi: str
    name_en: str
    group: str
    description: str
    routing: str
    keywords: tuple[str, ...]
    default_priority: Priority
    deadlines: Mapping[str, DeadlineRule]
    attributes: tuple[Attribute, ...]


class Procedure(msgspec.Struct, frozen=True, kw_only=True):
    """An administrative procedure of the one-stop shop (thủ tục hành chính).
    ``agency`` is an agency code, ``ROUTE_TO_WARD`` or ``ROUTE_TO_WARD_POLICE``;
    ``fee`` is in VND."""

    code: str
    national_code: str | None
    name: str
    name_en: str
    agency: str
    processing: DeadlineRule
    fee: int
    fee_note: str
    required_documents: tuple[str, ...]


class DeadlineWatch(msgspec.Struct, frozen=True, kw_only=True):
    """What the deadline watcher does besides the rules in ``deadlines``
    (``watch_*``): the share of a deadline's office time after which the
    assignee and their leader are reminded, with its basis (issue #16)."""

    reminder_share_percent: int = 75
    reminder_share_basis: str = "project default, configurable: no text sets when a reminder is due"
    # The top of the escalation chain: a co-owner that misses its own deadline
    # escalates once more, to this agency (the city's People's Committee),
    # unless it already holds the case; ``None``: escalation stops at one level.
    city_committee: str | None = None


class RetentionRule(msgspec.Struct, frozen=True, kw_only=True):
    """A legal hold on personal data: while it holds one of a data subject's
    cases, an erasure request of theirs is refused, naming this rule (Law
    91/2025/QH15 lets other law require data to be kept). ``held`` is one of
    ``RETENTION_HELD``; ``years`` counts from the case's last change once final."""

    code: str
    kinds: tuple[str, ...]
    held: str
    years: int = 0
    legal_basis: str
    description: str = ""

    def holds(self, kind: str, is_final: bool, final_since: _dt.datetime, now: _dt.datetime) -> bool:
        """Whether this rule holds a case of ``kind`` at ``now``."""
        if kind not in self.kinds:
            return False
        if self.held == "always" or not is_final:
            return True
        if self.held == "while_open":
            return False
        try:
            until = final_since.replace(year=final_since.year + self.years)
        except ValueError:  # 29 February: the period ends on 1 March
            until = final_since.replace(year=final_since.year + self.years, month=3, day=1)
        return now < until


# -- the directory -------------------------------------------------------------


class Sections(msgspec.Struct, frozen=True, kw_only=True):
    """The directory file's sections that are loaded as the file gives them
    (each checked by its own module): the base of both the file's raw shape
    and the loaded ``Directory``."""

    # Alert templates and the flood-hotspot threshold (``directory.alerts``).
    alerts: AlertDirectory = AlertDirectory()
    # The Q&A switchboard's hand-off agency, threshold and words (``directory.questions``).
    questions: QuestionDirectory = QuestionDirectory()
    # Business inquiries' topics and who answers them (``directory.business``).
    business: BusinessDirectory = BusinessDirectory()


class Directory(Sections, frozen=True, kw_only=True):
    """A validated, immutable directory. Maps keep the file's order; use
    ``get_*`` for a lookup that may miss, and plain ``[]`` when a miss is a bug."""

    source: str
    jurisdiction_id: str
    jurisdiction_name: str
    jurisdiction_name_en: str
    calendar: CalendarSettings
    wards: Mapping[str, Ward]
    agencies: Mapping[str, Agency]
    categories: Mapping[str, Category]
    procedures: Mapping[str, Procedure]
    deadlines: Mapping[str, DeadlineRule]
    retention: tuple[RetentionRule, ...] = ()
    deadline_watch: DeadlineWatch = DeadlineWatch()

    # -- lookups ---------------------------------------------------------------

    def get_ward(self, code: str) -> Ward | None:
        return self.wards.get(code)

    def get_agency(self, code: str) -> Agency | None:
        return self.agencies.get(code)

    def get_category(self, code: str) -> Category | None:
        return self.categories.get(code)

    def get_procedure(self, code: str) -> Procedure | None:
        return self.procedures.get(code)

    def deadline(self, name: str) -> DeadlineRule:
        """The named legal period; ``KeyError`` if the directory has none."""
        return self.deadlines[name]

    def report_deadline(self, category_code: str, priority: Priority) -> DeadlineRule:
        """The resolve period of a report: the category's override for this
        priority, else the city-wide ``report_resolve_<priority>``."""
        override = self.categories[category_code].deadlines.get(priority.value)
        return override or self.deadlines[f"report_resolve_{priority.value}"]

    def acknowledge_deadline(self, category_code: str) -> DeadlineRule:
        """The acknowledge period of a report: the category's override, else
        ``report_acknowledge``."""
        override = self.categories[category_code].deadlines.get("acknowledge")
        return override or self.deadlines["report_acknowledge"]

    # -- routing ---------------------------------------------------------------

    def ward_committee(self, ward_code: str) -> Agency:
        """The People's Committee of a ward; ``KeyError`` for an unknown ward.
        Loading guarantees there is exactly one per ward."""
        return self.ward_agency("ward", ward_code)

    def ward_agency(self, level: str, ward_code: str) -> Agency:
        """The body of this ward-tier ``level`` serving a ward; ``KeyError`` for
        an unknown ward or when none serves it. Loading guarantees at most one
        per level and ward, and one wherever a routing needs it."""
        self._require_ward(ward_code)
        for agency in self.agencies.values():
            if agency.level == level and ward_code in agency.wards:
                return agency
        raise KeyError(f"no agency of level {level!r} serves ward {ward_code!r}")

    def route(self, category_code: str, ward_code: str) -> Agency:
        """The agency responsible for a report of this category in this ward.
        ``KeyError`` for an unknown category or ward."""
        return self._resolve(self.categories[category_code].routing, ward_code)

    def procedure_agency(self, procedure_code: str, ward_code: str) -> Agency:
        """The agency that decides a dossier of this procedure filed in this
        ward. ``KeyError`` for an unknown procedure or ward."""
        return self._resolve(self.procedures[procedure_code].agency, ward_code)

    def _resolve(self, routing: str, ward_code: str) -> Agency:
        level = WARD_ROUTING_LEVELS.get(routing)
        if level is not None:
            return self.ward_agency(level, ward_code)
        self._require_ward(ward_code)
        return self.agencies[routing]

    def _require_ward(self, ward_code: str) -> None:
        if ward_code not in self.wards:
            raise KeyError(f"unknown ward {ward_code!r}")
