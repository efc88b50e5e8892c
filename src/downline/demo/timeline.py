"""The demo's clock: six months of a company replayed with the time set to when each step
happened, so that history, ledger postings, runs and payouts carry believable dates.

The clock is moved with ``time_machine`` (it ticks on from the instant it is set to). Every
instant is clamped to the real ``now`` at which seeding started: on the 1st of a month at
00:30 the final run of the month that just ended happens "now", not at its usual 02:00,
because the future has not happened yet. Instants are never earlier than the period they
belong to, since callers only ask for instants inside their period.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import time_machine


class Timeline:
    """Instants of the demo's history in the company's time zone, none later than ``now``."""

    def __init__(self, now: datetime, zone: ZoneInfo) -> None:
        self.now = now
        self.zone = zone

    def local(self, day: date, hour: int, minute: int = 0) -> datetime:
        """``day`` at ``hour:minute`` company time, clamped to ``now``."""
        return self.clamp(datetime.combine(day, time(hour, minute), tzinfo=self.zone))

    def clamp(self, instant: datetime) -> datetime:
        return min(instant, self.now)

    @contextmanager
    def at(self, instant: datetime) -> Iterator[datetime]:
        """Run the block with the clock set to ``instant`` (clamped to ``now``), ticking."""
        moment = self.clamp(instant)
        with time_machine.travel(moment, tick=True):
            yield moment


def month_days(code: str) -> tuple[date, date]:
    """First and last day of month ``code`` (``2026-10``)."""
    year, month = int(code[:4]), int(code[5:7])
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def previous_months(today: date, count: int) -> list[str]:
    """The codes of the ``count`` months up to and including ``today``'s, oldest first."""
    months = []
    year, month = today.year, today.month
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    months.reverse()
    return months
