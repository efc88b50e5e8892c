"""Orders append live-volume changes that a folder adds into the uplines' rows: an order
touches no upline row, readers see orders that are not folded yet, a close folds everything,
and on PostgreSQL parallel writers, folders and readers lose no update."""

from __future__ import annotations

import threading

import pytest
import time_machine
from django.db import connection

from downline.orders.actions import do_cancel_order, do_place_order, do_return_order
from downline.orders.models import Order, PeriodVolume, VolumeChange
from downline.orders.selectors import (
    VOLUME_FIELDS,
    VolumeRow,
    compare_period_volumes,
    member_period_volumes,
    recompute_period_volumes,
)
from downline.orders.volumes import fold_volume_changes, pending_change_count
from downline.periods.actions import do_close_period
from downline.periods.models import Period
from downline.web.selectors import dashboard_figures

from .conftest import at
from .test_concurrency import deep_network, run_in_threads


def folded(period: Period) -> dict[int, VolumeRow]:
    rows = PeriodVolume.objects.filter(period=period).values_list("distributor_id", *VOLUME_FIELDS)
    return {row[0]: VolumeRow(*row[1:]) for row in rows if any(row[1:])}


def test_an_order_appends_one_change_and_writes_no_upline_row(tree, shake):
    order = do_place_order(tree["D"], [(shake, 2)], "EUR", paid_at=at(2025, 6, 3))

    assert not PeriodVolume.objects.exists()
    change = VolumeChange.objects.get()
    assert (change.period_id, change.distributor_id, change.pv, change.cv) == (
        order.period_id,
        tree["D"].pk,
        2500,
        2000,
    )


def test_readers_see_orders_that_are_not_folded_yet(tree, shake):
    do_place_order(tree["C"], [(shake, 2)], "EUR", paid_at=at(2025, 6, 3))
    do_place_order(tree["K"], [(shake, 1)], "EUR", paid_at=at(2025, 6, 4))  # credited to D
    period = Period.objects.get(code="2025-06")
    assert pending_change_count(period.pk) == 2

    assert member_period_volumes(tree["R"], period) == VolumeRow(
        group_pv=3750, group_cv=3000, placement_group_pv=3750, placement_group_cv=3000
    )
    figures = dashboard_figures(tree["A"], period)
    assert (figures.volumes.group_pv, figures.volumes.placement_group_pv) == (3750, 3750)
    assert [(leg.member_id, leg.pv) for leg in figures.enrollment_legs] == [("C", 3750)]
    assert [(leg.member_id, leg.pv) for leg in figures.placement_legs] == [("B", 3750)]
    assert pending_change_count() == 0  # the read folded them


def test_the_close_folds_every_change_of_the_period(tree, shake, kit):
    kept = do_place_order(tree["C"], [(shake, 2), (kit, 1)], "EUR", paid_at=at(2025, 3, 3))
    cancelled = do_place_order(tree["K"], [(shake, 1)], "EUR", paid_at=at(2025, 3, 4))
    do_cancel_order(cancelled, reason="Duplicate")
    do_return_order(
        kept, {kept.lines.get(sku="KIT-1"): 1}, refunded_at=at(2025, 3, 9), reason="Unopened"
    )
    do_place_order(tree["D"], [(shake, 1)], "EUR", paid_at=at(2025, 4, 2))
    march = Period.objects.get(code="2025-03")
    april = Period.objects.get(code="2025-04")
    assert pending_change_count(march.pk) == 4

    with time_machine.travel(at(2025, 4, 5), tick=False):
        do_close_period(march)

    assert pending_change_count(march.pk) == 0
    assert folded(march) == recompute_period_volumes(march)
    assert folded(march)[tree["R"].pk].group_pv == 2500
    assert pending_change_count(april.pk) == 1  # another period's changes wait for the folder


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_writers_folders_and_readers_lose_no_update(network):
    from downline.orders.actions import do_create_product
    from downline.orders.models import ProductKind

    buyers = deep_network(network)
    product = do_create_product(
        "BAR-9", {"en": "Bar"}, ProductKind.PRODUCT, pv=125, cv=100, prices={"EUR": 299}
    )
    writers, orders_each = 6, 40
    done = threading.Event()
    paid_at = at(2025, 2, 14)

    def work(index: int) -> None:
        if index < writers:
            for n in range(orders_each):
                buyer = buyers[(index * 31 + n * 7) % len(buyers)]
                order = do_place_order(buyer, [(product, 1 + n % 2)], "EUR", paid_at=paid_at)
                if n % 9 == 8:
                    do_cancel_order(order, reason="Test cancellation")
            return
        while not done.is_set():  # two folders and a reader, all the time
            if index == writers + 2:
                period = Period.objects.filter(code="2025-02").first()
                if period is not None:
                    member_period_volumes(network["ROOT"], period)
            else:
                fold_volume_changes(batch=7)
            connection.close()

    threads_done: list[int] = []

    def run(index: int) -> None:
        try:
            work(index)
        finally:  # the folders and the reader stop once every writer has ended, even on error
            if index < writers:
                threads_done.append(index)
                if len(threads_done) == writers:
                    done.set()

    assert run_in_threads(run, count=writers + 3) == []

    period = Period.objects.get(code="2025-02")
    kept = Order.objects.exclude(status=Order.Status.CANCELLED)
    total_pv = sum(kept.values_list("pv", flat=True))
    root = member_period_volumes(network["ROOT"], period)
    assert (root.group_pv, root.placement_group_pv) == (total_pv, total_pv)
    assert pending_change_count() == 0
    assert folded(period) == recompute_period_volumes(period)
    assert compare_period_volumes(period) == []
