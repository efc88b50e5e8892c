"""Reads of the contests app: boards, the trip tracker, recognition, points and badges.

Boards show positions and the contest's metric only, never money; a member who chose to be
anonymous appears as "a distributor". The team board holds the viewer and their enrollment
downline only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import connection
from django.db.models import Sum
from django.utils.translation import gettext as _

from downline.genealogy.models import Distributor
from downline.genealogy.rules import company_today
from downline.genealogy.tree_sql import ENROLLMENT, downline_cte

from .definition import Contest as Definition
from .models import (
    ActivityCount,
    BadgeAssertion,
    BadgeClass,
    Contest,
    FrozenResult,
    MemberSettings,
    PointEntry,
    PointLevel,
    RecognitionEntry,
    Standing,
)

TOP = 10
AROUND = 5
MAX_DEPTH = 1000


@dataclass
class BoardRow:
    position: int
    name: str
    score: int
    tier: str
    is_you: bool
    country: str


def visible_contests() -> list[Contest]:
    return list(Contest.objects.exclude(status=Contest.Status.DRAFT).order_by("-starts_on"))


def running_contest(on: date | None = None) -> Contest | None:
    on = on or company_today()
    return (
        Contest.objects.filter(status=Contest.Status.PUBLISHED, starts_on__lte=on, ends_on__gte=on)
        .order_by("ends_on")
        .first()
    )


def _names(member_ids: list[int]) -> dict[int, str]:
    anonymous = set(
        MemberSettings.objects.filter(member_id__in=member_ids, board_anonymous=True).values_list(
            "member_id", flat=True
        )
    )
    out = {}
    for pk, name, code in Distributor.objects.filter(pk__in=member_ids).values_list(
        "pk", "name", "member_id"
    ):
        out[pk] = _("a distributor") if pk in anonymous else (name or code)
    return out


def _rows(contest: Contest, items: list, viewer: Distributor) -> list[BoardRow]:
    names = _names([s.member_id for s in items])
    tiers = contest.definition.get("tiers", [])
    return [
        BoardRow(
            position=s.position,
            name=names.get(s.member_id, ""),
            score=s.score,
            tier=tiers[s.tier]["name"] if 0 <= s.tier < len(tiers) else "",
            is_you=s.member_id == viewer.pk,
            country=getattr(s, "country", ""),
        )
        for s in items
    ]


def _source(contest: Contest):
    return FrozenResult if contest.status == Contest.Status.FINISHED else Standing


def board_top(contest: Contest, viewer: Distributor, limit: int = TOP) -> list[BoardRow]:
    model = _source(contest)
    return _rows(
        contest, list(model.objects.filter(contest=contest).order_by("position")[:limit]), viewer
    )


def my_standing(contest: Contest, member: Distributor):
    return _source(contest).objects.filter(contest=contest, member=member).first()


def board_around(contest: Contest, viewer: Distributor) -> list[BoardRow]:
    mine = my_standing(contest, viewer)
    if mine is None:
        return []
    model = _source(contest)
    items = model.objects.filter(
        contest=contest,
        position__gte=max(1, mine.position - AROUND),
        position__lte=mine.position + AROUND,
    ).order_by("position")
    return _rows(contest, list(items), viewer)


def board_team(contest: Contest, viewer: Distributor, limit: int = 20) -> list[BoardRow]:
    """The viewer and their enrollment downline (distributors), best first."""
    table = _source(contest)._meta.db_table
    sql = (
        f"WITH RECURSIVE {downline_cte(ENROLLMENT, distributors_only=True)} "
        f"SELECT s.id FROM {table} s WHERE s.contest_id = %s "
        f"AND (s.member_id = %s OR s.member_id IN (SELECT id FROM downline)) "
        f"ORDER BY s.position LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [viewer.pk, MAX_DEPTH, contest.pk, viewer.pk, limit])
        ids = [row[0] for row in cursor.fetchall()]
    items = list(_source(contest).objects.filter(pk__in=ids).order_by("position"))
    return _rows(contest, items, viewer)


def board_country(contest: Contest, viewer: Distributor, limit: int = TOP) -> list[BoardRow]:
    if not viewer.country:
        return []
    model = _source(contest)
    items = list(
        model.objects.filter(contest=contest, member__country=viewer.country).order_by("position")[
            :limit
        ]
    )
    rows = _rows(contest, items, viewer)
    for index, row in enumerate(rows, start=1):
        row.position = index  # the place within the country
    return rows


@dataclass
class Tracker:
    contest: Contest
    score: int
    position: int | None
    tier: str
    next_tier: str | None
    needed: int | None  # metric units still missing for the next threshold tier
    ends_on: date
    is_volume: bool
    eligible_note: str


def tracker(contest: Contest, member: Distributor) -> Tracker:
    """How far the member is from the next threshold tier: "you need 340 more customer PV by
    31 March"."""
    definition = Definition.from_json(contest.definition)
    mine = my_standing(contest, member)
    score = mine.score if mine else 0
    tiers = definition.tiers
    current = tiers[mine.tier]["name"] if mine and mine.tier >= 0 else ""
    next_name, needed = None, None
    ahead = [t for t in tiers if t.get("threshold") is not None and t["threshold"] > score]
    if ahead:  # the nearest threshold not yet met
        nearest = min(ahead, key=lambda t: t["threshold"])
        next_name, needed = nearest["name"], nearest["threshold"] - score
    note = ""
    if mine is None and definition.certified:
        note = _("To appear on the board you need the certificate %(key)s.") % {
            "key": definition.certified
        }
    return Tracker(
        contest=contest,
        score=score,
        position=mine.position if mine else None,
        tier=current,
        next_tier=next_name,
        needed=needed,
        ends_on=definition.ends_on,
        is_volume=definition.is_volume,
        eligible_note=note,
    )


