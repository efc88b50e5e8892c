"""Commission-period calendar, pure Python (no Django): codes and bounds in a company time zone.

A monthly period is coded ``YYYY-MM`` and runs from the first midnight of the month to the first
midnight of the next, in the company's time zone. A weekly period is an ISO week coded
``YYYY-Www`` and runs Monday 00:00 to the next Monday 00:00. Bounds are returned as UTC instants;
an instant ``t`` is in the period when ``starts_at <= t < ends_at``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from downline.i18n import gettext as _

MONTHLY = "monthly"
WEEKLY = "weekly"
KINDS = (MONTHLY, WEEKLY)

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


class PeriodCodeError(ValueError):
    """A period code that is neither ``YYYY-MM`` nor ``YYYY-Www``, or names no real period."""


@dataclass(frozen=True)
class PeriodBounds:
    code: str
    kind: str
    first_day: date  # first local day in the period
    last_day: date  # last local day in the period
    starts_at: datetime  # UTC, inclusive
    ends_at: datetime  # UTC, exclusive


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


def bounds_for_code(code: str, time_zone: str) -> PeriodBounds:
    """The bounds of period ``code`` (``2026-10`` or ``2026-W43``) in ``time_zone``."""
    tz = ZoneInfo(time_zone)
    if match := _MONTH.match(code):
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12:
            raise PeriodCodeError(_("%(code)r: the month must be 01 to 12") % {"code": code})
        first = date(year, month, 1)
        after = date(year + month // 12, month % 12 + 1, 1)
        kind = MONTHLY
    elif match := _WEEK.match(code):
        year, week = int(match[1]), int(match[2])
        try:
            first = date.fromisocalendar(year, week, 1)
        except ValueError as error:
            raise PeriodCodeError(
                _("%(code)r: %(year)d has no ISO week %(week)d")
                % {"code": code, "year": year, "week": week}
            ) from error
        after = first + timedelta(days=7)
        kind = WEEKLY
    else:
        raise PeriodCodeError(
            _("%(code)r: write a month as YYYY-MM or an ISO week as YYYY-Www") % {"code": code}
        )
    return PeriodBounds(
        code=code,
        kind=kind,
        first_day=first,
        last_day=after - timedelta(days=1),
        starts_at=_local_midnight(first, tz),
        ends_at=_local_midnight(after, tz),
    )


def code_for_day(day: date, kind: str) -> str:
    """The code of the ``kind`` period that contains local ``day``."""
    if kind == MONTHLY:
        return f"{day.year:04d}-{day.month:02d}"
    if kind == WEEKLY:
        year, week, _ = day.isocalendar()
        return f"{year:04d}-W{week:02d}"
    raise ValueError(f"unknown period kind {kind!r}; use one of {', '.join(KINDS)}")


def local_day(instant: datetime, time_zone: str) -> date:
    """The calendar day of an aware ``instant`` in ``time_zone``."""
    if instant.tzinfo is None:
        raise ValueError("instant must be timezone-aware")
    return instant.astimezone(ZoneInfo(time_zone)).date()


def bounds_for_instant(instant: datetime, kind: str, time_zone: str) -> PeriodBounds:
    """The ``kind`` period that contains the aware ``instant`` in ``time_zone``."""
    return bounds_for_code(code_for_day(local_day(instant, time_zone), kind), time_zone)
