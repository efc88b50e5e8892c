"""Reads of the network, live and as it stood on any past instant.

Live reads walk the adjacency lists with recursive SQL bounded by depth (``tree_sql``), or read
the maintained counters, so they cost the same with a thousand members as with millions. Past
reads rebuild the trees from ``StructureEvent``: a member's state at instant T is the ``new_*``
side of their latest event with ``effective_at <= T`` (ties broken by id); members whose first
event is after T had not joined yet and are absent.

``tree`` is ``"enrollment"`` (sponsor tree) or ``"placement"`` everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from django.db import connection
from django.db.models import Count, Q, QuerySet

from .models import Distributor, StructureEvent
from .tree_sql import (
    ENROLLMENT,
    EVENTS,
    PLACEMENT,
    TABLE,
    downline_cte,
    event_parent_column,
    parent_column,
)

MAX_PAGE_SIZE = 500
MAX_DOWNLINE_DEPTH = 20
MAX_UPLINE_LEVELS = 1_000_000


# --------------------------------------------------------------------------- live reads


def front_line(
    member: Distributor, tree: str = ENROLLMENT, *, include_customers: bool = True
) -> QuerySet[Distributor]:
    """The members directly below ``member``: enrollees (by member id) or placement children
    (by position). Retail customers are personal enrollees; ``include_customers=False`` drops
    them."""
    column = parent_column(tree)
    rows = Distributor.objects.filter(**{column: member.pk})
    if tree == PLACEMENT:
        return rows.order_by("placement_position", "member_id")
    if not include_customers:
        rows = rows.filter(kind=Distributor.Kind.DISTRIBUTOR)
    return rows.order_by("member_id")


@dataclass(frozen=True)
class DownlinePage:
    """One page of a member's downline: ``rows`` are ``Distributor`` objects with ``level``.

    ``counts_per_level`` counts every member on each level 1..max_depth (not only this page's).
    """

    rows: list[Distributor]
    counts_per_level: dict[int, int]
    page: int
    page_size: int

    @property
    def total(self) -> int:
        return sum(self.counts_per_level.values())

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages


def downline_page(
    member: Distributor,
    tree: str = ENROLLMENT,
    max_depth: int = 3,
    page: int = 1,
    page_size: int = 50,
    *,
    include_customers: bool = False,
) -> DownlinePage:
    """Members 1..``max_depth`` levels below ``member``, ordered by level then member id.

    Two queries whatever the size of the network: the page, and the count per level. Retail
    customers (enrollment tree only) are left out unless ``include_customers``.
    """
    if not 1 <= max_depth <= MAX_DOWNLINE_DEPTH:
        raise ValueError(f"max_depth must be 1..{MAX_DOWNLINE_DEPTH}, not {max_depth}")
    if page < 1:
        raise ValueError(f"page must be 1 or more, not {page}")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE}, not {page_size}")
    cte = downline_cte(tree, distributors_only=not include_customers)
    rows = list(
        Distributor.objects.raw(
            f"""WITH RECURSIVE {cte}
SELECT d.*, w.lvl AS level FROM downline w JOIN {TABLE} d ON d.id = w.id
ORDER BY w.lvl, d.member_id
LIMIT %s OFFSET %s""",
            [member.pk, max_depth, page_size, (page - 1) * page_size],
        )
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE {cte} SELECT lvl, COUNT(*) FROM downline GROUP BY lvl",
            [member.pk, max_depth],
        )
        counts = dict(cursor.fetchall())
    return DownlinePage(
        rows=rows,
        counts_per_level={level: counts.get(level, 0) for level in range(1, max_depth + 1)},
        page=page,
        page_size=page_size,
    )


class UplineMember(NamedTuple):
    """One member of an upline path, ``level`` steps above the starting member."""

    id: int
    member_id: str
    name: str
    kind: str
    status: str
    level: int


def upline_path(
    member: Distributor, tree: str = ENROLLMENT, *, max_levels: int | None = None
) -> list[UplineMember]:
    """``member`` first (level 0), then each ancestor up to the root, or up to ``max_levels``.

    One query. Each step up reads one row by primary key and carries the columns shown along,
    so a path a thousand levels deep costs a thousand index lookups and nothing more: no second
    pass to fetch the rows and no model objects.
    """
    column = parent_column(tree)
    limit = MAX_UPLINE_LEVELS if max_levels is None else max_levels
    if limit < 0:
        raise ValueError(f"max_levels must be 0 or more, not {limit}")
    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH RECURSIVE upline(id, parent, member_id, name, kind, status, lvl) AS (
    SELECT d.id, d.{column}, d.member_id, d.name, d.kind, d.status, 0
    FROM {TABLE} d WHERE d.id = %s
    UNION ALL
    SELECT d.id, d.{column}, d.member_id, d.name, d.kind, d.status, u.lvl + 1
    FROM {TABLE} d JOIN upline u ON d.id = u.parent
    WHERE u.lvl < %s
)
SELECT id, member_id, name, kind, status, lvl FROM upline ORDER BY lvl""",
            [member.pk, limit],
        )
        return [UplineMember(*row) for row in cursor.fetchall()]


@dataclass(frozen=True)
class SubtreeCounts:
    """Distributors below the member in each tree, and their personal retail customers."""

    enrollment: int
    placement: int
    personal_customers: int


def subtree_counts(member: Distributor) -> SubtreeCounts:
    """From the maintained counters: one query, whatever the size of the subtrees."""
    row = (
        Distributor.objects.filter(pk=member.pk)
        .annotate(customers=Count("enrollees", filter=Q(enrollees__kind=Distributor.Kind.CUSTOMER)))
        .values("enrollment_downline", "placement_downline", "customers")
        .get()
    )
    return SubtreeCounts(
        enrollment=row["enrollment_downline"],
        placement=row["placement_downline"],
        personal_customers=row["customers"],
    )


