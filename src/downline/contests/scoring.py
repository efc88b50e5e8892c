"""Contest scoring over the whole network with NumPy (no Django; arrays in, arrays out).

Members are rows ``0 … n-1``. Orders are rows of parallel arrays: ``member`` (the credited
member's row), ``buyer`` (any integer key of the buyer, e.g. the database id), ``volume`` (the
order's net PV in hundredths: paid minus returned, never below 0), ``own`` (bought by the member
themself) and ``time`` (an integer instant, e.g. microseconds; the order's payment).

Volume scores (:func:`volume_scores`), for member ``m``:

* per order ``o``: ``v_o = min(volume_o, per_order)``;
* customer part: orders of one (member, buyer) pair in time order; the running sum
  ``S_k = v_1 + … + v_k`` is counted up to ``per_customer``: order ``k`` contributes
  ``c_k = min(S_k, cap) − min(S_{k−1}, cap)``; ``C_m = Σ c_k``;
* own part (metric ``pv`` only): ``O_m = Σ v_o`` over own orders, counted as
  ``o_m = min(O_m, ⌊C_m · s / (1 − s)⌋)`` for the share cap ``s`` (so ``o_m ≤ s · score``);
  own orders are counted in time order until ``o_m`` is used up;
* ``score_m = C_m + o_m`` (customer_volume: ``o_m = 0``);
* ``achieved_m`` = the time of the latest order that contributed (``-1`` for none): the
  instant the member reached their final score;
* ``pv_m`` = Σ ``volume`` of all the member's orders (the second tie-breaker).

Count scores (:func:`count_scores`): ``score_m`` = Σ ``count`` over the member's rows,
``achieved_m`` = latest time of a row with a count.

Ranking (:func:`rank`): eligible members with ``score > 0`` ordered by score descending, then
earlier ``achieved``, then higher ``pv``, then lower row; ``position`` 1, 2, … (0: unranked).
Tiers (:func:`assign_tiers`): the first tier (in the file's order) a member meets: a
threshold tier by ``score ≥ threshold``, a top tier by ``position ≤ top``; ``-1`` for none.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

NONE = -1


@dataclass
class Scores:
    score: np.ndarray  # int64 per member
    achieved: np.ndarray  # int64 per member, -1 when nothing counted
    pv: np.ndarray  # int64 per member


def _group_starts(keys: tuple[np.ndarray, ...]) -> np.ndarray:
    """Boolean mask of the rows that start a new group in sorted ``keys``."""
    n = len(keys[0])
    start = np.zeros(n, dtype=bool)
    if n:
        start[0] = True
        for key in keys:
            start[1:] |= key[1:] != key[:-1]
    return start


def _running_sum_by_group(values: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Cumulative sum of ``values`` restarting at each group start (rows sorted by group)."""
    total = np.cumsum(values)
    first = np.flatnonzero(start)
    before = np.zeros(len(values), dtype=np.int64)
    if len(first):
        offsets = total[first] - values[first]
        group = np.cumsum(start) - 1
        before = offsets[group]
    return total - before


