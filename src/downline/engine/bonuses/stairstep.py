"""Stairstep bonus with breakaway and royalty (docs/plan-language.md, "stairstep").

Bottom-up over ``tree``: ``PGV(d) = PV(d) + Σ PGV(c)`` and ``PGCV(d) = CV(d) + Σ PGCV(c)`` over
the children ``c`` that have not broken away (``PGV(c) ≥ breakaway_at``). ``bracket(d)`` is
the rate of the highest bracket with ``pgv ≤ PGV(d)`` (0% below the first). Each earner ``d``
is due the **difference**

    ``bracket(d) × PGCV(d) − Σ_c bracket(c) × PGCV(c)``  (children ``c`` not broken away)
    ``= bracket(d) × CV(d) + Σ_c (bracket(d) − bracket(c)) × PGCV(c)``,

floored at zero for the whole difference, paid as signed lines:

* own: ``bracket(d) × CV(d)`` (source ``d``, level 0), when ``CV(d) ≠ 0`` and ``bracket(d) ≠ 0``;
* differential: for each child ``c`` not broken away with ``bracket(d) ≠ bracket(c)`` and
  ``PGCV(c) ≠ 0``: ``(bracket(d) − bracket(c)) × PGCV(c)`` (source ``c``, level 1);
* floor: when the rounded own and differential lines of ``d`` total ``T < 0``, one line of
  ``−T`` (source ``d``, level 3, no base, no rate), so ``d``'s difference is exactly 0;
* royalty, when ``bracket(d) ≥ royalty_requires``: ``royalty × PGCV(b)`` for each breakaway
  ``b`` the royalty reaches with ``PGCV(b) > 0`` (source ``b``, level 2). With
  ``reaches: children`` those are ``d``'s broken-away children; with
  ``reaches: first_generation`` every broken-away ``b`` below ``d`` with no broken-away member
  strictly between — seen from ``b``, its ancestors up to and including its nearest broken-away
  ancestor; the walk jumps from one qualifying ancestor to the next.

Rates are kept as numerators over one common denominator ``D`` (the lcm of every rate's
denominator).
"""

from __future__ import annotations

from math import lcm

import numpy as np

from ..context import PeriodContext
from ..lines import LineBatch, volume_amounts
from ..plan.model import StairstepBonus
from ..rounding import sum_by
from ..tree import Tree

OWN, DIFFERENTIAL, ROYALTY, FLOOR = 0, 1, 2, 3
"""The level of each kind of stairstep line."""


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


def royalty_pairs(
    tree: Tree,
    bonus: StairstepBonus,
    broken: np.ndarray,
    pgcv: np.ndarray,
    qualified: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """``(earner, breakaway)`` of every royalty line before the earner rule: each breakaway
    ``b`` with ``PGCV(b) > 0`` and each qualified member the royalty reaches from ``b``."""
    breakaway = np.flatnonzero(broken & (pgcv > 0) & (tree.parent >= 0))
    if bonus.reaches == "children":
        earner = tree.parent[breakaway]
        keep = qualified[earner]
        return earner[keep], breakaway[keep]
    nearest_broken = tree.nearest_ancestor(broken)
    nearest_qualified = tree.nearest_ancestor(qualified)
    stop = nearest_broken[breakaway]
    floor_depth = np.where(stop >= 0, tree.depth[np.maximum(stop, 0)], -1)
    earner = nearest_qualified[breakaway]
    earners, sources = [], []
    while breakaway.size:
        inside = (earner >= 0) & (tree.depth[np.maximum(earner, 0)] >= floor_depth)
        breakaway, earner, floor_depth = breakaway[inside], earner[inside], floor_depth[inside]
        earners.append(earner)
        sources.append(breakaway)
        earner = nearest_qualified[earner]
    if not earners:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(earners), np.concatenate(sources)


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

    def write(recipient, source, level, base, rate_num) -> LineBatch:
        """Lines ``base × rate_num / common``; a negative rate (a child above its parent's
        bracket) is rounded like its magnitude (half away from zero) and negated."""
        rate_num = np.asarray(rate_num, dtype=np.int64)
        magnitude = volume_amounts(base, np.abs(rate_num), common, ctx.minor)
        batch = ctx.make_lines(
            recipient=recipient,
            source=source,
            source_order=-1,
            level=level,
            base=base,
            rate_num=rate_num,
            rate_den=common,
            amount=np.where(rate_num < 0, -magnitude, magnitude),
        )
        parts.append(batch)
        return batch

    own = np.flatnonzero(earns & (cv != 0) & (bracket != 0))
    own_lines = write(own, own, OWN, cv[own], bracket[own])
    child = np.flatnonzero((tree.parent >= 0) & ~broken)
    up = tree.parent[child]
    differential = earns[up] & (bracket[up] != bracket[child]) & (pgcv[child] != 0)
    child, up = child[differential], up[differential]
    differential_lines = write(up, child, DIFFERENTIAL, pgcv[child], bracket[up] - bracket[child])
    difference = sum_by(own_lines.recipient, own_lines.amount, ctx.n) + sum_by(
        differential_lines.recipient, differential_lines.amount, ctx.n
    )
    below = np.flatnonzero(difference < 0)
    if below.size:
        parts.append(
            ctx.make_lines(
                recipient=below,
                source=below,
                source_order=-1,
                level=FLOOR,
                base=0,
                rate_num=0,
                rate_den=0,
                amount=-difference[below],
            )
        )
    if bonus.royalty is not None and bonus.royalty.value > 0:
        needed = int(bonus.royalty_requires.value * common)
        earner, breakaway = royalty_pairs(tree, bonus, broken, pgcv, bracket >= needed)
        paid = earns[earner]
        royalty = int(bonus.royalty.value * common)
        write(earner[paid], breakaway[paid], ROYALTY, pgcv[breakaway[paid]], royalty)
    batch = LineBatch.concat(parts)
    return batch.canonical(ctx.n, ctx.m)
