"""The metric formulas against plain-Python computations written from their definitions."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from downline.simulation.aggregate import band
from downline.simulation.statistics import distribution, gini, net_distribution, top_share

amounts = st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=300)


def plain_percentile(values: list[int], percent: int) -> int:
    """Nearest rank: the smallest value with at least ``percent``% of the values at or below."""
    ordered = sorted(values)
    for value in ordered:
        if 100 * sum(1 for other in ordered if other <= value) >= percent * len(ordered):
            return value
    raise AssertionError


def plain_gini(values: list[int]) -> Fraction | None:
    """Mean absolute difference over all ordered pairs ÷ (2 × mean)."""
    total = sum(values)
    if total == 0:
        return None
    n = len(values)
    differences = sum(abs(a - b) for a in values for b in values)
    return Fraction(differences, 2 * n * total)


@given(amounts)
def test_distribution_matches_plain_python(values):
    figures = distribution(np.array(values, dtype=np.int64))
    n, total = len(values), sum(values)
    assert figures["participants"] == n
    assert figures["nothing_share"] == Fraction(values.count(0), n)
    assert figures["median"] == plain_percentile(values, 50)
    assert figures["p90"] == plain_percentile(values, 90)
    assert figures["p99"] == plain_percentile(values, 99)
    assert figures["mean"] == math.floor(Fraction(total, n) + Fraction(1, 2))
    assert figures["gini"] == plain_gini(values)
    top = math.ceil(n / 100)
    expected_top = None if total == 0 else Fraction(sum(sorted(values)[n - top :]), total)
    assert figures["top_1pct_share"] == expected_top


def test_gini_and_top_share_of_known_distributions():
    equal = np.full(50, 700, dtype=np.int64)
    assert gini(equal) == 0
    one_has_all = np.array([0] * 99 + [5000], dtype=np.int64)
    assert gini(one_has_all) == Fraction(99, 100)
    assert top_share(one_has_all) == 1
    # 200 people: the top 1% is the 2 largest
    values = np.arange(1, 201, dtype=np.int64)
    assert top_share(values) == Fraction(199 + 200, sum(range(1, 201)))
    assert gini(np.zeros(10, dtype=np.int64)) is None


@given(st.lists(st.integers(min_value=-(10**9), max_value=10**9), min_size=1, max_size=200))
def test_net_distribution_matches_plain_python(values):
    figures = net_distribution(np.array(values, dtype=np.int64))
    n = len(values)
    assert figures["negative_share"] == Fraction(sum(1 for v in values if v < 0), n)
    assert figures["p10"] == plain_percentile(values, 10)
    assert figures["median"] == plain_percentile(values, 50)
    assert figures["p90"] == plain_percentile(values, 90)
    exact = Fraction(sum(values), n)
    half_up = math.floor(abs(exact) + Fraction(1, 2))
    assert figures["mean"] == (half_up if exact >= 0 else -half_up)


@given(st.lists(st.integers(min_value=0, max_value=10**12), min_size=1, max_size=40))
def test_band_over_replicas_keeps_money_whole(values):
    item = band(values)
    assert item["p10"] == plain_percentile(values, 10)
    assert item["p90"] == plain_percentile(values, 90)
    assert item["mean"] == math.floor(Fraction(sum(values), len(values)) + Fraction(1, 2))
    assert all(isinstance(item[key], int) for key in ("mean", "p10", "p90"))


def test_band_of_ratios_leaves_out_undefined_replicas():
    item = band([Fraction(1, 4), None, Fraction(3, 4)])
    assert item == {"mean": 0.5, "p10": 0.25, "p90": 0.75}
    assert band([None, None]) is None
