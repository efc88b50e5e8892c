"""Live period volumes: orders append changes, a folder adds them into the volume rows.

The invariant: for every period and member, the live volumes are the ``PeriodVolume`` row plus
the ``VolumeChange`` rows not folded yet, and they equal a recomputation from the orders over
the tree as it stands (``selectors.recompute_period_volumes``):

* the credited distributor's ``pv``/``cv`` hold their orders' PV/CV (and ``customer_pv``/
  ``customer_cv`` too when a retail customer bought); ``group_*`` sum that over the member and
  everyone below in the enrollment tree, ``placement_group_*`` over the placement tree.

Writing. An order (a return, a cancellation: the same with the opposite sign) appends one
``VolumeChange`` row in its own transaction (``append_volume_change``) and touches no upline
row, so concurrent orders never wait for each other, however deep the tree.

Folding. ``fold_volume_changes`` takes a batch of changes, walks each credited member's two
upline chains as they stand now, adds the sums into the ``PeriodVolume`` rows (an upsert ``x =
x + delta``) and deletes the changes, in one statement per batch (PostgreSQL) and one
transaction: every change is counted exactly once, in the rows or in the table. The worker runs
it every second (``tasks.run_volume_folder``); a reader that shows live volumes first folds the
period's changes (``settle_live_volumes``), so it sees every order committed before it; the
close of a period folds all of that period's changes (``fold_period_on_close``).

Structure moves shift a subtree's folded group volume from the old chain to the new one
(``shift_subtree_volumes``); its changes not folded yet follow the chain as it stands when they
are folded, so both end where a recomputation puts them.

Locks, always in this order: the network lock (``genealogy.locks``: shared by orders and
folds, exclusive for structure changes, so no fold walks a chain a move is rewriting), then
period rows (writers ``FOR KEY SHARE``; a fold skips a period that a close or a volume fix holds
``FOR UPDATE``), then ``VolumeChange`` rows in id order, then ``PeriodVolume`` rows in (period,
member) order. The close folds without the network lock: it holds its period ``FOR UPDATE``,
and every move locks all open periods before it changes a parent, so no move is under way.
On SQLite every write transaction is exclusive, so none of these locks is needed.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction

from downline.genealogy.locks import hold_network_shared
from downline.genealogy.models import Distributor
from downline.periods.models import Period

from .models import PeriodVolume, VolumeChange

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
FOLD_BATCH = 5_000  # changes per statement: bounds the chain rows one statement walks


@dataclass(frozen=True)
class VolumeDelta:
    """Signed changes, in hundredths, to one distributor's volumes and to their uplines' groups."""

    pv: int = 0
    cv: int = 0
    customer_pv: int = 0
    customer_cv: int = 0

    def negated(self) -> VolumeDelta:
        return VolumeDelta(-self.pv, -self.cv, -self.customer_pv, -self.customer_cv)


def append_volume_change(*, period_id: int, distributor_id: int, delta: VolumeDelta) -> None:
    """Record ``delta`` for ``distributor_id`` in ``period_id``; folded later (module docstring).

    Runs inside the caller's transaction, after it locked the period for writing.
    """
    VolumeChange.objects.create(
        period_id=period_id,
        distributor_id=distributor_id,
        pv=delta.pv,
        cv=delta.cv,
        customer_pv=delta.customer_pv,
        customer_cv=delta.customer_cv,
    )


def apply_volume_delta(*, period_id: int, distributor_id: int, delta: VolumeDelta) -> None:
    """Append ``delta`` and fold the period's changes at once, for callers that need the folded
    rows now (set-ups, tools); inside the caller's transaction, under the network lock."""
    append_volume_change(period_id=period_id, distributor_id=distributor_id, delta=delta)
    fold_volume_changes(period_ids=[period_id])


def pending_change_count(period_id: int | None = None) -> int:
    """How many changes wait to be folded (in ``period_id``, or in every period)."""
    changes = VolumeChange.objects.all()
    if period_id is not None:
        changes = changes.filter(period_id=period_id)
    return changes.count()


def _fold_sql(source: str, *, count: bool) -> str:
    """The upsert that adds the changes of CTE ``source`` (``taken``) into ``PeriodVolume``.

    ``taken`` yields (period_id, distributor_id, pv, cv, customer_pv, customer_cv). Own volumes
    go to the credited member, group volumes to the member and each enrollment upline
    (``sponsor_id``), placement group volumes to the member and each placement upline
    (``placement_parent_id``); rows are upserted in (period, member) order. With ``count``
    (PostgreSQL) the upsert is a CTE and the statement returns how many changes it took.
    """
    table = Distributor._meta.db_table
    volumes = PeriodVolume._meta.db_table
    columns = ", ".join(VOLUME_FIELDS)
    updates = ", ".join(f"{c} = {volumes}.{c} + excluded.{c}" for c in VOLUME_FIELDS)
    sums = ", ".join(f"SUM({c})" for c in VOLUME_FIELDS)
    ctes = f"""WITH RECURSIVE
  {source},
  own(period_id, id, pv, cv, customer_pv, customer_cv) AS (
    SELECT period_id, distributor_id, CAST(SUM(pv) AS BIGINT), CAST(SUM(cv) AS BIGINT),
           CAST(SUM(customer_pv) AS BIGINT), CAST(SUM(customer_cv) AS BIGINT)
    FROM taken GROUP BY period_id, distributor_id
  ),
  enrollment_chain(period_id, id, pv, cv) AS (
    SELECT period_id, id, pv, cv FROM own
    UNION ALL
    SELECT c.period_id, d.sponsor_id, c.pv, c.cv FROM {table} d JOIN enrollment_chain c ON d.id = c.id
    WHERE d.sponsor_id IS NOT NULL
  ),
  placement_chain(period_id, id, pv, cv) AS (
    SELECT period_id, id, pv, cv FROM own
    UNION ALL
    SELECT c.period_id, d.placement_parent_id, c.pv, c.cv
    FROM {table} d JOIN placement_chain c ON d.id = c.id
    WHERE d.placement_parent_id IS NOT NULL
  ),
  deltas({", ".join(("period_id", "id", *VOLUME_FIELDS))}) AS (
    SELECT period_id, id, pv, cv, customer_pv, customer_cv, 0, 0, 0, 0 FROM own
    UNION ALL
    SELECT period_id, id, 0, 0, 0, 0, pv, cv, 0, 0 FROM enrollment_chain
    UNION ALL
    SELECT period_id, id, 0, 0, 0, 0, 0, 0, pv, cv FROM placement_chain
  )"""
    upsert = f"""INSERT INTO {volumes} (period_id, distributor_id, {columns})
SELECT period_id, id, {sums}
FROM deltas WHERE true
GROUP BY period_id, id
ORDER BY period_id, id
ON CONFLICT (period_id, distributor_id) DO UPDATE SET {updates}"""
    if count:
        return f"{ctes},\n  folded AS ({upsert} RETURNING 1)\nSELECT COUNT(*) FROM taken"
    return f"{ctes}\n{upsert}"


