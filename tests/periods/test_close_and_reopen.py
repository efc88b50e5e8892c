"""Closing and reopening periods, from the actions (the console's page for it is tested in
``tests/web/test_console_operations.py``; the admin only shows periods)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.utils import timezone

from downline.periods.actions import (
    do_close_period,
    do_ensure_period,
    do_ensure_period_for,
    do_reopen_period,
)
from downline.periods.errors import PeriodError
from downline.periods.models import Period, PeriodEvent
from downline.periods.signals import period_reopening


@pytest.fixture
def operator(django_user_model):
    return django_user_model.objects.create_user("finance", password="x")


def test_a_closed_period_records_who_closed_it_and_why(db, operator):
    march = do_ensure_period("2025-03")

    closed = do_close_period(march, actor=operator, reason="Month end")

    assert closed.status == Period.Status.CLOSED
    assert closed.closed_by == operator
    assert closed.closed_at is not None
    [event] = PeriodEvent.objects.filter(period=march)
    assert (event.kind, event.actor, event.reason) == (
        PeriodEvent.Kind.CLOSED,
        operator,
        "Month end",
    )
    with pytest.raises(PeriodError, match="Period 2025-03 is already closed"):
        do_close_period(march)


def test_a_period_that_has_not_ended_cannot_be_closed(settings, db):
    settings.DOWNLINE_TIME_ZONE = "Europe/Berlin"
    settings.DOWNLINE_PERIOD_KIND = "monthly"
    # half past midnight on 1 March 2027 in Berlin, still 28 February in UTC
    with time_machine.travel(datetime(2027, 2, 28, 23, 30, tzinfo=UTC), tick=False):
        current = do_ensure_period_for(timezone.now())
        assert current.code == "2027-03"
        with pytest.raises(PeriodError, match=r"Period 2027-03 has not ended yet"):
            do_close_period(current)
        february = do_close_period(do_ensure_period("2027-02"))  # ended half an hour ago
    assert february.status == Period.Status.CLOSED
    current.refresh_from_db()
    assert current.status == Period.Status.OPEN


def test_periods_close_in_order(db):
    february, march = do_ensure_period("2025-02"), do_ensure_period("2025-03")
    with pytest.raises(PeriodError, match="Close period 2025-02 before period 2025-03"):
        do_close_period(march)
    do_close_period(february)
    do_close_period(march)


def test_periods_reopen_in_reverse_order(db, operator):
    february, march = do_ensure_period("2025-02"), do_ensure_period("2025-03")
    do_close_period(february)
    do_close_period(march)

    with pytest.raises(PeriodError, match="Period 2025-02 cannot be reopened: Period 2025-03"):
        do_reopen_period(february)

    reopened = do_reopen_period(march, actor=operator, reason="Late returns")
    assert (reopened.status, reopened.closed_at, reopened.closed_by) == (
        Period.Status.OPEN,
        None,
        None,
    )
    assert list(PeriodEvent.objects.filter(period=march).values_list("kind", flat=True)) == [
        PeriodEvent.Kind.CLOSED,
        PeriodEvent.Kind.REOPENED,
    ]
    do_reopen_period(february)
    with pytest.raises(PeriodError, match="Period 2025-02 is open already"):
        do_reopen_period(february)


def test_an_app_that_depends_on_a_closed_period_can_refuse_its_reopening(db):
    march = do_ensure_period("2025-03")
    do_close_period(march)

    def commissions_posted(sender, period, **kwargs):
        return f"Commissions of {period.code} are posted to the ledger."

    period_reopening.connect(commissions_posted)
    try:
        with pytest.raises(PeriodError, match="Commissions of 2025-03 are posted to the ledger"):
            do_reopen_period(march)
    finally:
        period_reopening.disconnect(commissions_posted)
    march.refresh_from_db()
    assert march.status == Period.Status.CLOSED


def test_monthly_and_weekly_periods_have_their_codes_and_bounds(settings, db):
    settings.DOWNLINE_TIME_ZONE = "UTC"
    instant = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)  # Thursday of ISO week 2026-W01
    settings.DOWNLINE_PERIOD_KIND = "monthly"
    month = do_ensure_period_for(instant)
    settings.DOWNLINE_PERIOD_KIND = "weekly"
    week = do_ensure_period_for(instant)

    assert (month.code, month.kind) == ("2026-01", Period.Kind.MONTHLY)
    assert (week.code, week.kind) == ("2026-W01", Period.Kind.WEEKLY)
    assert week.starts_at == datetime(2025, 12, 29, tzinfo=UTC)
    assert week.ends_at == datetime(2026, 1, 5, tzinfo=UTC)
    assert do_ensure_period_for(instant) == week  # found again, not created twice
