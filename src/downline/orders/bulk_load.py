"""Bulk reads and writes of orders, for imports and exports of whole order books.

``read_stored_orders`` reads every order into column arrays. ``do_bulk_load_orders`` appends
orders and returns that an importer has already validated, in one transaction, with
column-wise writes (``COPY`` on PostgreSQL), and leaves the live volumes exactly as placing the
same orders one by one through ``actions`` would:

* each order gets its row and lines (one line per order unless the caller gives products);
  the credited distributor is the buyer, or the sponsor of a retail-customer buyer;
* a return (``returns_order`` set, status ``refunded``, positive totals) gets one line that
  points at the original's line when the original has exactly one; the original becomes
  ``returned`` when its returns take back all of its PV, CV and amount, else
  ``partly_returned``;
* the ``PeriodVolume`` rows of every period the new orders fall in are recomputed from all
  orders of those periods (see :func:`period_volume_table`) and written in one pass; the
  ``VolumeChange`` rows of those periods not folded yet are dropped (the rows include them).

The caller validates every row first (``downline.dataset.csv_io`` checks the format and the
cross-file rules, the importer checks closed periods) while holding
``lock_orders_for_bulk_load``, and resolves each order's period through
``downline.periods.selectors``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from downline.core.bulk_sql import (
    Const,
    indexes_rebuilt_after,
    insert_rows,
    instants,
    lock_tables,
    naive_utc_sql,
    phase_done,
    read_columns,
    reserve_ids,
    update_rows,
    upsert_rows,
)
from downline.dataset.tables import Network
from downline.engine.tree import Tree

from .models import Order, OrderLine, PeriodVolume, VolumeChange
from .selectors import VOLUME_FIELDS

IMPORTED_LINE = "Imported"


@dataclass
class StoredOrders:
    """Every order as stored, in primary-key order. Amounts are minor units of the currency,
    PV and CV hundredths, instants UTC ``datetime64[us]``; ``returns_ids`` is -1 for none."""

    db_ids: np.ndarray
    numbers: list[str]
    buyer_ids: np.ndarray
    credited_ids: np.ndarray
    is_customer_order: np.ndarray
    kinds: list[str]
    statuses: list[str]
    returns_ids: np.ndarray
    currencies: list[str]
    amounts: np.ndarray
    pv: np.ndarray
    cv: np.ndarray
    paid_at: np.ndarray
    period_ids: np.ndarray

    def __len__(self) -> int:
        return len(self.db_ids)


@dataclass
class LineSpec:
    """The line of each new order that is not a return (entries of returns are ignored)."""

    product_ids: np.ma.MaskedArray
    skus: list[str]
    descriptions: list[str]
    quantities: np.ndarray
    unit_prices: np.ndarray
    unit_pv: np.ndarray
    unit_cv: np.ndarray


@dataclass
class NewOrders:
    """Validated orders to append. A return has ``returns_new`` (the row of its original among
    these) or ``returns_stored`` (the primary key of a stored original) set, else both -1."""

    numbers: list[str]
    buyer_ids: np.ndarray
    credited_ids: np.ndarray
    is_customer_order: np.ndarray
    kinds: list[str]
    currencies: list[str]
    amounts: np.ndarray
    pv: np.ndarray
    cv: np.ndarray
    paid_at: np.ndarray
    period_ids: np.ndarray
    returns_new: np.ndarray
    returns_stored: np.ndarray
    lines: LineSpec | None = None

    def __len__(self) -> int:
        return len(self.numbers)

    @property
    def is_return(self) -> np.ndarray:
        return (self.returns_new >= 0) | (self.returns_stored >= 0)


def lock_orders_for_bulk_load() -> None:
    """Keep every other writer of orders and live volumes out until the transaction ends.

    Take it after ``genealogy.bulk_load.lock_network_for_bulk_load``: order writers hold the
    network lock shared before they touch orders or volumes (see ``volumes``), so they queue
    behind a bulk load instead of crossing it.
    """
    lock_tables(Order, OrderLine, PeriodVolume, VolumeChange)


def read_stored_orders(numbers: Collection[str] | None = None) -> StoredOrders:
    """Every order (cancelled ones included), in primary-key order; with ``numbers``, only the
    orders with those numbers, every return of them, and the original of each that is itself a
    return: all that a file mentioning only those numbers is checked against."""
    columns_sql = f"""SELECT id, number, buyer_id, distributor_id, is_customer_order, kind,
               status, returns_order_id, currency, amount, pv, cv,
               {naive_utc_sql("paid_at")}, period_id
        FROM {Order._meta.db_table}"""
    if numbers is None:
        columns: list[Any] = read_columns(f"{columns_sql} ORDER BY id")
    else:
        wanted = _in_list("number")
        table = Order._meta.db_table
        parameter = _list_parameter(numbers)
        columns = read_columns(
            f"""{columns_sql} WHERE {wanted}
                OR returns_order_id IN (SELECT id FROM {table} WHERE {wanted})
                OR id IN (SELECT returns_order_id FROM {table} WHERE {wanted})
                ORDER BY id""",
            [parameter, parameter, parameter],
        )
    columns = columns or [[] for _ in range(14)]

    def integers(values: tuple) -> np.ndarray:
        return np.array([-1 if v is None else v for v in values], dtype=np.int64)

    return StoredOrders(
        db_ids=integers(columns[0]),
        numbers=list(columns[1]),
        buyer_ids=integers(columns[2]),
        credited_ids=integers(columns[3]),
        is_customer_order=np.array(columns[4], dtype=bool),
        kinds=list(columns[5]),
        statuses=list(columns[6]),
        returns_ids=integers(columns[7]),
        currencies=list(columns[8]),
        amounts=integers(columns[9]),
        pv=integers(columns[10]),
        cv=integers(columns[11]),
        paid_at=instants(list(columns[12])),
        period_ids=integers(columns[13]),
    )


def count_stored_orders() -> int:
    return Order.objects.count()


def _in_list(column: str) -> str:
    """``column`` is one of the values of a list parameter (PostgreSQL array, SQLite JSON)."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)"
    return f"{column} IN (SELECT value FROM json_each(%s))"


