"""Behaviour of the working calendar: holidays, overrides, office hours and the
three ways a legal period is counted. Every expected value was worked out by
hand from a wall calendar (2026-03-02 is a Monday; March 2026 has no public
holiday; mùng 1 Tết 2027 is Saturday 2027-02-06) rather than copied from output.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from ihanoi_core.domain.values import Clock, DeadlineRule, TimeUnit
from ihanoi_core.law.calendar import WorkingCalendar

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
HOUR = 3600
OFFICE_DAY = 8 * HOUR


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=HANOI)


def clock(
    started_at: datetime,
    amount: int,
    unit: TimeUnit,
    *,
    extension: int = 0,
    paused_seconds: int = 0,
    paused_days: int = 0,
) -> Clock:
    return Clock(
        started_at=started_at,
        rule=DeadlineRule(amount, unit, "test"),
        extension=extension,
        paused_seconds=paused_seconds,
        paused_days=paused_days,
    )


@pytest.fixture
def cal() -> WorkingCalendar:
    return WorkingCalendar()


# Working days


def test_tet_2027_closes_offices_from_thursday_4_to_wednesday_10_february(cal: WorkingCalendar) -> None:
    # Mùng 1 falls on a Saturday, so the package moves it to Thursday 4 (the
    # working day before the eve) and mùng 2 (Sunday) to Wednesday 10.
    closed = {d for d in (date(2027, 2, 1) + timedelta(days=i) for i in range(14)) if not cal.is_working_day(d)}
    assert closed == {
        date(2027, 2, 4),
        date(2027, 2, 5),
        date(2027, 2, 6),
        date(2027, 2, 7),
        date(2027, 2, 8),
        date(2027, 2, 9),
        date(2027, 2, 10),
        date(2027, 2, 13),
        date(2027, 2, 14),
    }


def test_a_working_days_deadline_spanning_tet_2027_resumes_after_the_holiday(cal: WorkingCalendar) -> None:
    # Wed 3 Feb 10:00 + 3 working days: Thu 11 (1), Fri 12 (2), Mon 15 (3).
    due = cal.due(clock(at(2027, 2, 3, 10), 3, TimeUnit.WORKING_DAYS))
    assert due == at(2027, 2, 15, 10)


def test_working_hours_skip_the_weekend(cal: WorkingCalendar) -> None:
    # Fri 14:00-17:00 is 3 h, Mon 8:00-12:00 is 4 h, Mon 13:00-14:00 the last 1 h.
    due = cal.due(clock(at(2026, 3, 6, 14), 8, TimeUnit.WORKING_HOURS))
    assert due == at(2026, 3, 9, 14)


def test_vietnamese_culture_day_2026_is_a_day_off(cal: WorkingCalendar) -> None:
    assert not cal.is_working_day(date(2026, 11, 24))
    # It only exists from 2026: 24/11/2025 was an ordinary Monday.
    assert cal.is_working_day(date(2025, 11, 24))


def test_a_working_days_deadline_crossing_24_november_2026_skips_it(cal: WorkingCalendar) -> None:
    # Mon 23 Nov 10:00 + 2 working days: Wed 25 (1), Thu 26 (2); Tue 24 is off.
    due = cal.due(clock(at(2026, 11, 23, 10), 2, TimeUnit.WORKING_DAYS))
    assert due == at(2026, 11, 26, 10)


def test_a_make_up_saturday_known_to_the_holidays_package_is_a_working_day(cal: WorkingCalendar) -> None:
    # Sat 22 Aug 2026 is worked in exchange for the bridge day Mon 31 Aug.
    assert cal.is_working_day(date(2026, 8, 22))
    assert not cal.is_working_day(date(2026, 8, 31))
    assert cal.due(clock(at(2026, 8, 21, 10), 1, TimeUnit.WORKING_DAYS)) == at(2026, 8, 22, 10)


def test_the_national_day_bridge_of_2026_is_skipped(cal: WorkingCalendar) -> None:
    # Fri 28 Aug + 2 working days: weekend, Mon 31 (bridge), Tue 1 and Wed 2
    # Sep (National Day) are off, so Thu 3 Sep (1) and Fri 4 Sep (2).
    due = cal.due(clock(at(2026, 8, 28, 10), 2, TimeUnit.WORKING_DAYS))
    assert due == at(2026, 9, 4, 10)


def test_an_override_day_off_is_skipped() -> None:
    start = clock(at(2026, 3, 3, 10), 1, TimeUnit.WORKING_DAYS)
    assert WorkingCalendar().due(start) == at(2026, 3, 4, 10)
    assert WorkingCalendar(days_off=[date(2026, 3, 4)]).due(start) == at(2026, 3, 5, 10)


def test_an_override_make_up_saturday_is_counted_as_a_working_day() -> None:
    start = clock(at(2026, 3, 6, 10), 1, TimeUnit.WORKING_DAYS)
    assert WorkingCalendar().due(start) == at(2026, 3, 9, 10)
    assert WorkingCalendar(working_days=[date(2026, 3, 7)]).due(start) == at(2026, 3, 7, 10)


def test_an_override_day_off_cancels_a_make_up_saturday_of_the_package() -> None:
    assert not WorkingCalendar(days_off=[date(2026, 8, 22)]).is_working_day(date(2026, 8, 22))


def test_a_date_cannot_be_both_an_override_day_off_and_working_day() -> None:
    with pytest.raises(ValueError, match="2026-03-07"):
        WorkingCalendar(days_off=[date(2026, 3, 7)], working_days=[date(2026, 3, 7)])


# Office hours


def test_a_start_outside_office_hours_counts_from_the_next_opening(cal: WorkingCalendar) -> None:
    friday_evening = at(2026, 3, 6, 19)
    assert cal.next_opening(friday_evening) == at(2026, 3, 9, 8)
    # Four hours from Mon 08:00 end exactly at the lunch close: 12:00, not 13:00.
    assert cal.due(clock(friday_evening, 4, TimeUnit.WORKING_HOURS)) == at(2026, 3, 9, 12)
    # One working day from Mon 08:00 ends at the evening close, not Tue 08:00.
    assert cal.due(clock(friday_evening, 1, TimeUnit.WORKING_DAYS)) == at(2026, 3, 9, 17)


def test_the_lunch_break_is_not_office_time(cal: WorkingCalendar) -> None:
    assert cal.next_opening(at(2026, 3, 2, 12, 30)) == at(2026, 3, 2, 13)
    assert cal.office_seconds_between(at(2026, 3, 2, 11, 30), at(2026, 3, 2, 13, 30)) == HOUR
    # 11:00-12:00 is 1 h, 13:00-15:00 the other 2 h.
    assert cal.due(clock(at(2026, 3, 2, 11), 3, TimeUnit.WORKING_HOURS)) == at(2026, 3, 2, 15)


def test_an_instant_inside_office_hours_is_its_own_next_opening(cal: WorkingCalendar) -> None:
    assert cal.next_opening(at(2026, 3, 2, 9, 15)) == at(2026, 3, 2, 9, 15)


def test_office_seconds_between_counts_only_office_time(cal: WorkingCalendar) -> None:
    # Fri 10:00-17:00 minus lunch is 6 h, Mon 08:00-10:00 is 2 h.
    assert cal.office_seconds_between(at(2026, 3, 6, 10), at(2026, 3, 9, 10)) == OFFICE_DAY
    assert cal.office_seconds_between(at(2026, 3, 9, 10), at(2026, 3, 6, 10)) == 0


def test_eight_working_hours_from_10_are_due_at_10_the_next_working_day(cal: WorkingCalendar) -> None:
    due = cal.due(clock(at(2026, 3, 2, 10), 8, TimeUnit.WORKING_HOURS))
    assert due == at(2026, 3, 3, 10)


def test_a_dossier_received_at_10_with_5_working_days_is_due_at_10_five_working_days_later(
    cal: WorkingCalendar,
) -> None:
    due = cal.due(clock(at(2026, 3, 2, 10), 5, TimeUnit.WORKING_DAYS))
    assert due == at(2026, 3, 9, 10)


def test_a_working_day_lasts_as_long_as_the_configured_office_day() -> None:
    mornings_only = WorkingCalendar(office_hours=((time(8), time(12)),))
    assert mornings_only.office_day_seconds == 4 * HOUR
    assert mornings_only.due(clock(at(2026, 3, 2, 10), 2, TimeUnit.WORKING_DAYS)) == at(2026, 3, 4, 10)
    assert mornings_only.due(clock(at(2026, 3, 2, 10), 1, TimeUnit.CALENDAR_DAYS)) == at(2026, 3, 3, 12)


# Calendar days (Civil Code 2015 Art. 147-148)


def test_calendar_days_do_not_count_the_start_day(cal: WorkingCalendar) -> None:
    due = cal.due(clock(at(2026, 3, 2, 16), 1, TimeUnit.CALENDAR_DAYS))
    assert due == at(2026, 3, 3, 17)


def test_calendar_days_ending_on_a_weekend_move_to_the_next_working_day_at_17(cal: WorkingCalendar) -> None:
    # Wed 4 Mar + 10 days is Sat 14 Mar, so the period ends Mon 16 Mar 17:00.
    due = cal.due(clock(at(2026, 3, 4, 10), 10, TimeUnit.CALENDAR_DAYS))
    assert due == at(2026, 3, 16, 17)


def test_calendar_days_count_the_days_of_tet(cal: WorkingCalendar) -> None:
    # Thu 28 Jan 2027 + 14 days is Thu 11 Feb, the first working day after Tết.
    assert cal.due(clock(at(2027, 1, 28, 9), 14, TimeUnit.CALENDAR_DAYS)) == at(2027, 2, 11, 17)


def test_calendar_days_ending_inside_tet_move_past_it(cal: WorkingCalendar) -> None:
    # Mon 1 Feb 2027 + 7 days is Mon 8 Feb (mùng 3 Tết); offices reopen Thu 11 Feb.
    assert cal.due(clock(at(2027, 2, 1, 9), 7, TimeUnit.CALENDAR_DAYS)) == at(2027, 2, 11, 17)


# Pauses and extensions


def test_a_paused_working_days_clock_keeps_its_remaining_time_after_resume(cal: WorkingCalendar) -> None:
    started = at(2026, 3, 2, 10)
    paused, resumed = at(2026, 3, 4, 10), at(2026, 3, 9, 10)
    # Wed 10:00-17:00 is 6 h, Thu and Fri 8 h each, Mon 08:00-10:00 2 h: 24 h.
    assert cal.pause_time(paused, resumed) == (3 * OFFICE_DAY, 5)
    original_due = cal.due(clock(started, 5, TimeUnit.WORKING_DAYS))
    assert original_due == at(2026, 3, 9, 10)
    due = cal.due(clock(started, 5, TimeUnit.WORKING_DAYS, paused_seconds=3 * OFFICE_DAY))
    # Three working days were left at the pause and three are left at the resume.
    assert due == at(2026, 3, 12, 10)
    assert cal.office_seconds_between(resumed, due) == cal.office_seconds_between(paused, original_due)


def test_a_paused_calendar_days_clock_is_extended_by_the_days_paused(cal: WorkingCalendar) -> None:
    seconds, days = cal.pause_time(at(2026, 3, 5, 15), at(2026, 3, 9, 9))
    # Thu 15:00-17:00 is 2 h, Fri 8 h, Mon 08:00-09:00 1 h.
    assert (seconds, days) == (11 * HOUR, 4)
    # Mon 2 Mar + 10 + 4 days is Mon 16 Mar.
    due = cal.due(clock(at(2026, 3, 2, 10), 10, TimeUnit.CALENDAR_DAYS, paused_days=days))
    assert due == at(2026, 3, 16, 17)


def test_a_resume_before_its_pause_is_rejected(cal: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match="before pause"):
        cal.pause_time(at(2026, 3, 9, 10), at(2026, 3, 4, 10))


def test_an_extension_adds_to_the_legal_amount(cal: WorkingCalendar) -> None:
    # 10 + 5 working days from Mon 2 Mar: Mon 9 (5), Mon 16 (10), Mon 23 (15).
    due = cal.due(clock(at(2026, 3, 2, 10), 10, TimeUnit.WORKING_DAYS, extension=5))
    assert due == at(2026, 3, 23, 10)


# Time zones and performance


def test_aware_inputs_in_any_zone_give_results_in_hanoi_time(cal: WorkingCalendar) -> None:
    # 03:00 UTC is 10:00 in Hanoi (UTC+7).
    due = cal.due(clock(datetime(2026, 3, 2, 3, tzinfo=UTC), 5, TimeUnit.WORKING_DAYS))
    assert due == at(2026, 3, 9, 10)
    assert due.tzinfo == HANOI
    # 12:00 UTC on Friday is 19:00 in Hanoi, after closing.
    assert cal.next_opening(datetime(2026, 3, 6, 12, tzinfo=UTC)) == at(2026, 3, 9, 8)


def test_naive_datetimes_are_rejected(cal: WorkingCalendar) -> None:
    naive = datetime(2026, 3, 2, 10)
    with pytest.raises(ValueError, match="naive"):
        cal.due(clock(naive, 5, TimeUnit.WORKING_DAYS))
    with pytest.raises(ValueError, match="naive"):
        cal.due(clock(naive, 5, TimeUnit.CALENDAR_DAYS))
    with pytest.raises(ValueError, match="naive"):
        cal.next_opening(naive)
    with pytest.raises(ValueError, match="naive"):
        cal.office_seconds_between(at(2026, 3, 2, 10), naive)
    with pytest.raises(ValueError, match="naive"):
        cal.pause_time(naive, at(2026, 3, 2, 10))


def test_a_60_working_day_deadline_crosses_the_year_and_its_holidays(cal: WorkingCalendar) -> None:
    # Mon 2 Nov 2026 + 60 working days, skipping 24 Nov and 1 Jan 2027: 19 left
    # in November, 23 in December, and the 18th in January is Wed 27 Jan.
    # (How fast it is computed is a `make bench` figure, not a unit test's.)
    long_clock = clock(at(2026, 11, 2, 10), 60, TimeUnit.WORKING_DAYS)
    assert cal.due(long_clock) == at(2027, 1, 27, 10)


# The shipped Hanoi calendar: the package plus the sourced overrides


@pytest.fixture
def hanoi_cal() -> WorkingCalendar:
    from ihanoi_core.directory import load_directory

    settings = load_directory().calendar
    return WorkingCalendar(days_off=settings.days_off, working_days=settings.working_days)


def test_friday_2_january_2026_is_off_and_saturday_10_january_is_worked_per_12729_vpcp_kgvx(
    hanoi_cal: WorkingCalendar,
) -> None:
    # Official Letter 12729/VPCP-KGVX of 25/12/2025: New Year 2026 off from
    # Thursday 1 to Sunday 4 January, Friday 2 swapped for Saturday 10.
    assert not hanoi_cal.is_working_day(date(2026, 1, 2))
    assert hanoi_cal.is_working_day(date(2026, 1, 10))
    # Wednesday 31/12/2025 10:00 + 1 working day skips Thursday to Sunday.
    assert hanoi_cal.due(clock(at(2025, 12, 31, 10), 1, TimeUnit.WORKING_DAYS)) == at(2026, 1, 5, 10)
    # Friday 9/1/2026 10:00 + 1 working day lands on the worked Saturday.
    assert hanoi_cal.due(clock(at(2026, 1, 9, 10), 1, TimeUnit.WORKING_DAYS)) == at(2026, 1, 10, 10)


def test_ten_calendar_days_from_friday_29_january_2027_end_on_thursday_11_february(
    hanoi_cal: WorkingCalendar,
) -> None:
    # Day 10 is Monday 8 February, inside Tết (4-10 February), so the period
    # ends at the close of the next working day, Thursday 11 — not a day later,
    # as it did while the sample invented 11 February as a bridge day.
    assert hanoi_cal.due(clock(at(2027, 1, 29, 9), 10, TimeUnit.CALENDAR_DAYS)) == at(2027, 2, 11, 17)


def test_tuesday_24_november_2026_vietnamese_culture_day_is_off_and_no_swap_is_shipped(
    hanoi_cal: WorkingCalendar,
) -> None:
    # The day itself comes from the package (Resolution 28/2026/QH16, in force
    # 01/07/2026); no swap around it was found approved, so Monday 23 works.
    assert not hanoi_cal.is_working_day(date(2026, 11, 24))
    assert hanoi_cal.is_working_day(date(2026, 11, 23))
    assert not hanoi_cal.is_working_day(date(2026, 11, 28))
