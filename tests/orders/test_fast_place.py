"""The fast way of placing an order (``orders.fast_place``, PostgreSQL) writes exactly what the
general way writes, reads the catalogue and the period afresh for every order, and leaves every
refusal and rare case to the general way."""

from __future__ import annotations

import pytest
import time_machine
from django.db import connection, transaction

from downline.core.models import Event
from downline.genealogy.models import Distributor
from downline.orders.actions import (
    do_place_order,
    do_place_order_by_reference,
    do_place_order_with_outcome,
    do_set_price,
    do_update_product,
)
from downline.orders.errors import OrderError
from downline.orders.models import Order, OrderLine
from downline.orders.selectors import compare_period_volumes, member_period_volumes
from downline.periods.actions import do_close_period
from downline.periods.models import Period

from .conftest import at

JUNE = at(2026, 6, 15)
ORDER_FIELDS = (
    "buyer_id",
    "distributor_id",
    "is_customer_order",
    "kind",
    "status",
    "currency",
    "amount",
    "pv",
    "cv",
    "paid_at",
    "period_id",
    "after_close",
    "returns_order_id",
    "reason",
    "created_by_id",
)
LINE_FIELDS = ("product_id", "sku", "description", "quantity", "unit_price", "unit_pv", "unit_cv")


def _written(order: Order) -> dict:
    """What is stored for ``order``: its row, its lines, its volume change and its event."""
    stored = Order.objects.get(pk=order.pk)
    event = Event.objects.get(kind="order.paid", payload__order=order.number)
    payload = {key: value for key, value in event.payload.items() if key != "order"}
    return {
        "order": {name: getattr(stored, name) for name in ORDER_FIELDS},
        "lines": list(stored.lines.order_by("pk").values_list(*LINE_FIELDS)),
        "event": (event.member_id, payload),
    }


def test_the_fast_way_writes_what_the_general_way_writes(tree, shake, kit):
    """A generated number takes the fast way on PostgreSQL, a given number the general way."""
    fast = do_place_order(tree["K"], [(shake, 2), (kit, 1)], "EUR", paid_at=JUNE)
    general = do_place_order(
        tree["K"], [(shake, 2), (kit, 1)], "EUR", paid_at=JUNE, number="SHOP-1"
    )

    assert fast.number == f"DL{fast.pk:08d}"
    assert _written(fast) == _written(general)
    # the customer's order is credited to her sponsor D, as customer volume
    june = Period.objects.get(code="2026-06")
    row = member_period_volumes(tree["D"], june)
    assert (row.pv, row.customer_pv, row.group_pv) == (15000, 15000, 15000)
    assert member_period_volumes(tree["R"], june).placement_group_pv == 15000
    assert compare_period_volumes(june) == []


def test_refusals_are_the_same_once_the_period_exists(tree, shake):
    """The period exists, so these orders reach the fast way's checks."""
    do_place_order(tree["A"], [(shake, 1)], "EUR", paid_at=JUNE)
    Distributor.objects.filter(pk=tree["C"].pk).update(status=Distributor.Status.TERMINATED)
    with pytest.raises(OrderError, match="C is terminated"):
        do_place_order(tree["C"], [(shake, 1)], "EUR", paid_at=JUNE)
    Distributor.objects.filter(pk=tree["D"].pk).update(status=Distributor.Status.TERMINATED)
    with pytest.raises(OrderError, match="sponsor D of retail customer K is terminated"):
        do_place_order(tree["K"], [(shake, 1)], "EUR", paid_at=JUNE)
    with pytest.raises(OrderError, match="no price in USD"):
        do_place_order(tree["B"], [(shake, 1)], "USD", paid_at=JUNE)
    assert Order.objects.count() == 1


def test_the_order_returned_carries_what_was_written(tree, shake):
    placed = do_place_order_with_outcome(tree["C"], [(shake, 3)], "EUR", paid_at=JUNE)

    assert placed.created
    assert (placed.order.amount, placed.order.pv, placed.order.period.code) == (
        14970,
        3750,
        "2026-06",
    )
    assert placed.order.buyer.member_id == "C"
    assert placed.order.buyer.sponsor_id == tree["A"].pk
    assert placed.order.buyer.status == Distributor.Status.ACTIVE
    stored = list(OrderLine.objects.filter(order=placed.order).values_list("pk", "quantity"))
    assert [(line.pk, line.quantity) for line in placed.lines] == stored


def test_a_price_change_and_a_product_taken_off_sale_apply_to_the_next_order(tree, shake):
    do_place_order(tree["C"], [(shake, 1)], "EUR", paid_at=JUNE)
    do_set_price(shake, "EUR", 5990)

    second = do_place_order(tree["C"], [(shake, 1)], "EUR", paid_at=JUNE)
    assert second.amount == 5990

    do_update_product(shake, active=False)
    with pytest.raises(OrderError, match="not on sale"):
        do_place_order(tree["C"], [(shake, 1)], "EUR", paid_at=JUNE)
    assert Order.objects.count() == 2


def test_the_first_order_of_a_new_period_creates_the_period(tree, shake):
    order = do_place_order(tree["C"], [(shake, 1)], "EUR", paid_at=at(2026, 9, 1, 0, 30))

    assert order.period.code == "2026-09"
    assert Period.objects.filter(code="2026-09").count() == 1


def test_an_order_into_a_closed_period_is_refused_and_nothing_is_written(tree, shake):
    do_place_order(tree["C"], [(shake, 1)], "EUR", paid_at=JUNE)
    with time_machine.travel(at(2026, 7, 2)):
        do_close_period(Period.objects.get(code="2026-06"))
    with pytest.raises(OrderError, match="closed"):
        do_place_order(tree["C"], [(shake, 1)], "EUR", paid_at=JUNE)
    assert Order.objects.count() == 1


def test_a_repeated_idempotency_key_returns_the_first_order_unchanged(tree, shake):
    first = do_place_order_with_outcome(
        tree["C"], [(shake, 1)], "EUR", paid_at=JUNE, idempotency_key="shop-7"
    )
    again = do_place_order_with_outcome(
        tree["C"], [(shake, 5)], "EUR", paid_at=JUNE, idempotency_key="shop-7"
    )

    assert first.created
    assert not again.created
    assert again.order.pk == first.order.pk
    assert [line.quantity for line in again.lines] == [1]
    assert Order.objects.count() == 1
    assert Event.objects.filter(kind="order.paid").count() == 1


@pytest.mark.django_db
def test_by_reference_places_on_postgresql_and_declines_what_it_cannot_place(tree, shake):
    do_place_order(tree["B"], [(shake, 1)], "EUR", paid_at=JUNE)  # June exists from now on
    with transaction.atomic():
        placed = do_place_order_by_reference("C", [("SHAKE-1", 2)], "EUR", paid_at=JUNE)
    if connection.vendor != "postgresql":
        assert placed is None  # the caller takes the general way
        return
    assert placed is not None
    assert placed.created
    assert placed.order.distributor_id == tree["C"].pk
    assert [line.sku for line in placed.lines] == ["SHAKE-1"]
    for member, sku in (("NOBODY", "SHAKE-1"), ("C", "NO-SUCH-SKU")):
        with transaction.atomic():
            assert do_place_order_by_reference(member, [(sku, 1)], "EUR", paid_at=JUNE) is None
    Distributor.objects.filter(pk=tree["C"].pk).update(status=Distributor.Status.TERMINATED)
    with transaction.atomic():
        assert do_place_order_by_reference("C", [("SHAKE-1", 1)], "EUR", paid_at=JUNE) is None
    assert Order.objects.count() == 2
