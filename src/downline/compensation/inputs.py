"""The engine's inputs of a stored period: the network as it stood at the period's end and the
period's orders, as dense arrays (``downline.engine.inputs.PeriodInputs``).

* **Network.** The members as stored now, corrected for every member with a structure event at
  or after the period's end: such a member takes their state from their latest event before the
  end, and is left out if they had none (they joined later). Retail customers are not rows; their
  orders are credited to their sponsor (the order's stored ``distributor``).
* **Orders.** The period's orders (``Order.period``) except cancelled ones and returns after the
  close (their commissions are clawed back instead, see ``clawbacks``). A return counts with
  negative volumes. An order's day is its local paid day in the company's time zone; its
  amount is in hundredths of the plan currency's major unit.
* **Certificates.** Only when the plan requires certificates (``requires: {certificate: …}`` on
  a rank or a bonus): who holds each on the period's last day (local), asked through the hook
  ``core.hooks.CERTIFICATES_HELD`` (the academy answers; compensation does not import it). With
  no handler nobody holds any, and the stored period carries a warning
  (``certificates_unavailable``) that the run keeps in its summary.

Reads run inside the caller's transaction, so a final run sees one consistent snapshot.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from django.db import connection

from downline.calendar import bounds_for_code
from downline.core import hooks
from downline.core.bulk_sql import read_arrays
from downline.engine.inputs import PeriodInputs
from downline.engine.plan import Plan
from downline.genealogy.models import Distributor, StructureEvent
from downline.money import minor_units
from downline.orders.models import Order
from downline.periods.models import Period
from downline.periods.selectors import company_time_zone

EPOCH_DAY = np.datetime64("1970-01-01", "D")
CERTIFICATES_UNAVAILABLE = "certificates_unavailable"
logger = logging.getLogger(__name__)
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
    # keys and numbers only (rule 12), e.g. {"key": "certificates_unavailable",
    # "certificates": ["compliance-basics"]}
    warnings: list[dict] = field(default_factory=list)


def _epoch_seconds_sql(column: str) -> str:
    """SQL for whole seconds since 1970-01-01 UTC of an instant column (day buckets need no
    more: local midnights fall on whole seconds)."""
    if connection.vendor == "postgresql":
        return f"CAST(FLOOR(EXTRACT(EPOCH FROM {column})) AS BIGINT)"
    return f"CAST(strftime('%%s', {column}) AS INTEGER)"


def _epoch_day_sql(column: str) -> str:
    """SQL for the days since 1970-01-01 of a date column."""
    if connection.vendor == "postgresql":
        return f"({column} - DATE '1970-01-01')"
    return f"CAST(julianday({column}) - 2440587.5 AS INTEGER)"


def _status_sql(column: str) -> str:
    cases = " ".join(f"WHEN '{name}' THEN {code}" for name, code in STATUS_CODES.items())
    return f"CASE {column} {cases} END"


class OrderIds(Sequence[str]):
    """Order ids for the engine's messages: the primary keys as text, made on demand."""

    def __init__(self, keys: np.ndarray) -> None:
        self.keys = keys

    def __len__(self) -> int:
        return len(self.keys)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [str(key) for key in self.keys[index].tolist()]
        return str(int(self.keys[index]))


def _members(ends_at: datetime) -> tuple:
    """Every member as stood at ``ends_at``: (db ids, member ids, sponsor db ids, placement
    db ids, positions, joined days, status codes, is customer, kept), references -1 for none."""
    table = Distributor._meta.db_table
    customer = Distributor.Kind.CUSTOMER.value
    db_ids, ids, sponsor, parent, position, joined, status, is_customer = read_arrays(
        f"""SELECT id, member_id, COALESCE(sponsor_id, -1), COALESCE(placement_parent_id, -1),
                   COALESCE(placement_position, 0), {_epoch_day_sql("joined_on")},
                   {_status_sql("status")}, CASE WHEN kind = '{customer}' THEN 1 ELSE 0 END
            FROM {table} ORDER BY id""",
        types=(np.int64, str, np.int64, np.int64, np.int16, np.int32, np.int8, np.bool_),
    )
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
            is_customer[r] = new_kind == Distributor.Kind.CUSTOMER
    return db_ids, ids, sponsor, parent, position, joined, status, is_customer, keep


