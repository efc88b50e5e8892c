"""Reads of the growth app: a sponsor's radar, a member's notifications, console lists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet

from downline.genealogy.models import Distributor

from . import texts
from .models import (
    MentorAssignment,
    Message,
    Notification,
    RadarBuild,
    RadarItem,
    SponsorChangeRequest,
)


def radar_day(sponsor: Distributor) -> date | None:
    """The newest day the radar was built with items for ``sponsor`` (today's normally)."""
    return (
        RadarItem.objects.filter(sponsor_id=sponsor.pk)
        .order_by("-day")
        .values_list("day", flat=True)
        .first()
    )


@dataclass(frozen=True)
class RadarRow:
    item: RadarItem
    member: Distributor
    title: str
    text: str


def radar_of(sponsor: Distributor, day: date | None = None) -> tuple[date | None, list[RadarRow]]:
    """The sponsor's own radar items of ``day`` (their newest day when not given), with the
    reason rendered in the active language (the legs a close-to-rank item names by their
    names, and the plan versions that name the ranks, each read in one query). Only items whose sponsor is ``sponsor``: nothing
    outside their own team ever shows."""
    day = day or radar_day(sponsor)
    if day is None:
        return None, []
    items = list(
        RadarItem.objects.filter(sponsor_id=sponsor.pk, day=day).order_by(
            "state", "reason", "member_id"
        )
    )
    members = Distributor.objects.in_bulk([i.member_id for i in items])
    legs = set().union(*(texts.leg_member_ids(i.params) for i in items))
    names = dict(
        Distributor.objects.filter(member_id__in=sorted(legs)).values_list("member_id", "name")
        if legs
        else ()
    )
    versions = texts.plan_versions(i.params for i in items)
    rows = [
        RadarRow(
            i,
            members[i.member_id],
            texts.reason_title(i.reason),
            texts.reason_text(i.reason, i.params, names, versions),
        )
        for i in items
        if i.member_id in members
    ]
    return day, rows


def open_count(sponsor: Distributor) -> int:
    day = radar_day(sponsor)
    if day is None:
        return 0
    return (
        RadarItem.objects.filter(sponsor_id=sponsor.pk, day=day, state=RadarItem.State.OPEN)
        .values("member_id")
        .distinct()
        .count()
    )


def notifications_of(member: Distributor, limit: int = 100) -> list[Notification]:
    notes = list(
        Notification.objects.filter(recipient_id=member.pk).order_by("-created_at", "-id")[:limit]
    )
    message_ids = [n.params.get("message") for n in notes if n.kind == "message"]
    bodies = dict(
        Message.objects.filter(pk__in=[m for m in message_ids if m]).values_list("pk", "text")
    )
    for note in notes:
        params = dict(note.params or {})
        if note.kind == "message":
            params["text"] = bodies.get(params.get("message"), "")
        note.text = texts.notification_text(note.kind, params)
        note.label = texts.kind_label(note.kind)
    return notes


def unread_count_for_user(user) -> int:
    """One query: the unread notifications of the member linked to ``user``."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient__user_id=user.pk, read_at__isnull=True).count()


def mentees_of(mentor: Distributor) -> QuerySet[MentorAssignment]:
    return MentorAssignment.objects.filter(mentor=mentor, ended_at__isnull=True).select_related(
        "member"
    )


def pending_requests() -> QuerySet[SponsorChangeRequest]:
    return SponsorChangeRequest.objects.select_related(
        "member", "old_sponsor", "new_sponsor", "requested_by", "decided_by"
    )


def delivery_stats() -> dict:
    """Notification counts for the console: per kind, how many, read, e-mailed, pushed,
    waiting for delivery or for the digest."""
    rows = (
        Notification.objects.values("kind")
        .annotate(
            total=Count("id"),
            read=Count("id", filter=Q(read_at__isnull=False)),
            emailed=Count("id", filter=Q(emailed_at__isnull=False)),
            pushed=Count("id", filter=Q(pushed_at__isnull=False)),
            waiting=Count("id", filter=Q(delivered_at__isnull=True)),
            digest=Count("id", filter=Q(digest_pending=True)),
        )
        .order_by("kind")
    )
    out = []
    for row in rows:
        row["label"] = texts.kind_label(row["kind"])
        out.append(row)
    return {"kinds": out, "builds": list(RadarBuild.objects.all()[:10])}
