"""Stairstep bonus with breakaway and royalty (docs/plan-language.md, "stairstep").

Bottom-up over ``tree``: ``PGV(d) = PV(d) + Σ PGV(c)`` and ``PGCV(d) = CV(d) + Σ PGCV(c)`` over
the children ``c`` that have not broken away (``PGV(c) ≥ breakaway_at``). ``bracket(d)`` is
the rate of the highest bracket with ``pgv ≤ PGV(d)`` (0% below the first). Each earner ``d``
gets:

* own: ``bracket(d) × CV(d)`` (source ``d``, level 0);
* differential: for each child ``c`` not broken away with ``bracket(d) > bracket(c)``:
  ``(bracket(d) − bracket(c)) × PGCV(c)`` (source ``c``, level 1);
* royalty, when ``bracket(d) ≥ royalty_requires``: ``royalty × PGCV(b)`` for each first-
  generation breakaway ``b`` of ``d`` — broken away, below ``d``, with no broken-away member
  strictly between (source ``b``, level 2). Seen from ``b``, the earners are the ancestors of
  ``b`` up to and including its nearest broken-away ancestor; the walk jumps from one
  qualifying ancestor to the next.

Lines whose base or rate is zero or negative are not written. Rates are kept as numerators
over one common denominator ``D`` (the lcm of every rate's denominator).
"""

from __future__ import annotations

from math import lcm

import numpy as np

from ..context import PeriodContext
from ..lines import LineBatch, volume_amounts
from ..plan.model import StairstepBonus
from ..tree import Tree


def personal_group_volumes(
    tree: Tree, pv: np.ndarray, cv: np.ndarray, breakaway_at: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(PGV, PGCV, broken)``: group sums that stop at children who broke away."""
    pgv, pgcv = pv.copy(), cv.copy()
    for d in tree.bottom_up():
        starts, parents = tree.groups[d - 1]
        nodes = tree.level(d)
        keep = pgv[nodes] < breakaway_at
        pgv[parents] += np.add.reduceat(np.where(keep, pgv[nodes], 0), starts)
        pgcv[parents] += np.add.reduceat(np.where(keep, pgcv[nodes], 0), starts)
    return pgv, pgcv, pgv >= breakaway_at


def stairstep(ctx: PeriodContext, b: int, bonus: StairstepBonus) -> LineBatch:
    tree = ctx.tree(bonus.tree)
    cv = ctx.volumes.cv
    pgv, pgcv, broken = personal_group_volumes(tree, ctx.volumes.pv, cv, bonus.breakaway_at)
    rates = [bracket.rate.value for bracket in bonus.brackets]
    extra = [bonus.royalty.value, bonus.royalty_requires.value] if bonus.royalty else []
    common = lcm(*(rate.denominator for rate in rates + extra))
    table = np.array([0] + [int(rate * common) for rate in rates], dtype=np.int64)
    thresholds = np.array([bracket.pgv for bracket in bonus.brackets], dtype=np.int64)
    bracket = table[np.searchsorted(thresholds, pgv, side="right")]
    earns = ctx.earners(bonus)
    parts: list[LineBatch] = []

    def write(recipient, source, level, base, rate_num) -> None:
        parts.append(
            ctx.make_lines(
                recipient=recipient,
                source=source,
                source_order=-1,
                level=level,
                base=base,
                rate_num=rate_num,
                rate_den=common,
                amount=volume_amounts(
                    base, np.asarray(rate_num, dtype=np.int64), common, ctx.minor
                ),
            )
        )

    own = np.flatnonzero(earns & (cv > 0) & (bracket > 0))
    write(own, own, 0, cv[own], bracket[own])
    child = np.flatnonzero((tree.parent >= 0) & ~broken)
    up = tree.parent[child]
    differential = earns[up] & (bracket[up] > bracket[child]) & (pgcv[child] > 0)
    child, up = child[differential], up[differential]
    write(up, child, 1, pgcv[child], bracket[up] - bracket[child])
    if bonus.royalty is not None and bonus.royalty.value > 0:
        royalty = int(bonus.royalty.value * common)
        needed = int(bonus.royalty_requires.value * common)
        nearest_broken = tree.nearest_ancestor(broken)
        nearest_qualified = tree.nearest_ancestor(bracket >= needed)
        breakaway = np.flatnonzero(broken & (pgcv > 0))
        stop = nearest_broken[breakaway]
        floor_depth = np.where(stop >= 0, tree.depth[np.maximum(stop, 0)], -1)
        earner = nearest_qualified[breakaway]
        while breakaway.size:
            inside = (earner >= 0) & (tree.depth[np.maximum(earner, 0)] >= floor_depth)
            breakaway, earner, floor_depth = breakaway[inside], earner[inside], floor_depth[inside]
            paid = earns[earner]
            write(earner[paid], breakaway[paid], 2, pgcv[breakaway[paid]], royalty)
            earner = nearest_qualified[earner]
    batch = LineBatch.concat(parts)
    return batch.canonical(ctx.n, ctx.m)
