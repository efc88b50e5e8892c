"""Personal bonus (docs/plan-language.md, "personal").

One line per earner ``d`` with a non-zero volume: base = ``d``'s PV, CV or turnover for the
period (own, plus customers' with ``include_customers``), rate × base, ``source = d``, level 0.
"""

from __future__ import annotations

import numpy as np

from ..context import PeriodContext
from ..lines import LineBatch, volume_amounts
from ..plan.model import PersonalBonus


def personal(ctx: PeriodContext, b: int, bonus: PersonalBonus) -> LineBatch:
    volume = ctx.volumes.period(bonus.volume)
    d = np.flatnonzero((volume != 0) & ctx.earners(bonus))
    rate = bonus.rate.value
    base = volume[d]
    return ctx.make_lines(
        recipient=d,
        source=d,
        source_order=-1,
        level=0,
        base=base,
        rate_num=rate.numerator,
        rate_den=rate.denominator,
        amount=volume_amounts(base, rate.numerator, rate.denominator, ctx.minor),
    )
