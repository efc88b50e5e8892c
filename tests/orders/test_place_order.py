"""Placing orders: lines, kinds, numbers, idempotency, validation and the volumes they move."""

from __future__ import annotations

import pytest

from downline.genealogy.models import Distributor
from downline.orders.actions import (
    do_create_product,
    do_place_order,
    do_set_price,
    do_update_product,
)
from downline.orders.errors import OrderError
from downline.orders.models import Order, OrderLine, PeriodVolume, ProductKind
from downline.orders.selectors import (
    VolumeRow,
    binary_leg_volumes,
    compare_period_volumes,
    frontline_volumes,
    member_period_volumes,
    order_history,
    recompute_period_volumes,
)
from downline.periods.models import Period

from .conftest import at

JUNE = at(2026, 6, 15)


def volumes(member: Distributor, code: str = "2026-06") -> VolumeRow:
    return member_period_volumes(member, Period.objects.get(code=code))


def test_an_order_credits_the_buyer_and_every_upline_of_both_trees(tree, shake):
    order = do_place_order(tree["C"], [(shake, 2)], "EUR", paid_at=JUNE)

    assert (order.amount, order.pv, order.cv) == (9980, 2500, 2000)
    assert order.period.code == "2026-06"
    assert order.distributor == tree["C"]
    assert not order.is_customer_order
    assert volumes(tree["C"]) == VolumeRow(
        pv=2500,
        cv=2000,
        group_pv=2500,
        group_cv=2000,
        placement_group_pv=2500,
        placement_group_cv=2000,
    )
    # enrollment uplines of C: A, R; placement uplines: B, A, R
    assert volumes(tree["A"]) == VolumeRow(
        group_pv=2500, group_cv=2000, placement_group_pv=2500, placement_group_cv=2000
    )
    assert volumes(tree["R"]) == VolumeRow(
        group_pv=2500, group_cv=2000, placement_group_pv=2500, placement_group_cv=2000
    )
    assert volumes(tree["B"]) == VolumeRow(placement_group_pv=2500, placement_group_cv=2000)
    assert volumes(tree["D"]) == VolumeRow()
    assert compare_period_volumes(order.period) == []


def test_a_customer_order_is_customer_volume_of_the_sponsor(tree, shake):
    order = do_place_order(tree["K"], [(shake, 1)], "EUR", paid_at=JUNE)

    assert order.buyer == tree["K"]
    assert order.distributor == tree["D"]
    assert order.is_customer_order
    assert volumes(tree["D"]) == VolumeRow(
        pv=1250,
        cv=1000,
        customer_pv=1250,
        customer_cv=1000,
        group_pv=1250,
        group_cv=1000,
        placement_group_pv=1250,
        placement_group_cv=1000,
    )
    assert volumes(tree["K"]) == VolumeRow()
    for upline in ("C", "A", "R"):
        assert volumes(tree[upline]).group_pv == 1250
    for upline in ("C", "B", "A", "R"):
        assert volumes(tree[upline]).placement_group_cv == 1000
    assert volumes(tree["B"]).group_pv == 0
    assert list(order_history(tree["D"])) == [order]
    assert list(order_history(tree["K"])) == [order]


