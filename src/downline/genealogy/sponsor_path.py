"""The stored ancestor path of the enrollment (sponsor) tree: ``Distributor.sponsor_path``.

Format. The ids from the root down to the member itself, each followed by ``/``, after a
leading ``/``: the root ``1`` has ``/1/``, its enrollee ``2`` has ``/1/2/``, and ``5`` under
``2`` has ``/1/2/5/``. Retail customers have a path too (they are leaves of the sponsor tree).

Invariant. For every member, ``sponsor_path == sponsor.sponsor_path + f"{id}/"`` (``/{id}/``
for the root). Kept by ``Distributor.save`` on insert (the enrollment actions and direct
creates), by ``rewrite_subtree`` on a sponsor move (the moved member and everyone below get
the new sponsor's path as their prefix, in one UPDATE), and by the bulk load
(``paths_for_new_rows``). ``rebuild_all`` recomputes every path from ``sponsor_id`` (the
migration's backfill, repairs, benchmark loads).

Queries. Because every path of a subtree starts with the top member's path ``P``, and ``/`` is
the character just before ``0`` in byte order, "everyone strictly below X" is the range
``P < path < P[:-1] + "0"``: one index range scan. Comparisons must be bytewise: the columns are
``COLLATE "C"`` on PostgreSQL (migrations ``0004_sponsor_path`` and ``0005_sponsor_path_key``);
SQLite compares bytes anyway. A btree entry must stay small (PostgreSQL refuses entries over
~2.7 kB), so the index is on ``sponsor_path_key``, the first ``INDEX_CHARS`` characters of the
path, which the database writes itself (a generated column) with ``sponsor_depth`` next to it;
the index carries id, depth and kind, so a subtree's members and levels are read from the index
alone. For a top member whose own path is shorter than ``INDEX_CHARS`` (every member less than
~250 levels deep) the range over the key is exact; for deeper ones the full path is checked as
well (``below_condition``).
"""

from __future__ import annotations

from django.db import connection

from downline.core import hooks

from .models import SPONSOR_PATH_KEY_CHARS, Distributor

TABLE = Distributor._meta.db_table
INDEX_CHARS = SPONSOR_PATH_KEY_CHARS


def child_path(parent_path: str | None, member_pk: int) -> str:
    """The path of member ``member_pk`` under a parent with ``parent_path`` (None: the root)."""
    return f"{parent_path or '/'}{member_pk}/"


def depth_of(path: str) -> int:
    """Levels below the root (the root is 0): the number of ids in the path, minus one."""
    return path.count("/") - 2


def depth_sql(column: str) -> str:
    """SQL for the number of ``/`` in ``column`` (the depth plus two), portable."""
    return f"(LENGTH({column}) - LENGTH(REPLACE({column}, '/', '')))"


def below_condition(path: str, *, alias: str = "", include_self: bool = False) -> tuple[str, list]:
    """SQL condition (and its parameters) for "the member is strictly below ``path``" (or is
    the member at ``path`` with ``include_self``), on the distributor table (or another table
    with the same ``sponsor_path_key`` and ``sponsor_path`` columns) under ``alias``, written
    so that the key index serves it."""
    if not path.startswith("/") or not path.endswith("/") or len(path) < 3:
        return "1 = 0", []  # no stored path: nobody is known to be below (never everyone)
    upper = path[:-1] + "0"
    key = f"{alias}.sponsor_path_key" if alias else "sponsor_path_key"
    low = ">=" if include_self else ">"
    if len(path) < INDEX_CHARS:
        return f"{key} {low} %s AND {key} < %s", [path, upper]
    full = f"{alias}.sponsor_path" if alias else "sponsor_path"
    return (
        f"{key} = %s AND {full} {low} %s AND {full} < %s",
        [path[:INDEX_CHARS], path, upper],
    )


def rewrite_subtree(old_path: str, new_path: str) -> int:
    """Give every member at or below ``old_path`` the prefix ``new_path`` instead (a sponsor
    move: ``old_path`` is the moved member's path before, ``new_path`` after); returns the rows."""
    if old_path == new_path:
        return 0
    if not old_path:  # a member written around the actions: recompute every path instead
        return rebuild_all()
    condition, params = below_condition(old_path, include_self=True)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {TABLE} SET sponsor_path = %s || SUBSTR(sponsor_path, %s) WHERE {condition}",
            [new_path, len(old_path) + 1, *params],
        )
        return cursor.rowcount


def rebuild_all() -> int:
    """Recompute every member's path from ``sponsor_id`` with one recursive statement; returns
    the rows written (members unreachable from the root, in a cycle, keep an empty path). When
    some path changed, ``hooks.SPONSOR_PATHS_REBUILT`` fires for the apps that copy paths."""
    sql = f"""
WITH RECURSIVE walk(id, path) AS (
    SELECT id, '/' || CAST(id AS TEXT) || '/' FROM {TABLE} WHERE sponsor_id IS NULL
    UNION ALL
    SELECT d.id, w.path || CAST(d.id AS TEXT) || '/' FROM {TABLE} d JOIN walk w ON d.sponsor_id = w.id
)
UPDATE {TABLE} SET sponsor_path = walk.path FROM walk
WHERE {TABLE}.id = walk.id AND {TABLE}.sponsor_path <> walk.path
"""
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.rowcount
        if rows < 0:
            cursor.execute("SELECT changes()")  # SQLite reports no row count for WITH … UPDATE
            rows = cursor.fetchone()[0]
    if rows:
        hooks.SPONSOR_PATHS_REBUILT.fire()
    return rows


def stored_paths(pks: list[int], *, batch: int = 20_000) -> dict[int, str]:
    """Member pk → stored path, for the given members."""
    found: dict[int, str] = {}
    for start in range(0, len(pks), batch):
        chunk = pks[start : start + batch]
        rows = Distributor.objects.filter(pk__in=chunk).values_list("pk", "sponsor_path")
        found.update(rows)
    return found
