"""Reads of commission periods."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext

from .models import Period
from .signals import period_reopening


def company_time_zone() -> str:
    return settings.DOWNLINE_TIME_ZONE


def period_kind() -> str:
    return settings.DOWNLINE_PERIOD_KIND


def open_periods() -> list[Period]:
    return list(Period.objects.filter(status=Period.Status.OPEN).order_by("starts_at"))


def reopen_blockers(period: Period) -> list[str]:
    """Sentences naming what depends on closed ``period``; empty when it may be reopened.

    A later closed period of the same kind always blocks (periods reopen in reverse order);
    receivers of ``signals.period_reopening`` add their own reasons.
    """
    reasons: list[str] = []
    later = (
        Period.objects.filter(
            kind=period.kind, status=Period.Status.CLOSED, starts_at__gt=period.starts_at
        )
        .order_by("-starts_at")
        .first()
    )
    if later is not None:
        reasons.append(
            gettext("Period %(later)s, which comes after it, is closed; reopen that first.")
            % {"later": later.code}
        )
    for _receiver, response in period_reopening.send(sender=Period, period=period):
        if response:
            reasons.append(str(response))
    return reasons
