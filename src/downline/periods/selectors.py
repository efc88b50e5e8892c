"""Reads (and the idempotent creation) of commission periods."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from downline.calendar import bounds_for_code, bounds_for_instant

from .models import Period
from .signals import period_reopening


def company_time_zone() -> str:
    return settings.DOWNLINE_TIME_ZONE


def period_kind() -> str:
    return settings.DOWNLINE_PERIOD_KIND


def period_for(instant: datetime) -> Period:
    """The period (of the company's period kind) that contains ``instant``; created if new.

    Safe under concurrency: two writers that create the same period end up with one row.
    """
    bounds = bounds_for_instant(instant, period_kind(), company_time_zone())
    return _get_or_create(bounds.code)


def period_by_code(code: str) -> Period:
    """The period ``code`` (``2026-10``, ``2026-W43``); created if new."""
    bounds_for_code(code, company_time_zone())  # validates the code
    return _get_or_create(code)


def _get_or_create(code: str) -> Period:
    existing = Period.objects.filter(code=code).first()
    if existing is not None:
        return existing
    bounds = bounds_for_code(code, company_time_zone())
    try:
        with transaction.atomic():
            return Period.objects.create(
                code=code,
                kind=bounds.kind,
                starts_at=bounds.starts_at,
                ends_at=bounds.ends_at,
            )
    except IntegrityError:
        return Period.objects.get(code=code)


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
