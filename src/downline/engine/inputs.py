"""What the engine takes and returns: dense arrays (see docs/plan-language.md).

Distributors are rows ``0..n-1``; retail customers are not rows (their orders arrive credited to
their sponsor). Orders are the period's orders, returns included with negative volumes. Days
are local calendar days counted from 1970-01-01. Volumes are integer hundredths, money integer
minor units of the plan's currency.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

ACTIVE, SUSPENDED, TERMINATED = 0, 1, 2


@dataclass
class PeriodInputs:
    # distributors
    ids: Sequence[str]
    sponsor: np.ndarray  # int64[n], -1 for the root
    placement: np.ndarray  # int64[n], -1 for the root
    position: np.ndarray  # int16[n], 1 = left / slot 1, 2 = right / slot 2, …; 0 none
    joined_day: np.ndarray  # int32[n]
    status: np.ndarray  # int8[n]: ACTIVE, SUSPENDED or TERMINATED
    # the period
    first_day: int
    last_day: int
    # orders of the period
    order_ids: Sequence[str]
    order_member: np.ndarray  # int64[m], the credited distributor
    order_customer: np.ndarray  # int64[m], retail customer number of the buyer, -1 if own order
    order_day: np.ndarray  # int32[m], local paid day
    order_pv: np.ndarray  # int64[m], signed (returns negative)
    order_cv: np.ndarray  # int64[m]
    order_amount: np.ndarray  # int64[m], hundredths of the order's currency major unit
    order_in_plan_currency: np.ndarray  # bool[m]
    period: str = ""

    @property
    def n(self) -> int:
        return len(self.sponsor)

    @property
    def m(self) -> int:
        return len(self.order_member)


@dataclass
class EngineState:
    """State between periods, one entry per distributor row (defaults for newcomers).

    Ranks are indices into ``plan.ranks``; ``awarded`` is -1 when nothing was awarded yet.
    """

    highest_rank: np.ndarray  # int16[n]
    paid_as_rank: np.ndarray  # int16[n], the previous period's paid-as rank
    grace_used: np.ndarray  # int16[n]
    carry: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)  # per binary
    awarded: dict[str, np.ndarray] = field(default_factory=dict)  # per rank_advancement, int16

    @classmethod
    def fresh(cls, n: int) -> EngineState:
        return cls(
            highest_rank=np.zeros(n, dtype=np.int16),
            paid_as_rank=np.zeros(n, dtype=np.int16),
            grace_used=np.zeros(n, dtype=np.int16),
        )

    def carry_of(self, bonus: str, n: int) -> tuple[np.ndarray, np.ndarray]:
        if bonus in self.carry:
            return self.carry[bonus]
        return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)

    def awarded_of(self, bonus: str, n: int) -> np.ndarray:
        if bonus in self.awarded:
            return self.awarded[bonus]
        return np.full(n, -1, dtype=np.int16)


@dataclass
class Lines:
    """Commission lines in canonical order (docs/plan-language.md), one entry per line.

    ``base`` is hundredths of volume, or minor units for a money base (matching, pool), or a
    cycle count (binary cycles); ``base_kind`` per bonus says which. The rate is the exact
    fraction ``rate_num / rate_den`` (``rate_den == 0``: no rate, e.g. rank advancement).
    ``source``/``source_order`` are ``-1`` when the line has none.
    """

    bonus: np.ndarray  # int16[k], index into plan.bonuses
    recipient: np.ndarray  # int64[k]
    source: np.ndarray  # int64[k]
    source_order: np.ndarray  # int64[k]
    level: np.ndarray  # int16[k]
    base: np.ndarray  # int64[k]
    rate_num: np.ndarray  # int64[k]
    rate_den: np.ndarray  # int64[k]
    amount_before_cap: np.ndarray  # int64[k]
    amount: np.ndarray  # int64[k]

    def __len__(self) -> int:
        return len(self.amount)


@dataclass
class PeriodResult:
    """Per-distributor figures and the lines of one period."""

    pv: np.ndarray  # int64[n]
    cv: np.ndarray  # int64[n]
    gv: np.ndarray  # int64[n]
    qualifying_volume: np.ndarray  # int64[n], -1 when the plan has no QV condition
    active: np.ndarray  # bool[n]
    qualified_rank: np.ndarray  # int16[n]
    paid_as_rank: np.ndarray  # int16[n]
    highest_rank: np.ndarray  # int16[n]
    earned: np.ndarray  # int64[n], sum of amount over the distributor's lines
    carry_left: np.ndarray  # int64[n], first binary bonus (zeros if none)
    carry_right: np.ndarray  # int64[n]
    lines: Lines
    state: EngineState  # the state for the next period
