"""Reads behind the back-office pages: the open period, dashboard figures, the team and the
customers of the signed-in distributor.

Every read here is bounded: tree pages read one front line at a time (paginated), level lists
one level (paginated), searches a fixed number of candidates. Volumes are the live
``PeriodVolume`` rows of the period that contains the present instant, read after the orders'
pending changes are folded (``orders.volumes.settle_live_volumes``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection
from django.db.models import Count, IntegerField, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext

from downline.calendar import PeriodBounds, bounds_for_instant
from downline.compensation.labels import rank_label
from downline.compensation.models import RunResult
from downline.compensation.plans import loaded_plan
from downline.compensation.selectors import latest_projection
from downline.genealogy.models import Distributor, StructureEvent
from downline.genealogy.tree_sql import (
    ENROLLMENT,
    PLACEMENT,
    TABLE,
    TREES,
    parent_column,
)
from downline.orders.models import Order, PeriodVolume
from downline.orders.selectors import VolumeRow, member_period_volumes
from downline.orders.volumes import settle_live_volumes
from downline.periods.models import Period

from .pagination import clamp_page
from .team_events import RECRUIT, TeamEvent, register_team_event_source

if TYPE_CHECKING:
    from .projection_slot import ActivityRequirement

PAGE_SIZE = 50
SEARCH_LIMIT = 20
SEARCH_CANDIDATES = 200
SMALL_TEAM = 1_000  # teams up to this size are walked down; from candidates walked up otherwise
MAX_LEVEL = 20
RECENT_EVENTS_SCANNED = 200
EVENTS = StructureEvent._meta.db_table


# --------------------------------------------------------------------------- periods


@dataclass(frozen=True)
class CurrentPeriod:
    """The period that contains the present instant: its bounds always, its row once it exists
    (it is created by the first order or move in it)."""

    bounds: PeriodBounds
    period: Period | None

    @property
    def code(self) -> str:
        return self.bounds.code

    @property
    def first_day(self) -> date:
        return self.bounds.first_day


def current_period(now: datetime | None = None) -> CurrentPeriod:
    bounds = bounds_for_instant(
        now or timezone.now(), settings.DOWNLINE_PERIOD_KIND, settings.DOWNLINE_TIME_ZONE
    )
    return CurrentPeriod(bounds, Period.objects.filter(code=bounds.code).first())


# --------------------------------------------------------------------------- activity


def active_condition_sql(
    period: Period | None, requirement: ActivityRequirement | None, alias: str = "d"
) -> tuple[str, list]:
    """The one meaning of *active* in ``period`` as an SQL condition on the distributor row
    ``alias``: account status ``active`` and the plan's volume minimums met by the period's
    live volumes (see ``projection_slot.ActivityRequirement``). With no plan rule, the account
    status alone decides, as in the engine; with a rule but no period row yet, everyone's
    volume is 0. Returns the condition and its parameters."""
    condition = f"{alias}.status = 'active'"
    minimums = requirement.minimums() if requirement is not None else []
    if not minimums:
        return condition, []
    if period is None:
        return "1 = 0", []
    settle_live_volumes(period.pk)  # the rows below then hold every order committed so far
    volumes = " AND ".join(f"v.{column} >= %s" for column, _value in minimums)
    return (
        f"{condition} AND EXISTS (SELECT 1 FROM {PeriodVolume._meta.db_table} v "
        f"WHERE v.period_id = %s AND v.distributor_id = {alias}.id AND {volumes})",
        [period.pk, *(value for _column, value in minimums)],
    )


def count_active(period: Period | None, requirement: ActivityRequirement | None) -> int:
    """How many distributors are active in ``period`` so far (``active_condition_sql``)."""
    condition, params = active_condition_sql(period, requirement)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM {TABLE} d WHERE d.kind = 'distributor' AND {condition}", params
        )
        return int(cursor.fetchone()[0])


# --------------------------------------------------------------------------- who may see whom


# --------------------------------------------------------------------------- dashboard


@dataclass(frozen=True)
class Leg:
    member_id: str
    name: str
    pv: int
    cv: int
    position: int | None = None


@dataclass(frozen=True)
class DashboardFigures:
    volumes: VolumeRow
    placement_legs: list[Leg]
    enrollment_legs: list[Leg]
    front_line: int
    enrollment_downline: int
    placement_downline: int


def dashboard_figures(
    member: Distributor, period: Period | None, legs: int = 10
) -> DashboardFigures:
    """Live volumes of ``member`` in ``period``, the group volume of each placement leg (by
    position), the ``legs`` strongest enrollment legs (by group CV) and the team sizes.

    Four queries whatever the size of the team.
    """
    volumes = VolumeRow() if period is None else member_period_volumes(member, period)
    # member_period_volumes folded the pending orders: the leg rows below include them
    pv_of = _volume_subquery(period, "placement_group_pv")
    cv_of = _volume_subquery(period, "placement_group_cv")
    placement = [
        Leg(row["member_id"], row["name"], row["leg_pv"], row["leg_cv"], row["placement_position"])
        for row in Distributor.objects.filter(placement_parent=member)
        .annotate(leg_pv=pv_of, leg_cv=cv_of)
        .order_by("placement_position", "member_id")
        .values("member_id", "name", "placement_position", "leg_pv", "leg_cv")[:legs]
    ]
    enrollment: list[Leg] = []
    if period is not None:
        # driven from the front line (index on sponsor) with one indexed volume lookup per
        # member, so the plan never depends on how fresh the volume table's statistics are
        enrollment = [
            Leg(*row)
            for row in Distributor.objects.filter(sponsor=member, kind=Distributor.Kind.DISTRIBUTOR)
            .annotate(
                leg_pv=_volume_subquery(period, "group_pv"),
                leg_cv=_volume_subquery(period, "group_cv"),
            )
            .exclude(leg_pv=0, leg_cv=0)
            .order_by("-leg_cv", "member_id")
            .values_list("member_id", "name", "leg_pv", "leg_cv")[:legs]
        ]
    front_line = Distributor.objects.filter(
        sponsor=member, kind=Distributor.Kind.DISTRIBUTOR
    ).count()
    return DashboardFigures(
        volumes=volumes,
        placement_legs=placement,
        enrollment_legs=enrollment,
        front_line=front_line,
        enrollment_downline=member.enrollment_downline,
        placement_downline=member.placement_downline,
    )


def _volume_subquery(period: Period | None, column: str):
    if period is None:
        return Coalesce(Subquery(PeriodVolume.objects.none().values(column)[:1]), 0)
    return Coalesce(
        Subquery(
            PeriodVolume.objects.filter(period_id=period.pk, distributor_id=OuterRef("pk")).values(
                column
            )[:1],
            output_field=IntegerField(),
        ),
        0,
    )


# --------------------------------------------------------------------------- team events


@register_team_event_source
def recent_recruits(member: Distributor, limit: int) -> list[TeamEvent]:
    """The newest enrollments of distributors anywhere in ``member``'s enrollment downline.

    A small team (up to ``SMALL_TEAM`` below) is walked down and joined with its enrollment
    events (walking down 5,000 members cost 70 ms on PostgreSQL, hence the cut-off of 1,000);
    for a larger one the ``RECENT_EVENTS_SCANNED`` newest enrollments of the whole
    network are checked by walking up from each until ``member`` or the root, so the cost
    follows the depth of the tree, not the size of the team.
    """
    if member.enrollment_downline == 0:
        return []
    with connection.cursor() as cursor:
        if member.enrollment_downline <= SMALL_TEAM:
            cursor.execute(
                f"""WITH RECURSIVE downline(id, lvl) AS (
    SELECT d.id, 1 FROM {TABLE} d WHERE d.sponsor_id = CAST(%s AS BIGINT) AND d.kind = 'distributor'
    UNION ALL
    SELECT d.id, w.lvl + 1 FROM {TABLE} d JOIN downline w ON d.sponsor_id = w.id
    WHERE d.kind = 'distributor'
)
SELECT e.effective_at, d.member_id, d.name, w.lvl
FROM downline w JOIN {TABLE} d ON d.id = w.id
JOIN {EVENTS} e ON e.distributor_id = d.id AND e.kind = 'enrolled'
ORDER BY e.effective_at DESC, e.id DESC LIMIT %s""",
                [member.pk, limit],
            )
            rows = cursor.fetchall()
        else:
            cursor.execute(
                f"""SELECT e.distributor_id, e.effective_at, d.member_id, d.name
