"""A synthetic period straight into engine arrays, for benchmarks and simulations at scale.

The same shapes as :mod:`downline.dataset.synth` (sponsor tree and placement from its
``sponsors`` and ``placements``), but nothing is turned into text or Python objects: ids are a
lazy numbered sequence, and only the period's own orders are drawn. Distributors join over
``months`` months ending with the period; each order is bought either by a distributor or by a
retail customer (credited to the customer's sponsor); newcomers of the period buy a starter kit
on their join day; ``return_rate`` of the orders come back (half or whole) a few days later in
the same period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import overload

import numpy as np

from downline.engine.inputs import PeriodInputs

from .synth import CATALOGUE, CATALOGUE_WEIGHTS, STARTER_KIT, placements, sponsors
from .tables import PlacementShape

EPOCH = date(1970, 1, 1)


class NumberedIds(Sequence[str]):
    """``prefix`` + a zero-padded number, computed on access (no list of ten million strings)."""

    def __init__(self, prefix: str, count: int, width: int = 8) -> None:
        self.prefix, self.count, self.width = prefix, count, width

    def __len__(self) -> int:
        return self.count

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[k] for k in range(*index.indices(self.count))]
        if index < 0:
            index += self.count
        if not 0 <= index < self.count:
            raise IndexError(index)
        return f"{self.prefix}{index:0{self.width}d}"


@dataclass(frozen=True)
class PeriodSynthOptions:
    distributors: int
    seed: int = 1
    shape: str = "random"
    placement: PlacementShape = field(default_factory=PlacementShape)
    month: str = "2026-10"
    months: int = 12  # joining spreads over this many months, ending with ``month``
    orders_per_distributor: float = 3.0
    customers_per_distributor: float = 0.5
    customer_order_share: float = 0.25
    return_rate: float = 0.01
    status_suspended: float = 0.02
    status_terminated: float = 0.01


def _day(value: date) -> int:
    return (value - EPOCH).days


def synthesize_period(options: PeriodSynthOptions) -> PeriodInputs:
    """Engine inputs of one synthetic month (same options, same arrays)."""
    rng = np.random.default_rng(options.seed)
    n = options.distributors
    year, month = (int(part) for part in options.month.split("-"))
    first = _day(date(year, month, 1))
    after = _day(date(year + month // 12, month % 12 + 1, 1))
    start_year, start_month = divmod(year * 12 + month - 1 - (options.months - 1), 12)
    joined_from = _day(date(start_year, start_month + 1, 1))
    joined = np.sort(rng.integers(joined_from, after, n)).astype(np.int32)
    joined[0] = joined_from
    sponsor = sponsors(n, options.shape, rng)
    placement, position = placements(sponsor, options.placement)
    roll = rng.random(n)
    status = np.zeros(n, dtype=np.int8)
    status[roll < options.status_suspended + options.status_terminated] = 1
    status[roll < options.status_terminated] = 2
    status[0] = 0

    n_customers = max(1, round(n * options.customers_per_distributor))
    customer_sponsor = rng.integers(0, n, n_customers)
    newcomers = np.flatnonzero((joined >= first) & (status != 2))
    count = max(0, round(n * options.orders_per_distributor) - newcomers.size)
    by_customer = rng.random(count) < options.customer_order_share
    buyer = rng.integers(0, n, count)
    customer = np.where(by_customer, rng.integers(0, n_customers, count), -1)
    member = np.where(by_customer, customer_sponsor[np.maximum(customer, 0)], buyer)
    # a distributor's own order falls on or after their join day
    earliest = np.where(by_customer, first, np.maximum(joined[buyer], first))
    day = earliest + (rng.random(count) * (after - earliest)).astype(np.int64)
    item = rng.choice(len(CATALOGUE), size=count, p=CATALOGUE_WEIGHTS)
    values = CATALOGUE[item]
    kit = np.tile(np.array(STARTER_KIT, dtype=np.int64), (newcomers.size, 1))
    member = np.concatenate((newcomers, member))
    customer = np.concatenate((np.full(newcomers.size, -1), customer))
    day = np.concatenate((joined[newcomers].astype(np.int64), day))
    values = np.concatenate((kit, values))
    # returns: half or all of an order, one to five days later, inside the period
    back = np.flatnonzero(rng.random(member.size) < options.return_rate)
    later = day[back] + rng.integers(1, 6, back.size)
    back, later = back[later < after], later[later < after]
    share = np.where(rng.random(back.size) < 0.5, 2, 1)  # divide by 2 (half) or by 1 (all)
    member = np.concatenate((member, member[back]))
    customer = np.concatenate((customer, customer[back]))
    day = np.concatenate((day, later))
    values = np.concatenate((values, -(values[back] // share[:, None])))
    m = member.size
    return PeriodInputs(
        ids=NumberedIds("D", n),
        sponsor=sponsor,
        placement=placement,
        position=position.astype(np.int16),
        joined_day=joined,
        status=status,
        first_day=first,
        last_day=after - 1,
        order_ids=NumberedIds("O", m, width=9),
        order_member=member.astype(np.int64),
        order_customer=customer.astype(np.int64),
        order_day=day.astype(np.int32),
        order_pv=np.ascontiguousarray(values[:, 0]),
        order_cv=np.ascontiguousarray(values[:, 1]),
        order_amount=np.ascontiguousarray(values[:, 2]),
        order_in_plan_currency=np.ones(m, dtype=bool),
        period=options.month,
    )
