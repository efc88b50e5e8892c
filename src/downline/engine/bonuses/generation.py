"""Generation bonus (docs/plan-language.md, "generation").

A distributor qualifies when their paid-as rank is ``rank`` or higher. For each order credited
to ``x`` and each qualifying ancestor ``a`` of ``x``: the order is in ``a``'s generation
``g = 1 + (qualifying members from x inclusive up to a exclusive)``, and ``a`` is paid
``generations[g-1] × volume`` when ``g ≤ len(generations)`` and ``a`` passes the earner rule.
The walk jumps from one qualifying ancestor to the next: the ``j``-th one is in generation
``j + [x qualifies]``.
"""

from __future__ import annotations

import numpy as np

from ..context import PeriodContext
from ..lines import LineBatch, WalkLines, walk_batch
from ..plan.model import GenerationBonus


def generation(ctx: PeriodContext, b: int, bonus: GenerationBonus) -> LineBatch:
    tree = ctx.tree(bonus.tree)
    qualifies = ctx.paid_as >= ctx.rank_index(bonus.rank)
    nearest = tree.nearest_ancestor(qualifies)
    earns = ctx.earners(bonus)
    member = ctx.volumes.member
    depth = len(bonus.generations)
    walk = WalkLines()
    order = np.arange(ctx.m, dtype=ctx.rows)
    generation_of = 1 + qualifies[member].astype(np.int64)
    upline = nearest[member]
    while order.size:
        alive = (upline >= 0) & (generation_of <= depth)
        order, upline, generation_of = order[alive], upline[alive], generation_of[alive]
        if not order.size:
            break
        paid = earns[upline]
        for g in range(int(generation_of.min()), int(generation_of.max()) + 1):
            rows = paid & (generation_of == g)
            walk.add(upline[rows], order[rows], g)
        upline = nearest[upline]
        generation_of = generation_of + 1
    return walk_batch(
        walk,
        ctx.store,
        b,
        ctx.rates,
        n=ctx.n,
        level_rates=bonus.generations,
        tag_count=ctx.m,
        tag_source=member,
        tag_base=ctx.volumes.order_value(bonus.volume),
        minor=ctx.minor,
    )