def _sums(index: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Σ ``values`` per ``index`` as int64 (``bincount`` adds in float64, exact while every
    partial sum stays below 2**53, checked)."""
    if len(values) and int(np.abs(values).sum()) >= 2**53:
        raise OverflowError("contest volumes too large to add exactly")
    return np.bincount(index, weights=values, minlength=n).astype(np.int64)


def _lexsort(keys: list[np.ndarray]) -> np.ndarray:
    """``np.lexsort(keys)`` (last key primary, stable), with fewer sort passes: while the
    primary key ``p`` and the next ``q`` fit in int64 together, they are packed into the one
    key ``(p − p_min) · (q_max − q_min + 1) + (q − q_min)``, which orders rows exactly as the
    pair does."""
    keys = [np.asarray(key, dtype=np.int64) for key in keys]
    if not keys or len(keys[0]) == 0:
        return np.zeros(0, dtype=np.int64)
    while len(keys) > 1:
        primary, secondary = keys[-1], keys[-2]
        p_low, p_high = int(primary.min()), int(primary.max())
        q_low, q_high = int(secondary.min()), int(secondary.max())
        if (p_high - p_low + 1) * (q_high - q_low + 1) >= 2**62:
            break
        keys[-2:] = [(primary - p_low) * (q_high - q_low + 1) + (secondary - q_low)]
    if len(keys) == 1:
        return np.argsort(keys[0], kind="stable")
    return np.lexsort(tuple(keys))


def _time_order(group: np.ndarray, time: np.ndarray) -> np.ndarray:
    """The rows ordered by ``(group, time)``, equal pairs in row order (groups made dense
    first, so that the pair usually packs into one key)."""
    if len(group) == 0:
        return np.zeros(0, dtype=np.int64)
    return _lexsort([time, _dense(group)[0]])


def _counted_in_time_order(
    group: np.ndarray, values: np.ndarray, time: np.ndarray, limit: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For rows of groups taken in time order, each group counted up to ``limit`` (per row: its
    group's limit): the amount each row contributes, and the rows in sorted order."""
    order = _time_order(group, time)
    g, v, lim = group[order], values[order], limit[order]
    running = _running_sum_by_group(v, _group_starts((g,)))
    contribution = np.minimum(running, lim) - np.minimum(running - v, lim)
    return contribution, order


def _dense(keys: np.ndarray) -> tuple[np.ndarray, int]:
    """Keys as 0 … m-1 (without a sort when they are small non-negative integers)."""
    if len(keys) == 0:
        return keys.astype(np.int64), 0
    if keys.min() >= 0 and keys.max() < 8 * len(keys) + 1024:
        return keys.astype(np.int64), int(keys.max()) + 1
    unique, inverse = np.unique(keys, return_inverse=True)
    return inverse.astype(np.int64), len(unique)


def volume_scores(
    n: int,
    member: np.ndarray,
    buyer: np.ndarray,
    volume: np.ndarray,
    own: np.ndarray,
    time: np.ndarray,
    *,
    per_order: int | None = None,
    per_customer: int | None = None,
    own_share: Fraction | None = None,
) -> Scores:
    """Scores of the volume metrics (formulas in the module docstring). ``own_share`` None
    means own orders do not count (customer_volume).

    Only the rows whose order in time matters are sorted: the orders of customers whose total
    passes ``per_customer`` and the own orders of members whose own share is capped."""
    member = np.asarray(member, dtype=np.int64)
    buyer = np.asarray(buyer, dtype=np.int64)
    volume = np.maximum(np.asarray(volume, dtype=np.int64), 0)
    own = np.asarray(own, dtype=bool)
    time = np.asarray(time, dtype=np.int64)
    pv = _sums(member, volume, n)
    v = volume if per_order is None else np.minimum(volume, per_order)
    achieved = np.full(n, NONE, dtype=np.int64)

    cust = np.flatnonzero(~own)
    cm, cb, cv, ct = member[cust], buyer[cust], v[cust], time[cust]
    contribution = cv.copy()
    if per_customer is not None and len(cust):
        # a (member, buyer) pair as one key; buyers are usually one member's customers only
        b, m_b = _dense(cb)
        # one member per buyer: some member written per buyer, and every row agrees with it
        some = np.empty(m_b, dtype=np.int64)
        some[b] = cm
        if bool((some[b] == cm).all()):
            pair = b
            pairs = m_b
        else:
            pair, pairs = _dense(cm * (int(cb.max()) - int(cb.min()) + 1) + (cb - int(cb.min())))
        total = _sums(pair, cv, pairs)
        over = np.flatnonzero(total[pair] > per_customer)
        if len(over):
            limited, order = _counted_in_time_order(
                pair[over], cv[over], ct[over], np.full(len(over), per_customer, dtype=np.int64)
            )
            contribution[over[order]] = limited
    customer = _sums(cm, contribution, n)
    counted = contribution > 0
    np.maximum.at(achieved, cm[counted], ct[counted])

    score = customer
    if own_share is not None and own_share > 0:
        mine = np.flatnonzero(own)
        om, ov, ot = member[mine], v[mine], time[mine]
        own_total = _sums(om, ov, n)
        if own_share >= 1:
            allowed = own_total
        else:
            allowed = (customer * own_share.numerator) // (
                own_share.denominator - own_share.numerator
            )
        own_counted = np.minimum(own_total, allowed)
        used = ov > 0
        capped = np.flatnonzero(own_counted[om] < own_total[om])
        if len(capped):
            # a capped member's own orders up to the customer part's ``achieved`` cannot move
            # it: only the later ones are taken in time order, counted up to what the earlier
            # ones left of the cap
            late = ot[capped] > achieved[om[capped]]
            early = capped[~late]
            used[early] = False
            left = own_counted - _sums(om[early], ov[early], n)
            capped = capped[late]
            limited, order = _counted_in_time_order(
                om[capped], ov[capped], ot[capped], left[om[capped]]
            )
            used[capped[order]] = limited > 0
        np.maximum.at(achieved, om[used], ot[used])
        score = customer + own_counted
    return Scores(score=score, achieved=achieved, pv=pv)