def _list_parameter(values: Collection[str]) -> Any:
    return list(values) if connection.vendor == "postgresql" else json.dumps(list(values))


def do_bulk_load_orders(
    orders: NewOrders,
    *,
    network: Network,
    member_db_ids: np.ndarray,
    actor: Any = None,
) -> np.ndarray:
    """Append ``orders`` and recompute the live volumes of the periods they fall in.

    ``network`` is the whole network as stored (rows in primary-key order, ``member_db_ids``
    their keys, ascending): the trees the group volumes are summed over. Returns the primary
    keys of the new orders. Must run while the caller holds ``lock_network_for_bulk_load`` and
    ``lock_orders_for_bulk_load``: the trees and the orders of the periods cannot change
    between the recomputation and the write.
    """
    count = len(orders)
    if not count:
        return np.zeros(0, dtype=np.int64)
    with transaction.atomic():
        periods = sorted({int(p) for p in np.unique(orders.period_ids)})
        stored_own = _stored_own_volumes(periods)
        stored_rows = _stored_volume_rows(periods)
        order_ids = reserve_ids(Order, count)
        line_ids = reserve_ids(OrderLine, count)
        now = timezone.now()
        statuses, stored_status_changes = _statuses(orders)
        returns = np.where(
            orders.returns_new >= 0,
            order_ids[np.maximum(orders.returns_new, 0)],
            orders.returns_stored,
        )
        order_columns = {
            "id": order_ids,
            "number": orders.numbers,
            "buyer_id": orders.buyer_ids,
            "distributor_id": orders.credited_ids,
            "is_customer_order": orders.is_customer_order,
            "kind": orders.kinds,
            "status": statuses,
            "returns_order_id": np.ma.masked_array(returns, mask=returns < 0),
            "after_close": Const(False),  # imports never write into or after a closed period
            "currency": orders.currencies,
            "amount": orders.amounts,
            "pv": orders.pv,
            "cv": orders.cv,
            "paid_at": orders.paid_at,
            "period_id": orders.period_ids,
            "reason": Const(""),
            "created_at": Const(now),
            "created_by_id": Const(getattr(actor, "pk", None)),
        }
        with indexes_rebuilt_after(Order, count):
            insert_rows(Order, order_columns, count)
        phase_done("orders written")
        with indexes_rebuilt_after(OrderLine, count):
            insert_rows(OrderLine, _line_columns(orders, order_ids, line_ids), count)
        phase_done("order lines written")
        if stored_status_changes:
            keys = np.array(list(stored_status_changes), dtype=np.int64)
            update_rows(Order, "id", keys, {"status": list(stored_status_changes.values())})
        table = period_volume_table(
            periods, orders, stored_own, network=network, member_db_ids=member_db_ids
        )
        phase_done("live volumes computed")
        _write_period_volumes(table, stored_rows, member_db_ids)
        # the rows were recomputed from every order, so the changes not folded yet are in them
        VolumeChange.objects.filter(period_id__in=table.period_ids).delete()
        phase_done("live volumes written")
    return order_ids


