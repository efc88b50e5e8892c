"""Exact integer arithmetic on int64 arrays (docs/plan-language.md, "Units and rounding").

* :func:`mul_div_round` is the one rounding rule: ``round_half_up(v × num / den)`` for every
  element, halves away from zero, computed exactly.
* :func:`sum_by` adds values per group without ever losing a unit.
* :func:`largest_remainder` and :func:`largest_remainder_grouped` scale amounts to an exact total:
  each gets ``⌊a·T/S⌋`` and the units left over go one each to the largest remainders
  ``(a·T) mod S``, equal remainders to the element that comes first.

Every product is bounded before it is formed: elements whose product could leave int64 are
computed with Python integers instead (they are rare: a line of more than about 10^11 minor
units at a rate with a large denominator), so the results are exact whatever the inputs.
"""

from __future__ import annotations

from math import gcd

import numpy as np

INT64_MAX = np.iinfo(np.int64).max
FLOAT_EXACT = 2**52  # float64 adds integers exactly below 2**53; a margin for the estimate


def _as_int64(values) -> np.ndarray:
    return np.asarray(values, dtype=np.int64)


def round_half_up_int(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` (denominator > 0) rounded half away from zero."""
    magnitude = (2 * abs(numerator) + denominator) // (2 * denominator)
    return magnitude if numerator >= 0 else -magnitude


def _check_fits(value: int) -> int:
    if abs(value) > INT64_MAX:
        raise OverflowError(f"{value} does not fit in a 64-bit integer")
    return value


def mul_div_round(values, num, den) -> np.ndarray:
    """``round_half_up(values × num / den)`` element by element, exact.

    ``num ≥ 0`` and ``den > 0`` are Python ints (one rate for every element) or int64 arrays
    (one rate per element).
    """
    values = _as_int64(values)
    if np.isscalar(num) and np.isscalar(den):
        num, den = int(num), int(den)
        common = gcd(num, den) or 1
        num, den = num // common, den // common
        if num == 0:
            return np.zeros(values.shape, dtype=np.int64)
        if 2 * den >= INT64_MAX // 2:
            return _python_mul_div(values, np.full(values.shape, num), np.full(values.shape, den))
        limit = (INT64_MAX - 2 * den) // (2 * num)
        if values.size == 0 or int(np.abs(values).max()) <= limit:
            return _int64_mul_div(values, num, den)
        safe = np.abs(values) <= limit
        out = np.empty(values.shape, dtype=np.int64)
        out[safe] = _int64_mul_div(values[safe], num, den)
        rest = ~safe
        out[rest] = _python_mul_div(
            values[rest], np.full(int(rest.sum()), num), np.full(int(rest.sum()), den)
        )
        return out
    num = np.broadcast_to(_as_int64(num), values.shape)
    den = np.broadcast_to(_as_int64(den), values.shape)
    if values.size == 0:
        return np.zeros(values.shape, dtype=np.int64)
    if int(den.max()) >= INT64_MAX // 4:
        return _python_mul_div(values, num, den)
    headroom = INT64_MAX - 2 * den
    with np.errstate(divide="ignore"):
        limit = np.where(num > 0, headroom // np.maximum(2 * num, 1), INT64_MAX)
    safe = np.abs(values) <= limit
    if safe.all():
        return _int64_mul_div(values, num, den)
    out = np.empty(values.shape, dtype=np.int64)
    out[safe] = _int64_mul_div(values[safe], num[safe], den[safe])
    rest = ~safe
    out[rest] = _python_mul_div(values[rest], num[rest], den[rest])
    return out


def _int64_mul_div(values: np.ndarray, num, den) -> np.ndarray:
    """``round_half_up(values × num / den)`` when ``2·|values × num| + den`` fits in int64:
    ``(2|p| + den) // (2·den)`` with the sign of ``p``, in place on one temporary."""
    product = values * num
    negative = product < 0 if (values.size and int(values.min()) < 0) else None
    if negative is not None:
        np.abs(product, out=product)
    product *= 2
    product += den
    product //= 2 * den
    if negative is not None:
        np.negative(product, out=product, where=negative)
    return product


def _python_mul_div(values: np.ndarray, num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.array(
        [
            _check_fits(round_half_up_int(int(v) * int(a), int(b)))
            for v, a, b in zip(
                values.tolist(), np.asarray(num).tolist(), np.asarray(den).tolist(), strict=True
            )
        ],
        dtype=np.int64,
    )


def sum_by(groups: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """``out[g] = Σ values[k]`` over ``groups[k] == g`` (int64, exact).

    Uses ``np.bincount`` (float64 partial sums) when ``Σ|values| < 2^53``, where every partial
    sum is an exactly representable integer; otherwise ``np.add.at`` on int64.
    """
    values = _as_int64(values)
    if values.size == 0:
        return np.zeros(n, dtype=np.int64)
    magnitude = np.abs(values).sum(dtype=np.float64)
    if magnitude < FLOAT_EXACT:
        return np.bincount(groups, weights=values, minlength=n).astype(np.int64)
    if magnitude >= INT64_MAX:
        raise OverflowError("the values are too large to add up exactly in 64 bits")
    out = np.zeros(n, dtype=np.int64)
    np.add.at(out, groups, values)
    return out


def count_by(groups: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(groups, minlength=n).astype(np.int64)


def mul_divmod(weights: np.ndarray, numer, denom) -> tuple[np.ndarray, np.ndarray]:
    """``divmod(w × numer, denom)`` element by element (exact, floor division; ``denom > 0``).

    ``numer`` and ``denom`` are Python ints or int64 arrays. Remainders are int64 when
    ``denom`` fits in int64 (always, for arrays)."""
    weights = _as_int64(weights)
    if np.isscalar(numer) and np.isscalar(denom):
        numer, denom = int(numer), int(denom)
        if abs(numer) > INT64_MAX or denom > INT64_MAX:
            return _python_divmod(weights, numer, denom)
        largest = max(abs(int(weights.max())), abs(int(weights.min()))) if weights.size else 0
        if largest * abs(numer) <= INT64_MAX:
            product = weights * numer
            floors = product // denom
            floors_scaled = floors * denom
            product -= floors_scaled
            return floors, product
    numer_a = np.broadcast_to(_as_int64(numer), weights.shape)
    denom_a = np.broadcast_to(_as_int64(denom), weights.shape)
    if weights.size == 0:
        empty = np.zeros(weights.shape, dtype=np.int64)
        return empty, empty.copy()
    with np.errstate(divide="ignore"):
        limit = np.where(numer_a != 0, INT64_MAX // np.maximum(np.abs(numer_a), 1), INT64_MAX)
    safe = np.abs(weights) <= limit
    if safe.all():
        product = weights * numer_a
        return product // denom_a, product % denom_a
    floors = np.empty(weights.shape, dtype=np.int64)
    remainders = np.empty(weights.shape, dtype=np.int64)
    product = weights[safe] * numer_a[safe]
    floors[safe] = product // denom_a[safe]
    remainders[safe] = product % denom_a[safe]
    for k in np.flatnonzero(~safe).tolist():
        q, r = divmod(int(weights[k]) * int(numer_a[k]), int(denom_a[k]))
        floors[k] = _check_fits(q)
        remainders[k] = r
    return floors, remainders


def top_positions(remainders: np.ndarray, count: int) -> np.ndarray:
    """Positions of the ``count`` largest remainders, equal ones taken first-come (``count``
    must lie in ``[0, len(remainders)]``)."""
    if count < 0 or count > remainders.size:
        raise ArithmeticError("largest remainder: the parts do not add up to the target")
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    if count == remainders.size:
        return np.arange(remainders.size, dtype=np.int64)
    threshold = kth_largest(remainders, count)
    above = np.flatnonzero(remainders > threshold)
    equal = np.flatnonzero(remainders == threshold)[: count - above.size]
    return np.concatenate((above, equal))


SELECT_PIECE = 1 << 22


def kth_largest(values: np.ndarray, k: int):
    """The ``k``-th largest of non-negative ``values`` (``1 ≤ k ≤ len``).

    Large int64 arrays are narrowed by a 65,536-bin histogram of their top bits (the bin that
    holds the answer), then only that bin's values are partitioned."""
    if values.dtype != np.int64 or values.size < SELECT_PIECE:
        return np.partition(values, values.size - k)[values.size - k]
    shift = max(0, int(values.max()).bit_length() - 16)
    bins = 1 << 16
    counts = np.zeros(bins, dtype=np.int64)
    for start in range(0, values.size, SELECT_PIECE):
        counts += np.bincount(values[start : start + SELECT_PIECE] >> shift, minlength=bins)
    from_top = np.cumsum(counts[::-1])
    bin_from_top = int(np.searchsorted(from_top, k))
    chosen = bins - 1 - bin_from_top
    higher = int(from_top[bin_from_top - 1]) if bin_from_top else 0
    candidates = np.concatenate(
        [
            piece[(piece >> shift) == chosen]
            for piece in (
                values[start : start + SELECT_PIECE]
                for start in range(0, values.size, SELECT_PIECE)
            )
        ]
    )
    rank = k - higher
    return np.partition(candidates, candidates.size - rank)[candidates.size - rank]


def largest_remainder(amounts: np.ndarray, target: int) -> np.ndarray:
    """``amounts`` (in canonical order, sum ``S > target ≥ 0``) scaled to total exactly
    ``target``: ``⌊a·T/S⌋``, plus one unit for each of the ``T − Σ⌊a·T/S⌋`` largest remainders
    ``(a·T) mod S``, equal remainders to the earlier element."""
    amounts = _as_int64(amounts)
    return distribute(amounts, target, exact_total(amounts), target)


def exact_total(values: np.ndarray) -> int:
    """``Σ values`` as a Python int, exact even beyond int64."""
    values = _as_int64(values)
    if values.size == 0:
        return 0
    largest = max(abs(int(values.max())), abs(int(values.min())))
    if largest * values.size <= INT64_MAX:
        return int(values.sum())
    return sum(values.tolist())


def distribute(weights: np.ndarray, numer: int, denom: int, target: int) -> np.ndarray:
    """Exact parts ``w·numer/denom`` (``denom > 0``) rounded so that they total ``target``:
    floors, then one unit each to the largest remainders, ties to the earlier element.
    ``target − Σ floors`` must lie in ``[0, len(weights)]``."""
    weights = _as_int64(weights)
    if denom <= 0:
        raise ValueError("largest remainder needs a positive total to scale from")
    floors, remainders = mul_divmod(weights, numer, denom)
    left = target - int(floors.sum())
    if left < 0 or left > weights.size:
        raise ArithmeticError("largest remainder: the parts do not add up to the target")
    floors[top_positions(remainders, left)] += 1
    return floors


def _python_divmod(weights: np.ndarray, numer: int, denom: int) -> tuple[np.ndarray, np.ndarray]:
    pairs = [divmod(int(w) * numer, denom) for w in weights.tolist()]
    floors = np.array([_check_fits(q) for q, _ in pairs], dtype=np.int64)
    # remainders only need to compare correctly; keep them exact as Python ints when large
    remainders = np.array([r for _, r in pairs], dtype=object if denom > INT64_MAX else np.int64)
    return floors, remainders


def largest_remainder_grouped(
    amounts: np.ndarray, groups: np.ndarray, targets: np.ndarray
) -> np.ndarray:
    """:func:`largest_remainder` inside each group: the elements of group ``g`` (given in
    canonical order) are scaled to total exactly ``targets[g]`` (``targets`` indexed by group
    number, every group's sum above its target)."""
    amounts = _as_int64(amounts)
    if amounts.size == 0:
        return amounts.copy()
    groups = _as_int64(groups)
    unique, inverse = np.unique(groups, return_inverse=True)
    sums = sum_by(inverse, amounts, unique.size)
    target = _as_int64(targets)[unique]
    floors, remainders = mul_divmod(amounts, target[inverse], sums[inverse])
    left = target - sum_by(inverse, floors, unique.size)
    if np.any(left < 0) or np.any(left > np.bincount(inverse, minlength=unique.size)):
        raise ArithmeticError("largest remainder: the parts do not add up to the target")
    # rank of each element inside its group by (remainder desc, position asc)
    position = np.arange(amounts.size)
    order = np.lexsort((position, -remainders, inverse))
    group_sorted = inverse[order]
    first = np.searchsorted(group_sorted, np.arange(unique.size))
    rank_in_group = np.arange(amounts.size) - first[group_sorted]
    winners = order[rank_in_group < left[group_sorted]]
    floors[winners] += 1
    return floors
