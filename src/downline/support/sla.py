"""SLA clocks of tickets: policies per priority, on the company's business hours and holidays.

Settings (read with ``getattr``, defaults in brackets): ``DOWNLINE_SUPPORT_COUNTRY`` ("DE",
public holidays of that country from the ``holidays`` package), ``DOWNLINE_SUPPORT_HOURS``
((9, 17): wall-clock hours Monday to Friday), ``DOWNLINE_TIME_ZONE`` (the company's zone).

The clock (Zammad's bugs #1322 and #1620 are the cases it gets right):

* it starts when the ticket is created: ``first_response_due`` and ``resolution_due`` are
  ``created_at`` plus the policy's business minutes;
* the first **public** reply of staff is the first response; an internal note is not;
* while the ticket is ``waiting_on_member`` the clock stands (``paused_since``); when the member
  answers (web reply or e-mail) the business seconds it stood are added to ``paused_seconds``
  and both due instants are computed again from ``created_at`` plus the policy plus
  ``paused_seconds``; a member's reply on a resolved ticket opens it again;
* the breach task (``support.tasks.mark_breaches``) marks ``first_response_breached`` /
  ``resolution_breached`` once the due instant has passed without the response / resolution, and
  sets ``escalated_at`` and e-mails the ticket's group once, whatever else breaches later.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

import holidays as holidays_package
from django.conf import settings

from .business_time import BusinessCalendar, add_business_seconds, business_seconds

DEFAULT_POLICIES: dict[str, tuple[int, int]] = {
    # priority: (first response, resolution) in business minutes
    "urgent": (60, 8 * 60),
    "high": (4 * 60, 3 * 8 * 60),
    "normal": (8 * 60, 5 * 8 * 60),
    "low": (2 * 8 * 60, 10 * 8 * 60),
}
DUE_SOON = 0.25  # the share of the allowed time left under which a clock shows "due soon"


@lru_cache(maxsize=8)
def _holidays(country: str):
    return holidays_package.country_holidays(country)


def company_calendar() -> BusinessCalendar:
    country = getattr(settings, "DOWNLINE_SUPPORT_COUNTRY", "DE")
    start, end = getattr(settings, "DOWNLINE_SUPPORT_HOURS", (9, 17))
    return BusinessCalendar(
        time_zone=getattr(settings, "DOWNLINE_TIME_ZONE", "Europe/Berlin"),
        start_hour=int(start),
        end_hour=int(end),
        holidays=_holidays(country),
    )


def policy(priority: str) -> tuple[int, int]:
    """(first response, resolution) business minutes of ``priority``."""
    from .models import SlaPolicy

    row = SlaPolicy.objects.filter(priority=priority).first()
    if row is not None:
        return row.first_response_minutes, row.resolution_minutes
    return DEFAULT_POLICIES.get(priority, DEFAULT_POLICIES["normal"])


def compute_dues(ticket, calendar: BusinessCalendar | None = None) -> None:
    """Set ``first_response_due`` and ``resolution_due`` of ``ticket`` (not saved)."""
    calendar = calendar or company_calendar()
    first, resolution = policy(ticket.priority)
    paused = int(ticket.paused_seconds)
    ticket.first_response_due = add_business_seconds(
        calendar, ticket.created_at, first * 60 + paused
    )
    ticket.resolution_due = add_business_seconds(
        calendar, ticket.created_at, resolution * 60 + paused
    )


def pause(ticket, now: datetime) -> None:
    if ticket.paused_since is None:
        ticket.paused_since = now


def resume(ticket, now: datetime, calendar: BusinessCalendar | None = None) -> None:
    """Stop the pause at ``now``: the business seconds it lasted move the due instants."""
    if ticket.paused_since is None:
        return
    calendar = calendar or company_calendar()
    ticket.paused_seconds += business_seconds(calendar, ticket.paused_since, now)
    ticket.paused_since = None
    compute_dues(ticket, calendar)


def first_response_seconds(ticket, calendar: BusinessCalendar | None = None) -> int | None:
    if ticket.first_response_at is None:
        return None
    calendar = calendar or company_calendar()
    return business_seconds(calendar, ticket.created_at, ticket.first_response_at)


def resolution_seconds(ticket, calendar: BusinessCalendar | None = None) -> int | None:
    if ticket.resolved_at is None:
        return None
    calendar = calendar or company_calendar()
    total = business_seconds(calendar, ticket.created_at, ticket.resolved_at)
    return max(0, total - int(ticket.paused_seconds))


def status(ticket, now: datetime) -> str:
    """``paused``, ``breached``, ``due_soon``, ``ok`` or ``done`` (resolved or closed)."""
    if not ticket.is_open:
        return (
            "breached" if ticket.resolution_breached or ticket.first_response_breached else "done"
        )
    if ticket.first_response_breached or ticket.resolution_breached:
        return "breached"
    if ticket.paused_since is not None:
        return "paused"
    due = ticket.first_response_due if ticket.first_response_at is None else ticket.resolution_due
    if due is None:
        return "ok"
    if now >= due:
        return "breached"
    allowed = (due - ticket.created_at).total_seconds()
    if allowed > 0 and (due - now).total_seconds() < allowed * DUE_SOON:
        return "due_soon"
    return "ok"


def breaches(ticket, now: datetime) -> tuple[bool, bool]:
    """(first response breached, resolution breached) of ``ticket`` at ``now``; a paused clock
    does not breach."""
    first = ticket.first_response_breached
    resolution = ticket.resolution_breached
    if ticket.first_response_due is not None and not first:
        answered = ticket.first_response_at
        first = (answered is not None and answered > ticket.first_response_due) or (
            answered is None and ticket.paused_since is None and now > ticket.first_response_due
        )
    if ticket.resolution_due is not None and not resolution:
        done = ticket.resolved_at
        resolution = (done is not None and done > ticket.resolution_due) or (
            done is None
            and ticket.is_open
            and ticket.paused_since is None
            and now > ticket.resolution_due
        )
    return first, resolution