# --------------------------------------------------------------------------- the past


class MemberAsOf(NamedTuple):
    """A member as they stood at an instant: their state from their latest event by then.

    ``name`` is the member's current name (names are not part of the history).
    """

    id: int
    member_id: str
    name: str
    kind: str
    status: str
    sponsor_id: int | None
    sponsor_member_id: str | None
    placement_parent_id: int | None
    placement_parent_member_id: str | None
    placement_position: int | None


_LATEST_EVENT = f"""(SELECT l.id FROM {EVENTS} l
    WHERE l.distributor_id = d.id AND l.effective_at <= %s
    ORDER BY l.effective_at DESC, l.id DESC LIMIT 1)"""

_AS_OF_COLUMNS = """d.id, d.member_id, d.name, e.new_kind, e.new_status,
    e.new_sponsor_id, s.member_id, e.new_placement_parent_id, p.member_id,
    e.new_placement_position"""

_AS_OF_JOINS = f"""JOIN {EVENTS} e ON e.id = {_LATEST_EVENT}
LEFT JOIN {TABLE} s ON s.id = e.new_sponsor_id
LEFT JOIN {TABLE} p ON p.id = e.new_placement_parent_id"""


def _as_of_rows(sql: str, params: list) -> list[MemberAsOf]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [MemberAsOf(*row) for row in cursor.fetchall()]


def member_as_of(member: Distributor, at: datetime) -> MemberAsOf | None:
    """The member as they stood at ``at``; ``None`` if they had not joined yet."""
    rows = _as_of_rows(
        f"SELECT {_AS_OF_COLUMNS} FROM {TABLE} d {_AS_OF_JOINS} WHERE d.id = %s",
        [at, member.pk],
    )
    return rows[0] if rows else None


def sponsor_as_of(member: Distributor, at: datetime) -> Distributor | None:
    """The member's sponsor at ``at``; ``None`` for the root or a member not yet joined."""
    event = (
        StructureEvent.objects.filter(distributor_id=member.pk, effective_at__lte=at)
        .select_related("new_sponsor")
        .order_by("-effective_at", "-id")
        .first()
    )
    return None if event is None else event.new_sponsor


def front_line_as_of(member: Distributor, at: datetime, tree: str = ENROLLMENT) -> list[MemberAsOf]:
    """The members directly below ``member`` at ``at``, ordered like ``front_line``.

    Candidates are the members with any event naming ``member`` as new parent by then (an
    indexed read); each is kept when their latest event by then still names ``member``.
    """
    column = event_parent_column(tree)
    order = "e.new_placement_position, d.member_id" if tree == PLACEMENT else "d.member_id"
    return _as_of_rows(
        f"""SELECT {_AS_OF_COLUMNS} FROM {TABLE} d {_AS_OF_JOINS}
WHERE d.id IN (SELECT c.distributor_id FROM {EVENTS} c
               WHERE c.{column} = %s AND c.effective_at <= %s)
  AND e.{column} = %s
ORDER BY {order}""",
        [at, member.pk, at, member.pk],
    )


def upline_path_as_of(
    member: Distributor, at: datetime, tree: str = ENROLLMENT
) -> list[MemberAsOf]:
    """``member`` and their ancestors up to the root as the tree stood at ``at``.

    Empty when the member had not joined yet. One query: each step up reads the latest event
    of one member (an indexed lookup).
    """
    column = event_parent_column(tree)
    return _as_of_rows(
        f"""WITH RECURSIVE upline(id, lvl) AS (
    SELECT CAST(%s AS BIGINT), 0
    UNION ALL
    SELECT (SELECT l.{column} FROM {EVENTS} l
            WHERE l.distributor_id = u.id AND l.effective_at <= %s
            ORDER BY l.effective_at DESC, l.id DESC LIMIT 1),
           u.lvl + 1
    FROM upline u WHERE u.id IS NOT NULL AND u.lvl < %s
)
SELECT {_AS_OF_COLUMNS} FROM upline u JOIN {TABLE} d ON d.id = u.id {_AS_OF_JOINS}
ORDER BY u.lvl""",
        [member.pk, at, 1_000_000, at],
    )


def network_as_of(at: datetime) -> dict[str, MemberAsOf]:
    """Every member who had joined by ``at``, keyed by member id, as they stood then.

    Meant for exports and checks: it reads the whole network in two passes, the events up to
    ``at`` in (member, time) order, keeping each member's last, and the member ids and names.
    """
    latest: dict[int, tuple] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT distributor_id, new_kind, new_status, new_sponsor_id,
       new_placement_parent_id, new_placement_position
FROM {EVENTS} WHERE effective_at <= %s
ORDER BY distributor_id, effective_at, id""",
            [at],
        )
        while rows := cursor.fetchmany(10_000):
            for row in rows:
                latest[row[0]] = row
        cursor.execute(f"SELECT id, member_id, name FROM {TABLE}")
        member_ids: dict[int, str] = {}
        names: dict[int, str] = {}
        while rows := cursor.fetchmany(10_000):
            for pk, member_id, name in rows:
                member_ids[pk] = member_id
                names[pk] = name
    network = {}
    for member, kind, status, sponsor, parent, position in latest.values():
        member_id = member_ids[member]
        network[member_id] = MemberAsOf(
            member,
            member_id,
            names[member],
            kind,
            status,
            sponsor,
            None if sponsor is None else member_ids[sponsor],
            parent,
            None if parent is None else member_ids[parent],
            position,
        )
    return network
