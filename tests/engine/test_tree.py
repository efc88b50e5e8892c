"""Vectorised tree passes against plain parent-pointer walks, on random forests whose rows are
in any order (a parent may come after its child)."""

from __future__ import annotations

import numpy as np
import pytest

from downline.engine.tree import CycleError, Tree


def ancestors(parent: np.ndarray, node: int) -> list[int]:
    out = []
    up = int(parent[node])
    while up >= 0:
        out.append(up)
        up = int(parent[up])
    return out


def random_forest(rng: np.random.Generator, n: int, roots: int = 1) -> np.ndarray:
    parent = np.array([-1] + [int(rng.integers(0, i)) for i in range(1, n)])
    for extra in rng.choice(np.arange(1, n), size=min(roots - 1, n - 1), replace=False):
        parent[extra] = -1
    # shuffle the rows so that parents do not come first
    perm = rng.permutation(n)
    new_row = np.empty(n, dtype=np.int64)
    new_row[perm] = np.arange(n)
    shuffled = np.full(n, -1, dtype=np.int64)
    shuffled[new_row] = np.where(parent >= 0, new_row[np.maximum(parent, 0)], -1)
    return shuffled


@pytest.mark.parametrize("seed", range(40))
def test_tree_passes_agree_with_walking_parents(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    parent = random_forest(rng, n, roots=int(rng.integers(1, 4)))
    tree = Tree.build(parent)
    values = rng.integers(-50, 50, n)
    up = [ancestors(parent, i) for i in range(n)]
    total = values.copy()
    best = values.copy()
    for i in range(n):
        for a in up[i]:
            total[a] += values[i]
            best[a] = max(best[a], values[i])
    assert tree.depth.tolist() == [len(chain) for chain in up]
    assert tree.subtree_sum(values).tolist() == total.tolist()
    assert tree.subtree_sum_preordered(values).tolist() == total.tolist()
    assert tree.subtree_max(values).tolist() == best.tolist()
    children = [sorted(np.flatnonzero(parent == i).tolist()) for i in range(n)]
    assert [tree.children_of(i).tolist() for i in range(n)] == children
    assert tree.child_sum(values).tolist() == [int(values[c].sum()) for c in children]
    marked = rng.random(n) < 0.4
    assert tree.nearest_ancestor(marked).tolist() == [
        next((a for a in chain if marked[a]), -1) for chain in up
    ]
    inside = tree.contains(np.repeat(np.arange(n), n), np.tile(np.arange(n), n)).reshape(n, n)
    assert inside.tolist() == [[i == j or i in up[j] for j in range(n)] for i in range(n)]


def test_siblings_follow_the_key():
    parent = np.array([-1, 0, 0, 0])
    tree = Tree.build(parent, key=np.array([0, 2, 1, 3]))
    assert tree.children_of(0).tolist() == [2, 1, 3]


def test_a_cycle_is_reported_with_the_nodes_on_or_under_it():
    with pytest.raises(CycleError) as caught:
        Tree.build(np.array([-1, 2, 1, 1, 0]))
    assert sorted(caught.value.nodes.tolist()) == [1, 2, 3]
