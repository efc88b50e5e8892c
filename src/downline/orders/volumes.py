"""Live period volumes: the rows an order (or a structure move) changes, in one SQL statement.

When an order is paid, in the same transaction:

* the credited distributor's ``pv``/``cv`` grow by the order's PV/CV (and ``customer_pv``/
  ``customer_cv`` too when a retail customer bought it);
* ``group_pv``/``group_cv`` grow on that distributor and on every enrollment upline;
* ``placement_group_pv``/``placement_group_cv`` grow on that distributor and on every
  placement upline.

A return or a cancellation applies the same deltas with the opposite sign. Each change is a
single ``INSERT … ON CONFLICT DO UPDATE SET x = x + delta`` over the upline chains (a recursive
CTE), so concurrent orders never lose an update: every row is changed by an atomic increment,
and rows are locked in ascending id order, so two writers cannot deadlock on each other's chains.

Orders and structure moves: the chain an order adds to is read when its statement starts, so a
move committing meanwhile would leave that order's volume on the old uplines. Every writer of
live volumes therefore first holds the network lock shared
(``downline.genealogy.locks.hold_network_shared``), which structure changes hold exclusively.
Lock order everywhere: network lock, then period rows, then ``PeriodVolume`` rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from downline.genealogy.models import Distributor

from .models import PeriodVolume

VOLUME_FIELDS = (
    "pv",
    "cv",
    "customer_pv",
    "customer_cv",
    "group_pv",
    "group_cv",
    "placement_group_pv",
    "placement_group_cv",
)


@dataclass(frozen=True)
class VolumeDelta:
    """Signed changes, in hundredths, to one distributor's volumes and to their uplines' groups."""

    pv: int = 0
    cv: int = 0
    customer_pv: int = 0
    customer_cv: int = 0

    def negated(self) -> VolumeDelta:
        return VolumeDelta(-self.pv, -self.cv, -self.customer_pv, -self.customer_cv)


def _chains_sql(table: str, volume_table: str) -> str:
    """SQL that adds deltas to one member's row and to both of their upline chains.

    Parameters, in order: member id (enrollment chain start), member id (placement chain start),
    member id (own row), period id, own pv, cv, customer_pv, customer_cv, group pv, group cv
    (enrollment chain), group pv, group cv (placement chain).
    The enrollment chain starts at the member and follows ``sponsor_id``; the placement chain
    starts at the member and follows ``placement_parent_id``.
    """
    columns = ", ".join(VOLUME_FIELDS)
    updates = ", ".join(f"{c} = {volume_table}.{c} + excluded.{c}" for c in VOLUME_FIELDS)
    return f"""
WITH RECURSIVE
  enrollment_chain(id) AS (
    SELECT CAST(%s AS BIGINT)
    UNION ALL
    SELECT d.sponsor_id FROM {table} d JOIN enrollment_chain c ON d.id = c.id
    WHERE d.sponsor_id IS NOT NULL
  ),
  placement_chain(id) AS (
    SELECT CAST(%s AS BIGINT)
    UNION ALL
    SELECT d.placement_parent_id FROM {table} d JOIN placement_chain c ON d.id = c.id
    WHERE d.placement_parent_id IS NOT NULL
  ),
  deltas(id, pv, cv, customer_pv, customer_cv, group_pv, group_cv, pgroup_pv, pgroup_cv) AS (
    SELECT CAST(%s AS BIGINT), CAST(%s AS BIGINT), CAST(%s AS BIGINT), CAST(%s AS BIGINT),
           CAST(%s AS BIGINT), 0, 0, 0, 0
    UNION ALL
    SELECT id, 0, 0, 0, 0, CAST(%s AS BIGINT), CAST(%s AS BIGINT), 0, 0 FROM enrollment_chain
    UNION ALL
    SELECT id, 0, 0, 0, 0, 0, 0, CAST(%s AS BIGINT), CAST(%s AS BIGINT) FROM placement_chain
  )
INSERT INTO {volume_table} (period_id, distributor_id, {columns})
SELECT %s, id, SUM(pv), SUM(cv), SUM(customer_pv), SUM(customer_cv),
       SUM(group_pv), SUM(group_cv), SUM(pgroup_pv), SUM(pgroup_cv)
