"""Reads of outreach for the distributor's pages, the console and the dashboard card."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Sum
from django.utils import timezone

from downline.genealogy.rules import company_today

from .models import Enrollment, OutboundMail, Page, PageStat, Webinar


def page_of(member) -> Page | None:
    return Page.objects.select_related("template").defer("photo").filter(owner=member).first()


def signups_this_week(member) -> int:
    since = company_today() - timedelta(days=6)
    total = PageStat.objects.filter(page__owner=member, day__gte=since).aggregate(n=Sum("signups"))
    return total["n"] or 0


def enrollments_of(member, *, state: str | None = Enrollment.State.ACTIVE):
    rows = Enrollment.objects.filter(owner=member).select_related("sequence")
    if state:
        rows = rows.filter(state=state)
    return rows.order_by("-started_at")


def upcoming_webinars(now=None):
    now = now or timezone.now()
    return Webinar.objects.filter(kind=Webinar.Kind.EVERGREEN) | Webinar.objects.filter(
        kind=Webinar.Kind.LIVE, starts_at__gte=now - timedelta(hours=2)
    )


def sent_log(state: str = "", kind: str = ""):
    rows = OutboundMail.objects.select_related("sender").defer(
        "body_text", "body_html", "attachment_content"
    )
    if state:
        rows = rows.filter(state=state)
    if kind:
        rows = rows.filter(kind=kind)
    return rows.order_by("-created_at", "-pk")


def state_counts() -> dict[str, int]:
    return dict(OutboundMail.objects.values_list("state").annotate(n=Count("pk")))
