"""The synthetic generator's data is valid and reproducible; period inputs follow the time zone."""

import io

import numpy as np
import pytest

from downline.dataset import PlacementShape
from downline.dataset.csv_io import (
    network_from_text,
    orders_from_text,
    read_network,
    read_orders,
    write_network,
    write_orders,
)
from downline.dataset.period import period_inputs
from downline.dataset.synth import SynthOptions, synthesize

SHAPES = [PlacementShape("binary"), PlacementShape("matrix", 3), PlacementShape("unilevel")]


def _text(write, *args, **kwargs) -> io.StringIO:
    buffer = io.StringIO()
    write(*args, buffer, **kwargs)
    buffer.seek(0)
    return buffer


@pytest.mark.parametrize("shape", ["random", "deep", "wide"])
@pytest.mark.parametrize("placement", SHAPES, ids=lambda s: s.kind)
def test_synthetic_data_passes_every_rule_and_round_trips(shape, placement):
    network, orders = synthesize(
        SynthOptions(distributors=600, seed=5, shape=shape, placement=placement, months=3)
    )
    members = _text(write_network, network, shape=placement)
    members.name = "distributors.csv"
    read_back = read_network(members, shape=placement)
    order_text = _text(write_orders, orders, network)
    order_text.name = "orders.csv"
    orders_back = read_orders(order_text, network=read_back)
    assert read_back.ids == network.ids
    for column in ("sponsor", "placement", "position", "joined_on", "status", "is_customer"):
        assert np.array_equal(getattr(read_back, column), getattr(network, column)), column
    for column in ("member", "paid_at", "pv", "cv", "amount", "currency", "kind", "returns"):
        assert np.array_equal(getattr(orders_back, column), getattr(orders, column)), column
    # canonical text is a fixed point
    assert _text(write_orders, orders_back, read_back).getvalue() == order_text.getvalue()


def test_same_seed_same_data_and_another_seed_differs():
    options = SynthOptions(distributors=500, seed=11, months=2)
    first, first_orders = synthesize(options)
    second, second_orders = synthesize(options)
    assert np.array_equal(first.sponsor, second.sponsor)
    assert np.array_equal(first_orders.cv, second_orders.cv)
    other, _ = synthesize(SynthOptions(distributors=500, seed=12, months=2))
    assert not np.array_equal(first.sponsor, other.sponsor)


def test_synthetic_network_has_customers_returns_starter_kits_and_inactive_members():
    network, orders = synthesize(SynthOptions(distributors=2000, seed=3, months=6))
    assert network.is_customer.sum() == 1000
    assert (orders.returns >= 0).sum() > 0
    assert (orders.kind == 1).sum() > 0  # starter kits
    pv = np.zeros(len(network), dtype=np.int64)
    np.add.at(pv, orders.member, np.where(orders.returns >= 0, -orders.pv, orders.pv))
    distributors = ~network.is_customer
    assert 0 < (pv[distributors] < 50_00).sum() < distributors.sum()


def test_deep_shape_is_deep_and_wide_shape_has_large_front_lines():
    deep, _ = synthesize(
        SynthOptions(distributors=20_000, seed=1, shape="deep", orders_per_distributor=0)
    )
    depth = np.zeros(len(deep), dtype=np.int64)
    for row in range(1, 20_000):  # sponsors join before recruits
        depth[row] = depth[deep.sponsor[row]] + 1
    assert depth.max() >= 15
    wide, _ = synthesize(
        SynthOptions(distributors=20_000, seed=1, shape="wide", orders_per_distributor=0)
    )
    front_line = np.bincount(wide.sponsor[1:20_000], minlength=20_000)
    assert front_line.max() > 1000


def test_period_inputs_use_the_company_time_zone_and_credit_customer_orders_to_their_sponsor():
    network = network_from_text(
        "id,sponsor_id,placement_id,placement_position,joined_on,status,kind\n"
        "A,,,,2026-01-01,active,distributor\n"
        "K,A,,,2026-01-01,active,customer\n"
        "B,A,,L,2026-10-02,suspended,distributor\n",
        shape=PlacementShape("binary"),
    )
    orders = orders_from_text(
        "id,distributor_id,paid_at,pv,cv,amount,currency,kind,returns_order_id\n"
        "O1,B,2026-10-31T23:30:00Z,100,80,100,EUR,product,\n"  # 00:30 on 1 Nov in Warsaw
        "O2,K,2026-10-31T22:30:00Z,10,8,10,EUR,product,\n"  # 23:30 on 31 Oct in Warsaw
        "O3,B,2026-10-02T10:00:00Z,10,8,10,PLN,product,\n"
        "R3,B,2026-10-03T10:00:00Z,5,4,5,PLN,product,O3\n",
        network=network,
        time_zone="Europe/Warsaw",
    )
    inputs = period_inputs(
        network, orders, period="2026-10", time_zone="Europe/Warsaw", plan_currency="EUR"
    )
    assert list(inputs.ids) == ["A", "B"]
    assert list(inputs.order_ids) == ["O2", "O3", "R3"]
    assert inputs.order_member.tolist() == [0, 1, 1]
    assert inputs.order_customer.tolist() == [0, -1, -1]
    assert (inputs.order_day - inputs.first_day).tolist() == [30, 1, 2]
    assert inputs.order_pv.tolist() == [10_00, 10_00, -5_00]
    assert inputs.order_in_plan_currency.tolist() == [True, False, False]
    assert inputs.last_day - inputs.first_day == 30
    assert inputs.status.tolist() == [0, 1]