FROM deltas WHERE true
GROUP BY id
ORDER BY id
ON CONFLICT (period_id, distributor_id) DO UPDATE SET {updates}
"""


def apply_volume_delta(
    *,
    period_id: int,
    distributor_id: int,
    delta: VolumeDelta,
    placement_start_id: int | None = None,
    enrollment_start_id: int | None = None,
) -> None:
    """Add ``delta`` to a distributor's own volumes and to the group volumes of both chains.

    Must run inside the caller's transaction, after it took the network lock (shared for an
    order, exclusive for a structure change; see the module docstring).
    ``enrollment_start_id``/``placement_start_id`` default to the distributor; a structure move
    passes the old or new parent instead, so that a subtree's group volume leaves one chain and
    enters another.
    """
    enrollment_start = distributor_id if enrollment_start_id is None else enrollment_start_id
    placement_start = distributor_id if placement_start_id is None else placement_start_id
    sql = _chains_sql(Distributor._meta.db_table, PeriodVolume._meta.db_table)
    params = [
        enrollment_start,
        placement_start,
        distributor_id,
        delta.pv,
        delta.cv,
        delta.customer_pv,
        delta.customer_cv,
        delta.pv,
        delta.cv,
        delta.pv,
        delta.cv,
        period_id,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _chain_shift_sql(
    table: str, volume_table: str, parent_column: str, columns: tuple[str, str]
) -> str:
    """SQL that subtracts a group PV/CV from one chain and adds it to another, in one statement.

    Parameters: old chain start, new chain start (either may be NULL), period id, PV, CV.
    Members on both chains net to zero and are left alone; rows are locked in id order.
    """
    pv_column, cv_column = columns
    values = ", ".join(
        {pv_column: "SUM(pv)", cv_column: "SUM(cv)"}.get(c, "0") for c in VOLUME_FIELDS
    )
    return f"""
WITH RECURSIVE
  old_chain(id) AS (
    SELECT CAST(%s AS BIGINT)
    UNION ALL
    SELECT d.{parent_column} FROM {table} d JOIN old_chain c ON d.id = c.id
    WHERE d.{parent_column} IS NOT NULL
  ),
  new_chain(id) AS (
    SELECT CAST(%s AS BIGINT)
    UNION ALL
    SELECT d.{parent_column} FROM {table} d JOIN new_chain c ON d.id = c.id
    WHERE d.{parent_column} IS NOT NULL
  ),
  params(period_id, pv, cv) AS (
    SELECT CAST(%s AS BIGINT), CAST(%s AS BIGINT), CAST(%s AS BIGINT)
  ),
  deltas(id, pv, cv) AS (
    SELECT c.id, -p.pv, -p.cv FROM old_chain c CROSS JOIN params p WHERE c.id IS NOT NULL
    UNION ALL
    SELECT c.id, p.pv, p.cv FROM new_chain c CROSS JOIN params p WHERE c.id IS NOT NULL
  )
INSERT INTO {volume_table} (period_id, distributor_id, {", ".join(VOLUME_FIELDS)})
SELECT (SELECT period_id FROM params), id, {values}
FROM deltas WHERE true
GROUP BY id
HAVING SUM(pv) <> 0 OR SUM(cv) <> 0
ORDER BY id
ON CONFLICT (period_id, distributor_id) DO UPDATE SET
    {pv_column} = {volume_table}.{pv_column} + excluded.{pv_column},
    {cv_column} = {volume_table}.{cv_column} + excluded.{cv_column}
"""


def shift_subtree_volumes(
    *,
    period_ids: list[int],
    member_id: int,
    tree: str,
    old_parent_id: int | None,
    new_parent_id: int | None,
) -> None:
    """Move a subtree's group volume from the old parent's chain to the new parent's chain.

    ``tree`` is ``"enrollment"`` or ``"placement"``. For each period in ``period_ids`` the
    member's own group PV/CV of that tree (which already includes everything below them) is
    subtracted from ``old_parent_id`` and all its uplines and added to ``new_parent_id`` and all
    its uplines, in one statement per period. Shared uplines are left as they are. Must run
    inside the transaction that changes the parent, which holds the network lock exclusively.
    """
    if tree == "enrollment":
        parent_column, columns = "sponsor_id", ("group_pv", "group_cv")
    elif tree == "placement":
        parent_column, columns = "placement_parent_id", ("placement_group_pv", "placement_group_cv")
    else:
        raise ValueError(f"unknown tree {tree!r}")
    sql = _chain_shift_sql(
        Distributor._meta.db_table, PeriodVolume._meta.db_table, parent_column, columns
    )
    rows = PeriodVolume.objects.filter(period_id__in=period_ids, distributor_id=member_id).order_by(
        "period_id"
    )
    with connection.cursor() as cursor:
        for period_id, group_pv, group_cv in rows.values_list("period_id", *columns):
            if group_pv or group_cv:
                cursor.execute(sql, [old_parent_id, new_parent_id, period_id, group_pv, group_cv])
