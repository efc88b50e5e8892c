"""Which period an order belongs to (paid time in the company time zone), and closed periods."""

from __future__ import annotations

import pytest

from downline.orders.actions import do_place_order
from downline.orders.errors import OrderError
from downline.orders.models import Order, PeriodVolume
from downline.orders.selectors import member_period_volumes
from downline.periods.actions import do_close_period, do_ensure_period, do_reopen_period
from downline.periods.models import Period

from .conftest import at


@pytest.mark.parametrize(
    ("time_zone", "expected"), [("Europe/Warsaw", "2026-11"), ("UTC", "2026-10")]
)
def test_a_monthly_period_is_chosen_by_the_paid_time_in_the_company_time_zone(
    settings, tree, shake, time_zone, expected
):
    settings.DOWNLINE_TIME_ZONE = time_zone
    settings.DOWNLINE_PERIOD_KIND = "monthly"

    order = do_place_order(tree["C"], [(shake, 1)], "EUR", paid_at=at(2026, 10, 31, 23, 30))

    assert order.period.code == expected
    assert order.period.kind == Period.Kind.MONTHLY
    assert member_period_volumes(tree["R"], order.period).group_pv == 1250


@pytest.mark.parametrize(
    ("time_zone", "expected"), [("Europe/Warsaw", "2026-W45"), ("UTC", "2026-W44")]
)
def test_a_weekly_period_is_the_iso_week_of_the_paid_time_in_the_company_time_zone(
    settings, tree, shake, time_zone, expected
):
    # Sunday 1 November 2026, 23:30 UTC is Monday 00:30 in Warsaw: the next ISO week there.
    settings.DOWNLINE_TIME_ZONE = time_zone
    settings.DOWNLINE_PERIOD_KIND = "weekly"

    order = do_place_order(tree["C"], [(shake, 1)], "EUR", paid_at=at(2026, 11, 1, 23, 30))

    assert order.period.code == expected
    assert order.period.kind == Period.Kind.WEEKLY


def test_the_period_bounds_are_local_midnights(settings, tree, shake):
    settings.DOWNLINE_TIME_ZONE = "Europe/Warsaw"
    settings.DOWNLINE_PERIOD_KIND = "monthly"
    last_instant_of_october = at(2026, 10, 31, 22, 59)  # 23:59 in Warsaw (CET, UTC+1)

    order = do_place_order(tree["C"], [(shake, 1)], "EUR", paid_at=last_instant_of_october)

    assert order.period.code == "2026-10"
    assert order.period.ends_at == at(2026, 10, 31, 23, 0)
    assert order.period.starts_at == at(2026, 9, 30, 22, 0)  # CEST, UTC+2


def test_a_closed_period_takes_no_orders(tree, shake):
    september = do_ensure_period("2025-09")
    do_close_period(september)

    with pytest.raises(
        OrderError,
        match="Period 2025-09 is closed; the order of member C paid at 2025-09-15",
    ):
        do_place_order(tree["C"], [(shake, 1)], "EUR", paid_at=at(2025, 9, 15))

    assert not Order.objects.exists()
    assert not PeriodVolume.objects.exists()
    do_reopen_period(september, reason="Late shop import")
    order = do_place_order(tree["C"], [(shake, 1)], "EUR", paid_at=at(2025, 9, 15))
    assert order.period == september
