"""Exact rounding and largest remainder, including the paths that leave int64."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from downline.engine.rounding import (
    distribute,
    largest_remainder,
    largest_remainder_grouped,
    mul_div_round,
    sum_by,
)
from downline.money import round_half_up


def test_half_up_rounds_halves_away_from_zero():
    values = np.array([5, 15, 25, -5, -15, 4, -4, 0])
    assert mul_div_round(values, 1, 10).tolist() == [1, 2, 3, -1, -2, 0, 0, 0]


def test_products_beyond_int64_are_computed_exactly():
    big = 3 * 10**12  # a weak leg of 30 billion hundredths
    values = np.array([big, -big, 7])
    num, den = 33_333_333, 10**8 * 100  # 33.333333 % on a volume, to cents
    expected = [round_half_up(int(v) * num, den) for v in values]
    assert mul_div_round(values, num, den).tolist() == expected
    rates = np.array([num, num, 1])
    dens = np.array([den, den, 3])
    assert mul_div_round(values, rates, dens).tolist() == [*expected[:2], 2]


def test_sums_are_exact_beyond_float_precision():
    values = np.array([2**53, 1, 1, -(2**52)], dtype=np.int64)
    assert sum_by(np.array([0, 0, 1, 1]), values, 2).tolist() == [2**53 + 1, 1 - 2**52]


def test_largest_remainder_gives_ties_to_the_earlier_line():
    assert largest_remainder(np.array([100, 100, 100]), 100).tolist() == [34, 33, 33]
    assert largest_remainder(np.array([10, 30, 60]), 50).tolist() == [5, 15, 30]
    # 14/9, 28/9, 21/9: floors 1, 3, 2 and the cent to the largest remainder, 5/9
    assert largest_remainder(np.array([2, 4, 3]), 7).tolist() == [2, 3, 2]


def test_largest_remainder_keeps_the_total_with_negative_lines():
    scaled = largest_remainder(np.array([500, -100, 301]), 350)
    assert int(scaled.sum()) == 350
    assert scaled.tolist() == [250, -50, 150]


def test_distribute_splits_an_exact_pool():
    pool = Fraction(10001, 10)  # 1,000.1 minor units
    parts = distribute(np.array([1, 2, 1]), pool.numerator, pool.denominator * 4, 1000)
    assert parts.tolist() == [250, 500, 250]


def test_grouped_largest_remainder_scales_each_group_on_its_own():
    amounts = np.array([100, 100, 50, 60, 60])
    groups = np.array([0, 0, 1, 2, 2])
    targets = np.array([101, 0, 61])
    assert largest_remainder_grouped(amounts, groups, targets).tolist() == [51, 50, 0, 31, 30]


def test_largest_remainder_refuses_a_total_it_cannot_reach():
    with pytest.raises(ArithmeticError):
        distribute(np.array([1, 1]), 5, 1, 3)


def test_large_selections_agree_with_a_full_partition():
    from downline.engine.rounding import kth_largest, top_positions

    rng = np.random.default_rng(7)
    values = rng.integers(0, 10**11, 5_000_000)
    values[::1000] = 123_456_789  # many equal values
    for k in (1, 17, 2_500_000, 4_999_999):
        assert kth_largest(values, k) == np.partition(values, values.size - k)[values.size - k]
    chosen = top_positions(values, 2_000_000)
    threshold = np.sort(values)[-2_000_000]
    assert chosen.size == 2_000_000
    assert values[chosen].min() == threshold
    assert np.count_nonzero(values > threshold) <= chosen.size
    ties = np.flatnonzero(values == threshold)
    assert set(chosen[values[chosen] == threshold].tolist()) == set(
        ties[: chosen.size - np.count_nonzero(values > threshold)].tolist()
    )


def test_the_company_cap_in_pieces_equals_one_largest_remainder():
    from downline.engine.caps import company_cap

    rng = np.random.default_rng(11)
    amount = rng.integers(-50, 5000, 9_000_000)
    amount[::3] = 700  # many equal remainders across pieces
    segments = [slice(0, 4_500_000), slice(6_000_000, 9_000_000)]
    capped = np.concatenate([amount[segment] for segment in segments])
    limit = int(capped.sum()) * 37 // 100
    expected = largest_remainder(capped, limit)
    untouched = amount[4_500_000:6_000_000].copy()
    assert company_cap(amount, segments, limit)
    assert np.array_equal(np.concatenate([amount[segment] for segment in segments]), expected)
    assert np.array_equal(amount[4_500_000:6_000_000], untouched)
