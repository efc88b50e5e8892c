"""Tree algorithms over parent arrays, vectorised with NumPy.

A forest of ``n`` nodes is an ``int64`` array ``parent`` with ``parent[i] = -1`` for a root.
Nothing here assumes that a parent has a smaller index than its child (that stops holding after
sponsor changes), so every pass is driven by depth levels:

* ``depth`` comes from pointer jumping: after round ``k``, ``jump[i]`` is the ``2**k``-th
  ancestor of ``i`` and ``dist[i]`` the number of steps to it, so ``ceil(log2(n)) + 1`` rounds
  reach every root; a node that still has an ancestor to jump to after that lies on or under a
  cycle.
* nodes are ordered by ``(depth, parent, key, index)``; inside one level the children of one
  parent are contiguous, so a bottom-up sum is one ``np.add.reduceat`` per level and a top-down
  propagation one gather per level.
* pre-order numbers and subtree sizes turn every subtree into the contiguous range
  ``[pre[i], pre[i] + size[i])`` of the pre-order, so any subtree sum is a difference of two
  prefix sums.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

NO_PARENT = -1


class CycleError(ValueError):
    """Raised when following parents from some nodes never reaches a root."""

    def __init__(self, nodes: np.ndarray) -> None:
        self.nodes = nodes
        super().__init__(f"{len(nodes)} node(s) lie on or under a cycle")


def depth_of(parent: np.ndarray) -> np.ndarray:
    """Depth of every node (roots 0) by pointer jumping; :class:`CycleError` on a cycle."""
    n = len(parent)
    jump = parent.astype(np.int64, copy=True)
    dist = (jump >= 0).astype(np.int32)
    for _ in range(max(1, n.bit_length()) + 1):
        live = np.flatnonzero(jump >= 0)
        if live.size == 0:
            return dist
        ahead = jump[live]
        dist[live] += dist[ahead]
        jump[live] = jump[ahead]
    live = np.flatnonzero(jump >= 0)
    if live.size:
        raise CycleError(live)
    return dist


def find_cycle(parent: np.ndarray, start: int) -> list[int]:
    """The cycle reached by following parents from ``start`` (``[]`` if a root is reached)."""
    seen: dict[int, int] = {}
    path: list[int] = []
    node = int(start)
    while node >= 0 and node not in seen:
        seen[node] = len(path)
        path.append(node)
        node = int(parent[node])
    return [] if node < 0 else path[seen[node] :]


def _sibling_order(parent: np.ndarray, key: np.ndarray | None) -> np.ndarray:
    """Node indices sorted by ``(parent, key, index)`` (stable sorts keep index order)."""
    n = len(parent)
    if key is None:
        narrow = np.int32 if n < np.iinfo(np.int32).max else np.int64
        return np.argsort(parent.astype(narrow), kind="stable")
    key = np.asarray(key, dtype=np.int64)
    span = int(key.max()) - int(key.min()) + 1 if n else 1
    composite = (parent + 1) * span + (key - (int(key.min()) if n else 0))
    return np.argsort(composite, kind="stable")


@dataclass(frozen=True)
class Tree:
    """A forest with its levels, ready for bottom-up and top-down passes.

    ``order`` lists the nodes by ``(depth, parent, key, index)``; the nodes of depth ``d`` are
    ``order[level_starts[d]:level_starts[d + 1]]``. ``key`` orders siblings (placement position
    for a placement tree; join order by default).
    """

    parent: np.ndarray
    depth: np.ndarray
    order: np.ndarray
    level_starts: np.ndarray

    @classmethod
    def build(cls, parent: np.ndarray, key: np.ndarray | None = None) -> Tree:
        parent = np.asarray(parent, dtype=np.int64)
        depth = depth_of(parent)
        order = _sibling_order(parent, key)
        level_of = depth[order]
        narrow = np.int16 if len(depth) and depth.max() < np.iinfo(np.int16).max else np.int32
        order = order[np.argsort(level_of.astype(narrow), kind="stable")]
        counts = np.bincount(depth) if len(depth) else np.zeros(0, dtype=np.int64)
        level_starts = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        return cls(parent=parent, depth=depth, order=order, level_starts=level_starts)

    def __len__(self) -> int:
        return len(self.parent)

    @property
    def levels(self) -> int:
        return len(self.level_starts) - 1

    def level(self, d: int) -> np.ndarray:
        """Nodes of depth ``d``, grouped by parent."""
        return self.order[self.level_starts[d] : self.level_starts[d + 1]]

    @cached_property
    def _level_groups(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """For each depth ``d >= 1``: (offsets of each parent's first child within the level,
        that parent), so a level's values can be summed per parent with ``np.add.reduceat``."""
        groups = []
        for d in range(1, self.levels):
            nodes = self.level(d)
            parents = self.parent[nodes]
            starts = np.flatnonzero(np.concatenate(([True], parents[1:] != parents[:-1])))
            groups.append((starts, parents[starts]))
        return groups

    def subtree_sum(self, values: np.ndarray) -> np.ndarray:
        """``total[i] = values[i] + Σ total[c]`` over the children ``c`` of ``i`` (int64)."""
        total = np.asarray(values, dtype=np.int64).copy()
        for d in range(self.levels - 1, 0, -1):
            starts, parents = self._level_groups[d - 1]
            nodes = self.level(d)
            total[parents] += np.add.reduceat(total[nodes], starts)
        return total

    def subtree_max(self, values: np.ndarray) -> np.ndarray:
        """``best[i] = max(values[i], best[c] for every child c)``."""
        best = np.asarray(values).copy()
        for d in range(self.levels - 1, 0, -1):
            starts, parents = self._level_groups[d - 1]
            nodes = self.level(d)
            best[parents] = np.maximum(best[parents], np.maximum.reduceat(best[nodes], starts))
        return best

    def children_count(self) -> np.ndarray:
        has_parent = self.parent >= 0
        return np.bincount(self.parent[has_parent], minlength=len(self)).astype(np.int64)

    @cached_property
    def size(self) -> np.ndarray:
        """Number of nodes in each node's subtree, itself included."""
        return self.subtree_sum(np.ones(len(self), dtype=np.int64))

    @cached_property
    def preorder(self) -> np.ndarray:
        """Pre-order number of every node; siblings are visited in ``order``.

        ``pre[c] = pre[p] + 1 + (sizes of the siblings of c that come before it)``; roots are
        numbered one after another.
        """
        size = self.size
        pre = np.zeros(len(self), dtype=np.int64)
        if not len(self):
            return pre
        roots = self.level(0)
        pre[roots] = np.cumsum(size[roots]) - size[roots]
        for d in range(1, self.levels):
            starts, _ = self._level_groups[d - 1]
            nodes = self.level(d)
            sizes = size[nodes]
            running = np.cumsum(sizes) - sizes
            group_of = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(nodes))))
            before = running - running[starts][group_of]
            pre[nodes] = pre[self.parent[nodes]] + 1 + before
        return pre

    def contains(self, ancestors: np.ndarray, nodes: np.ndarray) -> np.ndarray:
        """Whether each ``nodes[k]`` lies in the subtree of ``ancestors[k]`` (itself included)."""
        pre, size = self.preorder, self.size
        a_pre = pre[ancestors]
        n_pre = pre[nodes]
        return (a_pre <= n_pre) & (n_pre < a_pre + size[ancestors])

    def descend(self, values: np.ndarray, combine) -> np.ndarray:
        """Top-down: ``out[i] = combine(out[parent[i]], values[i])`` level by level; roots keep
        ``values``. ``combine`` is a vectorised function of two arrays."""
        out = np.asarray(values).copy()
        for d in range(1, self.levels):
            nodes = self.level(d)
            out[nodes] = combine(out[self.parent[nodes]], values[nodes])
        return out
