"""``contests.scoring`` against a plain-Python reference written from the formulas."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from downline.contests import scoring


def reference_volume(n, orders, per_order, per_customer, own_share):
    """orders: list of (member, buyer, volume, own, time). Straight from the docstring."""
    score, achieved, pv = [0] * n, [-1] * n, [0] * n
    for m in range(n):
        mine = [o for o in orders if o[0] == m]
        pv[m] = sum(max(o[2], 0) for o in mine)
        counted = []  # (time, contribution)
        customer = 0
        for buyer in sorted({o[1] for o in mine if not o[3]}):
            running = 0
            for o in sorted((o for o in mine if not o[3] and o[1] == buyer), key=lambda o: o[4]):
                v = max(o[2], 0) if per_order is None else min(max(o[2], 0), per_order)
                before = running
                running += v
                c = (
                    v
                    if per_customer is None
                    else min(running, per_customer) - min(before, per_customer)
                )
                customer += c
                counted.append((o[4], c))
        own_counted = 0
        if own_share:
            owns = sorted((o for o in mine if o[3]), key=lambda o: o[4])
            total = sum(
                max(o[2], 0) if per_order is None else min(max(o[2], 0), per_order) for o in owns
            )
            allowed = (
                total
                if own_share >= 1
                else customer * own_share.numerator // (own_share.denominator - own_share.numerator)
            )
            own_counted = min(total, allowed)
            used = 0
            for o in owns:
                v = max(o[2], 0) if per_order is None else min(max(o[2], 0), per_order)
                if used < own_counted and v > 0:
                    counted.append((o[4], v))
                used += v
        score[m] = customer + own_counted
        times = [t for t, c in counted if c > 0]
        achieved[m] = max(times) if times else -1
    return score, achieved, pv


def reference_rank(score, achieved, pv, eligible):
    ranked = [m for m in range(len(score)) if eligible[m] and score[m] > 0]
    ranked.sort(key=lambda m: (-score[m], achieved[m], -pv[m], m))
    position = [0] * len(score)
    for index, m in enumerate(ranked, start=1):
        position[m] = index
    return position


order = st.tuples(
    st.integers(0, 5),  # member
    st.integers(0, 3),  # buyer
    st.integers(-100, 5000),  # net volume (hundredths)
    st.booleans(),  # own
    st.integers(0, 50),  # time
)


@settings(max_examples=200, deadline=None)
@given(
    orders=st.lists(order, max_size=40),
    per_order=st.one_of(st.none(), st.integers(1, 3000)),
    per_customer=st.one_of(st.none(), st.integers(1, 6000)),
    own_share=st.one_of(st.none(), st.sampled_from([Fraction(1, 5), Fraction(3, 10), Fraction(0)])),
    eligible=st.lists(st.booleans(), min_size=6, max_size=6),
)
def test_volume_scores_and_ranks_match_the_reference(
    orders, per_order, per_customer, own_share, eligible
):
    n = 6
    columns = list(zip(*orders, strict=True)) if orders else [[]] * 5
    result = scoring.volume_scores(
        n,
        np.array(columns[0], dtype=np.int64),
        np.array(columns[1], dtype=np.int64),
        np.array(columns[2], dtype=np.int64),
        np.array(columns[3], dtype=bool),
        np.array(columns[4], dtype=np.int64),
        per_order=per_order,
        per_customer=per_customer,
        own_share=own_share,
    )
    score, achieved, pv = reference_volume(n, orders, per_order, per_customer, own_share)
    assert result.score.tolist() == score
    assert result.achieved.tolist() == achieved
    assert result.pv.tolist() == pv
    position = scoring.rank(result, np.array(eligible))
    assert position.tolist() == reference_rank(score, achieved, pv, eligible)
    # own purchases never make more than the share of a score
    if own_share is not None:
        customer_only = scoring.volume_scores(
            n,
            np.array(columns[0], dtype=np.int64),
            np.array(columns[1], dtype=np.int64),
            np.array(columns[2], dtype=np.int64),
            np.array(columns[3], dtype=bool),
            np.array(columns[4], dtype=np.int64),
            per_order=per_order,
            per_customer=per_customer,
        )
        own_part = result.score - customer_only.score
        assert (own_part * own_share.denominator <= result.score * own_share.numerator).all()


@settings(max_examples=100, deadline=None)
@given(
    rows=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 3), st.integers(0, 30)), max_size=30)
)
def test_count_scores_match_the_reference(rows):
    n = 5
    columns = list(zip(*rows, strict=True)) if rows else [[]] * 3
    result = scoring.count_scores(
        n,
        np.array(columns[0], dtype=np.int64),
        np.array(columns[1], dtype=np.int64),
        np.array(columns[2], dtype=np.int64),
    )
    for m in range(n):
        mine = [r for r in rows if r[0] == m]
        assert result.score[m] == sum(r[1] for r in mine)
        times = [r[2] for r in mine if r[1] > 0]
        assert result.achieved[m] == (max(times) if times else -1)


@given(
    score=st.lists(st.integers(0, 100), min_size=1, max_size=20),
    data=st.data(),
)
def test_tiers_are_the_first_met(score, data):
    n = len(score)
    scores = scoring.Scores(
        np.array(score), np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    )
    position = scoring.rank(scores, np.ones(n, dtype=bool))
    tiers = [
        {"threshold": 80, "top": None},
        {"threshold": None, "top": 3},
        {"threshold": 20, "top": None},
    ]
    tier = scoring.assign_tiers(scores.score, position, tiers)
    for m in range(n):
        expected = -1
        if position[m]:
            if score[m] >= 80:
                expected = 0
            elif position[m] <= 3:
                expected = 1
            elif score[m] >= 20:
                expected = 2
        assert tier[m] == expected


def test_ties_break_by_earlier_achievement_then_pv():
    scores = scoring.Scores(
        score=np.array([100, 100, 100, 50]),
        achieved=np.array([5, 3, 3, 1]),
        pv=np.array([0, 10, 20, 0]),
    )
    assert scoring.rank(scores, np.ones(4, dtype=bool)).tolist() == [3, 2, 1, 4]