def count_scores(
    n: int, member: np.ndarray, count: np.ndarray, time: np.ndarray, pv: np.ndarray | None = None
) -> Scores:
    """Scores of the count metrics: Σ count per member; achieved = latest time with a count."""
    member = np.asarray(member, dtype=np.int64)
    count = np.asarray(count, dtype=np.int64)
    time = np.asarray(time, dtype=np.int64)
    score = _sums(member, count, n)
    achieved = np.full(n, NONE, dtype=np.int64)
    has = count > 0
    np.maximum.at(achieved, member[has], time[has])
    return Scores(
        score=score,
        achieved=achieved,
        pv=np.zeros(n, dtype=np.int64) if pv is None else np.asarray(pv, dtype=np.int64),
    )


def rank(
    scores: Scores,
    eligible: np.ndarray,
    tie_breakers: tuple[str, ...] = ("earlier_achievement", "pv"),
) -> np.ndarray:
    """Positions (1 = best, 0 = not ranked) by score, then the tie-breakers in order
    (``earlier_achievement``: smaller ``achieved`` first; ``pv``: larger first), then row.

    One stable sort by score; the tie-breakers are sorted only among the rows whose score
    another ranked row shares (each run of equal scores sorted within itself)."""
    n = len(scores.score)
    ranked = np.flatnonzero(np.asarray(eligible, dtype=bool) & (scores.score > 0))
    order = ranked[np.argsort(-scores.score[ranked], kind="stable")]
    keys: list[np.ndarray] = []  # last resort: the row (order is by row within a score)
    for breaker in reversed(tie_breakers):
        if breaker == "earlier_achievement":
            keys.append(scores.achieved)
        elif breaker == "pv":
            keys.append(-scores.pv)
    if keys and len(order) > 1:
        score = scores.score[order]
        same = score[1:] == score[:-1]
        tied = np.zeros(len(order), dtype=bool)
        tied[1:] |= same
        tied[:-1] |= same
        at = np.flatnonzero(tied)
        if len(at):
            run = np.cumsum(np.concatenate(([True], ~same)))[at]  # the run of equal scores
            rows = order[at]
            order[at] = rows[_lexsort([*(key[rows] for key in keys), run])]
    position = np.zeros(n, dtype=np.int64)
    position[order] = np.arange(1, len(order) + 1, dtype=np.int64)
    return position


def assign_tiers(score: np.ndarray, position: np.ndarray, tiers: list[dict]) -> np.ndarray:
    """Index of the first tier each ranked member meets (-1: none)."""
    tier = np.full(len(score), NONE, dtype=np.int64)
    ranked = position > 0
    for index, spec in enumerate(tiers):
        if spec.get("threshold") is not None:
            meets = score >= spec["threshold"]
        else:
            meets = position <= spec["top"]
        tier[(tier == NONE) & ranked & meets] = index
    return tier
