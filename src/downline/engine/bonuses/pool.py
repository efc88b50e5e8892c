"""Pool bonus (docs/plan-language.md, "pool").

The pool is ``share × total company volume`` (exact). Each earner whose paid-as rank is listed
holds that many shares; ``S`` = all shares held; nothing is paid when ``S = 0``. With
``floor_per_share`` an earner with ``s`` shares gets ``s × ⌊pool / S⌋``; with
``largest_remainder`` the exact parts ``pool × s / S`` are rounded by largest remainder (ties in
row order) to a total of ``⌊pool⌋``. What is not paid is breakage. Line: base = the pool
rounded half up, rate ``s/S``, level 0.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..context import PeriodContext
from ..lines import LineBatch
from ..plan.model import PoolBonus
from ..rounding import distribute, round_half_up_int


def pool_value(ctx: PeriodContext, share: Fraction, of: str) -> Fraction:
    """``share × total`` of the period's ``of`` volume, in minor units (exact)."""
    total = ctx.volumes.totals[of]
    return share * Fraction(total * 10**ctx.minor, 100)


def pool(ctx: PeriodContext, b: int, bonus: PoolBonus) -> LineBatch:
    value = pool_value(ctx, bonus.share.value, bonus.of)
    table = np.full(len(ctx.plan.ranks), -1, dtype=np.int64)
    for name, shares in bonus.shares.items():
        table[ctx.rank_index(name)] = shares
    held = table[ctx.paid_as]
    holders = np.flatnonzero((held >= 0) & ctx.earners(bonus))
    shares = held[holders]
    total_shares = int(shares.sum())
    if total_shares == 0:
        ctx.pools[bonus.name] = (value, value)
        return LineBatch.empty()
    whole = value.numerator // value.denominator
    if bonus.rounding == "floor_per_share":
        per_share = value.numerator // (value.denominator * total_shares)
        amount = shares * per_share
    else:
        amount = distribute(shares, value.numerator, value.denominator * total_shares, whole)
    ctx.pools[bonus.name] = (value, value - int(amount.sum()))
    return ctx.make_lines(
        recipient=holders,
        source=-1,
        source_order=-1,
        level=0,
        base=round_half_up_int(value.numerator, value.denominator),
        rate_num=shares,
        rate_den=total_shares,
        amount=amount,
    )
