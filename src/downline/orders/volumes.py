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

Orders and structure moves (on PostgreSQL): the chain an order adds to is read when its
statement starts, so a move that commits meanwhile would leave that order's volume on the old
uplines. Therefore every volume change by an order holds a *shared* transaction-level advisory
lock (orders never wait for each other), and a transaction that changes a parent or recomputes
volumes first takes it *exclusively* with ``lock_volumes_for_structure_change``: it waits for
the orders in flight to commit and holds new ones back until it commits. Lock order everywhere:
period rows, then this lock, then ``PeriodVolume`` rows. SQLite serializes writers anyway.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from downline.genealogy.models import Distributor

from .models import PeriodVolume

_VOLUME_COLUMNS = (
    "pv",
    "cv",
    "customer_pv",
    "customer_cv",
    "group_pv",
    "group_cv",
    "placement_group_pv",
    "placement_group_cv",
)


# Key of the advisory lock between order volume changes and structure changes ("dlvo").
VOLUME_LOCK_KEY = 0x646C766F


def lock_volumes_for_structure_change() -> None:
    """Wait for every order that is moving live volumes, and hold new ones back, until the
    current transaction ends (PostgreSQL; a no-op on SQLite, where writers are serialized).

    Call it inside ``transaction.atomic`` at the start of any change of a sponsor or placement
    parent (before ``shift_subtree_volumes`` and before locking any ``PeriodVolume`` row), and
    before recomputing live volumes, so no order adds to a chain that is being changed.
    """
    _advisory_lock(exclusive=True)


def _advisory_lock(*, exclusive: bool) -> None:
    if connection.vendor != "postgresql":
        return
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s)", [VOLUME_LOCK_KEY])


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
    columns = ", ".join(_VOLUME_COLUMNS)
    updates = ", ".join(f"{c} = {volume_table}.{c} + excluded.{c}" for c in _VOLUME_COLUMNS)
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

    Must run inside the caller's transaction, which then holds the shared volume lock (see the
    module docstring) until it ends. ``enrollment_start_id``/``placement_start_id`` default to
    the distributor; a structure move passes the old or new parent instead, so that a
    subtree's group volume leaves one chain and enters another.
    """
    _advisory_lock(exclusive=False)
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
    pv_column, cv_column = columns
    return f"""
WITH RECURSIVE chain(id) AS (
    SELECT CAST(%s AS BIGINT)
    UNION ALL
    SELECT d.{parent_column} FROM {table} d JOIN chain c ON d.id = c.id
    WHERE d.{parent_column} IS NOT NULL
)
INSERT INTO {volume_table} (period_id, distributor_id, {", ".join(_VOLUME_COLUMNS)})
SELECT %s, id, {", ".join("CAST(%s AS BIGINT)" if c in columns else "0" for c in _VOLUME_COLUMNS)}
FROM chain WHERE true
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
    its uplines. Shared uplines get both changes and end where they started. Must run inside the
    transaction that changes the parent.
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
    rows = PeriodVolume.objects.filter(period_id__in=period_ids, distributor_id=member_id)
    for period_id, group_pv, group_cv in rows.values_list("period_id", *columns):
        if not group_pv and not group_cv:
            continue
        with connection.cursor() as cursor:
            for start, sign in ((old_parent_id, -1), (new_parent_id, 1)):
                if start is not None:
                    cursor.execute(sql, [start, period_id, sign * group_pv, sign * group_cv])