def _period_days(period: Period, time_zone: str) -> tuple[int, np.ndarray]:
    """The period's first local day (days since 1970-01-01) and the UTC instants (epoch
    seconds) of the local midnights that start each of its days and end its last."""
    bounds = bounds_for_code(period.code, time_zone)
    tz = ZoneInfo(time_zone)
    days = (bounds.last_day - bounds.first_day).days + 1
    midnights = np.array(
        [
            int(
                datetime.combine(
                    bounds.first_day + timedelta(days=k), datetime.min.time(), tz
                ).timestamp()
            )
            for k in range(days + 1)
        ],
        dtype=np.int64,
    )
    first_day = int((np.datetime64(bounds.first_day, "D") - EPOCH_DAY) // np.timedelta64(1, "D"))
    return first_day, midnights


def _hundredths(amounts: np.ndarray, currency: str | None) -> np.ndarray:
    """Order amounts (minor units) as the engine takes them: hundredths of the major unit of
    the plan's currency (only orders in that currency count as turnover; a point plan has
    none)."""
    places = 2 if currency is None else minor_units(currency)
    if places <= 2:
        return amounts * 10 ** (2 - places)
    return amounts // 10 ** (places - 2)  # rounded down, as exchange.amounts does


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
    plan_currency = plan.currency if isinstance(plan.currency, str) else None
    columns = read_arrays(
        f"""SELECT id, distributor_id, buyer_id,
                   CASE WHEN is_customer_order THEN 1 ELSE 0 END, {_epoch_seconds_sql("paid_at")},
                   CASE WHEN returns_order_id IS NULL THEN pv ELSE -pv END,
                   CASE WHEN returns_order_id IS NULL THEN cv ELSE -cv END,
                   CASE WHEN returns_order_id IS NULL THEN amount ELSE -amount END,
                   CASE WHEN currency = %s THEN 1 ELSE 0 END
            FROM {orders_table}
            WHERE period_id = %s AND status <> %s AND NOT after_close
            ORDER BY id""",
        [plan_currency or "", period.pk, Order.Status.CANCELLED.value],
        types=(np.int64,) * 3 + (np.bool_, np.int64, np.int64, np.int64, np.int64, np.bool_),
    )
    order_db, credited, buyer, by_customer, paid_s = columns[:5]
    first_day, midnights = _period_days(period, time_zone)
    member_rows = row_of_db[credited] if len(credited) else np.zeros(0, dtype=np.int64)
    if np.any(member_rows < 0):
        bad = int(order_db[int(np.flatnonzero(member_rows < 0)[0])])
        number = Order.objects.get(pk=bad).number
        raise ValueError(f"order {number} is credited to a member who is not a distributor")
    inputs = PeriodInputs(
        ids=[ids[r] for r in rows.tolist()],
        sponsor=remap(sponsor[rows]),
        placement=remap(parent[rows]),
        position=position[rows],
        joined_day=joined[rows],
        status=status[rows],
        first_day=first_day,
        last_day=first_day + len(midnights) - 2,
        order_ids=OrderIds(order_db),
        order_member=member_rows,
        order_customer=np.where(by_customer, customer_of_db[buyer] if len(buyer) else -1, -1),
        order_day=(first_day + np.searchsorted(midnights, paid_s, side="right") - 1).astype(
            np.int32
        ),
        order_pv=columns[5],
        order_cv=columns[6],
        order_amount=_hundredths(columns[7], plan_currency),
        order_in_plan_currency=columns[8],
        period=period.code,
    )
    stored = StoredPeriod(inputs=inputs, member_ids=db_ids[rows], order_ids=order_db)
    keys = plan.certificate_keys()
    if keys:
        last_day = bounds_for_code(period.code, time_zone).last_day
        inputs.certificates, warnings = certificate_holders(keys, last_day, stored.member_ids)
        stored.warnings.extend(warnings)
    return stored


def certificate_holders(
    keys: tuple[str, ...], on, member_ids: np.ndarray
) -> tuple[dict[str, np.ndarray], list[dict]]:
    """Per certificate key: bool per distributor row (``member_ids``: their Distributor
    primary keys), who holds it on ``on``, as the handlers of ``CERTIFICATES_HELD`` say; and
    the warnings (no handler: nobody holds any)."""
    held = {key: np.zeros(len(member_ids), dtype=bool) for key in keys}
    if not hooks.CERTIFICATES_HELD.handlers:
        logger.warning(
            "the plan requires certificates %s but no app answers %s; nobody holds any",
            ", ".join(keys),
            hooks.CERTIFICATES_HELD.name,
        )
        return held, [{"key": CERTIFICATES_UNAVAILABLE, "certificates": list(keys)}]
    order = np.argsort(member_ids, kind="stable")
    sorted_ids = member_ids[order]
    for answer in hooks.CERTIFICATES_HELD.fire(keys=tuple(keys), on=on):
        for key, holders in (answer or {}).items():
            if key not in held or not holders:
                continue
            pks = np.asarray(list(holders), dtype=np.int64)
            at = np.searchsorted(sorted_ids, pks)
            found = at < len(sorted_ids)
            found[found] = sorted_ids[at[found]] == pks[found]
            held[key][order[at[found]]] = True
    return held, []