def test_many_orders_add_up_exactly_and_match_a_recomputation(tree, shake, kit):
    do_place_order(tree["C"], [(shake, 1)], "EUR", paid_at=JUNE)
    do_place_order(tree["B"], [(kit, 1), (shake, 3)], "EUR", paid_at=JUNE)
    do_place_order(tree["K"], [(shake, 2)], "EUR", paid_at=JUNE)
    do_place_order(tree["R"], [(shake, 1)], "PLN", paid_at=JUNE)

    period = Period.objects.get(code="2026-06")
    root = volumes(tree["R"])
    assert root.pv == 1250
    assert root.group_pv == 1250 + (5000 + 3750) + 2500 + 1250
    assert root.placement_group_pv == root.group_pv
    assert volumes(tree["A"]).group_pv == 1250 + 2500  # C and D's customer; B is R's enrollee
    assert volumes(tree["A"]).placement_group_pv == 1250 + 8750 + 2500  # B, C, D below A
    assert binary_leg_volumes(tree["R"], period).left_cv == volumes(tree["A"]).placement_group_cv
    assert binary_leg_volumes(tree["R"], period).right_cv == 0
    assert [(leg.member_id, leg.pv) for leg in frontline_volumes(tree["R"], period)] == [
        ("A", 3750),
        ("B", 8750),
    ]
    live = {
        row.distributor_id: VolumeRow(
            row.pv,
            row.cv,
            row.customer_pv,
            row.customer_cv,
            row.group_pv,
            row.group_cv,
            row.placement_group_pv,
            row.placement_group_cv,
        )
        for row in PeriodVolume.objects.filter(period=period)
    }
    assert live == recompute_period_volumes(period)


def test_lines_copy_price_and_volumes_so_catalogue_changes_leave_past_orders_alone(tree, shake):
    first = do_place_order(tree["A"], [(shake, 2)], "EUR", paid_at=JUNE)
    do_update_product(shake, pv=2000, cv=1500, names={"en": "Shake, new recipe"})
    do_set_price(shake, "EUR", 5490)
    second = do_place_order(tree["A"], [(shake, 1)], "EUR", paid_at=JUNE)

    line = OrderLine.objects.get(order=first)
    assert (line.sku, line.description, line.unit_price, line.unit_pv, line.unit_cv) == (
        "SHAKE-1",
        "Protein shake",
        4990,
        1250,
        1000,
    )
    first.refresh_from_db()
    assert (first.amount, first.pv) == (9980, 2500)
    assert (second.amount, second.pv, second.cv) == (5490, 2000, 1500)
    assert volumes(tree["A"]).pv == 4500


@pytest.mark.parametrize(
    ("kinds", "expected"),
    [
        ((ProductKind.PRODUCT,), ProductKind.PRODUCT),
        ((ProductKind.STARTER_KIT, ProductKind.PRODUCT), ProductKind.STARTER_KIT),
        ((ProductKind.FEE,), ProductKind.FEE),
        ((ProductKind.FEE, ProductKind.PRODUCT), ProductKind.PRODUCT),
        ((ProductKind.AUTOSHIP, ProductKind.FEE), ProductKind.AUTOSHIP),
    ],
)
def test_the_order_kind_follows_the_kinds_of_its_lines(tree, kinds, expected):
    products = [
        do_create_product(
            f"SKU-{i}", {"en": f"Item {i}"}, kind, pv=100, cv=100, prices={"EUR": 100}
        )
        for i, kind in enumerate(kinds)
    ]
    order = do_place_order(tree["A"], [(p, 1) for p in products], "EUR", paid_at=JUNE)
    assert order.kind == expected


def test_generated_numbers_are_unique_and_a_given_number_is_kept(tree, shake):
    first = do_place_order(tree["A"], [(shake, 1)], "EUR", paid_at=JUNE)
    second = do_place_order(tree["A"], [(shake, 1)], "EUR", paid_at=JUNE)
    mine = do_place_order(tree["A"], [(shake, 1)], "EUR", paid_at=JUNE, number="SHOP-77")

    assert first.number == f"DL{first.pk:08d}"
    assert second.number == f"DL{second.pk:08d}"
    assert mine.number == "SHOP-77"
    assert Order.objects.get(pk=first.pk).number == first.number
    with pytest.raises(OrderError, match="Order SHOP-77 exists already"):
        do_place_order(tree["A"], [(shake, 1)], "EUR", paid_at=JUNE, number="SHOP-77")


