"""Loading the directory: its TOML checked in three passes, a mistake reported
with the file, the key (``categories[3].routing``) and, where it can be found,
the line.

The directory is configuration an admin edits by hand, so a mistake in it must
stop the platform at start-up with a message that points at it. ``tomllib``
checks the syntax, ``msgspec`` checks the shape and types of every table
against the private schema structs here (unknown keys are errors, so a misspelt
key never silently falls back to a default), and the checks here cover what a
schema cannot: unique codes, references between tables, each ward served by
exactly one ward People's Committee, deadlines with known units and positive
amounts. ``load_directory`` reads a file (the packaged Hanoi sample by default),
``directory_from_toml`` text held in memory.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Callable, Iterable, Mapping
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from ihanoi_core.directory.alerts import alert_problems
from ihanoi_core.directory.business import business_problems
from ihanoi_core.directory.calendar_table import CalendarTable
from ihanoi_core.directory.model import (
    AGENCY_LEVELS,
    ATTRIBUTE_DATATYPES,
    REQUIRED_DEADLINES,
    RETENTION_HELD,
    RETENTION_KINDS,
    WARD_ROUTING_LEVELS,
    Agency,
    Attribute,
    Category,
    DeadlineWatch,
    Directory,
    Procedure,
    RetentionRule,
    Ward,
)
from ihanoi_core.directory.questions import question_problems
from ihanoi_core.directory.schema import (
    RawCategory,
    RawDeadlineWatch,
    RawDirectory,
    RawProcedure,
    RawReportDeadlines,
    RawRetention,
    RawRule,
)
from ihanoi_core.domain.values import DeadlineRule, Priority, TimeUnit
from ihanoi_core.errors import DirectoryError

_S = TypeVar("_S")

_LIST_DATATYPES = frozenset({"singlevaluelist", "multivaluelist"})
_LEVEL_NAMES = {"ward": "ward People's Committee", "ward_police": "ward police"}


PACKAGED_SAMPLE = "hanoi.toml"


def load_directory(path: str | Path | None = None) -> Directory:
    """Load and validate a directory file; ``None`` loads the packaged
    Hanoi sample. Raises ``DirectoryError`` naming the file, key and line."""
    if path is None:
        resource = resources.files("ihanoi_core.data").joinpath(PACKAGED_SAMPLE)
        return parse_directory(resource.read_text(encoding="utf-8"), str(resource))
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise DirectoryError(source, "(file)", f"cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise DirectoryError(source, "(file)", "is not UTF-8 text") from None
    return parse_directory(text, source)


def directory_from_toml(text: str, *, source: str = "<string>") -> Directory:
    """Validate directory TOML held in memory; ``source`` names it in errors."""
    return parse_directory(text, source)


@functools.lru_cache(maxsize=4)
def parse_directory(text: str, source: str) -> Directory:
    """The directory in ``text``, checked; ``DirectoryError`` naming ``source``,
    the key and the line of the first mistake. A directory is immutable, so the
    applications of one process that load the same text share one (parsing and
    checking the Hanoi sample takes 9 ms; a test run starts thousands)."""
    return _Loader(text, source).load()


class _Loader(CalendarTable):
    """One load of one file: the checks a schema cannot make."""

    def load(self) -> Directory:
        try:
            data = tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as exc:
            self.fail_syntax(str(exc))
        raw = self.convert(data, RawDirectory)
        wards = self.unique("wards", raw.wards, lambda ward: ward.code)
        agencies = self.unique("agencies", raw.agencies, lambda agency: agency.code)
        self.check_agencies(raw.agencies, agencies, wards)
        categories = self.categories(raw.categories, agencies, wards)
        for key, problem in alert_problems(
            raw.alerts, {c.code: tuple(a.code for a in c.attributes) for c in categories.values()}
        ):
            self.fail(key, problem)
        for key, problem in [
            *question_problems(raw.questions, set(agencies), set(raw.deadlines)),
            *business_problems(raw.business, set(agencies), set(raw.deadlines)),
        ]:
            self.fail(key, problem)
        return Directory(
            source=self.source,
            jurisdiction_id=self.non_blank("jurisdiction.id", raw.jurisdiction.id),
            jurisdiction_name=self.non_blank("jurisdiction.name", raw.jurisdiction.name),
            jurisdiction_name_en=raw.jurisdiction.name_en,
            calendar=self.calendar(raw.calendar),
            wards=MappingProxyType(wards),
            agencies=MappingProxyType(agencies),
            categories=MappingProxyType(categories),
            procedures=MappingProxyType(self.procedures(raw.procedures, agencies, wards)),
            deadlines=MappingProxyType(self.deadlines(raw.deadlines)),
            retention=self.retention(raw.retention),
            deadline_watch=self.deadline_watch(raw.deadline_watch, agencies),
            alerts=raw.alerts,
            questions=raw.questions,
            business=raw.business,
        )

    # -- checks ----------------------------------------------------------------

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

    def rule(self, key: str, raw: RawRule) -> DeadlineRule:
        if raw.amount <= 0:
            self.fail(f"{key}.amount", f"must be a positive whole number, got {raw.amount}")
        units = [unit.value for unit in TimeUnit]
        if raw.unit not in units:
            self.fail(f"{key}.unit", f"unknown unit {raw.unit!r}; expected one of {', '.join(units)}")
        return DeadlineRule(raw.amount, TimeUnit(raw.unit), self.non_blank(f"{key}.legal_basis", raw.legal_basis))

    def check_agencies(self, raw: Iterable[Agency], agencies: Mapping[str, Agency], wards: Mapping[str, Ward]) -> None:
        # (level, ward) -> the ward-tier body of that level serving the ward.
        served_by: dict[tuple[str, str], str] = {}
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
                if agency.serves_wards and (agency.level, ward) in served_by:
                    self.fail(
                        f"{key}.wards[{position}]",
                        f"ward {ward!r} is already served by the {_LEVEL_NAMES[agency.level]} "
                        f"{served_by[agency.level, ward]!r}; each ward must have exactly one",
                    )
                if agency.serves_wards:
                    served_by[agency.level, ward] = agency.code
            if agency.serves_wards and not agency.wards:
                self.fail(f"{key}.wards", f"a {_LEVEL_NAMES[agency.level]} must list the wards it serves")
            self.check_no_parent_cycle(key, agency, agencies)
        for index, ward_code in enumerate(wards):
            if ("ward", ward_code) not in served_by:
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

    def target(self, key: str, value: str, agencies: Mapping[str, Agency], wards: Mapping[str, Ward]) -> str:
        level = WARD_ROUTING_LEVELS.get(value)
        if level is None and value not in agencies:
            expected = ", ".join(f'"{routing}"' for routing in WARD_ROUTING_LEVELS)
            self.fail(key, f"unknown agency {value!r}; expected {expected} or an agency code")
        if level is not None:
            served = {ward for agency in agencies.values() if agency.level == level for ward in agency.wards}
            if missing := [ward for ward in wards if ward not in served]:
                self.fail(
                    key,
                    f"routes to each ward's {_LEVEL_NAMES[level]}, but no agency with "
                    f"level = {level!r} serves {', '.join(missing)}",
                )
        return value

    def categories(
        self, raw: Iterable[RawCategory], agencies: Mapping[str, Agency], wards: Mapping[str, Ward]
    ) -> dict[str, Category]:
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
                for name in RawReportDeadlines.__struct_fields__
                if (rule := getattr(item.deadlines, name)) is not None
            }
            self.check_attributes(key, item.attributes)
            result[item.code] = Category(
                code=item.code,
                name_vi=self.non_blank(f"{key}.name_vi", item.name_vi),
                name_en=item.name_en,
                group=item.group,
                description=item.description,
                routing=self.target(f"{key}.routing", item.routing, agencies, wards),
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
                self.fail(f"{key}.datatype", f"unknown datatype {attribute.datatype!r}; expected one of {expected}")
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
                self.fail(f"{key}.values", f"only list attributes have values, this one is {attribute.datatype}")
            keys = [value.key for value in attribute.values]
            for position, value_key in enumerate(keys):
                if value_key in keys[:position]:
                    self.fail(f"{key}.values[{position}].key", f"duplicate value key {value_key!r}")

    def procedures(
        self, raw: Iterable[RawProcedure], agencies: Mapping[str, Agency], wards: Mapping[str, Ward]
    ) -> dict[str, Procedure]:
        result: dict[str, Procedure] = {}
        for index, item in enumerate(self.unique("procedures", raw, lambda procedure: procedure.code).values()):
            key = f"procedures[{index}]"
            if item.fee < 0:
                self.fail(f"{key}.fee", f"must not be negative, got {item.fee}")
            result[item.code] = Procedure(
                code=item.code,
                national_code=item.national_code,
                name=self.non_blank(f"{key}.name", item.name),
                name_en=item.name_en,
                agency=self.target(f"{key}.agency", item.agency, agencies, wards),
                processing=self.rule(f"{key}.processing", item.processing),
                fee=item.fee,
                fee_note=item.fee_note,
                required_documents=item.required_documents,
            )
        return result

    def deadlines(self, raw: Mapping[str, Any]) -> dict[str, DeadlineRule]:
        rules = {
            name: self.rule(f"deadlines.{name}", self.convert(value, RawRule, f"deadlines.{name}"))
            for name, value in raw.items()
        }
        for name in REQUIRED_DEADLINES:
            if name not in rules:
                self.fail(f"deadlines.{name}", "this required deadline is missing")
        return rules

    def deadline_watch(self, raw: RawDeadlineWatch, agencies: Mapping[str, Agency]) -> DeadlineWatch:
        if not 0 < raw.reminder_share_percent < 100:
            self.fail(
                "deadline_watch.reminder_share_percent",
                f"must be a whole percentage between 1 and 99, got {raw.reminder_share_percent}",
            )
        basis = self.non_blank("deadline_watch.reminder_share_basis", raw.reminder_share_basis)
        if raw.city_committee is not None and raw.city_committee not in agencies:
            self.fail("deadline_watch.city_committee", f"unknown agency {raw.city_committee!r}")
        return DeadlineWatch(
            reminder_share_percent=raw.reminder_share_percent,
            reminder_share_basis=basis,
            city_committee=raw.city_committee,
        )

    def retention(self, raw: tuple[RawRetention, ...]) -> tuple[RetentionRule, ...]:
        self.unique("retention", raw, lambda rule: rule.code)
        rules = []
        for index, item in enumerate(raw):
            key = f"retention[{index}]"
            for kind in item.kinds:
                if kind not in RETENTION_KINDS:
                    self.fail(f"{key}.kinds", f"unknown kind {kind!r}; expected one of {', '.join(RETENTION_KINDS)}")
            if not item.kinds:
                self.fail(f"{key}.kinds", "must name at least one kind of case")
            if item.held not in RETENTION_HELD:
                self.fail(f"{key}.held", f"must be one of {', '.join(RETENTION_HELD)}, got {item.held!r}")
            if (item.held == "years_after_final") != (item.years > 0):
                self.fail(f"{key}.years", 'a positive number of years goes with held = "years_after_final" only')
            rules.append(
                RetentionRule(
                    code=item.code,
                    kinds=item.kinds,
                    held=item.held,
                    years=item.years,
                    legal_basis=self.non_blank(f"{key}.legal_basis", item.legal_basis),
                    description=item.description,
                )
            )
        return tuple(rules)
