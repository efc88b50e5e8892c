"""Rank-advancement bonus (docs/plan-language.md, "rank_advancement").

The state remembers, per distributor, the highest rank this bonus has paid for (``-1``: none,
below every rank). An earner whose paid-as rank is above it is paid every listed rank above it
up to and including the paid-as rank, one line per rank (level = the rank's index, base 0, no
rate), and the remembered rank becomes the paid-as rank. Whoever fails the earner rule keeps
their remembered rank.
"""

from __future__ import annotations

import numpy as np

from ..context import PeriodContext
from ..lines import LineBatch
from ..plan.model import RankAdvancementBonus


def rank_advancement(ctx: PeriodContext, b: int, bonus: RankAdvancementBonus) -> LineBatch:
    remembered = np.asarray(ctx.state.awarded_of(bonus.name, ctx.n), dtype=np.int16)
    paid_as = ctx.paid_as
    advancing = ctx.earners(bonus) & (paid_as > remembered)
    parts: list[LineBatch] = []
    for name, amount in bonus.amounts.items():
        r = ctx.rank_index(name)
        d = np.flatnonzero(advancing & (remembered < r) & (r <= paid_as))
        parts.append(
            ctx.make_lines(
                recipient=d,
                source=d,
                source_order=-1,
                level=r,
                base=0,
                rate_num=0,
                rate_den=0,
                amount=ctx.plan.money_minor(amount),
            )
        )
    ctx.new_awarded[bonus.name] = np.where(advancing, paid_as, remembered).astype(np.int16)
    return LineBatch.concat(parts).canonical(ctx.n, ctx.m)
