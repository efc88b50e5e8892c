"""Tree algorithms over parent arrays, vectorised with NumPy.

A forest of ``n`` nodes is an ``int64`` array ``parent`` with ``parent[i] = -1`` for a root.
Nothing here assumes that a parent has a smaller index than its child (that stops holding after
sponsor changes), so every pass is driven by depth levels:

* the children of every node are one contiguous block of ``children`` (nodes sorted by
  ``(parent, key, index)``, one stable sort), ``child_start[p] … child_start[p + 1]``;
* the levels come from a breadth-first expansion of that block structure starting at the roots:
  level ``d + 1`` is the concatenation of the child blocks of the nodes of level ``d``, so inside
  a level the children of one parent are contiguous, a bottom-up sum is one ``np.add.reduceat``
  per level and a top-down propagation one gather per level. Nodes the expansion never reaches
  lie on or under a cycle (:class:`CycleError`);
* pre-order numbers and subtree sizes turn every subtree into the contiguous range
  ``[pre[i], pre[i] + size[i])`` of the pre-order, so any subtree sum is a difference of two
  prefix sums (:meth:`Tree.subtree_sum_preordered`) and subtree membership a comparison
  (:meth:`Tree.contains`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
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


def _index_dtype(n: int) -> type[np.integer]:
    return np.int32 if n < np.iinfo(np.int32).max else np.int64


def _sibling_order(parent: np.ndarray, key: np.ndarray | None) -> np.ndarray:
    """Node indices sorted by ``(parent, key, index)``; roots (parent ``-1``) come first."""
    n = len(parent)
    if key is None:
        return np.argsort(parent.astype(_index_dtype(n + 1)), kind="stable")
    key = np.asarray(key, dtype=np.int64)
    low = int(key.min()) if n else 0
    span = int(key.max()) - low + 1 if n else 1
    composite = (parent + 1) * span + (key - low)
    if n and int(composite.max()) < np.iinfo(np.int32).max:
        composite = composite.astype(np.int32)
    return np.argsort(composite, kind="stable")


def _expand(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``concatenate([arange(s, s + c) for s, c in zip(starts, counts)])`` without a loop."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.cumsum(counts) - counts
    return np.repeat(starts - offsets, counts) + np.arange(total, dtype=np.int64)


@dataclass(frozen=True)
class Tree:
    """A forest with its child blocks and levels, ready for bottom-up and top-down passes.

    ``children[child_start[p]:child_start[p + 1]]`` are the children of ``p`` ordered by
    ``(key, index)`` (``key`` orders siblings: the placement position for a placement tree).
    ``order`` lists the nodes level by level (roots first); the nodes of depth ``d`` are
    ``order[level_starts[d]:level_starts[d + 1]]``, the children of one parent contiguous.
    ``groups[d - 1]`` holds, for level ``d``, the offset of each parent's first child within the
    level and that parent.
    """

    parent: np.ndarray
    depth: np.ndarray
    order: np.ndarray
    level_starts: np.ndarray
    children: np.ndarray
    child_start: np.ndarray
    groups: list[tuple[np.ndarray, np.ndarray]] = field(repr=False)

    @classmethod
    def build(cls, parent: np.ndarray, key: np.ndarray | None = None) -> Tree:
        parent = np.asarray(parent, dtype=np.int64)
        n = len(parent)
        sibling = _sibling_order(parent, key)
        index = _index_dtype(n + 1)
        n_roots = int(np.count_nonzero(parent < 0))
        roots = sibling[:n_roots].astype(index)
        children = sibling[n_roots:].astype(index)
        del sibling
        counts = np.bincount(parent[parent >= 0], minlength=n).astype(np.int64)
        child_start = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=child_start[1:])
        levels = [roots]
        groups: list[tuple[np.ndarray, np.ndarray]] = []
        frontier = roots
        reached = n_roots
        while frontier.size and reached < n:
            per_parent = counts[frontier]
            parents = frontier[per_parent > 0]
            if not parents.size:
                break
            sizes = per_parent[per_parent > 0]
            starts = (np.cumsum(sizes) - sizes).astype(index)
            frontier = children[_expand(child_start[parents], sizes)]
            groups.append((starts, parents))
            levels.append(frontier)
            reached += frontier.size
        order = np.concatenate(levels) if levels else np.zeros(0, dtype=index)
        if order.size != n:
            seen = np.zeros(n, dtype=bool)
            seen[order] = True
            raise CycleError(np.flatnonzero(~seen))
        level_sizes = np.array([level.size for level in levels], dtype=np.int64)
        level_starts = np.zeros(len(levels) + 1, dtype=np.int64)
        np.cumsum(level_sizes, out=level_starts[1:])
        depth = np.zeros(n, dtype=np.int32)
        depth[order] = np.repeat(np.arange(len(levels), dtype=np.int32), level_sizes)
        return cls(
            parent=parent,
            depth=depth,
            order=order,
            level_starts=level_starts,
            children=children,
            child_start=child_start,
            groups=groups,
        )

    def __len__(self) -> int:
        return len(self.parent)

    @property
    def levels(self) -> int:
        return len(self.level_starts) - 1

    def level(self, d: int) -> np.ndarray:
        """Nodes of depth ``d``, grouped by parent."""
        return self.order[self.level_starts[d] : self.level_starts[d + 1]]

    def children_of(self, node: int) -> np.ndarray:
        """The children of ``node`` in sibling order."""
        return self.children[self.child_start[node] : self.child_start[node + 1]]

    def children_count(self) -> np.ndarray:
        return np.diff(self.child_start)

    def bottom_up(self) -> range:
        """Depths ``levels - 1 … 1``: each level's parents lie in the level above."""
        return range(self.levels - 1, 0, -1)

    def subtree_sum(self, values: np.ndarray) -> np.ndarray:
        """``total[i] = values[i] + Σ total[c]`` over the children ``c`` of ``i`` (int64), by
        level-synchronous ``reduceat`` from the deepest level up."""
        total = np.asarray(values, dtype=np.int64).copy()
        for d in self.bottom_up():
            starts, parents = self.groups[d - 1]
            total[parents] += np.add.reduceat(total[self.level(d)], starts)
        return total

    def subtree_sum_preordered(self, values: np.ndarray) -> np.ndarray:
        """:meth:`subtree_sum` as prefix sums of ``values`` in pre-order, differenced over each
        subtree's range: no loop, once the pre-order is known (cheaper for many sums)."""
        values = np.asarray(values, dtype=np.int64)
        prefix = np.zeros(len(values) + 1, dtype=np.int64)
        np.cumsum(values[self.preorder_nodes], out=prefix[1:])
        pre = self.preorder
        return prefix[pre + self.size] - prefix[pre]

    def subtree_max(self, values: np.ndarray) -> np.ndarray:
        """``best[i] = max(values[i], best[c] for every child c)``."""
        best = np.asarray(values).copy()
        for d in self.bottom_up():
            starts, parents = self.groups[d - 1]
            best[parents] = np.maximum(
                best[parents], np.maximum.reduceat(best[self.level(d)], starts)
            )
        return best

    def child_sum(self, values: np.ndarray) -> np.ndarray:
        """``out[p] = Σ values[c]`` over the children ``c`` of ``p`` (int64)."""
        values = np.asarray(values, dtype=np.int64)
        out = np.zeros(len(self), dtype=np.int64)
        counts = self.children_count()
        parents = np.flatnonzero(counts)
        if parents.size:
            out[parents] = np.add.reduceat(values[self.children], self.child_start[parents])
        return out

    @cached_property
    def size(self) -> np.ndarray:
        """Number of nodes in each node's subtree, itself included."""
        size = self.subtree_sum(np.ones(len(self), dtype=np.int64))
        return size.astype(_index_dtype(len(self) + 1))

    @cached_property
    def preorder(self) -> np.ndarray:
        """Pre-order number of every node; siblings are visited in sibling order.

        ``pre[c] = pre[p] + 1 + (sizes of the siblings of c that come before it)``; roots are
        numbered one after another.
        """
        size = self.size
        pre = np.zeros(len(self), dtype=size.dtype)
        if not len(self):
            return pre
        roots = self.level(0)
        pre[roots] = np.cumsum(size[roots]) - size[roots]
        for d in range(1, self.levels):
            starts, _ = self.groups[d - 1]
            nodes = self.level(d)
            sizes = size[nodes]
            running = np.cumsum(sizes) - sizes
            group_of = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(nodes))))
            before = running - running[starts][group_of]
            pre[nodes] = pre[self.parent[nodes]] + 1 + before
        return pre

    @cached_property
    def preorder_nodes(self) -> np.ndarray:
        """The nodes in pre-order (the inverse permutation of :attr:`preorder`)."""
        index = _index_dtype(len(self) + 1)
        nodes = np.empty(len(self), dtype=index)
        nodes[self.preorder] = np.arange(len(self), dtype=index)
        return nodes

    def contains(self, ancestors: np.ndarray, nodes: np.ndarray) -> np.ndarray:
        """Whether each ``nodes[k]`` lies in the subtree of ``ancestors[k]`` (itself included)."""
        pre, size = self.preorder, self.size
        a_pre = pre[ancestors]
        n_pre = pre[nodes]
        return (a_pre <= n_pre) & (n_pre < a_pre + size[ancestors])

    def descend(self, values: np.ndarray, combine: Callable) -> np.ndarray:
        """Top-down: ``out[i] = combine(out[parent[i]], values[i])`` level by level; roots keep
        ``values``. ``combine`` is a vectorised function of two arrays."""
        out = np.asarray(values).copy()
        for d in range(1, self.levels):
            nodes = self.level(d)
            out[nodes] = combine(out[self.parent[nodes]], values[nodes])
        return out

    def nearest_ancestor(self, marked: np.ndarray) -> np.ndarray:
        """For every node, its nearest strict ancestor ``a`` with ``marked[a]`` (``-1`` if
        none): ``near[c] = p if marked[p] else near[p]`` with ``p = parent[c]``, top-down."""
        near = np.full(len(self), NO_PARENT, dtype=np.int64)
        for d in range(1, self.levels):
            nodes = self.level(d)
            up = self.parent[nodes]
            near[nodes] = np.where(marked[up], up, near[up])
        return near