def _fold_batch(period_ids: list[int], limit: int) -> int:
    """Fold up to ``limit`` of the oldest changes of ``period_ids``; the number folded."""
    changes = VolumeChange._meta.db_table
    fields = "period_id, distributor_id, pv, cv, customer_pv, customer_cv"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # the changes are deleted and added in one statement; FOR UPDATE (not SKIP LOCKED)
            # waits for a concurrent fold of the same rows, which then have gone
            source = f"""taken AS (
    DELETE FROM {changes} WHERE id IN (
      SELECT id FROM {changes} WHERE period_id = ANY(%s) ORDER BY id LIMIT %s FOR UPDATE
    ) RETURNING {fields}
  )"""
            cursor.execute(_fold_sql(source, count=True), [period_ids, limit])
            return int(cursor.fetchone()[0])
        # SQLite: one writer at a time, so every id up to the batch's last is committed
        marks = ", ".join(["%s"] * len(period_ids))
        cursor.execute(
            f"SELECT MAX(id), COUNT(*) FROM (SELECT id FROM {changes} "
            f"WHERE period_id IN ({marks}) ORDER BY id LIMIT %s)",
            [*period_ids, limit],
        )
        last, count = cursor.fetchone()
        if not count:
            return 0
        bound = f"period_id IN ({marks}) AND id <= {int(last)}"
        cursor.execute(
            _fold_sql(f"taken AS (SELECT {fields} FROM {changes} WHERE {bound})", count=False),
            period_ids,
        )
        cursor.execute(f"DELETE FROM {changes} WHERE {bound}", period_ids)
        return int(count)


def _periods_to_fold(period_ids: list[int] | None) -> list[int]:
    """Periods (all, or of ``period_ids``) that have changes to fold, in id order; on
    PostgreSQL each locked ``FOR KEY SHARE``, skipping any that a close or a volume fix holds
    ``FOR UPDATE`` (that transaction folds them itself)."""
    changes = VolumeChange._meta.db_table
    periods = Period._meta.db_table
    only = (
        "" if period_ids is None else " AND p.id IN (" + ", ".join(["%s"] * len(period_ids)) + ")"
    )
    lock = " FOR KEY SHARE OF p SKIP LOCKED" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.id FROM {periods} p WHERE EXISTS "
            f"(SELECT 1 FROM {changes} c WHERE c.period_id = p.id){only} ORDER BY p.id{lock}",
            period_ids or [],
        )
        return [int(row[0]) for row in cursor.fetchall()]


def fold_volume_changes(*, period_ids: list[int] | None = None, batch: int = FOLD_BATCH) -> int:
    """Fold the changes of ``period_ids`` (default: every period) into ``PeriodVolume``.

    Batch after batch, each in its own transaction (a savepoint inside the caller's), until a
    batch comes back short: every change committed before the call is folded when it returns,
    except those of a period being closed or fixed, which that transaction folds. Takes the
    network lock shared first (see the module docstring). Returns the number of changes folded.
    """
    total = 0
    while True:
        with transaction.atomic():
            hold_network_shared()
            periods = _periods_to_fold(period_ids)
            folded = _fold_batch(periods, batch) if periods else 0
        total += folded
        if folded < batch:
            return total


def settle_live_volumes(period_id: int) -> int:
    """Fold the changes of ``period_id`` before a read of its live volumes, so the reader sees
    every order committed before it. Costs one indexed lookup when nothing waits."""
    if not VolumeChange.objects.filter(period_id=period_id).exists():
        return 0
    return fold_volume_changes(period_ids=[period_id])


def fold_period_on_close(period_id: int) -> int:
    """Fold every change of ``period_id`` inside the transaction that closes it.

    The close holds the period ``FOR UPDATE``: orders into it have committed and new ones wait,
    and no move is under way (a move locks every open period first), so the chains hold still
    without the network lock, which the close must not take after its period lock.
    """
    total = 0
    while True:
        folded = _fold_batch([period_id], FOLD_BATCH)
        total += folded
        if folded < FOLD_BATCH:
            return total


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
