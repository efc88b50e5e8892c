"""The engine's inputs of a stored period: the network as it stood at the period's end and the
period's orders, as dense arrays (``downline.engine.inputs.PeriodInputs``).

* **Network.** The members as stored now, corrected for every member with a structure event at
  or after the period's end: such a member takes their state from their latest event before the
  end, and is left out if they had none (they joined later). Retail customers are not rows; their
  orders are credited to their sponsor (the order's stored ``distributor``).
* **Orders.** The period's orders (``Order.period``) except cancelled ones and returns after the
  close (their commissions are clawed back instead, see ``clawbacks``). A return counts with
  negative volumes. An order's day is its local paid day in the company's time zone.

Reads run inside the caller's transaction, so a final run sees one consistent snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from django.db import connection

from downline.calendar import bounds_for_code
from downline.engine.inputs import PeriodInputs
from downline.engine.plan import Plan
from downline.exchange.bulk_sql import naive_utc_sql, read_columns
from downline.genealogy.models import Distributor, StructureEvent
from downline.orders.models import Order
from downline.periods.models import Period
from downline.periods.selectors import company_time_zone

EPOCH_DAY = np.datetime64("1970-01-01", "D")
EPOCH_US = np.datetime64("1970-01-01T00:00:00", "us")
STATUS_CODES = {
    Distributor.Status.ACTIVE: 0,
    Distributor.Status.SUSPENDED: 1,
    Distributor.Status.TERMINATED: 2,
}


@dataclass
class StoredPeriod:
    """A period's engine inputs and the database ids behind their rows."""

    inputs: PeriodInputs
    member_ids: np.ndarray  # int64[n]: Distributor primary key of each distributor row
    order_ids: np.ndarray  # int64[m]: Order primary key of each order row


