"""Per-distributor caps and the company-wide cap (docs/plan-language.md, "Caps").

* A per-distributor cap ``{bonuses, max}`` runs right after the last of its bonuses: when a
  distributor's lines in those bonuses total more than ``max``, they are scaled down by largest
  remainder (among that distributor's lines, ties in canonical order) to total exactly ``max``.
* The company cap: ``limit = ⌊share × total company volume⌋`` minor units; when the lines of the
  capped bonuses (all by default) total more than ``limit``, every one of them is scaled down by
  largest remainder (ties in canonical order) to total exactly ``limit``.

Lines are handled in canonical order (bonus batches in plan order, each batch sorted), so a
line's position is its place in the tie-break. The company cap runs on the period's final line
arrays, where each bonus's lines are one contiguous segment.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from .lines import LineBatch
from .parallel import LARGE, pieces, run_all
from .rounding import exact_total, largest_remainder_grouped, mul_divmod, sum_by, top_positions


def distributor_cap(batches: list[LineBatch], limit: int, n: int) -> None:
    """Scale each distributor's lines in ``batches`` (canonical order) down to ``limit``."""
    totals = np.zeros(n, dtype=np.int64)
    for batch in batches:
        totals += sum_by(batch.recipient, batch.amount, n)
    over = totals > limit
    if not over.any():
        return
    picked = [np.flatnonzero(over[batch.recipient]) for batch in batches]
    amounts = np.concatenate(
        [batch.amount[rows] for batch, rows in zip(batches, picked, strict=True)]
    )
    groups = np.concatenate(
        [batch.recipient[rows] for batch, rows in zip(batches, picked, strict=True)]
    )
    scaled = largest_remainder_grouped(amounts, groups, np.full(n, limit, dtype=np.int64))
    start = 0
    for batch, rows in zip(batches, picked, strict=True):
        if rows.size:
            batch.writable_amount()[rows] = scaled[start : start + rows.size]
        start += rows.size


def company_limit(share: Fraction, total_volume: int, minor: int) -> int:
    """``⌊share × total⌋`` in minor units; ``total_volume`` in hundredths."""
    exact = share * Fraction(total_volume * 10**minor, 100)
    return exact.numerator // exact.denominator


def company_cap(amount: np.ndarray, segments: list[slice], limit: int) -> bool:
    """Scale the lines of ``amount`` in ``segments`` (canonical order) in place so that they
    total ``limit`` when they total more; whether the cap bound.

    Largest remainder without storing a remainder per line: each line's
    ``⌊a·T/S⌋`` and ``(a·T) mod S`` are computed piece by piece in three passes. The first adds
    up the floors and counts the remainders in 65,536 bins of their top bits, which names the
    bin holding the smallest remainder that still gets a unit; the second collects that bin's
    remainders (with their positions) and finds that remainder exactly, and how many lines
    equal to it get a unit (the earliest ones); the third writes every amount: its floor plus
    one unit when its remainder is larger, or equal and early enough."""
    total = sum(exact_total(amount[segment]) for segment in segments)
    if total <= limit:
        return False
    spans = []  # (first line, end, position of the first line among the capped lines)
    position = 0
    for segment in segments:
        size = segment.stop - segment.start
        for part in pieces(size, maximum=LARGE):
            spans.append(
                (segment.start + part.start, segment.start + part.stop, position + part.start)
            )
        position += size
    if total > np.iinfo(np.int64).max:
        return _company_cap_exact(amount, spans, limit, total)
    bins = 1 << 16
    shift = max(0, (total - 1).bit_length() - 16)

    def first_pass(span) -> tuple[int, np.ndarray]:
        floors, rest = mul_divmod(amount[span[0] : span[1]], limit, total)
        return exact_total(floors), np.bincount(rest >> shift, minlength=bins)

    counted = run_all([lambda span=span: first_pass(span) for span in spans])
    left = limit - sum(floor for floor, _ in counted)
    counts = np.sum([histogram for _, histogram in counted], axis=0) if counted else np.zeros(bins)
    threshold, cutoff = None, -1
    if left > 0:
        from_top = np.cumsum(counts[::-1])
        from_top_bin = int(np.searchsorted(from_top, left))
        chosen = bins - 1 - from_top_bin
        higher = int(from_top[from_top_bin - 1]) if from_top_bin else 0

        def second_pass(span) -> tuple[np.ndarray, np.ndarray]:
            _floors, rest = mul_divmod(amount[span[0] : span[1]], limit, total)
            inside = np.flatnonzero((rest >> shift) == chosen)
            return rest[inside], inside + span[2]

        found = run_all([lambda span=span: second_pass(span) for span in spans])
        values = np.concatenate([value for value, _ in found])
        positions = np.concatenate([where for _, where in found])
        rank = left - higher
        threshold = int(np.partition(values, values.size - rank)[values.size - rank])
        need = left - higher - int(np.count_nonzero(values > threshold))
        cutoff = int(positions[values == threshold][need - 1]) if need > 0 else -1

    def last_pass(span) -> None:
        floors, rest = mul_divmod(amount[span[0] : span[1]], limit, total)
        if threshold is not None:
            floors += rest > threshold
            if cutoff >= span[2]:
                last = min(cutoff - span[2] + 1, rest.size)
                floors[:last] += rest[:last] == threshold
        amount[span[0] : span[1]] = floors

    run_all([lambda span=span: last_pass(span) for span in spans])
    return True


def _company_cap_exact(amount: np.ndarray, spans, limit: int, total: int) -> bool:
    """:func:`company_cap` when the total leaves int64: remainders kept as Python ints."""
    floors_parts, remainder_parts = [], []
    for begin, end, _ in spans:
        floors, rest = mul_divmod(amount[begin:end], limit, total)
        floors_parts.append(floors)
        remainder_parts.append(rest)
    floors = np.concatenate(floors_parts)
    floors[top_positions(np.concatenate(remainder_parts), limit - exact_total(floors))] += 1
    start = 0
    for begin, end, _ in spans:
        amount[begin:end] = floors[start : start + end - begin]
        start += end - begin
    return True
