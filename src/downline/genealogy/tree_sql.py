"""Recursive SQL over the two adjacency lists, portable between SQLite (>= 3.40) and PostgreSQL.

Every walk follows one parent column with an indexed lookup per row: a walk up costs one row per
level, a walk down one row per member visited, and downward walks are bounded by a depth, so no
query here reads the whole network. Recursive anchors are cast to BIGINT so that PostgreSQL
types the recursive column like the ``id`` columns it is joined with.
"""

from __future__ import annotations

from django.db import connection

from .models import Distributor, StructureEvent

TABLE = Distributor._meta.db_table
EVENTS = StructureEvent._meta.db_table
ENROLLMENT = "enrollment"
PLACEMENT = "placement"
TREES = (ENROLLMENT, PLACEMENT)

_PARENT_COLUMNS = {ENROLLMENT: "sponsor_id", PLACEMENT: "placement_parent_id"}
_EVENT_PARENT_COLUMNS = {ENROLLMENT: "new_sponsor_id", PLACEMENT: "new_placement_parent_id"}
_COUNT_COLUMNS = {ENROLLMENT: "enrollment_downline", PLACEMENT: "placement_downline"}


def parent_column(tree: str) -> str:
    """``sponsor_id`` for the enrollment tree, ``placement_parent_id`` for the placement tree."""
    try:
        return _PARENT_COLUMNS[tree]
    except KeyError:
        raise ValueError(f"tree must be one of {', '.join(TREES)}, not {tree!r}") from None


def event_parent_column(tree: str) -> str:
    parent_column(tree)
    return _EVENT_PARENT_COLUMNS[tree]


def count_column(tree: str) -> str:
    parent_column(tree)
    return _COUNT_COLUMNS[tree]


def upline_cte(tree: str) -> str:
    """``upline(id, lvl)``: the start member (parameter, level 0) and every ancestor up to the root."""
    column = parent_column(tree)
    return f"""upline(id, lvl) AS (
    SELECT CAST(%s AS BIGINT), 0
    UNION ALL
    SELECT d.{column}, u.lvl + 1 FROM {TABLE} d JOIN upline u ON d.id = u.id
    WHERE d.{column} IS NOT NULL
)"""


def downline_cte(tree: str, *, distributors_only: bool = False) -> str:
    """``downline(id, lvl)``: members 1..max_depth levels below the start member.

    Parameters: start member id, max depth. ``distributors_only`` leaves retail customers out
    (they are leaves of the enrollment tree and never in the placement tree).
    """
    column = parent_column(tree)
    only = " AND d.kind = 'distributor'" if distributors_only else ""
    return f"""downline(id, lvl) AS (
    SELECT d.id, 1 FROM {TABLE} d WHERE d.{column} = CAST(%s AS BIGINT){only}
    UNION ALL
    SELECT d.id, w.lvl + 1 FROM {TABLE} d JOIN downline w ON d.{column} = w.id
    WHERE w.lvl < %s{only}
)"""


def is_in_subtree(tree: str, member_id: int, top_id: int) -> bool:
    """True when ``member_id`` is ``top_id`` or lies below it in ``tree``.

    Walks up from the member and stops at ``top_id`` or at the root: O(depth of the member).
    """
    column = parent_column(tree)
    sql = f"""
WITH RECURSIVE upline(id) AS (
    SELECT CAST(%s AS BIGINT)
    UNION ALL
    SELECT d.{column} FROM {TABLE} d JOIN upline u ON d.id = u.id
    WHERE d.{column} IS NOT NULL AND u.id <> %s
)
SELECT 1 FROM upline WHERE id = %s LIMIT 1
"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [member_id, top_id, top_id])
        return cursor.fetchone() is not None


def upline_ids(tree: str, member_id: int) -> list[int]:
    """Ids from the member (first) up to the root (last)."""
    sql = f"WITH RECURSIVE {upline_cte(tree)} SELECT id FROM upline ORDER BY lvl"
    with connection.cursor() as cursor:
        cursor.execute(sql, [member_id])
        return [row[0] for row in cursor.fetchall()]
