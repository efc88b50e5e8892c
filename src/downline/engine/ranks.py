"""Ranks, bottom-up (docs/plan-language.md, "Ranks").

Every condition of every rank is evaluated for every distributor as an array of actual values
(kept for the explanations). ``legs`` conditions look at the paid-as ranks of the downline, so
ranks are decided level by level from the deepest level of ``volumes.group_tree`` up:

* ``best[c]`` = the highest paid-as rank in ``c``'s subtree (``c`` included);
* legs holding ``R`` for ``d`` = the number of children ``c`` of ``d`` with ``best[c] ≥ R``;
* **qualified** = the highest rank whose conditions all hold (the first rank when not
  eligible); **paid-as** = qualified, except with ``grace_periods: G`` when qualified is below
  the previous paid-as rank and fewer than ``G`` grace periods were used in a row: paid-as stays
  at the previous paid-as and one more grace period is used (reset to 0 whenever paid-as equals
  qualified); **highest** = max(previous highest, qualified).

Qualifying volume: ``QV = PV(d) + Σ_legs min(GV(leg), Y)`` (``own_pv: capped``: own PV counts
``min(PV(d), Y)``), ``Y = max_per_leg`` or ``max_leg_share × at_least``. With ``Y = p/q`` exact,
``QV = A + k·p/q`` where ``A`` adds the uncapped parts and ``k`` counts the capped ones, so
``⌊QV⌋ = A + ⌊k·p/q⌋`` and ``QV ≥ X ⇔ ⌊QV⌋ ≥ X`` for a whole threshold ``X``.

``requires: {certificate: K}``: one condition ``certificate:<key>`` per key, required 1, actual
1 when ``d`` holds the certificate on the period's last day (else 0).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .inputs import TERMINATED, EngineState, PeriodInputs, RankCondition
from .plan import Plan
from .plan.model import QualifyingVolume
from .rounding import count_by, mul_divmod
from .tree import Tree

RANK_DTYPE = np.int16
CERTIFICATE_CONDITION = "certificate:"
"""Prefix of the name of a rank's certificate condition (``certificate:compliance-basics``)."""


@dataclass
class RankOutcome:
    qualified: np.ndarray  # int16[n]
    paid_as: np.ndarray  # int16[n]
    grace_used: np.ndarray  # int16[n]
    highest: np.ndarray  # int16[n]
    conditions: list[RankCondition]
    qv_by_rank: dict[int, np.ndarray]  # ⌊QV⌋ per rank with a qualifying_volume condition


def leg_cap(rule: QualifyingVolume) -> Fraction:
    """``Y``: the most one leg counts towards the qualifying volume."""
    if rule.max_per_leg is not None:
        return Fraction(rule.max_per_leg)
    return rule.max_leg_share.value * rule.at_least


