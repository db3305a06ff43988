"""The legal data of a directory as tables: the days the working calendar
treats differently from an ordinary week, and every deadline rule with its
source (``ihanoi calendar show`` and ``ihanoi rules show`` print them).

A day is listed when it is a day off that is not an ordinary weekend day (a
public holiday, a substitute day, an announced bridge day), a named holiday
falling on a weekend, or a weekend day worked in exchange for a bridge day.
Whether a day is worked comes from the same ``WorkingCalendar`` that computes
deadlines, so the table can never disagree with a due time; the name and the
source say where the day comes from — the ``holidays`` package, or an override
of the directory with its notice.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from datetime import date, timedelta
from importlib.metadata import version

import holidays
from holidays.countries.vietnam import Vietnam

from ihanoi_core.directory import CalendarOverride, Directory
from ihanoi_core.domain.values import DeadlineRule, TimeUnit
from ihanoi_core.law.basis import BasisKind, basis_kind, source_problem
from ihanoi_core.law.calendar import WorkingCalendar

__all__ = [
    "CALENDAR_YEARS",
    "PACKAGE_SOURCE",
    "UNIT_NAMES",
    "CalendarDay",
    "RuleRow",
    "list_calendar_days",
    "list_rules",
]

CALENDAR_YEARS = range(Vietnam.start_year, Vietnam.end_year + 1)
"""The years the ``holidays`` package has Vietnamese data for; outside them it
knows no holiday at all, so a listing would be silently empty."""

PACKAGE_SOURCE = f"holidays {version('holidays')} (VN)"

UNIT_NAMES = {
    TimeUnit.WORKING_HOURS: "working hours",
    TimeUnit.WORKING_DAYS: "working days",
    TimeUnit.CALENDAR_DAYS: "calendar days",
}

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True, slots=True)
class CalendarDay:
    """One day that is not an ordinary working weekday or weekend day.
    ``notice``, ``notice_date`` and ``issuer`` are the override's, ``None`` for
    a day the ``holidays`` package supplies."""

    date: _dt.date
    weekday: str
    working: bool
    name: str
    source: str
    notice: str | None = None
    notice_date: _dt.date | None = None
    issuer: str | None = None


@dataclass(frozen=True, slots=True)
class RuleRow:
    """One deadline rule: where it is in the directory, its period, and its
    basis with the kind of source (``problem`` names what the basis lacks)."""

    rule: str
    amount: int
    unit: TimeUnit
    status: BasisKind
    basis: str
    problem: str | None


def list_calendar_days(directory: Directory, year: int) -> tuple[CalendarDay, ...]:
    """Every day off other than an ordinary weekend day, every named holiday,
    and every worked weekend day of ``year``, in date order. ``ValueError`` for
    a year outside ``CALENDAR_YEARS``."""
    if year not in CALENDAR_YEARS:
        raise ValueError(
            f"year {year} is outside {CALENDAR_YEARS.start}-{CALENDAR_YEARS.stop - 1}, "
            "the years the holidays package has Vietnamese data for"
        )
    settings = directory.calendar
    calendar = WorkingCalendar(
        days_off=settings.days_off,
        working_days=settings.working_days,
        office_hours=settings.office_hours,
        timezone=settings.timezone,
    )
    package = holidays.country_holidays("VN", years=year)
    overrides = {override.date: override for override in settings.overrides}
    days = []
    day = date(year, 1, 1)
    while day.year == year:
        working = calendar.is_working_day(day)
        weekend = day.weekday() >= 5
        override = overrides.get(day)
        if override is not None or (working and weekend) or (not working and (not weekend or day in package)):
            days.append(_calendar_day(day, working, override, package))
        day += timedelta(days=1)
    return tuple(days)


def _calendar_day(
    day: date, working: bool, override: CalendarOverride | None, package: holidays.HolidayBase
) -> CalendarDay:
    weekday = _WEEKDAYS[day.weekday()]
    if override is not None:
        return CalendarDay(
            date=day,
            weekday=weekday,
            working=working,
            name=override.note or ("make-up working day" if working else "day off"),
            source="override",
            notice=override.notice,
            notice_date=override.notice_date,
            issuer=override.issuer,
        )
    name = package.get(day)
    if name is None:
        # A make-up Saturday: the package names only the day off it pays for,
        # "Day off (substituted from MM/DD/YYYY)".
        stamp = day.strftime("%m/%d/%Y")
        paid_for = [other for other, label in package.items() if stamp in label]
        name = f"worked in exchange for {paid_for[0].isoformat()}" if paid_for else "make-up working day"
    return CalendarDay(date=day, weekday=weekday, working=working, name=str(name), source=PACKAGE_SOURCE)


def list_rules(directory: Directory) -> tuple[RuleRow, ...]:
    """Every deadline rule of the directory: the city-wide deadlines, then each
    category's overrides, then each procedure's processing period."""
    named: list[tuple[str, DeadlineRule]] = list(directory.deadlines.items())
    for category in directory.categories.values():
        named.extend((f"category {category.code}: {key}", rule) for key, rule in category.deadlines.items())
    named.extend((f"procedure {procedure.code}", procedure.processing) for procedure in directory.procedures.values())
    return tuple(
        RuleRow(
            rule=name,
            amount=rule.amount,
            unit=rule.unit,
            status=basis_kind(rule.legal_basis),
            basis=rule.legal_basis,
            problem=source_problem(rule.legal_basis),
        )
        for name, rule in named
    )
