"""The working calendar of Hanoi's administration: which days are working days,
when the offices are open, and how legal periods turn into due times.

Public holidays (lunar Tết, substitute days, the make-up working Saturdays the
Government swaps for bridge days, and the 24/11 Vietnamese Culture Day from
2026) come from the ``holidays`` package, loaded lazily per year; two override
tables cover what the package cannot know yet, a late notice adding a day off
or a make-up working Saturday. ``WorkingCalendar`` satisfies the domain's
``DeadlineCalendar`` protocol: it counts working hours and working days in
office time, and calendar days by the Civil Code 2015 rules (Art. 147: the day
of the event is not counted; Art. 148: a period ending on a day off ends on the
next working day). Every datetime in or out must be timezone-aware; results are
in the calendar's own zone.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

from ihanoi_core.domain.values import Clock, TimeUnit

__all__ = ["DEFAULT_OFFICE_HOURS", "WorkingCalendar"]

DEFAULT_OFFICE_HOURS: tuple[tuple[time, time], ...] = ((time(8), time(12)), (time(13), time(17)))
"""The administrative day of Hanoi's agencies: 8:00-12:00 and 13:00-17:00."""

_ONE_DAY = timedelta(days=1)
# A guard against override tables that leave no working day at all: no real
# gap between two working days comes close to a year.
_MAX_SEARCH_DAYS = 366