def qualifying_volume(
    rule: QualifyingVolume, pv: np.ndarray, gv: np.ndarray, tree: Tree
) -> np.ndarray:
    """``⌊QV⌋`` of every distributor (see the module docstring)."""
    cap = leg_cap(rule)
    ceiling = -((-cap.numerator) // cap.denominator)  # GV ≥ Y ⇔ GV ≥ ⌈Y⌉ for whole GV
    capped_leg = gv >= ceiling
    uncapped = tree.child_sum(np.where(capped_leg, 0, gv))
    k = tree.child_sum(capped_leg.astype(np.int64))
    own = pv
    if rule.own_pv == "capped":
        own_capped = pv >= ceiling
        own = np.where(own_capped, 0, pv)
        k = k + own_capped
    whole, _ = mul_divmod(k, cap.numerator, cap.denominator)
    return own + uncapped + whole


def decide_ranks(
    plan: Plan,
    inputs: PeriodInputs,
    state: EngineState,
    *,
    pv: np.ndarray,
    gv: np.ndarray,
    group_tree: Tree,
    present: np.ndarray,
    eligible: np.ndarray,
    active: np.ndarray,
    buying_customers: np.ndarray,
    holders: Callable[[str], np.ndarray] | None = None,
) -> RankOutcome:
    n = inputs.n
    ranks = plan.ranks
    names = [rank.name for rank in ranks]
    sponsor = np.asarray(inputs.sponsor, dtype=np.int64)
    enrolled_rows = np.flatnonzero(sponsor >= 0)

    def enrolled_count(mask: np.ndarray) -> np.ndarray:
        rows = enrolled_rows[mask[enrolled_rows]]
        return count_by(sponsor[rows], n)

    conditions: list[RankCondition] = []
    qv_by_rank: dict[int, np.ndarray] = {}
    plain_ok = np.zeros((len(ranks), n), dtype=bool)  # all conditions but legs hold
    legs_rules: list[tuple[int, int, int]] = []  # (rank, count, leg rank)
    cache: dict[str, np.ndarray] = {}

    def add(rank: int, name: str, required: int, actual: np.ndarray) -> None:
        holds = actual >= required
        conditions.append(
            RankCondition(rank, name, int(required), actual.astype(np.int64, copy=False), holds)
        )
        plain_ok[rank] &= holds

    for r, rank in enumerate(ranks):
        if r == 0:
            continue
        plain_ok[r] = eligible
        if rank.active:
            add(r, "active", 1, active.astype(np.int64))
        if rank.pv is not None:
            add(r, "pv", rank.pv, pv)
        if rank.gv is not None:
            add(r, "gv", rank.gv, gv)
        if rank.qualifying_volume is not None:
            qv = qualifying_volume(rank.qualifying_volume, pv, gv, group_tree)
            qv_by_rank[r] = qv
            add(r, "qualifying_volume", rank.qualifying_volume.at_least, qv)
        if rank.legs is not None:
            legs_rules.append((r, rank.legs.count, names.index(rank.legs.rank)))
        if rank.personally_enrolled is not None:
            if "enrolled" not in cache:
                status = np.asarray(inputs.status)
                cache["enrolled"] = enrolled_count(present & (status != TERMINATED))
            add(r, "personally_enrolled", rank.personally_enrolled, cache["enrolled"])
        if rank.personally_enrolled_active is not None:
            if "enrolled_active" not in cache:
                cache["enrolled_active"] = enrolled_count(active)
            add(
                r,
                "personally_enrolled_active",
                rank.personally_enrolled_active,
                cache["enrolled_active"],
            )
        if rank.customers is not None:
            add(r, "customers", rank.customers, buying_customers)
        for key in rank.requires.certificate if rank.requires is not None else ():
            held = holders(key) if holders is not None else np.zeros(n, dtype=bool)
            add(r, f"{CERTIFICATE_CONDITION}{key}", 1, held.astype(np.int64))

    legs_ranks = {r for r, _, _ in legs_rules}
    # the highest rank without a legs condition whose conditions hold
    top_plain = np.zeros(n, dtype=RANK_DTYPE)
    for r in range(1, len(ranks)):
        if r not in legs_ranks:
            top_plain[plain_ok[r]] = r
    previous_paid = np.asarray(state.paid_as_rank, dtype=RANK_DTYPE)
    previous_grace = np.asarray(state.grace_used, dtype=RANK_DTYPE)
    grace = plan.rank_rules.grace_periods

    def paid_and_grace(qualified: np.ndarray, rows) -> tuple[np.ndarray, np.ndarray]:
        paid = qualified.copy()
        used = np.zeros(qualified.shape, dtype=RANK_DTYPE)
        if grace > 0:
            before = previous_paid[rows]
            used_before = previous_grace[rows]
            keep = eligible[rows] & (qualified < before) & (used_before < grace)
            paid[keep] = before[keep]
            used[keep] = used_before[keep] + 1
        return paid, used

    if not legs_rules:
        qualified = top_plain
        paid_as, grace_used = paid_and_grace(qualified, slice(None))
    else:
        qualified, paid_as, grace_used, leg_counts = _bottom_up(
            group_tree, top_plain, plain_ok, legs_rules, paid_and_grace
        )
        for r, count, leg_rank in legs_rules:
            actual = leg_counts[leg_rank]
            holds = actual >= count
            conditions.append(RankCondition(r, "legs", count, actual, holds))
    conditions.sort(key=lambda c: c.rank)
    highest = np.maximum(np.asarray(state.highest_rank, dtype=RANK_DTYPE), qualified)
    return RankOutcome(
        qualified=qualified.astype(RANK_DTYPE),
        paid_as=paid_as.astype(RANK_DTYPE),
        grace_used=grace_used.astype(RANK_DTYPE),
        highest=highest.astype(RANK_DTYPE),
        conditions=conditions,
        qv_by_rank=qv_by_rank,
    )


def _bottom_up(tree: Tree, top_plain, plain_ok, legs_rules, paid_and_grace):
    """Qualified and paid-as rank level by level from the deepest level of ``tree`` up, with
    the legs counts ``counts[R][d]`` (children of ``d`` whose subtree holds paid-as ≥ R)."""
    n = len(tree)
    qualified = top_plain.copy()
    paid_as = np.zeros(n, dtype=RANK_DTYPE)
    grace_used = np.zeros(n, dtype=RANK_DTYPE)
    best = np.zeros(n, dtype=RANK_DTYPE)
    leg_ranks = sorted({leg_rank for _, _, leg_rank in legs_rules})
    counts = {leg_rank: np.zeros(n, dtype=np.int64) for leg_rank in leg_ranks}
    child_best = np.zeros(n, dtype=RANK_DTYPE)
    by_rank_desc = sorted(legs_rules, key=lambda rule: -rule[0])
    for d in range(tree.levels - 1, -1, -1):
        nodes = tree.level(d)
        if d + 1 < tree.levels:
            starts, parents = tree.groups[d]
            below = best[tree.level(d + 1)]
            child_best[parents] = np.maximum.reduceat(below, starts)
            for leg_rank in leg_ranks:
                counts[leg_rank][parents] = np.add.reduceat(
                    (below >= leg_rank).astype(np.int64), starts
                )
        q = qualified[nodes]
        for r, count, leg_rank in by_rank_desc:
            ok = plain_ok[r][nodes] & (counts[leg_rank][nodes] >= count) & (q < r)
            q[ok] = r
        qualified[nodes] = q
        paid, used = paid_and_grace(q, nodes)
        paid_as[nodes] = paid
        grace_used[nodes] = used
        best[nodes] = np.maximum(paid, child_best[nodes])
    return qualified, paid_as, grace_used, counts


def reported_qualifying_volume(plan: Plan, outcome: RankOutcome, n: int) -> np.ndarray:
    """The QV shown for each distributor: for the lowest rank above their paid-as rank with a
    ``qualifying_volume`` condition (the one they work towards), else for the highest such rank;
    ``-1`` when no rank has one."""
    with_qv = sorted(outcome.qv_by_rank)
    if not with_qv:
        return np.full(n, -1, dtype=np.int64)
    result = outcome.qv_by_rank[with_qv[-1]].copy()
    paid = outcome.paid_as
    for r in reversed(with_qv):
        below = paid < r
        result[below] = outcome.qv_by_rank[r][below]
    return result
