"""What the engine takes and returns: dense arrays (see docs/plan-language.md).

Distributors are rows ``0..n-1``; retail customers are not rows (their orders arrive credited to
their sponsor). Orders are the period's orders, returns included with negative volumes. Days
are local calendar days counted from 1970-01-01. Volumes are integer hundredths, money integer
minor units of the plan's currency.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

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
    # certificates held on the period's last day: certificate key -> bool[n]; a key not given
    # is held by nobody (``requires: {certificate: …}`` on ranks and bonuses)
    certificates: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.sponsor)

    def holders(self, key: str) -> np.ndarray:
        """bool[n]: who holds certificate ``key`` (nobody when the key is not given)."""
        held = self.certificates.get(key)
        if held is None:
            return np.zeros(self.n, dtype=bool)
        held = np.asarray(held, dtype=bool)
        if held.shape != (self.n,):
            raise ValueError(
                f"certificate {key!r}: {held.shape[0] if held.ndim else 0} values for "
                f"{self.n} distributors"
            )
        return held

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


class Lines:
    """Commission lines in canonical order (docs/plan-language.md), one entry per line.

    ``base`` is hundredths of volume, or minor units for a money base (matching, pool), or a
    cycle count (binary cycles). The rate is the exact fraction ``rate_num / rate_den``
    (``rate_den == 0``: no rate, e.g. rank advancement). ``source``/``source_order`` are ``-1``
    when the line has none. Row numbers (recipient, source, source order) are int32 when every
    row fits, else int64; money and volumes are int64.

    A period has few distinct rates, so the engine stores one small ``rate_id`` per line and a
    table of rates (``rate_table``: two int64 arrays, numerators and denominators);
    ``rate_num`` and ``rate_den`` are then gathered from the table on first access. Lines can
    also be built from ``rate_num`` and ``rate_den`` arrays directly.
    """

    def __init__(
        self,
        *,
        bonus: np.ndarray,  # int16[k], index into plan.bonuses
        recipient: np.ndarray,  # int32/int64[k]
        source: np.ndarray,  # int32/int64[k]
        source_order: np.ndarray,  # int32/int64[k]
        level: np.ndarray,  # int16[k]
        base: np.ndarray,  # int64[k]
        amount_before_cap: np.ndarray,  # int64[k]
        amount: np.ndarray,  # int64[k]
        rate_num: np.ndarray | None = None,  # int64[k]
        rate_den: np.ndarray | None = None,  # int64[k]
        rate_id: np.ndarray | None = None,  # int16/int32[k], index into rate_table
        rate_table: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> None:
        self.bonus = bonus
        self.recipient = recipient
        self.source = source
        self.source_order = source_order
        self.level = level
        self.base = base
        self.amount_before_cap = amount_before_cap
        self.amount = amount
        if rate_id is None:
            if rate_num is None or rate_den is None:
                raise TypeError("give rate_num and rate_den, or rate_id and rate_table")
            self._rate_num, self._rate_den = rate_num, rate_den
            self.rate_id, self.rate_table = None, None
        else:
            if rate_table is None:
                raise TypeError("rate_id needs rate_table")
            self._rate_num = self._rate_den = None
            self.rate_id, self.rate_table = rate_id, rate_table

    @property
    def rate_num(self) -> np.ndarray:
        if self._rate_num is None:
            self._rate_num = self.rate_table[0][self.rate_id]
        return self._rate_num

    @property
    def rate_den(self) -> np.ndarray:
        if self._rate_den is None:
            self._rate_den = self.rate_table[1][self.rate_id]
        return self._rate_den

    def __len__(self) -> int:
        return len(self.amount)


@dataclass
class RankCondition:
    """One condition of one rank, for every distributor: the value required, each
    distributor's actual value and whether it holds. Volumes are hundredths; a qualifying
    volume is rounded down to whole hundredths (``holds`` is decided exactly)."""

    rank: int  # index into plan.ranks
    name: str  # active, pv, gv, qualifying_volume, legs, personally_enrolled, …
    required: int
    actual: np.ndarray  # int64[n]
    holds: np.ndarray  # bool[n]


@dataclass
class PeriodDetails:
    """What the explanations are built from: the intermediate arrays of the computation."""

    present: np.ndarray  # bool[n]
    eligible: np.ndarray  # bool[n]
    own_pv: np.ndarray  # int64[n]
    customer_pv: np.ndarray  # int64[n]
    buying_customers: np.ndarray  # int64[n]
    conditions: list[RankCondition]
    totals: dict[str, int]  # total pv, cv and amount (turnover) of the period's orders
    # per matching bonus: lines a distributor did not get because they failed the earner rule
    # or the bonus's ``requires``
    missed: dict[str, np.ndarray] = field(default_factory=dict)
    # per level-walk bonus (unilevel, matrix, fast start): a record of the walk whose
    # ``counts.missed`` / ``counts.beyond_depth`` say, per distributor, how many lines they did
    # not get (failed the earner rule, or skipped by compression) and how many their rank's
    # depth did not reach (downline.engine.bonuses.walk.WalkRecord, computed on first use)
    walks: dict[str, object] = field(default_factory=dict)
    # per binary bonus: the left and right volumes paired this period (carry included)
    binary_legs: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    # per bonus with ``requires``: who meets each requirement and all of them
    # (downline.engine.requirements.RequirementCheck)
    requirements: dict[str, object] = field(default_factory=dict)
    # per pool bonus: the exact pool and what was not paid out of it
    pools: dict[str, tuple[Fraction, Fraction]] = field(default_factory=dict)
    # the trees the period was computed on ("enrollment", "placement": downline.engine.tree.Tree)
    trees: dict[str, object] = field(default_factory=dict)


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
    details: PeriodDetails | None = None  # set by downline.engine.compute_period