def test_a_generated_number_steps_around_an_imported_one(tree, shake):
    first = do_place_order(tree["A"], [(shake, 1)], "EUR", paid_at=JUNE)
    next_id = first.pk + 2  # the imported order below takes first.pk + 1
    imported = do_place_order(
        tree["A"], [(shake, 1)], "EUR", paid_at=JUNE, number=f"DL{next_id:08d}"
    )
    generated = do_place_order(tree["A"], [(shake, 1)], "EUR", paid_at=JUNE)
    assert generated.pk == next_id
    assert generated.number == f"DL{next_id:08d}-2"
    assert imported.number != generated.number


def test_an_idempotency_key_returns_the_first_order_and_moves_volume_once(tree, shake):
    first = do_place_order(tree["C"], [(shake, 1)], "EUR", paid_at=JUNE, idempotency_key="shop-1")
    again = do_place_order(tree["C"], [(shake, 5)], "EUR", paid_at=JUNE, idempotency_key="shop-1")

    assert again.pk == first.pk
    assert Order.objects.count() == 1
    assert volumes(tree["R"]).group_pv == 1250
    with pytest.raises(OrderError, match="shop-1 was already used for order"):
        do_place_order(tree["A"], [(shake, 1)], "EUR", paid_at=JUNE, idempotency_key="shop-1")


def _nothing_written() -> bool:
    return not Order.objects.exists() and not PeriodVolume.objects.exists()


def test_an_order_without_lines_is_refused(tree):
    with pytest.raises(OrderError, match="at least one line; the order of member C has none"):
        do_place_order(tree["C"], [], "EUR", paid_at=JUNE)
    assert _nothing_written()


def test_a_product_without_a_price_in_the_currency_is_refused(tree, shake, kit):
    with pytest.raises(OrderError, match=r"member C, line 2: product KIT-1 has no price in PLN"):
        do_place_order(tree["C"], [(shake, 1), (kit, 1)], "PLN", paid_at=JUNE)
    assert _nothing_written()


def test_a_product_off_sale_is_refused(tree, shake):
    do_update_product(shake, active=False)
    with pytest.raises(OrderError, match="product SHAKE-1 is not on sale"):
        do_place_order(tree["C"], [(shake, 1)], "EUR", paid_at=JUNE)
    assert _nothing_written()


def test_a_terminated_buyer_is_refused(network, shake):
    network.add("R")
    network.add("T", sponsor="R", position=1, status=Distributor.Status.TERMINATED)
    with pytest.raises(OrderError, match="Member T is terminated"):
        do_place_order(network["T"], [(shake, 1)], "EUR", paid_at=JUNE)
    assert _nothing_written()


def test_a_customer_of_a_terminated_sponsor_is_refused(network, shake):
    network.add("R")
    network.add("T", sponsor="R", position=1, status=Distributor.Status.TERMINATED)
    network.add("K", sponsor="T", kind=Distributor.Kind.CUSTOMER)
    with pytest.raises(OrderError, match="sponsor T of retail customer K is terminated"):
        do_place_order(network["K"], [(shake, 1)], "EUR", paid_at=JUNE)
    assert _nothing_written()


@pytest.mark.parametrize("quantity", [0, -1, 1.5, True, "2"])
def test_a_quantity_that_is_not_a_positive_whole_number_is_refused(tree, shake, quantity):
    with pytest.raises(OrderError, match="line 1 \\(SHAKE-1\\): the quantity must be a whole"):
        do_place_order(tree["C"], [(shake, quantity)], "EUR", paid_at=JUNE)
    assert _nothing_written()


def test_a_payment_time_without_a_time_zone_is_refused(tree, shake):
    naive = JUNE.replace(tzinfo=None)
    with pytest.raises(OrderError, match="payment time must be a date and time with a time zone"):
        do_place_order(tree["C"], [(shake, 1)], "EUR", paid_at=naive)
    assert _nothing_written()


def test_a_bad_currency_is_refused(tree, shake):
    with pytest.raises(OrderError, match="'eur' is not a currency code"):
        do_place_order(tree["C"], [(shake, 1)], "eur", paid_at=JUNE)
    assert _nothing_written()
