"""Folding the orders' live-volume changes is exact whatever happens in between: random orders,
returns, cancellations, structure moves and folds end with every live volume equal to a
recomputation from the orders over the tree as it stands."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from downline.core.errors import DownlineError
from downline.genealogy.actions import do_move
from downline.orders.actions import (
    do_cancel_order,
    do_create_product,
    do_place_order,
    do_return_order,
)
from downline.orders.models import Order, PeriodVolume, VolumeChange
from downline.orders.selectors import (
    VOLUME_FIELDS,
    VolumeRow,
    live_period_volumes,
    recompute_period_volumes,
)
from downline.orders.volumes import fold_volume_changes
from downline.periods.actions import do_ensure_period_for

MEMBERS = ("R", "A", "B", "A1", "A11", "B1")


class Rollback(Exception):
    """Undoes one example's writes; the network stays for the next example."""


@pytest.fixture
def world(net, settings):
    settings.DOWNLINE_TIME_ZONE = "Europe/Berlin"
    settings.DOWNLINE_PERIOD_KIND = "monthly"
    with time_machine.travel(datetime(2026, 3, 10, 12, tzinfo=UTC), tick=True):
        net.enroll("R")
        net.enroll("A", "R")
        net.enroll("B", "R")
        net.enroll("A1", "A")
        net.enroll("A11", "A1")
        net.enroll("B1", "B")
        product = do_create_product("BAR", {"en": "Bar"}, pv=125, cv=100, prices={"EUR": 299})
        yield net, product


operations = st.lists(
    st.one_of(
        st.tuples(st.just("order"), st.sampled_from(MEMBERS), st.integers(1, 3)),
        st.tuples(st.just("return"), st.integers(0, 20), st.just(0)),
        st.tuples(st.just("cancel"), st.integers(0, 20), st.just(0)),
        st.tuples(st.just("move"), st.sampled_from(MEMBERS), st.sampled_from(MEMBERS)),
        st.tuples(st.just("fold"), st.just(""), st.just(0)),
    ),
    min_size=1,
    max_size=25,
)


def apply(net, product, operation: tuple) -> None:
    kind, first, second = operation
    orders = list(Order.objects.filter(returns_order__isnull=True).order_by("id"))
    try:
        if kind == "order":
            do_place_order(net[first], [(product, second)], "EUR")
        elif kind == "return" and orders:
            do_return_order(orders[first % len(orders)], reason="returned")
        elif kind == "cancel" and orders:
            do_cancel_order(orders[first % len(orders)], reason="cancelled")
        elif kind == "move" and first != "R":
            do_move(first, sponsor=second, reason="team change", effective_at=net.tick())
        elif kind == "fold":
            fold_volume_changes()
    except (DownlineError, ValidationError):
        pass  # a refused operation changes nothing


def folded_rows(period) -> dict[int, VolumeRow]:
    rows = PeriodVolume.objects.filter(period=period).values_list("distributor_id", *VOLUME_FIELDS)
    return {row[0]: VolumeRow(*row[1:]) for row in rows if any(row[1:])}


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=operations)
def test_folded_volumes_equal_a_recomputation(world, steps):
    net, product = world
    try:
        with transaction.atomic():
            for step in steps:
                apply(net, product, step)
            period = do_ensure_period_for(timezone.now())
            expected = recompute_period_volumes(period)
            # a reader sees every order, folded or not, and leaves nothing pending
            assert live_period_volumes(period) == expected
            assert not VolumeChange.objects.exists()
            assert folded_rows(period) == expected
            raise Rollback
    except Rollback:
        pass
