"""Distribution statistics over integer amounts, exact (docs/simulation.md, "Metrics").

For ``N`` values ``x_(1) ≤ … ≤ x_(N)`` (sorted ascending) with total ``T = Σ x``:

* **percentile** ``p`` (nearest rank): ``x_(k)`` with ``k = max(1, ⌈p·N/100⌉)``; the **median**
  is the 50th percentile (the lower middle value when ``N`` is even). Always one of the values,
  so money stays whole minor units;
* **mean** = ``T / N`` rounded half up to a whole unit;
* **share earning nothing** = ``#{x = 0} / N``;
* **top-1% share** = the sum of the ``⌈N/100⌉`` largest values ÷ ``T``;
* **Gini** = ``Σ_i (2i − N − 1)·x_(i) / (N·T)``, i = 1 … N (0: everyone equal; ``(N−1)/N``:
  one person has everything). Undefined (``None``) when ``T ≤ 0``, like the top share.

Ratios are exact fractions; they become decimals only in ``metrics.json`` and the report.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from downline.money import round_half_up

INT64_LIMIT = 2**62


def nearest_rank(sorted_values: np.ndarray, percent: int) -> int:
    """The ``percent``-th percentile of ascending ``sorted_values`` (nearest rank)."""
    count = len(sorted_values)
    if count == 0:
        raise ValueError("no values")
    rank = max(1, -(-percent * count // 100))
    return int(sorted_values[rank - 1])


def exact_sum(values: np.ndarray) -> int:
    """Σ values as a Python int, exact whatever the size."""
    values = np.asarray(values, dtype=np.int64)
    if not values.size:
        return 0
    bound = int(np.abs(values).max()) * values.size
    if bound < INT64_LIMIT:
        return int(values.sum())
    return sum(int(value) for value in values.tolist())


def gini(sorted_values: np.ndarray) -> Fraction | None:
    """The Gini coefficient of ascending ``sorted_values``; None when the total is not positive."""
    count = len(sorted_values)
    total = exact_sum(sorted_values)
    if count == 0 or total <= 0:
        return None
    values = np.asarray(sorted_values, dtype=np.int64)
    weights = 2 * np.arange(1, count + 1, dtype=np.int64) - count - 1
    if int(np.abs(values).max()) * count * count < INT64_LIMIT:
        weighted = int(np.dot(weights, values))
    else:
        weighted = sum(w * v for w, v in zip(weights.tolist(), values.tolist(), strict=True))
    return Fraction(weighted, count * total)


def top_share(sorted_values: np.ndarray, percent: int = 1) -> Fraction | None:
    """Share of the total held by the top ``percent``% (``⌈percent·N/100⌉`` largest values)."""
    count = len(sorted_values)
    total = exact_sum(sorted_values)
    if count == 0 or total <= 0:
        return None
    top = -(-percent * count // 100)
    return Fraction(exact_sum(sorted_values[count - top :]), total)


def distribution(values: np.ndarray) -> dict[str, int | Fraction | None]:
    """participants, share earning nothing, median, mean, p90, p99, top-1% share and Gini of
    ``values`` (any order). An empty population gives ``participants = 0`` and nothing else."""
    ordered = np.sort(np.asarray(values, dtype=np.int64))
    count = len(ordered)
    if count == 0:
        return {"participants": 0}
    total = exact_sum(ordered)
    return {
        "participants": count,
        "nothing_share": Fraction(int(np.count_nonzero(ordered == 0)), count),
        "median": nearest_rank(ordered, 50),
        "mean": round_half_up(total, count),
        "p90": nearest_rank(ordered, 90),
        "p99": nearest_rank(ordered, 99),
        "top_1pct_share": top_share(ordered, 1),
        "gini": gini(ordered),
        "total": total,
    }


def net_distribution(values: np.ndarray) -> dict[str, int | Fraction | None]:
    """Figures of earnings net of purchases (may be negative): participants, share below zero,
    p10, median, mean, p90."""
    ordered = np.sort(np.asarray(values, dtype=np.int64))
    count = len(ordered)
    if count == 0:
        return {"participants": 0}
    return {
        "participants": count,
        "negative_share": Fraction(int(np.count_nonzero(ordered < 0)), count),
        "p10": nearest_rank(ordered, 10),
        "median": nearest_rank(ordered, 50),
        "mean": round_half_up(exact_sum(ordered), count),
        "p90": nearest_rank(ordered, 90),
    }
