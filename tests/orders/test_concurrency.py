"""Many writers at once on PostgreSQL: no lost volume update, no deadlock, no order after close,
no second scheduled run."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from downline.core.models import ScheduledRun
from downline.core.scheduler import SCHEDULE, enqueue_due_jobs
from downline.genealogy.models import Distributor
from downline.orders.actions import do_cancel_order, do_create_product, do_place_order
from downline.orders.errors import OrderError
from downline.orders.models import Order, PeriodVolume, ProductKind
from downline.orders.selectors import (
    compare_period_volumes,
    member_period_volumes,
    recompute_period_volumes,
)
from downline.periods.actions import do_close_period, do_ensure_period
from downline.periods.models import Period

from .conftest import Network, at

THREADS = 8
ORDERS_PER_THREAD = 30
CHAIN_DEPTH = 40

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def deep_network(network: Network) -> list[Distributor]:
    """A root with three chains of 40 that share it (two in the root's legs, one spilled under
    the first chain's head), and a retail customer at the end of each chain."""
    network.add("ROOT")
    buyers = []
    for chain, (parent, position) in enumerate([("ROOT", 1), ("ROOT", 2), ("L0-0", 2)]):
        above = parent
        for level in range(CHAIN_DEPTH):
            member_id = f"L{chain}-{level}"
            network.add(
                member_id, sponsor=above, placed_under=above, position=position if level == 0 else 1
            )
            buyers.append(network[member_id])
            above = member_id
        buyers.append(network.add(f"K{chain}", sponsor=above, kind=Distributor.Kind.CUSTOMER))
    return buyers


def run_in_threads(work: Callable[[int], None], count: int = THREADS) -> list[BaseException]:
    """Runs ``work(i)`` in ``count`` threads released together; each thread has its own
    connection and closes it. Returns the exceptions raised."""
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def thread_main(index: int) -> None:
        try:
            start.wait()
            work(index)
        except BaseException as error:  # collected and asserted in the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=thread_main, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a writer thread hung"
    return errors


def test_concurrent_orders_on_overlapping_chains_lose_no_update(network):
    buyers = deep_network(network)
    product = do_create_product(
        "BAR-1", {"en": "Protein bar"}, ProductKind.PRODUCT, pv=125, cv=100, prices={"EUR": 299}
    )
    plans = [
        [(random.Random(i * 1000 + n).choice(buyers), 1 + n % 3) for n in range(ORDERS_PER_THREAD)]
        for i in range(THREADS)
    ]
    paid_at = at(2025, 2, 14)

    def place(index: int) -> None:
        for n, (buyer, quantity) in enumerate(plans[index]):
            order = do_place_order(buyer, [(product, quantity)], "EUR", paid_at=paid_at)
            if n % 10 == 9:
                do_cancel_order(order, reason="Test cancellation")

    assert run_in_threads(place) == []

    assert Order.objects.count() == THREADS * ORDERS_PER_THREAD
    [period] = Period.objects.all()  # created once although every writer needed it at once
    kept = Order.objects.exclude(status=Order.Status.CANCELLED)
    assert kept.count() == THREADS * (ORDERS_PER_THREAD - ORDERS_PER_THREAD // 10)
    total_pv = sum(kept.values_list("pv", flat=True))
    root = member_period_volumes(network["ROOT"], period)
    assert root.group_pv == total_pv
    assert root.placement_group_pv == total_pv
    expected = recompute_period_volumes(period)
    live = {row.distributor_id: row for row in PeriodVolume.objects.filter(period=period)}
    for member, row in live.items():
        assert (row.pv, row.group_pv, row.placement_group_cv) == (
            expected[member].pv,
            expected[member].group_pv,
            expected[member].placement_group_cv,
        )
    assert compare_period_volumes(period) == []


def test_a_close_waits_for_orders_in_flight_and_refuses_later_ones(network):
    buyers = deep_network(network)
    product = do_create_product(
        "BAR-2", {"en": "Bar"}, ProductKind.PRODUCT, pv=100, cv=100, prices={"EUR": 100}
    )
    january = do_ensure_period("2025-01")
    refused: list[str] = []

    def place_or_close(index: int) -> None:
        if index == 0:
            do_close_period(january)
            return
        for n in range(ORDERS_PER_THREAD):
            try:
                do_place_order(
                    buyers[(index * 7 + n) % len(buyers)],
                    [(product, 1)],
                    "EUR",
                    paid_at=at(2025, 1, 20),
                )
            except OrderError as error:
                refused.append(error.message)

    assert run_in_threads(place_or_close) == []

    january.refresh_from_db()
    assert january.status == Period.Status.CLOSED
    placed = Order.objects.filter(period=january)
    assert placed.count() + len(refused) == (THREADS - 1) * ORDERS_PER_THREAD
    assert all("Period 2025-01 is closed" in message for message in refused)
    assert all(order.created_at <= january.closed_at for order in placed)
    assert compare_period_volumes(january) == []


def test_two_schedulers_at_once_enqueue_one_run(settings, db):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    now = at(2026, 3, 3, 12, 0)

    assert run_in_threads(lambda _index: enqueue_due_jobs(now), count=4) == []

    # one run of each job: the daily autoships and the projection's slot
    assert ScheduledRun.objects.count() == len(SCHEDULE)
    assert DBTaskResult.objects.count() == len(SCHEDULE)
