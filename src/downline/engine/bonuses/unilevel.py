"""Unilevel and matrix bonuses (docs/plan-language.md, "unilevel", "matrix").

For each order credited to ``x`` (``per: distributor``: each distributor ``x`` with a non-zero
period volume, base = that volume) walk up ``tree`` from ``x``'s parent. Without compression
every upline is the next level; with compression an upline who is not active is skipped and
does not count as a level. The upline at level ``k`` is paid ``levels[k-1] × base`` when it
passes the earner rule, meets the bonus's ``requires`` and ``k ≤ depth_by_rank[its paid-as
rank]`` (unlisted ranks: depth 0); otherwise that amount is not paid and the walk goes on.
Compression looks at activity only: an active upline who fails ``requires`` keeps its level,
and the amount of that level is not paid to anyone. A matrix bonus is a unilevel bonus over the
placement tree, per order, without compression or depth by rank.
"""

from __future__ import annotations

import numpy as np

from ..context import PeriodContext
from ..lines import LineBatch, walk_batch
from ..plan import Rate
from ..plan.model import BonusBase, MatrixBonus, UnilevelBonus
from ..tree import Tree
from .walk import WalkRecord, upline_walk


def max_levels(
    ctx: PeriodContext, bonus: BonusBase, levels: int, depth_by_rank: dict[str, int] | None
) -> np.ndarray:
    """Deepest level each distributor is paid (``-1``: fails the earner rule or the bonus's
    ``requires``)."""
    if depth_by_rank is None:
        allowed = np.full(ctx.n, levels, dtype=np.int8)
    else:
        table = np.zeros(len(ctx.plan.ranks), dtype=np.int8)
        for name, depth in depth_by_rank.items():
            table[ctx.rank_index(name)] = depth
        allowed = table[ctx.paid_as]
    return np.where(ctx.earners(bonus), allowed, np.int8(-1)).astype(np.int8)


def level_walk(
    ctx: PeriodContext,
    bonus: int,
    name: str,
    *,
    tree: Tree,
    x: np.ndarray,
    orders: np.ndarray | None,
    base: np.ndarray,
    rates: list[Rate],
    max_level: np.ndarray,
    compression: bool = False,
) -> LineBatch:
    """The lines of a level walk from every ``x`` (with its order row, or per distributor when
    ``orders`` is None) and the walk's counts for the explanations."""
    near = tree.nearest_ancestor(ctx.active) if compression else None
    step = near if compression else tree.parent
    if orders is None:
        tags, tag_count, tag_source, tag_base = x, ctx.n, None, _by_row(x, base, ctx.n)
    else:
        tags, tag_count = orders, ctx.m
        tag_source = ctx.volumes.member
        tag_base = _by_row(orders, base, ctx.m)
    walk = upline_walk(
        step=step, x=x, tags=tags.astype(ctx.rows), levels=len(rates), max_level=max_level
    )
    ctx.walks[name] = WalkRecord(
        tree, x, len(rates), max_level, compression=compression, active=ctx.active, near=near
    )
    return walk_batch(
        walk,
        ctx.store,
        bonus,
        ctx.rates,
        n=ctx.n,
        level_rates=rates,
        tag_count=tag_count,
        tag_source=tag_source,
        tag_base=tag_base,
        minor=ctx.minor,
    )


def _by_row(rows: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """``values`` placed at ``rows`` of an array of ``size`` (the tag-indexed bases)."""
    if rows.size == size:
        return np.asarray(values, dtype=np.int64)
    out = np.zeros(size, dtype=np.int64)
    out[rows] = values
    return out


def unilevel(ctx: PeriodContext, b: int, bonus: UnilevelBonus) -> LineBatch:
    if bonus.per == "order":
        x = ctx.volumes.member
        orders = np.arange(ctx.m, dtype=np.int64)
        base = ctx.volumes.order_value(bonus.volume)
    else:
        volume = ctx.volumes.period(bonus.volume)
        x = np.flatnonzero(volume != 0)
        orders = None
        base = volume[x]
    return level_walk(
        ctx,
        b,
        bonus.name,
        tree=ctx.tree(bonus.tree),
        x=x,
        orders=orders,
        base=base,
        rates=bonus.levels,
        max_level=max_levels(ctx, bonus, len(bonus.levels), bonus.depth_by_rank),
        compression=bonus.compression,
    )


def matrix(ctx: PeriodContext, b: int, bonus: MatrixBonus) -> LineBatch:
    return level_walk(
        ctx,
        b,
        bonus.name,
        tree=ctx.placement,
        x=ctx.volumes.member,
        orders=np.arange(ctx.m, dtype=np.int64),
        base=ctx.volumes.order_value(bonus.volume),
        rates=bonus.levels,
        max_level=max_levels(ctx, bonus, len(bonus.levels), None),
    )