# --------------------------------------------------------------------------- recognition


@dataclass
class WallItem:
    kind: str
    on: date
    name: str
    params: dict


def recognition_wall(month_start: date | None = None, limit: int = 100) -> list[WallItem]:
    """Entries of opted-in members (newest first), plus this month's anniversaries."""
    opted = MemberSettings.objects.filter(recognition_opt_in=True).values("member_id")
    entries = list(
        RecognitionEntry.objects.filter(member_id__in=opted)
        .select_related("member")
        .order_by("-occurred_on", "-id")[:limit]
    )
    items = [
        WallItem(e.kind, e.occurred_on, e.member.name or e.member.member_id, e.params)
        for e in entries
    ]
    today = month_start or company_today()
    for member in Distributor.objects.filter(
        pk__in=opted, joined_on__month=today.month, joined_on__year__lt=today.year
    ):
        items.append(
            WallItem(
                RecognitionEntry.Kind.ANNIVERSARY,
                member.joined_on.replace(year=today.year),
                member.name or member.member_id,
                {"years": today.year - member.joined_on.year},
            )
        )
    items.sort(key=lambda item: item.on, reverse=True)
    return items


def recognition_month(year: int, month: int) -> list[WallItem]:
    """The opted-in entries of one month (the monthly report)."""
    first = date(year, month, 1)
    items = [
        item
        for item in recognition_wall(first, limit=10_000)
        if (item.on.year, item.on.month) == (year, month)
    ]
    return items


# --------------------------------------------------------------------------- points and badges


def points_of(member_id: int) -> int:
    return (
        PointEntry.objects.filter(member_id=member_id).aggregate(total=Sum("points"))["total"] or 0
    )


def level_of(points: int) -> PointLevel | None:
    return PointLevel.objects.filter(min_points__lte=points).order_by("-min_points").first()


def next_level(points: int) -> PointLevel | None:
    return PointLevel.objects.filter(min_points__gt=points).order_by("min_points").first()


def badge_progress(member_id: int, badge: BadgeClass) -> int:
    criterion = badge.criterion
    if criterion == BadgeClass.Criterion.POINTS:
        return points_of(member_id)
    if criterion in (BadgeClass.Criterion.LESSONS, BadgeClass.Criterion.WEBINARS):
        kind = (
            ActivityCount.Kind.LESSON
            if criterion == BadgeClass.Criterion.LESSONS
            else ActivityCount.Kind.WEBINAR
        )
        return (
            ActivityCount.objects.filter(member_id=member_id, kind=kind).aggregate(
                total=Sum("count")
            )["total"]
            or 0
        )
    if criterion == BadgeClass.Criterion.CUSTOMER_ORDERS:
        return PointEntry.objects.filter(member_id=member_id, rule_key="customer_order").count()
    if criterion == BadgeClass.Criterion.CONTEST_WINNER:
        return RecognitionEntry.objects.filter(
            member_id=member_id, kind=RecognitionEntry.Kind.WINNER
        ).count()
    return 0


def badges_of(member_id: int) -> list[BadgeAssertion]:
    return list(
        BadgeAssertion.objects.filter(member_id=member_id, revoked_at__isnull=True).select_related(
            "badge"
        )
    )


def points_summary(member_id: int) -> dict:
    total = points_of(member_id)
    by_rule = dict(
        PointEntry.objects.filter(member_id=member_id)
        .values_list("rule_key")
        .annotate(total=Sum("points"))
        .values_list("rule_key", "total")
    )
    return {
        "total": total,
        "level": level_of(total),
        "next": next_level(total),
        "by_rule": by_rule,
        "badges": badges_of(member_id),
    }
