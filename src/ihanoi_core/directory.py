"""The directory: agencies, wards, report categories, procedures and legal
deadlines of a city, loaded from one TOML file (DESIGN §3.6).

The directory is configuration an admin edits by hand, so a mistake in it must
stop the platform at start-up with a message that points at the file, the key
(``categories[3].routing``) and, where it can be found, the line. Loading runs in
three passes: ``tomllib`` checks the syntax, ``msgspec`` checks the shape and
types of every table against private schema structs (unknown keys are errors,
so a misspelt key never silently falls back to a default), and the checks here
cover what a schema cannot: unique codes, references between tables, each ward
served by exactly one ward People's Committee, deadlines with known units and
positive amounts. The result is immutable: frozen structs and read-only maps
that keep the file's order (Open311 lists services in that order).

``Directory.load()`` without a path loads the Hanoi sample shipped in
``ihanoi_core/data/hanoi.toml``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from datetime import date, time
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, NoReturn, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from ihanoi_core.domain.values import DeadlineRule, Priority, TimeUnit
from ihanoi_core.errors import DirectoryError

__all__ = [
    "AGENCY_LEVELS",
    "ATTRIBUTE_DATATYPES",
    "REQUIRED_DEADLINES",
    "ROUTE_TO_WARD",
    "Agency",
    "Attribute",
    "AttributeValue",
    "CalendarSettings",
    "Category",
    "Directory",
    "Procedure",
    "Ward",
]

ROUTE_TO_WARD = "ward"
"""The routing of a category (or agency of a procedure) that means "the People's
Committee of the ward where it happened", instead of a fixed agency code."""

AGENCY_LEVELS = ("city", "ward")
"""``ward`` is the commune tier (phường, xã) of the two-tier local government."""

ATTRIBUTE_DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
"""The datatypes of an Open311 GeoReport v2 service attribute."""

_LIST_DATATYPES = frozenset({"singlevaluelist", "multivaluelist"})

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

_PACKAGED_SAMPLE = "hanoi.toml"


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


class Agency(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A body that receives and handles cases: the city People's Committee, a
    department, the police, or the People's Committee of a ward (``level =
    "ward"``), which lists the wards it serves."""

    code: str
    name: str
    name_en: str = ""
    level: str = "city"
    parent: str | None = None
    wards: tuple[str, ...] = ()

    @property
    def is_ward_committee(self) -> bool:
        return self.level == "ward"


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


class CalendarSettings(msgspec.Struct, frozen=True, kw_only=True):
    """What the working calendar needs: office hours in local wall-clock time,
    the time zone, and the override tables for late government notices."""

    office_hours: tuple[tuple[time, time], ...]
    timezone: str
    days_off: tuple[date, ...]
    working_days: tuple[date, ...]


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
    ``agency`` is an agency code or ``ROUTE_TO_WARD``; ``fee`` is in VND."""

    code: str
    national_code: str | None
    name: str
    name_en: str
    agency: str
    processing: DeadlineRule
    fee: int
    fee_note: str
    required_documents: tuple[str, ...]


# -- the file's schema ---------------------------------------------------------