FROM {EVENTS} e JOIN {TABLE} d ON d.id = e.distributor_id
WHERE e.kind = 'enrolled' AND d.kind = 'distributor' AND d.id <> %s
ORDER BY e.effective_at DESC, e.id DESC LIMIT %s""",
                [member.pk, RECENT_EVENTS_SCANNED],
            )
            candidates = cursor.fetchall()
            levels = _levels_below(cursor, member, [row[0] for row in candidates], ENROLLMENT)
            rows = [
                (at, member_id, name, levels[pk])
                for pk, at, member_id, name in candidates
                if pk in levels
            ][:limit]
    return [
        TeamEvent(
            at=_aware(at),
            kind=RECRUIT,
            member_id=member_id,
            name=name,
            text=gettext("%(name)s (%(member)s) joined your team on level %(level)d.")
            % {"name": name or member_id, "member": member_id, "level": level},
            level=level,
        )
        for at, member_id, name, level in rows
    ]


def _aware(value) -> datetime:
    """A timestamp read by raw SQL: SQLite gives naive UTC text, PostgreSQL aware values."""
    at = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return at if timezone.is_aware(at) else timezone.make_aware(at, UTC)


def _levels_below(cursor, top: Distributor, ids: list[int], tree: str) -> dict[int, int]:
    """For each of ``ids`` that lies below ``top`` in ``tree``: how many levels below.

    One query: walks up from every id at once and stops at ``top`` or the root.
    """
    if not ids:
        return {}
    column = parent_column(tree)
    marks = ", ".join(["%s"] * len(ids))
    cursor.execute(
        f"""WITH RECURSIVE up(start, id, lvl) AS (
    SELECT d.id, d.{column}, 1 FROM {TABLE} d WHERE d.id IN ({marks})
    UNION ALL
    SELECT u.start, d.{column}, u.lvl + 1 FROM up u JOIN {TABLE} d ON d.id = u.id
    WHERE u.id <> %s
)
SELECT start, lvl FROM up WHERE id = %s""",
        [*ids, top.pk, top.pk],
    )
    return dict(cursor.fetchall())


# --------------------------------------------------------------------------- the team


@dataclass(frozen=True)
class Page:
    rows: list
    page: int
    total: int
    page_size: int = PAGE_SIZE

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def clean_tree(value: str | None) -> str:
    return value if value in TREES else ENROLLMENT


@dataclass(frozen=True)
class RankSource:
    """The run whose ranks the team lists show: the newest projection of the open period."""

    run_id: int
    names: list[str]  # display names in the reader's language, in plan order


def rank_source(period: Period | None) -> RankSource | None:
    """The ranks to show for ``period`` (``None`` before any projection of it)."""
    if period is None:
        return None
    run = latest_projection(period)
    if run is None:
        return None
    version = run.plan_version
    names = [rank_label(version, rank.name) for rank in loaded_plan(version).plan.ranks]
    return RankSource(run.pk, names)


def _with_status(
    rows: QuerySet[Distributor], period: Period | None, tree: str, ranks: RankSource | None = None
) -> QuerySet:
    """Annotate each member with this period's PV (``period_pv``), the date of the last order
    credited to them (``last_order_at``), their projected paid-as rank (``rank_index``, with
    ``ranks``) and the size of their downline in ``tree``."""
    if period is not None:
        settle_live_volumes(period.pk)  # ``period_pv`` then includes every order so far
    last_order = Subquery(
        Order.objects.filter(distributor_id=OuterRef("pk"), returns_order__isnull=True)
        .exclude(status=Order.Status.CANCELLED)
        .order_by("-paid_at")
        .values("paid_at")[:1]
    )
    if ranks is not None:
        rows = rows.annotate(
            rank_index=Subquery(
                RunResult.objects.filter(run_id=ranks.run_id, distributor_id=OuterRef("pk")).values(
                    "paid_as_rank"
                )[:1],
                output_field=IntegerField(),
            )
        )
    return rows.annotate(period_pv=_volume_subquery(period, "pv"), last_order_at=last_order).only(
        "id",
        "member_id",
        "name",
        "status",
        "kind",
        "joined_on",
        "placement_position",
        "enrollment_downline",
        "placement_downline",
    )


def _with_rank_names(members: list[Distributor], ranks: RankSource | None) -> list[Distributor]:
    """Set ``rank_name`` from ``rank_index`` (empty when unknown)."""
    for member in members:
        index = getattr(member, "rank_index", None)
        member.rank_name = ranks.names[index] if ranks is not None and index is not None else ""
    return members


def tree_children(
    parent: Distributor,
    tree: str,
    period: Period | None,
    page: int = 1,
    ranks: RankSource | None = None,
) -> Page:
    """One page of ``parent``'s front line in ``tree`` (distributors only), each with their
    status at a glance. Two queries: the page and the count."""
    column = parent_column(tree)
    rows = Distributor.objects.filter(**{column: parent.pk}, kind=Distributor.Kind.DISTRIBUTOR)
    total = rows.count()
    order = ("placement_position", "member_id") if tree == PLACEMENT else ("member_id",)
    page = clamp_page(page, total, PAGE_SIZE)
    start = (page - 1) * PAGE_SIZE
    members = list(
        _with_status(rows, period, tree, ranks).order_by(*order)[start : start + PAGE_SIZE]
    )
    return Page(rows=_with_below(_with_rank_names(members, ranks), tree), page=page, total=total)


def search_downline(viewer: Distributor, query: str, tree: str) -> list[Distributor]:
    """Distributors in ``viewer``'s downline in ``tree`` whose member id starts with ``query``
    or whose name contains it (case-insensitive), at most ``SEARCH_LIMIT``, by member id.

    A small team is walked down and filtered in the same query. For a large one, up to
    ``SEARCH_CANDIDATES`` matches in the whole network are read (member ids through their
    index) and kept when a walk up from them reaches ``viewer``; the root sees everyone.
    """
    text = query.strip()
    if len(text) < 2:
        return []
    downline = viewer.enrollment_downline if tree == ENROLLMENT else viewer.placement_downline
    if downline == 0:
        return []
    matches = (
        Q(member_id__startswith=text)
        | Q(member_id__startswith=text.upper())
        | Q(name__icontains=text)
    )
    column = parent_column(tree)
    if downline <= SMALL_TEAM:
        with connection.cursor() as cursor:
            cursor.execute(
                f"""WITH RECURSIVE downline(id) AS (
    SELECT d.id FROM {TABLE} d WHERE d.{column} = CAST(%s AS BIGINT) AND d.kind = 'distributor'
    UNION ALL
    SELECT d.id FROM {TABLE} d JOIN downline w ON d.{column} = w.id WHERE d.kind = 'distributor'
) SELECT id FROM downline""",
                [viewer.pk],
            )
            ids = [row[0] for row in cursor.fetchall()]
        return list(
            Distributor.objects.filter(matches, id__in=ids, kind=Distributor.Kind.DISTRIBUTOR)
            .order_by("member_id")
            .only("id", "member_id", "name", "status", "joined_on")[:SEARCH_LIMIT]
        )
    by_id = list(
        Distributor.objects.filter(
            Q(member_id__startswith=text) | Q(member_id__startswith=text.upper()),
            kind=Distributor.Kind.DISTRIBUTOR,
        )
        .exclude(pk=viewer.pk)
        .order_by("member_id")
        .values_list("id", flat=True)[:SEARCH_CANDIDATES]
    )
    by_name = list(
        Distributor.objects.filter(name__icontains=text, kind=Distributor.Kind.DISTRIBUTOR)
        .exclude(pk=viewer.pk)
        .values_list("id", flat=True)[:SEARCH_CANDIDATES]
    )
    candidates = list(dict.fromkeys(by_id + by_name))
    if getattr(viewer, column) is None:
        kept = candidates  # the root of this tree: every member is below
    else:
        with connection.cursor() as cursor:
            kept = list(_levels_below(cursor, viewer, candidates, tree))
    return list(
        Distributor.objects.filter(id__in=kept)
        .order_by("member_id")
        .only("id", "member_id", "name", "status", "joined_on")[:SEARCH_LIMIT]
    )


def level_page(
    viewer: Distributor,
    tree: str,
    level: int,
    period: Period | None,
    *,
    page: int = 1,
    active_only: bool = False,
    requirement: ActivityRequirement | None = None,
    joined_since: date | None = None,
    ranks: RankSource | None = None,
    rank: int | None = None,
) -> Page:
    """Distributors exactly ``level`` levels below ``viewer`` in ``tree``, by member id, with
    their status at a glance; ``active_only`` keeps those active in ``period`` under the plan's
    activity rule ``requirement`` (``active_condition_sql``), ``joined_since`` those who joined
    on or after that day, ``rank`` (with ``ranks``) those projected paid as that rank.
    Three queries: the count, the page's ids, and their rows."""
    if not 1 <= level <= MAX_LEVEL:
        raise ValueError(f"level must be 1..{MAX_LEVEL}, not {level}")
    column = parent_column(tree)
    where, params = ["w.lvl = %s"], [level]
    if active_only:
        condition, condition_params = active_condition_sql(period, requirement)
        where.append(condition)
        params += condition_params
    if joined_since is not None:
        where.append("d.joined_on >= %s")
        params.append(joined_since)
    if ranks is not None and rank is not None:
        where.append(
            f"EXISTS (SELECT 1 FROM {RunResult._meta.db_table} r WHERE r.run_id = %s "
            "AND r.distributor_id = d.id AND r.paid_as_rank = %s)"
        )
        params += [ranks.run_id, rank]
    body = f"""WITH RECURSIVE downline(id, lvl) AS (
    SELECT d.id, 1 FROM {TABLE} d WHERE d.{column} = CAST(%s AS BIGINT) AND d.kind = 'distributor'
    UNION ALL
    SELECT d.id, w.lvl + 1 FROM {TABLE} d JOIN downline w ON d.{column} = w.id
    WHERE w.lvl < %s AND d.kind = 'distributor'
)
SELECT {{columns}} FROM downline w JOIN {TABLE} d ON d.id = w.id WHERE {" AND ".join(where)}"""
    with connection.cursor() as cursor:
        cursor.execute(body.format(columns="COUNT(*)"), [viewer.pk, level, *params])
        total = cursor.fetchone()[0]
        page = clamp_page(page, total, PAGE_SIZE)
        start = (page - 1) * PAGE_SIZE
        cursor.execute(
            body.format(columns="d.id") + " ORDER BY d.member_id LIMIT %s OFFSET %s",
            [viewer.pk, level, *params, PAGE_SIZE, start],
        )
        ids = [row[0] for row in cursor.fetchall()]
    members = list(
        _with_status(Distributor.objects.filter(id__in=ids), period, tree, ranks).order_by(
            "member_id"
        )
    )
    return Page(rows=_with_below(_with_rank_names(members, ranks), tree), page=page, total=total)


