"""The directory's ``[calendar]`` table: office hours, the time zone, and the
overrides of the legal calendar (a bridge day off, a make-up Saturday), each
with the notice that decided it (number, date, issuer). A bare date with no
source is refused: invented legal data must never ship (docs/legal-basis.md).
"""

from __future__ import annotations

import re
from datetime import date, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ihanoi_core.directory.model import CalendarOverride, CalendarSettings
from ihanoi_core.directory.schema import RawCalendar, RawOverride
from ihanoi_core.directory.text import DirectoryText

_HH_MM = re.compile(r"(?P<hour>[01]\d|2[0-3]):(?P<minute>[0-5]\d)")


class CalendarTable(DirectoryText):
    """Checks the ``[calendar]`` table of one load (a base of the loader)."""

    def time_of_day(self, key: str, value: str) -> time:
        if not (m := _HH_MM.fullmatch(value)):
            self.fail(key, f'{value!r} is not a time of day in HH:MM form (e.g. "08:00")')
        return time(int(m["hour"]), int(m["minute"]))

    def calendar(self, raw: RawCalendar) -> CalendarSettings:
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
        for table in ("days_off", "working_days"):
            if getattr(raw, table):
                self.fail(
                    f"calendar.{table}",
                    "a bare date has no source; list each day as a [[calendar.overrides]] entry "
                    "with date, working, notice (the notice's number), notice_date and issuer",
                )
        return CalendarSettings(
            office_hours=tuple(periods),
            timezone=raw.timezone,
            overrides=self.overrides(raw.overrides),
        )

    def overrides(self, raw: tuple[RawOverride, ...]) -> tuple[CalendarOverride, ...]:
        seen: dict[date, int] = {}
        result: list[CalendarOverride] = []
        for index, item in enumerate(raw):
            key = f"calendar.overrides[{index}]"
            if item.date in seen:
                self.fail(f"{key}.date", f"{item.date} is already overridden at calendar.overrides[{seen[item.date]}]")
            seen[item.date] = index
            # An override comes from a notice issued before the day it changes.
            if item.notice_date > item.date:
                self.fail(f"{key}.notice_date", f"{item.notice_date} is after the day it changes ({item.date})")
            result.append(
                CalendarOverride(
                    date=item.date,
                    working=item.working,
                    notice=self.non_blank(f"{key}.notice", item.notice),
                    notice_date=item.notice_date,
                    issuer=self.non_blank(f"{key}.issuer", item.issuer),
                    note=item.note,
                )
            )
        return tuple(sorted(result, key=lambda override: override.date))
