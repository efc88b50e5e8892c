"""What a level walk did not pay each upline, counted without looking at lines, against a
plain walk of every order."""

from __future__ import annotations

import numpy as np
import pytest

from downline.engine.bonuses.walk import walk_counts
from downline.engine.tree import Tree


def plain_counts(parent, active, max_level, x, levels, compression):
    n = len(parent)
    missed, beyond = [0] * n, [0] * n
    for start in x.tolist():
        k, up, skipped = 0, int(parent[start]), []
        while up >= 0:
            if compression and not active[up]:
                skipped.append(up)
                up = int(parent[up])
                continue
            k += 1
            if max_level[up] >= k:
                for node in skipped:  # a written line went past them
                    missed[node] += 1
            elif max_level[up] < 0:  # holds its level (active, under compression) unpaid
                missed[up] += 1
            else:
                beyond[up] += 1
            skipped = []
            if k == levels:
                break
            up = int(parent[up])
    return missed, beyond


@pytest.mark.parametrize("seed", range(60))
def test_walk_counts_match_a_plain_walk(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 40))
    window = 3 if seed % 2 else n  # chains and bushes
    parent = np.array([-1] + [int(rng.integers(max(0, i - window), i)) for i in range(1, n)])
    tree = Tree.build(parent)
    active = rng.random(n) < 0.5
    levels = int(rng.integers(1, 5))
    compression = bool(seed % 3)
    # -1: fails the earner rule or the bonus's requires (an active upline can, under
    # compression, when it falls short of a requirement)
    max_level = rng.integers(-1, levels + 1, n).astype(np.int8)
    x = rng.integers(0, n, int(rng.integers(0, 30)))
    counts = walk_counts(
        tree,
        x,
        levels,
        max_level,
        compression=compression,
        active=active,
        near=tree.nearest_ancestor(active),
    )
    missed, beyond = plain_counts(parent, active, max_level, x, levels, compression)
    assert counts.missed.tolist() == missed
    assert counts.beyond_depth.tolist() == beyond