class _RawRule(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    amount: int
    unit: str
    legal_basis: str


class _RawReportDeadlines(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    acknowledge: _RawRule | None = None
    urgent: _RawRule | None = None
    normal: _RawRule | None = None
    complex: _RawRule | None = None


class _RawJurisdiction(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    id: str
    name: str
    name_en: str = ""


class _RawCalendar(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    office_hours: tuple[tuple[str, str], ...] = (("08:00", "12:00"), ("13:00", "17:00"))
    timezone: str = "Asia/Ho_Chi_Minh"
    days_off: tuple[date, ...] = ()
    working_days: tuple[date, ...] = ()


class _RawCategory(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    code: str
    name_vi: str
    name_en: str
    group: str
    description: str = ""
    routing: str
    keywords: tuple[str, ...] = ()
    default_priority: str = "normal"
    deadlines: _RawReportDeadlines = _RawReportDeadlines()
    attributes: tuple[Attribute, ...] = ()


class _RawProcedure(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    code: str
    national_code: str | None = None
    name: str
    name_en: str = ""
    agency: str
    processing: _RawRule
    fee: int = 0
    fee_note: str = ""
    required_documents: tuple[str, ...] = ()


class _RawDirectory(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    jurisdiction: _RawJurisdiction
    calendar: _RawCalendar = _RawCalendar()
    wards: tuple[Ward, ...]
    agencies: tuple[Agency, ...]
    categories: tuple[_RawCategory, ...]
    procedures: tuple[_RawProcedure, ...] = ()
    # Converted entry by entry, so that an error path can name the deadline.
    deadlines: dict[str, Any]


# -- the directory -------------------------------------------------------------


class Directory(msgspec.Struct, frozen=True, kw_only=True):
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

    @classmethod
    def load(cls, path: str | Path | None = None) -> Directory:
        """Load and validate a directory file; ``None`` loads the packaged
        Hanoi sample. Raises ``DirectoryError`` naming the file, key and line."""
        if path is None:
            resource = resources.files("ihanoi_core.data").joinpath(_PACKAGED_SAMPLE)
            return cls.from_toml(resource.read_text(encoding="utf-8"), source=str(resource))
        source = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise DirectoryError(source, "(file)", f"cannot be read: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise DirectoryError(source, "(file)", "is not UTF-8 text") from None
        return cls.from_toml(text, source=source)

    @classmethod
    def from_toml(cls, text: str, *, source: str = "<string>") -> Directory:
        """Validate directory TOML held in memory; ``source`` names it in errors."""
        return _Loader(text, source).load()

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
        self._require_ward(ward_code)
        for agency in self.agencies.values():
            if agency.is_ward_committee and ward_code in agency.wards:
                return agency
        raise KeyError(f"no ward People's Committee serves {ward_code!r}")

    def route(self, category_code: str, ward_code: str) -> Agency:
        """The agency responsible for a report of this category in this ward.
        ``KeyError`` for an unknown category or ward."""
        return self._resolve(self.categories[category_code].routing, ward_code)

    def procedure_agency(self, procedure_code: str, ward_code: str) -> Agency:
        """The agency that decides a dossier of this procedure filed in this
        ward. ``KeyError`` for an unknown procedure or ward."""
        return self._resolve(self.procedures[procedure_code].agency, ward_code)

    def _resolve(self, routing: str, ward_code: str) -> Agency:
        if routing == ROUTE_TO_WARD:
            return self.ward_committee(ward_code)
        self._require_ward(ward_code)
        return self.agencies[routing]

    def _require_ward(self, ward_code: str) -> None:
        if ward_code not in self.wards:
            raise KeyError(f"unknown ward {ward_code!r}")


# -- loading -------------------------------------------------------------------

_S = TypeVar("_S")

_MSGSPEC_ERROR = re.compile(r"(?s)(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?")
_TYPE_NAMES = {
    "int": "an integer",
    "float": "a number",
    "str": "a string",
    "bool": "true or false",
    "array": "a list",
    "object": "a table",
    "date": "a date (YYYY-MM-DD)",
    "datetime": "a date and time",
    "time": "a time",
    "null": "nothing",
}
_HH_MM = re.compile(r"(?P<hour>[01]\d|2[0-3]):(?P<minute>[0-5]\d)")
_TOML_POSITION = re.compile(r"\s*\(at line (?P<line>\d+), column (?P<column>\d+)\)$")
_HEADER = re.compile(r"\s*(?P<open>\[\[?)\s*(?P<name>[A-Za-z0-9_.\- ]+?)\s*\]\]?\s*(?:#.*)?")
_SEGMENT = re.compile(r"(?P<name>[A-Za-z0-9_\-]+)(?:\[(?P<index>\d+)\])?")


def _type_names(spec: str) -> str:
    return " or ".join(_TYPE_NAMES.get(part, part) for part in spec.split(" | "))


def _plain_problem(message: str, path: str) -> tuple[str, str]:
    """Turn a msgspec message and path into (key path, plain-English problem)."""
    key = path.lstrip(".")
    if m := re.fullmatch(r"Object contains unknown field `(.+)`", message):
        return f"{key}.{m[1]}".lstrip("."), "unknown key (check its spelling and the table it is in)"
    if m := re.fullmatch(r"Object missing required field `(.+)`", message):
        return f"{key}.{m[1]}".lstrip("."), "is required but missing"
    if m := re.fullmatch(r"Expected `(.+?)` of length (\d+), got (\d+)", message):
        return key, f"expected {_type_names(m[1])} of {m[2]} items, got {m[3]}"
    if m := re.fullmatch(r"Expected `(.+?)`, got `(.+?)`", message):
        return key, f"expected {_type_names(m[1])}, got {_type_names(m[2])}"
    return key, message[:1].lower() + message[1:]


class _Loader:
    """One load of one file: keeps the text to find lines for error keys."""

    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self.lines = text.splitlines()

    def fail(self, key: str, problem: str) -> NoReturn:
        raise DirectoryError(self.source, key, problem, self.line_of(key))

    def convert(self, data: object, schema: type[_S], prefix: str = "") -> _S:
        try:
            return msgspec.convert(data, schema)
        except msgspec.ValidationError as exc:
            m = _MSGSPEC_ERROR.fullmatch(str(exc))
            assert m is not None  # the pattern matches any string
            key, problem = _plain_problem(m["message"], m["path"] or "")
            self.fail(f"{prefix}.{key}".strip(".") or "(top level)", problem)

    def load(self) -> Directory:
        try:
            data = tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as exc:
            self.fail_syntax(str(exc))
        raw = self.convert(data, _RawDirectory)
        wards = self.unique("wards", raw.wards, lambda ward: ward.code)
        agencies = self.unique("agencies", raw.agencies, lambda agency: agency.code)
        self.check_agencies(raw.agencies, agencies, wards)
        return Directory(
            source=self.source,
            jurisdiction_id=self.non_blank("jurisdiction.id", raw.jurisdiction.id),
            jurisdiction_name=self.non_blank("jurisdiction.name", raw.jurisdiction.name),
            jurisdiction_name_en=raw.jurisdiction.name_en,
            calendar=self.calendar(raw.calendar),
            wards=MappingProxyType(wards),
            agencies=MappingProxyType(agencies),
            categories=MappingProxyType(self.categories(raw.categories, agencies)),
            procedures=MappingProxyType(self.procedures(raw.procedures, agencies)),
            deadlines=MappingProxyType(self.deadlines(raw.deadlines)),
        )

    # -- syntax and lines ------------------------------------------------------

    def fail_syntax(self, message: str) -> NoReturn:
        position = _TOML_POSITION.search(message)
        line = int(position["line"]) if position else None
        problem = f"invalid TOML: {_TOML_POSITION.sub('', message)}"
        if position:
            problem += f" (column {position['column']})"
        elif message.endswith("(at end of document)") and self.lines:
            # An unclosed array or string: tomllib gives no line, the last one is the best guess.
            line = len(self.lines)
        raise DirectoryError(self.source, self.key_at_line(line), problem, line)

    def headers(self) -> list[tuple[int, bool, str]]:
        """(line index, is an array of tables, dotted name) of every table header."""
        found = []
        for index, text in enumerate(self.lines):
            if m := _HEADER.fullmatch(text):
                name = ".".join(part.strip() for part in m["name"].split("."))
                found.append((index, m["open"] == "[[", name))
        return found

    def key_at_line(self, line: int | None) -> str:
        """The key path a syntax error at this line is in, from the headers above."""
        if line is None:
            return "(top level)"
        resolved: dict[str, str] = {}
        counts: dict[str, int] = {}
        path = ""
        for index, is_array, name in self.headers():
            if index >= line - 1:
                break
            parent, _, leaf = name.rpartition(".")
            full = f"{resolved.get(parent, parent)}.{leaf}" if parent else leaf
            if is_array:
                counts[full] = counts.get(full, 0) + 1
                path = f"{full}[{counts[full] - 1}]"
            else:
                path = full
            resolved[name] = path
        if line <= len(self.lines) and (m := re.match(r"\s*([A-Za-z0-9_\-]+)\s*=", self.lines[line - 1])):
            path = f"{path}.{m[1]}" if path else m[1]
        return path or "(top level)"

    def line_of(self, key: str) -> int | None:
        """Best-effort line (1-based) of a key path such as
        ``categories[3].attributes[0].datatype``: walk the table headers, then
        look for ``name =`` in the innermost table. None when not found."""
        headers = self.headers()
        table, start, end, found = "", 0, len(self.lines), None
        for m in _SEGMENT.finditer(key):
            name, index = m["name"], int(m["index"]) if m["index"] else 0
            full = f"{table}.{name}" if table else name
            matches = [h for h in headers if start <= h[0] < end and h[2] == full]
            if matches:
                if index >= len(matches):
                    break
                found = matches[index][0]
                start = found + 1
                end = next((h[0] for h in headers if h[0] > found and not h[2].startswith(full + ".")), end)
                table = full
                continue
            block_end = next((h[0] for h in headers if h[0] >= start), end)
            assignment = re.compile(rf"\s*\"?{re.escape(name)}\"?\s*=")
            found = next(
                (i for i in range(start, min(block_end, end)) if assignment.match(self.lines[i])), found
            )
            break
        return found + 1 if found is not None else None

    # -- checks ----------------------------------------------------------------

    def non_blank(self, key: str, value: str) -> str:
        if not value.strip():
            self.fail(key, "must not be empty")
        return value

    def unique(self, table: str, items: Iterable[_S], code_of: Callable[[_S], str]) -> dict[str, _S]:
        by_code: dict[str, _S] = {}
        first: dict[str, int] = {}
        for index, item in enumerate(items):
            code = self.non_blank(f"{table}[{index}].code", code_of(item))
            if code in by_code:
                self.fail(
                    f"{table}[{index}].code",
                    f"duplicate code {code!r} (first used at {table}[{first[code]}])",
                )
            by_code[code] = item
            first[code] = index
        return by_code

    def rule(self, key: str, raw: _RawRule) -> DeadlineRule:
        if raw.amount <= 0:
            self.fail(f"{key}.amount", f"must be a positive whole number, got {raw.amount}")
        units = [unit.value for unit in TimeUnit]
        if raw.unit not in units:
            self.fail(f"{key}.unit", f"unknown unit {raw.unit!r}; expected one of {', '.join(units)}")
        return DeadlineRule(
            raw.amount, TimeUnit(raw.unit), self.non_blank(f"{key}.legal_basis", raw.legal_basis)
        )

    def time_of_day(self, key: str, value: str) -> time:
        if not (m := _HH_MM.fullmatch(value)):
            self.fail(key, f'{value!r} is not a time of day in HH:MM form (e.g. "08:00")')
        return time(int(m["hour"]), int(m["minute"]))

    def calendar(self, raw: _RawCalendar) -> CalendarSettings:
        if not raw.office_hours:
            self.fail("calendar.office_hours", "needs at least one [opening, closing] period")
        periods: list[tuple[time, time]] = []
        for index, (opening, closing) in enumerate(raw.office_hours):
            key = f"calendar.office_hours[{index}]"
            period = (self.time_of_day(f"{key}[0]", opening), self.time_of_day(f"{key}[1]", closing))
            if period[0] >= period[1]:
                self.fail(key, f"opens at {opening} but closes at {closing}; opening must come first")
            if periods and period[0] < periods[-1][1]:
                self.fail(key, f"starts at {opening}, before the previous period ends; list periods in order")
            periods.append(period)
        try:
            ZoneInfo(raw.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            self.fail("calendar.timezone", f'unknown time zone {raw.timezone!r} (e.g. "Asia/Ho_Chi_Minh")')
        for index, day in enumerate(raw.working_days):
            if day in raw.days_off:
                self.fail(f"calendar.working_days[{index}]", f"{day} is also listed in calendar.days_off")
        return CalendarSettings(
            office_hours=tuple(periods),
            timezone=raw.timezone,
            days_off=raw.days_off,
            working_days=raw.working_days,
        )

    def check_agencies(
        self, raw: Iterable[Agency], agencies: Mapping[str, Agency], wards: Mapping[str, Ward]
    ) -> None:
        committee_of: dict[str, str] = {}
        for index, agency in enumerate(raw):
            key = f"agencies[{index}]"
            if agency.level not in AGENCY_LEVELS:
                self.fail(
                    f"{key}.level",
                    f"unknown level {agency.level!r}; expected one of {', '.join(AGENCY_LEVELS)}",
                )
            if agency.parent is not None and agency.parent not in agencies:
                self.fail(f"{key}.parent", f"unknown agency {agency.parent!r}")
            for position, ward in enumerate(agency.wards):
                if ward not in wards:
                    self.fail(f"{key}.wards[{position}]", f"unknown ward {ward!r}")
                if agency.is_ward_committee and ward in committee_of:
                    self.fail(
                        f"{key}.wards[{position}]",
                        f"ward {ward!r} is already served by the ward People's Committee "
                        f"{committee_of[ward]!r}; each ward must have exactly one",
                    )
                if agency.is_ward_committee:
                    committee_of[ward] = agency.code
            if agency.is_ward_committee and not agency.wards:
                self.fail(f"{key}.wards", "a ward People's Committee must list the wards it serves")
            self.check_no_parent_cycle(key, agency, agencies)
        for index, ward_code in enumerate(wards):
            if ward_code not in committee_of:
                self.fail(
                    f"wards[{index}].code",
                    f"ward {ward_code!r} is served by no ward People's Committee "
                    '(an agency with level = "ward" listing it in its wards)',
                )

    def check_no_parent_cycle(self, key: str, agency: Agency, agencies: Mapping[str, Agency]) -> None:
        seen = [agency.code]
        parent = agency.parent
        while parent is not None and parent in agencies:
            if parent in seen:
                self.fail(f"{key}.parent", f"parents form a cycle: {' → '.join([*seen, parent])}")
            seen.append(parent)
            parent = agencies[parent].parent

    def target(self, key: str, value: str, agencies: Mapping[str, Agency]) -> str:
        if value != ROUTE_TO_WARD and value not in agencies:
            self.fail(key, f'unknown agency {value!r}; expected "{ROUTE_TO_WARD}" or an agency code')
        return value

    def categories(self, raw: Iterable[_RawCategory], agencies: Mapping[str, Agency]) -> dict[str, Category]:
        priorities = [priority.value for priority in Priority]
        result: dict[str, Category] = {}
        for index, item in enumerate(self.unique("categories", raw, lambda category: category.code).values()):
            key = f"categories[{index}]"
            if item.default_priority not in priorities:
                self.fail(
                    f"{key}.default_priority",
                    f"unknown priority {item.default_priority!r}; expected one of {', '.join(priorities)}",
                )
            overrides = {
                name: self.rule(f"{key}.deadlines.{name}", rule)
                for name in _RawReportDeadlines.__struct_fields__
                if (rule := getattr(item.deadlines, name)) is not None
            }
            self.check_attributes(key, item.attributes)
            result[item.code] = Category(
                code=item.code,
                name_vi=self.non_blank(f"{key}.name_vi", item.name_vi),
                name_en=item.name_en,
                group=item.group,
                description=item.description,
                routing=self.target(f"{key}.routing", item.routing, agencies),
                keywords=item.keywords,
                default_priority=Priority(item.default_priority),
                deadlines=MappingProxyType(overrides),
                attributes=tuple(sorted(item.attributes, key=lambda attribute: attribute.order)),
            )
        return result

    def check_attributes(self, category_key: str, attributes: tuple[Attribute, ...]) -> None:
        codes: set[str] = set()
        orders: set[int] = set()
        for index, attribute in enumerate(attributes):
            key = f"{category_key}.attributes[{index}]"
            if attribute.code in codes:
                self.fail(f"{key}.code", f"duplicate attribute code {attribute.code!r} in this category")
            codes.add(attribute.code)
            if attribute.datatype not in ATTRIBUTE_DATATYPES:
                expected = ", ".join(ATTRIBUTE_DATATYPES)
                self.fail(
                    f"{key}.datatype", f"unknown datatype {attribute.datatype!r}; expected one of {expected}"
                )
            # Open311 requires a positive order, unique within the service.
            if attribute.order <= 0 or attribute.order in orders:
                self.fail(
                    f"{key}.order",
                    f"must be a positive number unique in this category, got {attribute.order}",
                )
            orders.add(attribute.order)
            is_list = attribute.datatype in _LIST_DATATYPES
            if is_list and not attribute.values:
                self.fail(f"{key}.values", f"a {attribute.datatype} attribute needs at least one value")
            if not is_list and attribute.values:
                self.fail(
                    f"{key}.values", f"only list attributes have values, this one is {attribute.datatype}"
                )
            keys = [value.key for value in attribute.values]
            for position, value_key in enumerate(keys):
                if value_key in keys[:position]:
                    self.fail(f"{key}.values[{position}].key", f"duplicate value key {value_key!r}")

    def procedures(
        self, raw: Iterable[_RawProcedure], agencies: Mapping[str, Agency]
    ) -> dict[str, Procedure]:
        result: dict[str, Procedure] = {}
        for index, item in enumerate(
            self.unique("procedures", raw, lambda procedure: procedure.code).values()
        ):
            key = f"procedures[{index}]"
            if item.fee < 0:
                self.fail(f"{key}.fee", f"must not be negative, got {item.fee}")
            result[item.code] = Procedure(
                code=item.code,
                national_code=item.national_code,
                name=self.non_blank(f"{key}.name", item.name),
                name_en=item.name_en,
                agency=self.target(f"{key}.agency", item.agency, agencies),
                processing=self.rule(f"{key}.processing", item.processing),
                fee=item.fee,
                fee_note=item.fee_note,
                required_documents=item.required_documents,
            )
        return result

    def deadlines(self, raw: Mapping[str, Any]) -> dict[str, DeadlineRule]:
        rules = {
            name: self.rule(f"deadlines.{name}", self.convert(value, _RawRule, f"deadlines.{name}"))
            for name, value in raw.items()
        }
        for name in REQUIRED_DEADLINES:
            if name not in rules:
                self.fail(f"deadlines.{name}", "this required deadline is missing")
        return rules
