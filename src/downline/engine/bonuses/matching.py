"""Matching bonus (docs/plan-language.md, "matching").

``E(s)`` = the sum of ``s``'s lines in the bonuses listed in ``of`` (after per-distributor caps,
before the company cap). The ``k``-th ancestor of ``s`` in ``tree`` (physical levels) is paid
``round_half_up(levels[k-1] × E(s))`` (a money base) when it passes the earner rule and
``E(s) ≠ 0``.
"""

from __future__ import annotations

import numpy as np

from ..context import PeriodContext
from ..lines import LineBatch
from ..plan.model import MatchingBonus
from ..rounding import count_by, mul_div_round, sum_by


def matched_earnings(ctx: PeriodContext, names: list[str]) -> np.ndarray:
    bonus_index = {bonus.name: b for b, bonus in enumerate(ctx.plan.bonuses)}
    earnings = np.zeros(ctx.n, dtype=np.int64)
    for name in names:
        batch = ctx.batch(bonus_index[name])
        earnings += sum_by(batch.recipient, batch.amount, ctx.n)
    return earnings


def matching(ctx: PeriodContext, b: int, bonus: MatchingBonus) -> LineBatch:
    tree = ctx.tree(bonus.tree)
    earnings = matched_earnings(ctx, bonus.of)
    earns = ctx.earners(bonus)
    source = np.flatnonzero(earnings != 0)
    upline = tree.parent[source]
    parts: list[LineBatch] = []
    missed: list[np.ndarray] = []
    for k, rate in enumerate(bonus.levels, start=1):
        alive = upline >= 0
        source, upline = source[alive], upline[alive]
        if not source.size:
            break
        paid = earns[upline]
        missed.append(upline[~paid])
        base = earnings[source[paid]]
        value = rate.value
        parts.append(
            ctx.make_lines(
                recipient=upline[paid],
                source=source[paid],
                source_order=-1,
                level=k,
                base=base,
                rate_num=value.numerator,
                rate_den=value.denominator,
                amount=mul_div_round(base, value.numerator, value.denominator),
            )
        )
        upline = tree.parent[upline]
    ctx.missed[bonus.name] = (
        count_by(np.concatenate(missed), ctx.n) if missed else np.zeros(ctx.n, dtype=np.int64)
    )
    return LineBatch.concat(parts).canonical(ctx.n, ctx.m)
