"""Business-time arithmetic for SLA clocks (pure functions, no database).

A :class:`BusinessCalendar` names the company's time zone, its working hours (wall-clock
``start_hour`` to ``end_hour`` on ``weekdays``, Monday = 0) and its public holidays (a
``holidays`` calendar of the company's country, or any container of dates).

* a **business window** is the local working day ``[start_hour, end_hour)`` of a working day that
  is not a holiday, turned into aware instants with the time zone's rules of that day: on the
  nights the clocks change the window keeps its wall-clock hours (9–17 is 8 hours on the
  Sunday-to-Monday change as on any day; a window that spans the change itself, e.g. a 24-hour
  desk, is an hour shorter or longer, as a real clock on the wall would show);
* :func:`business_seconds` counts the seconds of ``[start, end)`` inside business windows;
* :func:`add_business_seconds` is the instant at which ``seconds`` business seconds after
  ``start`` have elapsed (``start`` itself when ``seconds`` is 0 — even outside the windows; a
  positive amount lands inside or at the end of a window, never in a gap).

Both answer aware ``datetime`` in UTC. They loop over local days, so keep spans to years, not
centuries (``MAX_DAYS``).
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_DAYS = 3660  # ten years of calendar days: a guard against an SLA that can never be met


@dataclass(frozen=True)
class BusinessCalendar:
    time_zone: str = "Europe/Berlin"
    start_hour: int = 9
    end_hour: int = 17
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    holidays: Container[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not 0 <= self.start_hour < self.end_hour <= 24:
            raise ValueError(
                f"business hours {self.start_hour}-{self.end_hour}: need 0 ≤ start < end ≤ 24"
            )
        if not self.weekdays:
            raise ValueError("business hours need at least one working weekday")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.weekdays and day not in self.holidays

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """The business window of local ``day`` in UTC, or ``None`` on a day off."""
        if not self.is_working_day(day):
            return None
        zone = self.zone
        start = datetime.combine(day, time(self.start_hour), tzinfo=zone)
        if self.end_hour == 24:
            end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
        else:
            end = datetime.combine(day, time(self.end_hour), tzinfo=zone)
        return start.astimezone(UTC), end.astimezone(UTC)


def _aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got {moment!r}")
    return moment.astimezone(UTC)


def business_seconds(calendar: BusinessCalendar, start: datetime, end: datetime) -> int:
    """Whole seconds of ``[start, end)`` inside business windows (0 if ``end <= start``)."""
    start, end = _aware(start, "start"), _aware(end, "end")
    if end <= start:
        return 0
    zone = calendar.zone
    day = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date()
    total = 0
    steps = 0
    while day <= last:
        window = calendar.window(day)
        if window is not None:
            lo, hi = max(window[0], start), min(window[1], end)
            if hi > lo:
                total += int((hi - lo).total_seconds())
        day += timedelta(days=1)
        steps += 1
        if steps > MAX_DAYS + 2:
            raise ValueError("business_seconds: span longer than MAX_DAYS")
    return total


def add_business_seconds(calendar: BusinessCalendar, start: datetime, seconds: int) -> datetime:
    """The instant ``seconds`` business seconds after ``start``."""
    start = _aware(start, "start")
    if seconds < 0:
        raise ValueError("add_business_seconds: seconds must be ≥ 0")
    if seconds == 0:
        return start
    zone = calendar.zone
    day = start.astimezone(zone).date() - timedelta(days=1)
    remaining = seconds
    for _step in range(MAX_DAYS):
        window = calendar.window(day)
        if window is not None and window[1] > start:
            lo = max(window[0], start)
            available = int((window[1] - lo).total_seconds())
            if remaining <= available:
                return lo + timedelta(seconds=remaining)
            remaining -= available
        day += timedelta(days=1)
    raise ValueError("add_business_seconds: no business time within MAX_DAYS (check the hours)")


def is_business_time(calendar: BusinessCalendar, moment: datetime) -> bool:
    moment = _aware(moment, "moment")
    window = calendar.window(moment.astimezone(calendar.zone).date())
    return window is not None and window[0] <= moment < window[1]