# --------------------------------------------------------------------------- statuses, lines


def _statuses(orders: NewOrders) -> tuple[list[str], dict[int, str]]:
    """Status of each new row, and the new status of each stored original that gets returns.

    An original is ``returned`` when its returns together take back all of its PV, CV and
    amount, ``partly_returned`` otherwise; a return row is ``refunded``.
    """
    count = len(orders)
    statuses = np.full(count, Order.Status.PAID.value, dtype=object)
    statuses[orders.is_return] = Order.Status.REFUNDED.value
    taken = np.zeros((count, 3), dtype=np.int64)
    back = np.stack((orders.pv, orders.cv, orders.amounts), axis=1)
    new_returns = np.flatnonzero(orders.returns_new >= 0)
    np.add.at(taken, orders.returns_new[new_returns], back[new_returns])
    originals = np.unique(orders.returns_new[new_returns])
    had = back[originals]
    full = (taken[originals] >= had).all(axis=1)
    statuses[originals] = np.where(
        full, Order.Status.RETURNED.value, Order.Status.PARTLY_RETURNED.value
    )
    stored_changes: dict[int, str] = {}
    stored_returns = np.flatnonzero(orders.returns_stored >= 0)
    if len(stored_returns):
        wanted = {int(pk) for pk in orders.returns_stored[stored_returns]}
        totals = {
            pk: np.array([pv, cv, amount], dtype=np.int64)
            for pk, pv, cv, amount in Order.objects.filter(pk__in=wanted).values_list(
                "pk", "pv", "cv", "amount"
            )
        }
        returned: dict[int, np.ndarray] = defaultdict(lambda: np.zeros(3, dtype=np.int64))
        for original, pv, cv, amount in Order.objects.filter(
            returns_order_id__in=wanted
        ).values_list("returns_order_id", "pv", "cv", "amount"):
            returned[original] += (pv, cv, amount)
        for row in stored_returns:
            returned[int(orders.returns_stored[row])] += back[row]
        for pk in wanted:
            full_return = bool((returned[pk] >= totals[pk]).all())
            stored_changes[pk] = (
                Order.Status.RETURNED.value if full_return else Order.Status.PARTLY_RETURNED.value
            )
    return statuses.tolist(), stored_changes


def _line_columns(orders: NewOrders, order_ids: np.ndarray, line_ids: np.ndarray) -> dict:
    """One line per new order: the caller's product line, or an ``Imported`` line holding the
    totals; a return's line copies its original's product, SKU and description, quantity 1."""
    count = len(orders)
    if orders.lines is None:
        product = np.ma.masked_array(np.zeros(count, dtype=np.int64), mask=np.ones(count, bool))
        skus: list[str] = [""] * count
        descriptions: list[str] = [IMPORTED_LINE] * count
        quantities = np.ones(count, dtype=np.int64)
        prices, unit_pv, unit_cv = orders.amounts.copy(), orders.pv.copy(), orders.cv.copy()
    else:
        spec = orders.lines
        product = np.ma.masked_array(
            spec.product_ids.filled(0).astype(np.int64), mask=np.ma.getmaskarray(spec.product_ids)
        )
        skus, descriptions = list(spec.skus), list(spec.descriptions)
        quantities = spec.quantities.astype(np.int64).copy()
        prices = spec.unit_prices.astype(np.int64).copy()
        unit_pv, unit_cv = (
            spec.unit_pv.astype(np.int64).copy(),
            spec.unit_cv.astype(np.int64).copy(),
        )
    returns_line = np.full(count, -1, dtype=np.int64)
    new_returns = np.flatnonzero(orders.returns_new >= 0)
    originals = orders.returns_new[new_returns]
    returns_line[new_returns] = line_ids[originals]
    product[new_returns] = product[originals]
    for row, original in zip(new_returns.tolist(), originals.tolist(), strict=True):
        skus[row], descriptions[row] = skus[original], descriptions[original]
    stored_returns = np.flatnonzero(orders.returns_stored >= 0)
    if len(stored_returns):
        single = _single_lines({int(pk) for pk in orders.returns_stored[stored_returns]})
        for row in stored_returns.tolist():
            line = single.get(int(orders.returns_stored[row]))
            if line is None:
                skus[row], descriptions[row] = "", IMPORTED_LINE
                product[row] = np.ma.masked
                continue
            line_id, product_id, sku, description = line
            returns_line[row] = line_id
            product[row] = np.ma.masked if product_id is None else product_id
            skus[row], descriptions[row] = sku, description
    returning = orders.is_return
    quantities[returning] = 1
    prices[returning] = orders.amounts[returning]
    unit_pv[returning] = orders.pv[returning]
    unit_cv[returning] = orders.cv[returning]
    return {
        "id": line_ids,
        "order_id": order_ids,
        "product_id": product,
        "sku": _constant_if_same(skus),
        "description": _constant_if_same(descriptions),
        "quantity": quantities,
        "unit_price": prices,
        "unit_pv": unit_pv,
        "unit_cv": unit_cv,
        "returns_line_id": np.ma.masked_array(returns_line, mask=returns_line < 0),
    }