def _seconds_of_day(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


class WorkingCalendar:
    """Vietnamese public-sector working calendar with office hours.

    ``days_off`` are extra non-working days and ``working_days`` extra working
    days (make-up Saturdays) announced after the ``holidays`` data was
    published. The override tables win over the package data, and a date may
    not be in both.
    """

    def __init__(
        self,
        *,
        days_off: Iterable[date] = (),
        working_days: Iterable[date] = (),
        office_hours: tuple[tuple[time, time], ...] = DEFAULT_OFFICE_HOURS,
        timezone: str = "Asia/Ho_Chi_Minh",
    ) -> None:
        self._days_off = frozenset(days_off)
        self._working_days = frozenset(working_days)
        both = self._days_off & self._working_days
        if both:
            listed = ", ".join(d.isoformat() for d in sorted(both))
            raise ValueError(f"Dates cannot be both days off and working days: {listed}")
        self._office_hours = self._checked_office_hours(office_hours)
        self._zone = ZoneInfo(timezone)
        self._day_seconds = sum(_seconds_of_day(e) - _seconds_of_day(s) for s, e in self._office_hours)
        self._day_length = timedelta(seconds=self._day_seconds)
        self._holiday_years: dict[int, tuple[frozenset[date], frozenset[date]]] = {}
        self._working_cache: dict[date, bool] = {}
        self._periods_cache: dict[date, tuple[tuple[datetime, datetime], ...]] = {}

    @staticmethod
    def _checked_office_hours(periods: tuple[tuple[time, time], ...]) -> tuple[tuple[time, time], ...]:
        if not periods:
            raise ValueError("office_hours must have at least one period")
        previous_end: time | None = None
        for start, end in periods:
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError("office_hours are local wall-clock times and must be naive")
            if start >= end:
                raise ValueError(f"office period {start}-{end} must start before it ends")
            if previous_end is not None and start < previous_end:
                raise ValueError("office_hours periods must be in order and must not overlap")
            previous_end = end
        return tuple(periods)

    @property
    def zone(self) -> ZoneInfo:
        """The zone every returned datetime is expressed in."""
        return self._zone

    @property
    def office_day_seconds(self) -> int:
        """Length of one full office day; one working day of a legal period."""
        return self._day_seconds

    # Working days

    def _holiday_data(self, year: int) -> tuple[frozenset[date], frozenset[date]]:
        data = self._holiday_years.get(year)
        if data is None:
            calendar = holidays.country_holidays("VN", years=year)
            # ``weekend_workdays`` holds the Saturdays worked in exchange for a
            # bridge day off; the package fills it while populating the year and
            # always adds the cross-year swaps, so one year's object suffices.
            data = (frozenset(calendar.keys()), frozenset(calendar.weekend_workdays))
            self._holiday_years[year] = data
        return data

    def is_working_day(self, d: date) -> bool:
        """Whether offices are open on ``d``: a weekday that is no public holiday
        or announced day off, or a make-up working day."""
        cached = self._working_cache.get(d)
        if cached is not None:
            return cached
        if d in self._working_days:
            working = True
        elif d in self._days_off:
            working = False
        else:
            days_off, make_up_days = self._holiday_data(d.year)
            # State agencies work a 40-hour week with Saturday and Sunday off
            # (Decision 188/1999/QĐ-TTg), unless a notice swaps a Saturday in.
            working = d in make_up_days or (d.weekday() < 5 and d not in days_off)
        self._working_cache[d] = working
        return working

    # Office time

    def _local(self, at: datetime) -> datetime:
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError(f"Datetime {at.isoformat()} is naive; pass a timezone-aware datetime")
        return at.astimezone(self._zone)

    def _periods(self, d: date) -> tuple[tuple[datetime, datetime], ...]:
        periods = self._periods_cache.get(d)
        if periods is None:
            zone = self._zone
            periods = self._periods_cache[d] = (
                tuple(
                    (datetime.combine(d, s, tzinfo=zone), datetime.combine(d, e, tzinfo=zone))
                    for s, e in self._office_hours
                )
                if self.is_working_day(d)
                else ()
            )
        return periods

    def _close_of(self, d: date) -> datetime:
        return datetime.combine(d, self._office_hours[-1][1], tzinfo=self._zone)

    def next_opening(self, at: datetime) -> datetime:
        """``at`` itself when offices are open then, else the start of the next
        office period."""
        local = self._local(at)
        day = local.date()
        for _ in range(_MAX_SEARCH_DAYS):
            for start, end in self._periods(day):
                if local < end:
                    return max(start, local)
            day += _ONE_DAY
        raise ValueError(f"No office period within {_MAX_SEARCH_DAYS} days of {local.isoformat()}")

    def office_seconds_between(self, start: datetime, end: datetime) -> int:
        """Whole seconds of office time in ``[start, end)``; 0 if ``end <= start``."""
        begin, finish = self._local(start), self._local(end)
        if finish <= begin:
            return 0
        total = timedelta()
        first, last = begin.date(), finish.date()
        for day in {first, last}:
            for period_start, period_end in self._periods(day):
                lo, hi = max(period_start, begin), min(period_end, finish)
                if hi > lo:
                    total += hi - lo
        # Days strictly between the two ends are either whole office days or none.
        day = first + _ONE_DAY
        while day < last:
            if self.is_working_day(day):
                total += self._day_length
            day += _ONE_DAY
        return int(total.total_seconds())

    def add_office_seconds(self, start: datetime, seconds: int) -> datetime:
        """The instant after ``seconds`` of office time counted from
        ``next_opening(start)``. An amount that runs out exactly at the close of
        a period ends at that close (the deadline is the end of the office
        day, not the next morning)."""
        if seconds < 0:
            raise ValueError(f"Cannot add a negative amount of office time: {seconds}")
        current = self.next_opening(start)
        remaining = timedelta(seconds=seconds)
        if not remaining:
            return current
        for period_start, period_end in self._periods(current.date()):
            if period_end <= current:
                continue
            begin = max(period_start, current)
            available = period_end - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        # Whole office days are skipped in one step, which keeps a 60-day
        # deadline at a few dozen dictionary look-ups.
        day, idle_days = current.date() + _ONE_DAY, 0
        while idle_days < _MAX_SEARCH_DAYS:
            if not self.is_working_day(day):
                idle_days += 1
            elif remaining > self._day_length:
                remaining -= self._day_length
                idle_days = 0
            else:
                return self._instant_into(day, remaining)
            day += _ONE_DAY
        raise ValueError(f"No office period within {_MAX_SEARCH_DAYS} days of {day.isoformat()}")

    def _instant_into(self, day: date, office_time: timedelta) -> datetime:
        """The instant ``office_time`` (at most one office day) into working day ``day``."""
        for period_start, period_end in self._periods(day):
            length = period_end - period_start
            if office_time <= length:
                return period_start + office_time
            office_time -= length
        raise AssertionError("office_time exceeds one office day")

    # DeadlineCalendar

    def due(self, clock: Clock) -> datetime:
        """The due time of a running legal deadline (DESIGN §3.5), granted
        extensions added and paused time excluded."""
        amount = clock.rule.amount + clock.extension
        if amount < 0:
            raise ValueError(f"A deadline cannot run for a negative amount: {amount}")
        unit = clock.rule.unit
        if unit is TimeUnit.WORKING_HOURS:
            return self.add_office_seconds(clock.started_at, amount * 3600 + clock.paused_seconds)
        if unit is TimeUnit.WORKING_DAYS:
            # A working day is one full office day of time, so a dossier received
            # at 10:00 is due at 10:00 the n-th working day after.
            return self.add_office_seconds(clock.started_at, amount * self._day_seconds + clock.paused_seconds)
        if unit is TimeUnit.CALENDAR_DAYS:
            # Civil Code 2015 Art. 147(1): a period in days starts the day after
            # the event, so the start day is not counted. Art. 148: an act due at
            # an agency must be done by the end of its office hours on the last
            # day, and a last day that is a day off moves to the next working day.
            day = self._local(clock.started_at).date() + timedelta(days=amount + clock.paused_days)
            for _ in range(_MAX_SEARCH_DAYS):
                if self.is_working_day(day):
                    return self._close_of(day)
                day += _ONE_DAY
            raise ValueError(f"No working day within {_MAX_SEARCH_DAYS} days of {day.isoformat()}")
        raise ValueError(f"Unknown time unit: {unit!r}")

    def pause_time(self, paused_at: datetime, resumed_at: datetime) -> tuple[int, int]:
        """Office seconds and local calendar days between a pause and its resume;
        the first feeds hour/working-day clocks, the second calendar-day ones."""
        paused, resumed = self._local(paused_at), self._local(resumed_at)
        if resumed < paused:
            raise ValueError(f"Resume {resumed.isoformat()} is before pause {paused.isoformat()}")
        return self.office_seconds_between(paused, resumed), (resumed.date() - paused.date()).days
