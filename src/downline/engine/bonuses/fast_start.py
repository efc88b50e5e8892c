"""Fast-start bonus (docs/plan-language.md, "fast_start").

For each order that ``x`` bought themselves (not a retail customer's) on a day ``t`` with
``t − joined_on(x) < days`` (the join day is day 0; a return follows the same rule with its own
paid day), the ``k``-th ancestor of ``x`` in ``tree`` (physical levels, no compression) is paid
``levels[k-1] × volume`` when it passes the earner rule.
"""

from __future__ import annotations

import numpy as np

from ..context import PeriodContext
from ..lines import LineBatch
from ..plan.model import FastStartBonus
from .unilevel import level_walk, max_levels


def fast_start(ctx: PeriodContext, b: int, bonus: FastStartBonus) -> LineBatch:
    inputs = ctx.inputs
    member = ctx.volumes.member
    joined = np.asarray(inputs.joined_day, dtype=np.int64)[member]
    early = np.asarray(inputs.order_day, dtype=np.int64) - joined < bonus.days
    orders = np.flatnonzero(early & ~ctx.volumes.customer_order)
    return level_walk(
        ctx,
        b,
        bonus.name,
        tree=ctx.tree(bonus.tree),
        x=member[orders],
        orders=orders,
        base=ctx.volumes.order_value(bonus.volume)[orders],
        rates=bonus.levels,
        max_level=max_levels(ctx, bonus, len(bonus.levels), None),
    )
