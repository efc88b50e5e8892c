"""The level walk shared by unilevel, matrix and fast-start bonuses, vectorised over walkers.

Every walker is a source distributor ``x`` with a tag (the order row, or ``x`` itself when the
bonus is paid per distributor). Starting at ``step[x]`` the walk visits one upline per level
``k = 1 … L`` (``step`` is the parent array, or the nearest-active-ancestor array for dynamic
compression) and ends at the root. The upline at level ``k`` is paid when
``max_level[upline] ≥ k``; ``max_level`` is ``-1`` for an upline who fails the earner rule and
otherwise the deepest level their rank is paid (``L`` without ``depth_by_rank``). All walkers
advance together: one gather per level.

What the walk did to each distributor ``u`` (for the explanations) is counted from the same
arrays without looking at single lines. ``F_j(u)`` is the number of walkers ``x`` below ``u``
for which ``j`` level-counting uplines lie strictly between ``x`` and ``u`` (uplines count
when active under compression, always otherwise), so ``u`` is their level ``j + 1``:
``F_j(u) = Σ_children v (own(v)·[j = 0] + F_{j − [v counts]}(v))``, bottom-up. Then

* an upline who fails the earner rule or the bonus's ``requires`` (``max_level[u] = -1``) and
  holds its levels (always without compression; when active with compression) missed
  ``Σ_{j<L} F_j(u)`` lines;
* with compression, an inactive ``u`` is skipped, and every walker's step over ``u`` lands on
  ``b = near(u)`` at level ``j + 1``: ``Σ_{j < min(L, max_level[b])} F_j(u)`` written lines went
  past ``u``;
* an upline who can earn but whose rank pays only ``max_level[u] < L`` levels was not paid
  ``Σ_{max_level[u] ≤ j < L} F_j(u)`` lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..lines import WalkLines
from ..parallel import pieces, run_all
from ..rounding import count_by
from ..tree import Tree


def upline_walk(
    *, step: np.ndarray, x: np.ndarray, tags: np.ndarray, levels: int, max_level: np.ndarray
) -> WalkLines:
    """The (recipient, tag, level) blocks of every paid line of the walk.

    ``step`` and ``max_level`` are packed into one word per distributor,
    ``(step + 1) << 8 | (max_level + 1)`` (32 bits while rows fit in 24 bits), so each level
    costs one random gather in a table small enough to stay in cache longer. Walkers are split
    into one piece per thread; each piece walks on its own."""
    n = len(step)
    wide = n + 1 >= 1 << 24
    word = np.int64 if wide else np.uint32
    packed = ((step.astype(np.int64) + 1) << 8 | (max_level.astype(np.int64) + 1)).astype(word)
    x = np.asarray(x, dtype=np.int64)
    rows = np.int32 if n < np.iinfo(np.int32).max else np.int64

    def walk_piece(part: slice) -> WalkLines:
        walk = WalkLines()
        cur = step[x[part]].astype(rows)
        piece_tags = tags[part]
        alive = np.flatnonzero(cur >= 0)
        piece_tags, cur = piece_tags[alive], cur[alive]
        for k in range(1, levels + 1):
            if not cur.size:
                break
            here = packed[cur]
            pay = (here & 0xFF) > k
            walk.add(cur[pay], piece_tags[pay], k)
            if k == levels:
                break
            cur = (here >> 8).astype(rows)
            cur -= 1
            alive = np.flatnonzero(cur >= 0)
            if alive.size < cur.size:
                piece_tags, cur = piece_tags[alive], cur[alive]
        return walk

    walks = run_all([lambda part=part: walk_piece(part) for part in pieces(x.size)])
    merged = WalkLines()
    for walk in walks:
        merged.recipients += walk.recipients
        merged.tags += walk.tags
        merged.levels += walk.levels
    return merged


@dataclass
class WalkCounts:
    # lines not received: failed the earner rule or ``requires``, or skipped (compression)
    missed: np.ndarray
    beyond_depth: np.ndarray  # lines not paid because the rank pays fewer levels


@dataclass
class WalkRecord:
    """The arrays a level walk ran on, kept so that its counts for the explanations are
    computed (once, on first use) from exactly what the walk saw."""

    tree: Tree
    x: np.ndarray
    levels: int
    max_level: np.ndarray
    compression: bool
    active: np.ndarray
    near: np.ndarray | None

    @cached_property
    def counts(self) -> WalkCounts:
        return walk_counts(
            self.tree,
            self.x,
            self.levels,
            self.max_level,
            compression=self.compression,
            active=self.active,
            near=self.near,
        )


def walk_counts(
    tree: Tree,
    x: np.ndarray,
    levels: int,
    max_level: np.ndarray,
    *,
    compression: bool,
    active: np.ndarray,
    near: np.ndarray | None,
) -> WalkCounts:
    """Per distributor, what the walk did not pay them (see the module docstring)."""
    n = len(tree)
    counts = active if compression else np.ones(n, dtype=bool)
    own = count_by(np.asarray(x, dtype=np.int64), n)
    below = np.zeros((levels, n), dtype=np.int64)  # below[j, u] = F_j(u)
    for d in tree.bottom_up():
        starts, parents = tree.groups[d - 1]
        nodes = tree.level(d)
        part = below[:, nodes]
        shifted = part.copy()
        counting = counts[nodes]
        shifted[1:, counting] = part[:-1, counting]
        shifted[0, counting] = 0
        shifted[0] += own[nodes]
        below[:, parents] += np.add.reduceat(shifted, starts, axis=1)
    cumulative = np.cumsum(below, axis=0)  # cumulative[j, u] = Σ_{i ≤ j} F_i(u)
    del below
    total = cumulative[levels - 1]

    def up_to(limit: np.ndarray) -> np.ndarray:
        """Σ_{j < limit[u]} F_j(u)."""
        limit = np.clip(limit, 0, levels)
        column = np.arange(n)
        return np.where(limit > 0, cumulative[np.maximum(limit - 1, 0), column], 0)

    allowed = max_level.astype(np.int64)
    if compression:
        lands = np.where(near >= 0, allowed[np.maximum(near, 0)], 0)
        skipped = np.where(active | (near < 0), 0, up_to(lands))
        missed = np.where(active & (allowed < 0), total, skipped)
        counted = active
    else:
        missed = np.where(allowed < 0, total, 0)
        counted = np.ones(n, dtype=bool)
    beyond = np.where(counted & (allowed >= 0) & (allowed < levels), total - up_to(allowed), 0)
    return WalkCounts(missed=missed, beyond_depth=beyond)