def _with_below(members: list[Distributor], tree: str) -> list[Distributor]:
    """Set ``below``: how many distributors are under each member in ``tree``."""
    for row in members:
        row.below = row.placement_downline if tree == PLACEMENT else row.enrollment_downline
    return members


# --------------------------------------------------------------------------- customers


def customers_page(viewer: Distributor, page: int = 1) -> Page:
    """``viewer``'s retail customers by member id, with their number of orders and the last one."""
    rows = Distributor.objects.filter(sponsor=viewer, kind=Distributor.Kind.CUSTOMER)
    total = rows.count()
    page = clamp_page(page, total, PAGE_SIZE)
    start = (page - 1) * PAGE_SIZE
    customers = list(
        rows.annotate(
            order_count=Count("purchases", filter=Q(purchases__returns_order__isnull=True)),
            last_order_at=Max("purchases__paid_at"),
        ).order_by("member_id")[start : start + PAGE_SIZE]
    )
    return Page(rows=customers, page=page, total=total)


def customer_of(viewer: Distributor, member_id: str) -> Distributor | None:
    """``viewer``'s own retail customer ``member_id``; ``None`` for anyone else's."""
    return Distributor.objects.filter(
        member_id=member_id, sponsor=viewer, kind=Distributor.Kind.CUSTOMER
    ).first()


def customer_orders(customer: Distributor) -> QuerySet[Order]:
    """The customer's orders and returns, newest first, with their lines."""
    return (
        Order.objects.filter(buyer=customer)
        .select_related("period", "returns_order")
        .prefetch_related("lines")
        .order_by("-paid_at", "-id")
    )