def _constant_if_same(texts: list[str]) -> list[str] | Const:
    """One value for all rows when they are all equal (encoded once instead of per row)."""
    return Const(texts[0]) if texts and len(set(texts)) == 1 else texts


def _single_lines(order_ids: set[int]) -> dict[int, tuple[int, int | None, str, str]]:
    """For each stored order with exactly one line: (line id, product id, SKU, description)."""
    lines: dict[int, list[tuple[int, int | None, str, str]]] = defaultdict(list)
    rows = OrderLine.objects.filter(order_id__in=order_ids).values_list(
        "order_id", "id", "product_id", "sku", "description"
    )
    for order_id, line_id, product_id, sku, description in rows:
        lines[order_id].append((line_id, product_id, sku, description))
    return {pk: found[0] for pk, found in lines.items() if len(found) == 1}


# --------------------------------------------------------------------------- live volumes


@dataclass
class PeriodVolumeTable:
    """Recomputed volumes: ``values[p]`` is a ``(members, 8)`` array in ``VOLUME_FIELDS``
    order for period ``period_ids[p]``; ``touched[p]`` marks the members whose row placing the
    orders one by one would have written (a non-zero order credited to them or below them in
    either tree)."""

    period_ids: list[int]
    values: np.ndarray  # (periods, members, 8)
    touched: np.ndarray  # (periods, members) bool


