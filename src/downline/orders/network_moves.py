"""The live volumes follow a moved subtree: the orders app's side of a sponsor or placement move.

The genealogy app moves members but does not own the live volumes, so it does not import this
app: it fires ``core.hooks.SUBTREE_MOVING`` before the parent changes and
``core.hooks.SUBTREE_MOVED`` after, inside the move's transaction, and ``apps.py`` registers the
two functions below on them.

Lock order: order writers lock the live-volume rows of one period in member order; a move takes
every row it will change up front, in (period, member) order, before the parent changes, so a
move and concurrent orders never deadlock.
"""

from __future__ import annotations

from django.db import connection
from django.db.models.expressions import RawSQL

from downline.genealogy.tree_sql import upline_cte

from .models import PeriodVolume
from .volumes import shift_subtree_volumes


def lock_chain_volumes(*, period_ids: list[int], tree: str, starts: list[int | None]) -> None:
    """Lock the live-volume rows of ``starts`` and all their uplines in ``tree`` for every
    period in ``period_ids``, in (period, member) order (see the module's lock order)."""
    starts = [start for start in starts if start is not None]
    if not period_ids or not starts or not connection.features.has_select_for_update:
        return
    for start in starts:
        chain = RawSQL(f"WITH RECURSIVE {upline_cte(tree)} SELECT id FROM upline", [start])
        list(
            PeriodVolume.objects.select_for_update(no_key=True)
            .filter(period_id__in=period_ids, distributor_id__in=chain)
            .order_by("period_id", "distributor_id")
            .values_list("id", flat=True)
        )


def follow_moved_subtree(
    *,
    period_ids: list[int],
    member_id: int,
    tree: str,
    old_parent_id: int | None,
    new_parent_id: int | None,
) -> None:
    """Move the member's group volume from the old parent's chain to the new parent's chain in
    each open period (``volumes.shift_subtree_volumes``)."""
    shift_subtree_volumes(
        period_ids=period_ids,
        member_id=member_id,
        tree=tree,
        old_parent_id=old_parent_id,
        new_parent_id=new_parent_id,
    )
