"""The counters actions keep current on every structure change (writes; called by ``actions`` only).

* ``enrollment_downline`` / ``placement_downline``: distributors below a member in each tree.
  Adding or removing a subtree of ``n`` distributors adds ``±n`` to the new or old parent and to
  every ancestor above it: one UPDATE over the upline chain.
* ``placement_free_depth``: levels to the nearest free slot (see ``Distributor``). A change at a
  member can only change the value of the member and its placement ancestors, and once one of
  them keeps its value nothing above it changes, so the refresh walks up and stops early.
"""

from __future__ import annotations

import numpy as np
from django.db import connection

from .models import Distributor
from .shape import placement_shape
from .tree_sql import TABLE, count_column, upline_cte


def add_to_upline_counts(tree: str, start_id: int | None, delta: int) -> None:
    """Add ``delta`` to the downline count of ``start_id`` and of all its ancestors in ``tree``."""
    if start_id is None or delta == 0:
        return
    column = count_column(tree)
    sql = f"""
UPDATE {TABLE} SET {column} = {column} + %s
WHERE id IN (WITH RECURSIVE {upline_cte(tree)} SELECT id FROM upline)
"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [delta, start_id])


def free_depth(
    *, kind: str, status: str, children: int, nearest_below: int | None, width: int | None
) -> int | None:
    """``0`` if the member takes new members itself, else ``1 + nearest_below``; ``None`` if never.

    A member takes new members when it is a distributor, not terminated, and (binary/matrix) has
    fewer than ``width`` placement children. ``nearest_below`` is the smallest free depth among
    its placement children (``None`` when none of them has a free slot below).
    """
    if kind != Distributor.Kind.DISTRIBUTOR:
        return None
    if status != Distributor.Status.TERMINATED and (width is None or children < width):
        return 0
    return None if nearest_below is None else nearest_below + 1


_NODE_SQL = f"""
SELECT d.kind, d.status, d.placement_parent_id, d.placement_free_depth,
       (SELECT COUNT(*) FROM {TABLE} c WHERE c.placement_parent_id = d.id),
       (SELECT MIN(c.placement_free_depth) FROM {TABLE} c WHERE c.placement_parent_id = d.id)
