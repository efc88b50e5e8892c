"""The model's chance events, random or deterministic.

Every event of the model is a count with an expected value per distributor (or customer) and
month: recruits and new customers (a rate), an order or leaving (a probability, an expected
count of at most 1).

* **Random**: a count is drawn from a Poisson distribution with that mean; a yes/no event is
  a Bernoulli draw with that probability. Each replica has its own NumPy generator.
* **Deterministic**: nothing is drawn. Each person keeps a **credit** per kind of event, in
  millionths: every month the expected value (rounded to millionths) is added, and the event
  happens as many times as the credit holds whole units, which are taken off. A probability of
  0.5 therefore means every second month (months 2, 4, …), a rate of 1.5 one, two, one, two …
  recruits, and 1 means every month. The credits are integers, so the result is exact.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np

UNIT = 1_000_000  # credits are millionths of an event


def millionths(value: float) -> int:
    """``value`` (a rate or probability from the parameters) in millionths, rounded half up."""
    return int((Decimal(repr(float(value))) * UNIT).to_integral_value(rounding="ROUND_HALF_UP"))


class Chance:
    """Counts of events per person from expected values; see the module docstring."""

    def __init__(self, rng: np.random.Generator | None) -> None:
        self.rng = rng  # None: deterministic

    @property
    def deterministic(self) -> bool:
        return self.rng is None

    def counts(self, expected: np.ndarray, credit: np.ndarray | None = None) -> np.ndarray:
        """Events per person (int64). Random: Poisson(``expected``). Deterministic: ``credit``
        (int64 millionths, updated in place) grows by ``expected`` and pays out whole units."""
        if self.rng is not None:
            return self.rng.poisson(expected).astype(np.int64)
        assert credit is not None
        credit += np.rint(np.asarray(expected, dtype=np.float64) * UNIT).astype(np.int64)
        whole = credit // UNIT
        credit -= whole * UNIT
        return whole

    def happens(self, probability: np.ndarray, credit: np.ndarray | None = None) -> np.ndarray:
        """Whether the event happens to each person (bool). Random: Bernoulli(``probability``).
        Deterministic: as :meth:`counts` with the probability as the expected count."""
        probability = np.minimum(np.asarray(probability, dtype=np.float64), 1.0)
        if self.rng is not None:
            return self.rng.random(probability.shape) < probability
        return self.counts(probability, credit) > 0

    def days(self, earliest: np.ndarray, last_day: int) -> np.ndarray:
        """A day for each event between ``earliest`` and ``last_day`` (inclusive). Random:
        uniform; deterministic: ``earliest``."""
        earliest = np.asarray(earliest, dtype=np.int64)
        if self.rng is None or not earliest.size:
            return earliest.copy()
        span = last_day + 1 - earliest
        return earliest + (self.rng.random(earliest.size) * span).astype(np.int64)

    def choose(self, shares: list[float], count: int, already: np.ndarray) -> np.ndarray:
        """A category for each of ``count`` newcomers, by ``shares``. Random: drawn.
        Deterministic: each newcomer takes the category furthest below its share of everyone
        so far (``already`` counts each category before them; ties: the first category)."""
        if self.rng is not None:
            weights = np.asarray(shares, dtype=np.float64)
            return self.rng.choice(len(shares), size=count, p=weights / weights.sum()).astype(
                np.int8
            )
        share_units = [millionths(share) for share in shares]
        taken = [int(value) for value in already]
        chosen = np.empty(count, dtype=np.int8)
        for k in range(count):
            total = sum(taken) + 1
            deficit = [share_units[c] * total - taken[c] * UNIT for c in range(len(shares))]
            best = max(range(len(shares)), key=lambda c: (deficit[c], -c))
            chosen[k] = best
            taken[best] += 1
        return chosen
