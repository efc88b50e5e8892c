"""The most a plan can pay on one unit of CV: what ``downline plan check`` prints and warns on.

**Formula.** ``max_payout = Σ over bonuses of m(bonus)``, where ``m`` is the most that bonus can
pay, across every distributor it pays, on one unit of an order's CV (as an exact fraction:
``1`` is 100% of the CV). Bonuses on PV or turnover (``amount``) are counted as if the order's
PV and amount equalled its CV, since the plan does not say how they relate. Per bonus kind:

* ``personal``: ``rate`` (one line per distributor);
* ``unilevel``, ``matrix``, ``fast_start``: ``Σ levels`` (each level pays once per order);
* ``generation``: ``Σ generations`` (each qualifying upline is in one generation);
* ``stairstep``: ``max bracket`` (the differentials up the tree telescope to at most the top
  bracket) ``+ royalty`` (one royalty: the parent of the breakaway, or with
  ``reaches: first_generation`` the nearest broken-away upline — unbounded when a member who
  has not broken away can reach ``royalty_requires``, i.e. its bracket starts below
  ``breakaway_at``);
* ``binary``: unbounded — the order's volume sits in a leg of every upline in the placement
  tree, each of whom can be paid on it (``rate``, or ``pays / min(left, right)`` per cycle);
* ``matching``: ``Σ levels × Σ m(matched bonus)``;
* ``pool``: ``share`` (of CV, PV or turnover);
* ``rank_advancement``: 0 per unit (fixed amounts, not proportional to CV).

A ``company_cap`` whose ``share`` applies to every bonus bounds the period's total instead:
``min(Σ m(capped), share) + Σ m(not capped)``; an unbounded part stays unbounded. A plan
warns when one order can be paid more than 100% of its CV (only for money, not points).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from downline.engine.plan import Plan
from downline.engine.plan.model import (
    BinaryBonus,
    FastStartBonus,
    GenerationBonus,
    MatchingBonus,
    MatrixBonus,
    PersonalBonus,
    PoolBonus,
    StairstepBonus,
    UnilevelBonus,
)

Bound = Fraction | None
"""A maximum per unit of CV; ``None``: no finite maximum."""


@dataclass(frozen=True)
class PayoutBound:
    per_bonus: dict[str, Bound]
    uncapped: Bound  # Σ per bonus
    total: Bound  # after the company cap

    @property
    def exceeds_cv(self) -> bool:
        """Whether one order can be paid more than 100% of its CV."""
        return self.total is None or self.total > 1


def _add(a: Bound, b: Bound) -> Bound:
    return None if a is None or b is None else a + b


def _stairstep(bonus: StairstepBonus) -> Bound:
    top = max(bracket.rate.value for bracket in bonus.brackets)
    if bonus.royalty is None or bonus.royalty.value == 0:
        return top
    needed = bonus.royalty_requires.value
    reaching = [b.pgv for b in bonus.brackets if b.rate.value >= needed]
    if needed > 0 and not reaching:
        return top  # no bracket qualifies for the royalty
    if bonus.reaches == "first_generation" and (needed == 0 or min(reaching) < bonus.breakaway_at):
        return None  # every upline short of the breakaway can take a royalty
    return top + bonus.royalty.value


def bonus_bound(plan: Plan, name: str, seen: dict[str, Bound]) -> Bound:
    """``m(bonus)`` of the module's formula; ``seen`` holds the bounds of earlier bonuses."""
    bonus = next(b for b in plan.bonuses if b.name == name)
    if isinstance(bonus, PersonalBonus):
        return bonus.rate.value
    if isinstance(bonus, UnilevelBonus | MatrixBonus | FastStartBonus):
        return sum((rate.value for rate in bonus.levels), Fraction(0))
    if isinstance(bonus, GenerationBonus):
        return sum((rate.value for rate in bonus.generations), Fraction(0))
    if isinstance(bonus, StairstepBonus):
        return _stairstep(bonus)
    if isinstance(bonus, BinaryBonus):
        paying = bonus.rate is not None and bonus.rate.value > 0
        paying |= bonus.cycles is not None and bonus.cycles.pays > 0
        return None if paying else Fraction(0)
    if isinstance(bonus, MatchingBonus):
        matched: Bound = Fraction(0)
        for other in bonus.of:
            matched = _add(matched, seen.get(other, Fraction(0)))
        levels = sum((rate.value for rate in bonus.levels), Fraction(0))
        if levels == 0:
            return Fraction(0)
        return None if matched is None else matched * levels
    if isinstance(bonus, PoolBonus):
        return bonus.share.value
    return Fraction(0)  # rank advancement: fixed amounts


def payout_bound(plan: Plan) -> PayoutBound:
    """The plan's theoretical maximum payout per unit of CV (the module's formula)."""
    per_bonus: dict[str, Bound] = {}
    for bonus in plan.bonuses:
        per_bonus[bonus.name] = bonus_bound(plan, bonus.name, per_bonus)
    uncapped: Bound = Fraction(0)
    for value in per_bonus.values():
        uncapped = _add(uncapped, value)
    total = uncapped
    cap = plan.company_cap
    if cap is not None:
        capped_names = set(cap.bonuses or per_bonus)
        capped: Bound = Fraction(0)
        rest: Bound = Fraction(0)
        for name, value in per_bonus.items():
            if name in capped_names:
                capped = _add(capped, value)
            else:
                rest = _add(rest, value)
        limited = cap.share.value if capped is None else min(capped, cap.share.value)
        total = _add(limited, rest)
    return PayoutBound(per_bonus=per_bonus, uncapped=uncapped, total=total)