FROM {TABLE} d WHERE d.id = %s
"""


def refresh_free_depth(*start_ids: int | None) -> None:
    """Recompute ``placement_free_depth`` from each start member up, until a value holds."""
    width = placement_shape().width
    with connection.cursor() as cursor:
        for start in start_ids:
            node = start
            while node is not None:
                cursor.execute(_NODE_SQL, [node])
                kind, status, parent, current, children, nearest = cursor.fetchone()
                value = free_depth(
                    kind=kind,
                    status=status,
                    children=children,
                    nearest_below=nearest,
                    width=width,
                )
                if value == current:
                    break
                cursor.execute(
                    f"UPDATE {TABLE} SET placement_free_depth = %s WHERE id = %s", [value, node]
                )
                node = parent


# --------------------------------------------------------------------------- full recount

_UNREACHABLE = np.iinfo(np.int64).max


def _levels(parent: np.ndarray, roots: np.ndarray) -> list[np.ndarray]:
    """Node indices level by level from ``roots`` down (``parent`` is -1 for none)."""
    has_parent = parent >= 0
    children = np.flatnonzero(has_parent)
    children = children[np.argsort(parent[children], kind="stable")]
    counts = np.bincount(parent[has_parent], minlength=parent.size)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    levels = []
    frontier = roots
    while frontier.size:
        levels.append(frontier)
        sizes = counts[frontier]
        total = int(sizes.sum())
        if total == 0:
            break
        firsts = np.repeat(starts[frontier], sizes)
        offsets = np.arange(total) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        frontier = children[firsts + offsets]
    return levels


def recount_all() -> tuple[int, list[str]]:
    """Recompute every member's downline counts and free depth from the adjacency lists.

    For bulk loads and repairs; it reads the whole network (a few seconds per million members).
    Returns the number of rows corrected and the member ids (at most ten) that neither tree
    reaches from the root, i.e. members in a cycle or under a missing parent; when there are
    such members nothing is written.
    """
    width = placement_shape().width
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT id, sponsor_id, placement_parent_id, kind, status, enrollment_downline,
                       placement_downline, placement_free_depth, member_id
                FROM {TABLE} ORDER BY id"""
        )
        rows = cursor.fetchall()
    if not rows:
        return 0, []
    ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))

    def index_of(values: list[int | None]) -> np.ndarray:
        raw = np.array([-1 if value is None else value for value in values], dtype=np.int64)
        found = np.searchsorted(ids, raw)
        found = np.clip(found, 0, ids.size - 1)
        return np.where((raw >= 0) & (ids[found] == raw), found, -1)

    sponsor = index_of([row[1] for row in rows])
    placement = index_of([row[2] for row in rows])
    is_distributor = np.array([row[3] == Distributor.Kind.DISTRIBUTOR for row in rows])
    takes_members = is_distributor & np.array(
        [row[4] != Distributor.Status.TERMINATED for row in rows]
    )
    enrollment_levels = _levels(sponsor, np.flatnonzero(sponsor < 0))
    placement_levels = _levels(placement, np.flatnonzero((placement < 0) & is_distributor))
    in_enrollment = np.zeros(ids.size, dtype=bool)
    for level in enrollment_levels:
        in_enrollment[level] = True
    in_placement = np.zeros(ids.size, dtype=bool)
    for level in placement_levels:
        in_placement[level] = True
    broken = np.flatnonzero(~in_enrollment | (is_distributor & ~in_placement))
    if broken.size:
        return 0, [rows[i][8] for i in broken[:10]]

    enrollment = np.zeros(ids.size, dtype=np.int64)
    for level in reversed(enrollment_levels[1:]):
        np.add.at(enrollment, sponsor[level], enrollment[level] + is_distributor[level])
    placement_count = np.zeros(ids.size, dtype=np.int64)
    for level in reversed(placement_levels[1:]):
        np.add.at(placement_count, placement[level], placement_count[level] + 1)
    children = np.bincount(placement[placement >= 0], minlength=ids.size)
    own = takes_members & ((children < width) if width is not None else True)
    nearest = np.full(ids.size, _UNREACHABLE, dtype=np.int64)
    depth = np.full(ids.size, _UNREACHABLE, dtype=np.int64)
    for level in reversed(placement_levels):
        below = nearest[level]
        depth[level] = np.where(
            own[level], 0, np.where(below == _UNREACHABLE, _UNREACHABLE, below + 1)
        )
        has_parent = placement[level] >= 0
        np.minimum.at(nearest, placement[level][has_parent], depth[level][has_parent])

    updates = []
    for i, row in enumerate(rows):
        free = None if not is_distributor[i] or depth[i] == _UNREACHABLE else int(depth[i])
        wanted = (int(enrollment[i]), int(placement_count[i]), free)
        if wanted != (row[5], row[6], row[7]):
            updates.append((*wanted, row[0]))
    _write_counters(updates)
    return len(updates), []


def _write_counters(updates: list[tuple[int, int, int | None, int]], batch: int = 2000) -> None:
    """Write (enrollment, placement, free depth, id) rows, a batch per UPDATE ... FROM VALUES."""
    with connection.cursor() as cursor:
        for start in range(0, len(updates), batch):
            chunk = updates[start : start + batch]
            values = ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
            cursor.execute(
                f"""WITH v(enrollment, placement, free_depth, id) AS (VALUES {values})
UPDATE {TABLE} SET enrollment_downline = v.enrollment, placement_downline = v.placement,
    placement_free_depth = CAST(v.free_depth AS INTEGER)
FROM v WHERE {TABLE}.id = v.id""",
                [value for row in chunk for value in row],
            )
