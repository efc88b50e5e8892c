"""Binary bonus (docs/plan-language.md, "binary").

For each distributor ``d``: ``new_L`` / ``new_R`` = Σ ``volume`` over the period's orders
credited to the subtree of ``d``'s left / right placement child (``d``'s own orders count in
neither leg); ``L = max(0, carry_L + new_L)``, ``R = max(0, carry_R + new_R)``.

* Fails the earner rule: no line; carries become 0 with ``flush_inactive``, else ``L`` and
  ``R`` (each at most ``carry_cap``).
* Weak-leg share: ``weak = min(L, R)``, line ``rate × weak`` (base ``weak``), carries
  ``L − weak`` and ``R − weak`` (each at most ``carry_cap``).
* Cycles: ``c = min(⌊L / left⌋, ⌊R / right⌋)``, line ``c × pays`` (base ``c``, rate ``pays``
  per cycle), carries ``L − c·left`` and ``R − c·right`` (each at most ``carry_cap``).
* ``cap_per_period`` cuts the line's amount; the paired volume is consumed in full. No line
  when the amount before the cap is 0.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..context import PeriodContext
from ..lines import LineBatch, volume_amounts
from ..plan.model import BinaryBonus
from ..rounding import sum_by

LEFT, RIGHT = 1, 2


def leg_volumes(ctx: PeriodContext, volume: str) -> tuple[np.ndarray, np.ndarray]:
    """Σ volume credited in the subtree of each distributor's left and right child."""
    tree = ctx.placement
    in_subtree = tree.subtree_sum(ctx.volumes.credited(volume))
    position = np.asarray(ctx.inputs.position, dtype=np.int64)
    legs = []
    for side in (LEFT, RIGHT):
        child = np.flatnonzero((tree.parent >= 0) & (position == side))
        legs.append(sum_by(tree.parent[child], in_subtree[child], ctx.n))
    return legs[0], legs[1]


def binary(ctx: PeriodContext, b: int, bonus: BinaryBonus) -> LineBatch:
    new_left, new_right = leg_volumes(ctx, bonus.volume)
    carry_left, carry_right = ctx.state.carry_of(bonus.name, ctx.n)
    left = np.maximum(0, np.asarray(carry_left, dtype=np.int64) + new_left)
    right = np.maximum(0, np.asarray(carry_right, dtype=np.int64) + new_right)
    ctx.binary_legs[bonus.name] = (left, right)
    earns = ctx.earners(bonus)

    def capped(volume: np.ndarray) -> np.ndarray:
        return volume if bonus.carry_cap is None else np.minimum(volume, bonus.carry_cap)

    if bonus.rate is not None:
        rate = bonus.rate.value
        weak = np.minimum(left, right)
        base = weak
        amount = volume_amounts(weak, rate.numerator, rate.denominator, ctx.minor)
        used_left = used_right = weak
    else:
        cycles = bonus.cycles
        rate = Fraction(cycles.pays)
        base = np.minimum(left // cycles.left, right // cycles.right)
        amount = base * ctx.plan.money_minor(cycles.pays)
        used_left, used_right = base * cycles.left, base * cycles.right
    next_left = np.where(
        earns, capped(left - used_left), 0 if bonus.flush_inactive else capped(left)
    )
    next_right = np.where(
        earns, capped(right - used_right), 0 if bonus.flush_inactive else capped(right)
    )
    ctx.new_carry[bonus.name] = (next_left.astype(np.int64), next_right.astype(np.int64))
    d = np.flatnonzero(earns & (amount != 0))
    batch = ctx.make_lines(
        recipient=d,
        source=-1,
        source_order=-1,
        level=0,
        base=base[d],
        rate_num=rate.numerator,
        rate_den=rate.denominator,
        amount=amount[d],
    )
    if bonus.cap_per_period is not None:
        batch.amount = np.minimum(batch.amount, ctx.plan.money_minor(bonus.cap_per_period))
    return batch
