"""From a network and its orders (tables) to the engine's inputs for one period."""

from __future__ import annotations

from datetime import datetime, timedelta
from operator import itemgetter
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa

from downline.calendar import bounds_for_code
from downline.engine.inputs import PeriodInputs

from . import columnar
from .csv_io import EPOCH_US, epoch_us
from .tables import Network, Orders

EPOCH_DAY = np.datetime64("1970-01-01", "D")


def pick(values: list[str], rows: np.ndarray) -> list[str]:
    """``[values[row] for row in rows]`` for increasing ``rows`` (a slice when they are
    consecutive, else one C-level gather); when ``values`` came from an Arrow array
    (:func:`columnar.remember_text`), so does the result."""
    count = len(rows)
    if count == 0:
        return []
    first, last = int(rows[0]), int(rows[-1])
    if last - first + 1 == count:
        picked = values[first : last + 1]
    elif count == 1:
        picked = [values[first]]
    else:
        picked = list(itemgetter(*rows.tolist())(values))
    known = columnar.known_text(values)
    if known is not None:
        if last - first + 1 == count:
            array = known.slice(first, count)
        else:
            array = known.take(pa.array(rows))
        columnar.remember_text(picked, array)
    return picked


def period_inputs(
    network: Network,
    orders: Orders,
    *,
    period: str,
    time_zone: str,
    plan_currency: str | None = None,
) -> PeriodInputs:
    """The engine inputs of ``period`` (``2026-10`` or ``2026-W43``) in ``time_zone``.

    Distributors keep their table order (customers dropped); an order is in the period when its
    ``paid_at`` falls on one of the period's local days; a return counts negative, credited like
    its original; a retail customer's order is credited to the customer's sponsor.
    """
    bounds = bounds_for_code(period, time_zone)
    tz = ZoneInfo(time_zone)
    distributors = np.flatnonzero(~network.is_customer)
    customers = np.flatnonzero(network.is_customer)
    compact = np.full(len(network), -1, dtype=np.int64)
    compact[distributors] = np.arange(len(distributors))
    customer_number = np.full(len(network), -1, dtype=np.int64)
    customer_number[customers] = np.arange(len(customers))

    def remap(refs: np.ndarray) -> np.ndarray:
        return np.where(refs >= 0, compact[np.maximum(refs, 0)], -1)

    # local midnights of every day of the period, as UTC epoch microseconds
    days = (bounds.last_day - bounds.first_day).days + 1
    midnights = np.array(
        [
            epoch_us(
                datetime.combine(bounds.first_day + timedelta(days=k), datetime.min.time(), tz)
            )
            for k in range(days + 1)
        ],
        dtype=np.int64,
    )
    paid_us = ((orders.paid_at - EPOCH_US) // np.timedelta64(1, "us")).astype(np.int64)
    in_period = np.flatnonzero((paid_us >= midnights[0]) & (paid_us < midnights[-1]))
    first_day = int((np.datetime64(bounds.first_day, "D") - EPOCH_DAY) // np.timedelta64(1, "D"))
    buyer = orders.member[in_period]
    is_customer_order = network.is_customer[buyer]
    credited = np.where(is_customer_order, network.sponsor[buyer], buyer)
    sign = np.where(orders.returns[in_period] >= 0, -1, 1).astype(np.int64)
    currency = orders.currency[in_period]
    return PeriodInputs(
        ids=pick(network.ids, distributors),
        sponsor=remap(network.sponsor[distributors]),
        placement=remap(network.placement[distributors]),
        position=network.position[distributors].astype(np.int16),
        joined_day=((network.joined_on[distributors] - EPOCH_DAY) // np.timedelta64(1, "D")).astype(
            np.int32
        ),
        status=network.status[distributors].astype(np.int8),
        first_day=first_day,
        last_day=first_day + days - 1,
        order_ids=pick(orders.ids, in_period),
        order_member=compact[credited],
        order_customer=np.where(is_customer_order, customer_number[buyer], -1),
        order_day=(
            first_day + np.searchsorted(midnights, paid_us[in_period], side="right") - 1
        ).astype(np.int32),
        order_pv=sign * orders.pv[in_period],
        order_cv=sign * orders.cv[in_period],
        order_amount=sign * orders.amount[in_period],
        order_in_plan_currency=(currency == plan_currency)
        if plan_currency
        else np.zeros(len(in_period), dtype=bool),
        period=period,
    )
