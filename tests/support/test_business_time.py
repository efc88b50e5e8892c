"""Business-time arithmetic: exact answers across nights, weekends, holidays and DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from downline.support.business_time import (
    BusinessCalendar,
    add_business_seconds,
    business_seconds,
    is_business_time,
)

BERLIN = ZoneInfo("Europe/Berlin")
CAL = BusinessCalendar(time_zone="Europe/Berlin", holidays=holidays.country_holidays("DE"))
HOUR = 3600


def local(*args) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def test_within_one_day():
    assert business_seconds(CAL, local(2026, 3, 10, 10), local(2026, 3, 10, 12)) == 2 * HOUR
    assert add_business_seconds(CAL, local(2026, 3, 10, 10), 2 * HOUR) == local(2026, 3, 10, 12)


def test_night_is_skipped():
    # Tuesday 16:00 + 2 h → Wednesday 10:00
    assert add_business_seconds(CAL, local(2026, 3, 10, 16), 2 * HOUR) == local(2026, 3, 11, 10)
    assert business_seconds(CAL, local(2026, 3, 10, 16), local(2026, 3, 11, 10)) == 2 * HOUR


def test_weekend_is_skipped():
    # Friday 16:30 + 1 h → Monday 9:30
    assert add_business_seconds(CAL, local(2026, 3, 13, 16, 30), HOUR) == local(2026, 3, 16, 9, 30)
    assert business_seconds(CAL, local(2026, 3, 13, 12), local(2026, 3, 16, 12)) == 8 * HOUR


def test_start_outside_hours_begins_at_opening():
    assert add_business_seconds(CAL, local(2026, 3, 10, 6), HOUR) == local(2026, 3, 10, 10)
    assert add_business_seconds(CAL, local(2026, 3, 14, 11), HOUR) == local(2026, 3, 16, 10)


def test_easter_holidays_are_skipped():
    # Thursday 2 April 2026 16:00 + 2 h: Good Friday (3rd) and Easter Monday (6th) are holidays
    assert add_business_seconds(CAL, local(2026, 4, 2, 16), 2 * HOUR) == local(2026, 4, 7, 10)
    assert business_seconds(CAL, local(2026, 4, 2, 9), local(2026, 4, 8, 9)) == 16 * HOUR


def test_another_country_has_other_holidays():
    poland = BusinessCalendar(time_zone="Europe/Warsaw", holidays=holidays.country_holidays("PL"))
    warsaw = ZoneInfo("Europe/Warsaw")
    # 11 November (Independence Day, a Wednesday in 2026) is a holiday in Poland, not in Germany
    start = datetime(2026, 11, 10, 16, tzinfo=warsaw)
    assert add_business_seconds(poland, start, 2 * HOUR) == datetime(
        2026, 11, 12, 10, tzinfo=warsaw
    )
    assert add_business_seconds(CAL, local(2026, 11, 10, 16), 2 * HOUR) == local(2026, 11, 11, 10)


def test_spring_forward_keeps_wall_clock_hours():
    # Clocks go forward on Sunday 29 March 2026; Friday 16:00 + 2 business hours is Monday 10:00
    # local, which is 08:00 UTC (CEST) while Friday 16:00 was 15:00 UTC (CET)
    start = local(2026, 3, 27, 16)
    due = add_business_seconds(CAL, start, 2 * HOUR)
    assert due == local(2026, 3, 30, 10)
    assert due.astimezone(UTC) == datetime(2026, 3, 30, 8, tzinfo=UTC)
    assert business_seconds(CAL, start, due) == 2 * HOUR


def test_fall_back_keeps_wall_clock_hours():
    start = local(2026, 10, 23, 16)  # Friday, CEST
    due = add_business_seconds(CAL, start, 2 * HOUR)
    assert due == local(2026, 10, 26, 10)  # Monday, CET
    assert due.astimezone(UTC) == datetime(2026, 10, 26, 9, tzinfo=UTC)


def test_a_round_the_clock_desk_loses_an_hour_on_the_change_night():
    desk = BusinessCalendar(
        time_zone="Europe/Berlin", start_hour=0, end_hour=24, weekdays=tuple(range(7))
    )
    day = date(2026, 3, 29)
    start = datetime(day.year, day.month, day.day, tzinfo=BERLIN)
    end = start + timedelta(days=1)  # wall clock: next midnight, 23 real hours later
    assert business_seconds(desk, start, datetime(2026, 3, 30, tzinfo=BERLIN)) == 23 * HOUR
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=23)


def test_add_and_count_agree():
    start = local(2026, 12, 23, 15, 17)
    for seconds in (1, 59, HOUR, 8 * HOUR, 8 * HOUR + 1, 40 * HOUR, 123_457):
        due = add_business_seconds(CAL, start, seconds)
        assert business_seconds(CAL, start, due) == seconds
        assert is_business_time(CAL, due - timedelta(seconds=1))


def test_zero_and_refusals():
    start = local(2026, 3, 14, 3)
    assert add_business_seconds(CAL, start, 0) == start
    assert business_seconds(CAL, local(2026, 3, 10, 12), local(2026, 3, 10, 11)) == 0
    with pytest.raises(ValueError, match="aware"):
        business_seconds(CAL, datetime(2026, 3, 10, 12), local(2026, 3, 10, 13))  # noqa: DTZ001
    with pytest.raises(ValueError, match="start < end"):
        BusinessCalendar(start_hour=17, end_hour=9)
