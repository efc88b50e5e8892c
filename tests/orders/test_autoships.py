"""Autoships: creation rules and the scheduled task that places their orders exactly once."""

from __future__ import annotations

from datetime import date

import pytest
from django.tasks import TaskResultStatus

from downline.genealogy.models import Distributor
from downline.orders.actions import (
    do_cancel_autoship,
    do_create_autoship,
    do_update_product,
)
from downline.orders.errors import AutoshipError
from downline.orders.models import Autoship, AutoshipRun, Order, ProductKind
from downline.orders.tasks import run_due_autoships


@pytest.fixture
def autoship(tree, shake) -> Autoship:
    return do_create_autoship(tree["C"], 15, [(shake, 2)], "EUR", starts_on=date(2026, 10, 10))


def test_the_first_run_is_the_next_such_day(tree, shake):
    on_the_day = do_create_autoship(
        tree["C"], 15, [(shake, 1)], "EUR", starts_on=date(2026, 10, 15)
    )
    after = do_create_autoship(tree["C"], 15, [(shake, 1)], "EUR", starts_on=date(2026, 10, 16))
    december = do_create_autoship(tree["C"], 3, [(shake, 1)], "EUR", starts_on=date(2026, 12, 4))
    assert on_the_day.next_run_on == date(2026, 10, 15)
    assert after.next_run_on == date(2026, 11, 15)
    assert december.next_run_on == date(2027, 1, 3)


def test_the_task_places_one_order_per_due_autoship_even_when_run_twice(tree, autoship):
    first = run_due_autoships.enqueue("2026-10-15")
    second = run_due_autoships.enqueue("2026-10-15")

    assert first.status == TaskResultStatus.SUCCESSFUL
    assert second.status == TaskResultStatus.SUCCESSFUL
    [order] = Order.objects.all()
    assert first.return_value["ordered"] == [order.number]
    assert second.return_value["ordered"] == []
    assert order.autoship == autoship
    assert order.kind == ProductKind.AUTOSHIP
    assert order.buyer == tree["C"]
    assert (order.amount, order.pv) == (2 * 4990, 2500)
    assert order.idempotency_key == f"autoship:{autoship.pk}:2026-10-15"
    autoship.refresh_from_db()
    assert autoship.next_run_on == date(2026, 11, 15)
    assert autoship.last_run_on == date(2026, 10, 15)
    run = AutoshipRun.objects.get(autoship=autoship)
    assert (run.due_on, run.outcome, run.order, run.attempts) == (
        date(2026, 10, 15),
        AutoshipRun.Outcome.ORDERED,
        order,
        1,
    )


def test_a_due_date_that_was_ordered_already_is_never_ordered_again(tree, autoship):
    run_due_autoships.call("2026-10-15")
    # As if next_run_on had been restored from a backup taken before the run:
    Autoship.objects.filter(pk=autoship.pk).update(next_run_on=date(2026, 10, 15))

    summary = run_due_autoships.call("2026-10-15")

    assert Order.objects.count() == 1
    assert summary["ordered"] == [Order.objects.get().number]  # the existing order, not a new one
    autoship.refresh_from_db()
    assert autoship.next_run_on == date(2026, 11, 15)


def test_the_next_month_orders_again(tree, autoship):
    run_due_autoships.call("2026-10-15")
    assert run_due_autoships.call("2026-10-16")["ordered"] == []
    assert len(run_due_autoships.call("2026-11-15")["ordered"]) == 1
    assert Order.objects.filter(autoship=autoship).count() == 2


def test_a_late_run_orders_once_and_skips_the_months_it_missed(tree, autoship):
    summary = run_due_autoships.call("2026-12-20")

    assert len(summary["ordered"]) == 1
    autoship.refresh_from_db()
    assert autoship.next_run_on == date(2027, 1, 15)


def test_a_failing_autoship_is_recorded_and_does_not_stop_the_others(tree, shake, kit, autoship):
    failing = do_create_autoship(tree["A"], 15, [(kit, 1)], "EUR", starts_on=date(2026, 10, 1))
    do_update_product(kit, active=False)

    summary = run_due_autoships.call("2026-10-15")

    assert len(summary["ordered"]) == 1
    assert Order.objects.get().autoship == autoship
    assert "product KIT-1 is not on sale" in summary["failed"][str(failing.pk)]
    run = AutoshipRun.objects.get(autoship=failing)
    assert run.outcome == AutoshipRun.Outcome.FAILED
    assert "Order of member A, line 1: product KIT-1 is not on sale." in run.error
    failing.refresh_from_db()
    assert failing.next_run_on == date(2026, 10, 15)  # still due: the next run tries again

    run_due_autoships.call("2026-10-16")
    assert AutoshipRun.objects.get(autoship=failing).attempts == 2

    do_update_product(kit, active=True)
    summary = run_due_autoships.call("2026-10-17")
    assert len(summary["ordered"]) == 1
    run = AutoshipRun.objects.get(autoship=failing)
    assert (run.outcome, run.error, run.attempts) == (AutoshipRun.Outcome.ORDERED, "", 3)
    failing.refresh_from_db()
    assert failing.next_run_on == date(2026, 11, 15)


def test_a_cancelled_autoship_orders_nothing(tree, autoship):
    do_cancel_autoship(autoship)
    assert run_due_autoships.call("2026-10-15")["ordered"] == []
    assert not Order.objects.exists()
    with pytest.raises(AutoshipError, match="is cancelled already"):
        do_cancel_autoship(autoship)


def test_a_customer_autoship_is_credited_to_the_sponsor(tree, shake):
    do_create_autoship(tree["K"], 1, [(shake, 1)], "EUR", starts_on=date(2026, 10, 1))
    run_due_autoships.call("2026-10-01")
    order = Order.objects.get()
    assert (order.buyer, order.distributor, order.is_customer_order) == (
        tree["K"],
        tree["D"],
        True,
    )


@pytest.mark.parametrize("day", [0, 29, 31, "15"])
def test_the_day_of_the_month_must_be_1_to_28(tree, shake, day):
    with pytest.raises(AutoshipError, match="day of the month must be 1 to 28"):
        do_create_autoship(tree["C"], day, [(shake, 1)], "EUR")
    assert not Autoship.objects.exists()


def test_an_autoship_is_refused_for_what_could_not_be_ordered(network, shake, kit):
    network.add("R")
    network.add("T", sponsor="R", position=1, status=Distributor.Status.TERMINATED)
    with pytest.raises(AutoshipError, match="Member T is terminated"):
        do_create_autoship(network["T"], 5, [(shake, 1)], "EUR")
    with pytest.raises(AutoshipError, match="product KIT-1 has no price in PLN"):
        do_create_autoship(network["R"], 5, [(kit, 1)], "PLN")
    with pytest.raises(AutoshipError, match="needs at least one item"):
        do_create_autoship(network["R"], 5, [], "EUR")
    assert not Autoship.objects.exists()
