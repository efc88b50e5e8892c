"""Amount, volume and quantity limits on products, orders and autoships (issue 11, finding 7):
imported PV of 92 quadrillion wrapped volumes to −2. Every price, PV/CV and quantity reaching the
order actions is checked against ``core.limits`` and refused with the field named; nothing is
written."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from downline.core.limits import MAX_QUANTITY, MAX_VOLUME
from downline.orders.actions import (
    do_create_autoship,
    do_create_product,
    do_place_order,
    do_set_price,
    do_update_product,
)
from downline.orders.errors import AutoshipError, OrderError, ProductError
from downline.orders.models import Autoship, Order, PeriodVolume, Product

PAID_AT = datetime(2026, 10, 5, 12, tzinfo=UTC)
HUGE = 9_223_372_036_854_775_807


def test_a_product_beyond_the_limits_is_refused_at_its_field(db):
    for pv, cv, field in ((HUGE, 0, "pv"), (0, MAX_VOLUME + 1, "cv")):
        with pytest.raises(ProductError) as refused:
            do_create_product("BIG", {"en": "Big"}, pv=pv, cv=cv)
        assert refused.value.field == field
    with pytest.raises(ProductError) as refused:
        do_create_product("BIG", {"en": "Big"}, prices={"EUR": 10**12 + 1})
    assert refused.value.field == "price"
    assert "10000000000.00 EUR" in refused.value.message
    assert not Product.objects.exists()


def test_a_product_is_not_changed_beyond_the_limits(shake):
    with pytest.raises(ProductError):
        do_update_product(shake, pv=HUGE)
    with pytest.raises(ProductError):
        do_set_price(shake, "EUR", HUGE)
    shake.refresh_from_db()
    assert shake.pv == 1250
    assert shake.prices.get(currency="EUR").amount == 4990


def test_a_quantity_beyond_the_limit_is_refused(tree, shake):
    with pytest.raises(OrderError) as refused:
        do_place_order(tree["D"], [(shake, MAX_QUANTITY + 1)], "EUR", paid_at=PAID_AT)
    assert refused.value.field == "quantity"
    assert "99999" in refused.value.message
    assert not Order.objects.exists()
    assert not PeriodVolume.objects.exists()


def test_an_order_whose_volume_or_amount_adds_up_beyond_the_limit_is_refused(tree):
    heavy = do_create_product("HEAVY", {"en": "Heavy"}, pv=MAX_VOLUME, prices={"EUR": 100})
    with pytest.raises(OrderError) as refused:
        do_place_order(tree["D"], [(heavy, 2)], "EUR", paid_at=PAID_AT)
    assert refused.value.field == "pv"
    dear = do_create_product("DEAR", {"en": "Dear"}, prices={"EUR": 10**12})
    with pytest.raises(OrderError) as refused:
        do_place_order(tree["D"], [(dear, 1), (dear, 1)], "EUR", paid_at=PAID_AT)
    assert refused.value.field == "amount"
    assert not Order.objects.exists()
    assert not PeriodVolume.objects.exists()
    order = do_place_order(tree["D"], [(heavy, 1)], "EUR", paid_at=PAID_AT)
    assert order.pv == MAX_VOLUME


def test_an_autoship_beyond_the_limits_is_refused(tree, shake):
    with pytest.raises(AutoshipError) as refused:
        do_create_autoship(
            tree["C"], 15, [(shake, MAX_QUANTITY + 1)], "EUR", starts_on=date(2026, 10, 10)
        )
    assert refused.value.field == "quantity"
    assert not Autoship.objects.exists()