def _members(ends_at: datetime) -> tuple[np.ndarray, list[str], np.ndarray, np.ndarray, ...]:
    """Every member as stood at ``ends_at``: (db ids, member ids, sponsor db ids, placement
    db ids, positions, joined days, status codes, is customer), references -1 for none."""
    table = Distributor._meta.db_table
    columns = read_columns(
        f"""SELECT id, member_id, sponsor_id, placement_parent_id, placement_position,
                   joined_on, status, kind FROM {table} ORDER BY id"""
    ) or [[] for _ in range(8)]
    db_ids = np.array(columns[0], dtype=np.int64)
    ids = list(columns[1])
    sponsor = np.array([-1 if v is None else v for v in columns[2]], dtype=np.int64)
    parent = np.array([-1 if v is None else v for v in columns[3]], dtype=np.int64)
    position = np.array([v or 0 for v in columns[4]], dtype=np.int16)
    joined = np.array(columns[5], dtype="datetime64[D]")
    status = np.array([STATUS_CODES[v] for v in columns[6]], dtype=np.int8)
    customer = np.array([v == Distributor.Kind.CUSTOMER for v in columns[7]], dtype=bool)
    keep = np.ones(len(db_ids), dtype=bool)
    events = StructureEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT d.id, e.new_sponsor_id, e.new_placement_parent_id,
                       e.new_placement_position, e.new_status, e.new_kind
                FROM (SELECT DISTINCT distributor_id AS id FROM {events}
                      WHERE effective_at >= %s) d
                LEFT JOIN {events} e ON e.id = (
                    SELECT l.id FROM {events} l
                    WHERE l.distributor_id = d.id AND l.effective_at < %s
                    ORDER BY l.effective_at DESC, l.id DESC LIMIT 1)""",
            [ends_at, ends_at],
        )
        changed = cursor.fetchall()
    if changed:
        row = np.searchsorted(db_ids, np.array([c[0] for c in changed], dtype=np.int64))
        for r, (_pk, new_sponsor, new_parent, new_position, new_status, new_kind) in zip(
            row, changed, strict=True
        ):
            if new_status is None:  # no event before the end: joined later
                keep[r] = False
                continue
            sponsor[r] = -1 if new_sponsor is None else new_sponsor
            parent[r] = -1 if new_parent is None else new_parent
            position[r] = new_position or 0
            status[r] = STATUS_CODES[new_status]
            customer[r] = new_kind == Distributor.Kind.CUSTOMER
    return db_ids, ids, sponsor, parent, position, joined, status, customer, keep


def _period_days(period: Period, time_zone: str) -> tuple[int, np.ndarray]:
    """The period's first local day (days since 1970-01-01) and the UTC instants (epoch µs) of
    the local midnights that start each of its days and end its last."""
    bounds = bounds_for_code(period.code, time_zone)
    tz = ZoneInfo(time_zone)
    days = (bounds.last_day - bounds.first_day).days + 1
    midnights = np.array(
        [
            int(
                datetime.combine(
                    bounds.first_day + timedelta(days=k), datetime.min.time(), tz
                ).timestamp()
                * 1_000_000
            )
            for k in range(days + 1)
        ],
        dtype=np.int64,
    )
    first_day = int((np.datetime64(bounds.first_day, "D") - EPOCH_DAY) // np.timedelta64(1, "D"))
    return first_day, midnights


def load_period(period: Period, plan: Plan) -> StoredPeriod:
    """The engine inputs of ``period`` from the database (see the module rules)."""
    time_zone = company_time_zone()
    db_ids, ids, sponsor, parent, position, joined, status, customer, keep = _members(
        period.ends_at
    )
    is_distributor = keep & ~customer
    rows = np.flatnonzero(is_distributor)
    customers = np.flatnonzero(keep & customer)
    row_of_db = np.full(int(db_ids.max()) + 1 if len(db_ids) else 1, -1, dtype=np.int64)
    row_of_db[db_ids[rows]] = np.arange(len(rows))
    customer_of_db = np.full(len(row_of_db), -1, dtype=np.int64)
    customer_of_db[db_ids[customers]] = np.arange(len(customers))

    def remap(references: np.ndarray) -> np.ndarray:
        return np.where(references >= 0, row_of_db[np.maximum(references, 0)], -1)

    orders_table = Order._meta.db_table
    columns = read_columns(
        f"""SELECT id, number, distributor_id, buyer_id, is_customer_order,
                   {naive_utc_sql("paid_at")}, pv, cv, amount, currency,
                   returns_order_id IS NOT NULL
            FROM {orders_table}
            WHERE period_id = %s AND status <> %s AND NOT after_close
            ORDER BY id""",
        [period.pk, Order.Status.CANCELLED.value],
    ) or [[] for _ in range(11)]
    order_db = np.array(columns[0], dtype=np.int64)
    credited = np.array(columns[2], dtype=np.int64)
    buyer = np.array(columns[3], dtype=np.int64)
    by_customer = np.array(columns[4], dtype=bool)
    paid_us = (
        (np.array(columns[5], dtype="datetime64[us]") - EPOCH_US) // np.timedelta64(1, "us")
    ).astype(np.int64)
    sign = np.where(np.array(columns[10], dtype=bool), -1, 1).astype(np.int64)
    first_day, midnights = _period_days(period, time_zone)
    plan_currency = plan.currency if isinstance(plan.currency, str) else None
    currency = np.array(columns[9], dtype="<U3")
    member_rows = row_of_db[credited] if len(credited) else np.zeros(0, dtype=np.int64)
    if np.any(member_rows < 0):
        bad = columns[1][int(np.flatnonzero(member_rows < 0)[0])]
        raise ValueError(f"order {bad} is credited to a member who is not a distributor")
    inputs = PeriodInputs(
        ids=[ids[r] for r in rows],
        sponsor=remap(sponsor[rows]),
        placement=remap(parent[rows]),
        position=position[rows],
        joined_day=((joined[rows] - EPOCH_DAY) // np.timedelta64(1, "D")).astype(np.int32),
        status=status[rows],
        first_day=first_day,
        last_day=first_day + len(midnights) - 2,
        order_ids=list(columns[1]),
        order_member=member_rows,
        order_customer=np.where(by_customer, customer_of_db[buyer] if len(buyer) else -1, -1),
        order_day=(first_day + np.searchsorted(midnights, paid_us, side="right") - 1).astype(
            np.int32
        ),
        order_pv=sign * np.array(columns[6], dtype=np.int64),
        order_cv=sign * np.array(columns[7], dtype=np.int64),
        order_amount=sign * np.array(columns[8], dtype=np.int64),
        order_in_plan_currency=(currency == plan_currency)
        if plan_currency
        else np.zeros(len(order_db), dtype=bool),
        period=period.code,
    )
    return StoredPeriod(inputs=inputs, member_ids=db_ids[rows], order_ids=order_db)