def _stored_own_volumes(periods: list[int]) -> list[tuple[int, int, int, int, int, int, int]]:
    """Per (period, credited distributor): signed own PV, CV, customer PV, customer CV and the
    number of orders with any volume, over the stored orders of ``periods`` (cancelled orders
    and returns after the close count nothing; other returns count negative)."""
    if not periods:
        return []
    marks = ", ".join(["%s"] * len(periods))
    sign = "CASE WHEN returns_order_id IS NULL THEN 1 ELSE -1 END"
    customer = "CASE WHEN is_customer_order THEN 1 ELSE 0 END"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT period_id, distributor_id,
                       SUM({sign} * pv), SUM({sign} * cv),
                       SUM({sign} * {customer} * pv), SUM({sign} * {customer} * cv),
                       SUM(CASE WHEN pv <> 0 OR cv <> 0 THEN 1 ELSE 0 END)
                FROM {Order._meta.db_table}
                WHERE period_id IN ({marks}) AND status <> %s
                GROUP BY period_id, distributor_id""",
            [*periods, Order.Status.CANCELLED.value],
        )
        return [tuple(int(v) for v in row) for row in cursor.fetchall()]


def _stored_volume_rows(periods: list[int]) -> list[tuple[int, int]]:
    """(period id, distributor id) of every ``PeriodVolume`` row already in ``periods``."""
    if not periods:
        return []
    return list(
        PeriodVolume.objects.filter(period_id__in=periods).values_list(
            "period_id", "distributor_id"
        )
    )


def period_volume_table(
    periods: list[int],
    orders: NewOrders,
    stored_own: list[tuple[int, int, int, int, int, int, int]],
    *,
    network: Network,
    member_db_ids: np.ndarray,
) -> PeriodVolumeTable:
    """Every member's volumes in ``periods`` from the stored and the new orders.

    Own volumes: ``pv``/``cv`` sum the signed PV/CV of the orders credited to the member (a
    retail customer's orders are credited to their sponsor), ``customer_*`` the part bought by
    retail customers. ``group_*`` = own + the ``group_*`` of every child in the sponsor tree
    and ``placement_group_*`` the same over the placement tree (``Tree.subtree_sum``).
    """
    members = len(member_db_ids)
    index = {period: number for number, period in enumerate(periods)}
    own = np.zeros((members, len(periods), 4), dtype=np.int64)
    flags = np.zeros((members, len(periods)), dtype=np.int64)
    if stored_own:
        table = np.array(stored_own, dtype=np.int64)
        rows = _rows_of(member_db_ids, table[:, 1])
        slots = np.array([index[int(p)] for p in table[:, 0]], dtype=np.int64)
        _add_by_cell(own, flags, rows, slots, table[:, 2:6], table[:, 6])
    rows = _rows_of(member_db_ids, orders.credited_ids)
    slots = np.array([index[int(p)] for p in orders.period_ids], dtype=np.int64)
    sign = np.where(orders.is_return, -1, 1)
    customer = orders.is_customer_order.astype(np.int64)
    signed = np.stack(
        (
            sign * orders.pv,
            sign * orders.cv,
            sign * customer * orders.pv,
            sign * customer * orders.cv,
        ),
        axis=1,
    )
    moving = ((orders.pv != 0) | (orders.cv != 0)).astype(np.int64)
    _add_by_cell(own, flags, rows, slots, signed, moving)
    enrollment = Tree.build(network.sponsor)
    placement = Tree.build(network.placement)
    pv_cv = own[:, :, :2].reshape(members, -1)
    group = _subtree_sums(enrollment, pv_cv).reshape(members, len(periods), 2)
    placement_group = _subtree_sums(placement, pv_cv).reshape(members, len(periods), 2)
    touched = (_subtree_sums(enrollment, flags) > 0) | (_subtree_sums(placement, flags) > 0)
    values = np.concatenate((own, group, placement_group), axis=2)
    return PeriodVolumeTable(
        period_ids=periods,
        values=values.transpose(1, 0, 2),
        touched=touched.T,
    )


def _add_by_cell(
    own: np.ndarray,
    flags: np.ndarray,
    rows: np.ndarray,
    slots: np.ndarray,
    values: np.ndarray,
    counts: np.ndarray,
) -> None:
    """``own[row, slot] += values`` and ``flags[row, slot] += counts`` for every entry, with
    repeated cells summed exactly in integers (sort by cell, then ``np.add.reduceat``)."""
    if not len(rows):
        return
    cell = rows * own.shape[1] + slots
    order = np.argsort(cell, kind="stable")
    cell = cell[order]
    starts = np.flatnonzero(np.concatenate(([True], cell[1:] != cell[:-1])))
    target = cell[starts]
    own.reshape(-1, own.shape[2])[target] += np.add.reduceat(values[order], starts, axis=0)
    flags.reshape(-1)[target] += np.add.reduceat(counts[order], starts)


def _subtree_sums(tree: Tree, values: np.ndarray) -> np.ndarray:
    """``Tree.subtree_sum`` of each column of a ``(members, k)`` array."""
    return np.stack([tree.subtree_sum(values[:, k]) for k in range(values.shape[1])], axis=1)


def _rows_of(db_ids: np.ndarray, keys: np.ndarray) -> np.ndarray:
    rows = np.searchsorted(db_ids, keys)
    if len(keys) and (rows.max() >= len(db_ids) or (db_ids[rows] != keys).any()):
        raise ValueError("an order is credited to a member outside the network given")
    return rows


def _write_period_volumes(
    table: PeriodVolumeTable, stored_rows: list[tuple[int, int]], member_db_ids: np.ndarray
) -> None:
    """Write the touched rows and the rows that exist already (overwritten with the
    recomputed values); plain inserts when the periods have no rows yet."""
    keep = table.touched.copy()
    if stored_rows:
        pairs = np.array(stored_rows, dtype=np.int64)
        slots = np.searchsorted(np.array(table.period_ids, dtype=np.int64), pairs[:, 0])
        keep[slots, _rows_of(member_db_ids, pairs[:, 1])] = True
    period_slot, member_row = np.nonzero(keep)
    values = table.values[period_slot, member_row]
    columns: dict[str, Any] = {
        "period_id": np.array(table.period_ids, dtype=np.int64)[period_slot],
        "distributor_id": member_db_ids[member_row],
    }
    for number, name in enumerate(VOLUME_FIELDS):
        columns[name] = np.ascontiguousarray(values[:, number])
    if stored_rows:
        upsert_rows(PeriodVolume, ("period_id", "distributor_id"), columns, len(member_row))
    else:
        with indexes_rebuilt_after(PeriodVolume, len(member_row)):
            insert_rows(PeriodVolume, columns, len(member_row))
