"""Totals of a computed period, exact: what ``run.json`` reports and golden cases check.

* per bonus: lines, the total before caps, the total paid, and the **exact** value of its lines
  (each line's ``base × rate`` before rounding; a line without a rate — rank advancement, a
  stairstep floor — is exactly its amount; binary cycles are exact already; a pool's value is
  exactly the pool, also when no one holds a share and nothing is paid);
* ``rounding_remainder`` = Σ exact − Σ before caps over every bonus but pools (what half-up
  rounding of each line gained or lost);
* ``pool_breakage`` = per pool, the exact pool − what it paid (before caps);
* ``cap_breakage`` = Σ before caps − Σ paid (per-period binary caps, per-distributor caps and
  the company cap);

so that Σ exact = paid + rounding remainder + pool breakage + cap breakage, to the fraction of a
minor unit. Payout ratios are paid ÷ total CV and ÷ turnover (in currency units).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from .inputs import PeriodInputs, PeriodResult
from .plan import Plan
from .rounding import count_by, exact_total, sum_by

VOLUME_BASED = {"personal", "unilevel", "matrix", "fast_start", "generation", "stairstep"}


def base_kind(plan: Plan, b: int) -> str:
    """What a line's ``base`` is for bonus ``b``: volume, money, cycles, or none."""
    bonus = plan.bonuses[b]
    if bonus.kind in VOLUME_BASED or (bonus.kind == "binary" and bonus.rate is not None):
        return "volume"
    if bonus.kind == "binary":
        return "cycles"
    if bonus.kind in ("matching", "pool"):
        return "money"
    return "none"


@dataclass
class BonusTotals:
    name: str
    lines: int
    before_cap: int  # minor units
    paid: int
    exact: Fraction  # minor units


@dataclass
class PeriodSummary:
    bonuses: list[BonusTotals]
    totals: dict[str, int]  # pv, cv (hundredths), amount (hundredths of the currency)
    paid: int
    before_cap: int
    rounding_remainder: Fraction
    pool_breakage: dict[str, Fraction]
    cap_breakage: int
    counts: dict[str, int] = field(default_factory=dict)

    def payout_ratio(self, of: str, minor: int) -> Fraction | None:
        """Paid ÷ total ``of`` (cv or amount), both in currency units; None when the total is 0."""
        total = self.totals[of]
        if total == 0:
            return None
        return Fraction(self.paid * 100, total * 10**minor)


def exact_values(plan: Plan, result: PeriodResult) -> list[Fraction]:
    """The exact value (minor units) of every bonus's lines before rounding."""
    lines = result.lines
    minor = plan.minor_digits
    count = len(plan.bonuses)
    values = [Fraction(0)] * count
    if not len(lines):
        return _with_pools(plan, result, values)
    num_table = lines.rate_num if lines.rate_id is None else None
    if lines.rate_id is not None:
        rates = lines.rate_id.astype(np.int64)
        table_num, table_den = lines.rate_table
        size = len(table_num)
        key = lines.bonus.astype(np.int64) * size + rates
        base_sums = sum_by(key, lines.base, count * size)
        for k in np.flatnonzero(count_by(key, count * size)).tolist():
            b, rate = divmod(k, size)
            values[b] += _exact(
                plan, b, int(base_sums[k]), int(table_num[rate]), int(table_den[rate]), minor
            )
    else:
        for k in range(len(lines)):
            b = int(lines.bonus[k])
            values[b] += _exact(
                plan, b, int(lines.base[k]), int(num_table[k]), int(lines.rate_den[k]), minor
            )
    no_rate = lines.rate_den == 0 if lines.rate_id is None else lines.rate_id == 0
    if np.any(no_rate):  # rank advancement, stairstep floor: the amount is exact
        values = [
            value + exact_total(lines.amount_before_cap[no_rate & (lines.bonus == b)])
            for b, value in enumerate(values)
        ]
    return _with_pools(plan, result, values)


def _with_pools(plan: Plan, result: PeriodResult, values: list[Fraction]) -> list[Fraction]:
    """A pool's exact value is the pool itself, paid out or not: with no share held it pays
    nothing and the whole pool is breakage, so the identity still holds."""
    if result.details is None:
        return values
    for b, bonus in enumerate(plan.bonuses):
        if bonus.kind == "pool" and bonus.name in result.details.pools:
            values[b] = result.details.pools[bonus.name][0]
    return values


def _exact(plan: Plan, b: int, base: int, num: int, den: int, minor: int) -> Fraction:
    if den == 0:
        return Fraction(0)
    kind = base_kind(plan, b)
    if kind == "volume":
        return Fraction(base * num * 10**minor, den * 100)
    if kind == "cycles":
        return Fraction(base * num * 10**minor, den)
    return Fraction(base * num, den)


def summarize(plan: Plan, inputs: PeriodInputs, result: PeriodResult) -> PeriodSummary:
    lines = result.lines
    exact = exact_values(plan, result)
    bonuses = []
    for b, bonus in enumerate(plan.bonuses):
        mine = lines.bonus == b
        bonuses.append(
            BonusTotals(
                name=bonus.name,
                lines=int(np.count_nonzero(mine)),
                before_cap=exact_total(lines.amount_before_cap[mine]),
                paid=exact_total(lines.amount[mine]),
                exact=exact[b],
            )
        )
    pools = {}
    if result.details is not None:
        pools = {name: breakage for name, (_pool, breakage) in result.details.pools.items()}
    rounding = sum(
        (
            t.exact - t.before_cap
            for t, bonus in zip(bonuses, plan.bonuses, strict=True)
            if bonus.kind != "pool"
        ),
        Fraction(0),
    )
    paid = sum(t.paid for t in bonuses)
    before = sum(t.before_cap for t in bonuses)
    details = result.details
    totals = (
        dict(details.totals)
        if details is not None
        else {
            "pv": int(np.asarray(inputs.order_pv).sum()),
            "cv": int(np.asarray(inputs.order_cv).sum()),
            "amount": int(
                np.asarray(inputs.order_amount)[np.asarray(inputs.order_in_plan_currency)].sum()
            ),
        }
    )
    counts = {
        "distributors": inputs.n,
        "orders": inputs.m,
        "lines": len(lines),
        "active": int(np.count_nonzero(result.active)),
        "earning": int(np.count_nonzero(result.earned)),
    }
    if details is not None:
        counts["present"] = int(np.count_nonzero(details.present))
        counts["eligible"] = int(np.count_nonzero(details.eligible))
    return PeriodSummary(
        bonuses=bonuses,
        totals=totals,
        paid=paid,
        before_cap=before,
        rounding_remainder=rounding,
        pool_breakage=pools,
        cap_breakage=before - paid,
        counts=counts,
    )
