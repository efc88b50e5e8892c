"""Background tasks of the academy (``django.tasks``; run by ``downline worker``)."""

from __future__ import annotations

from datetime import date

from django.tasks import task

from downline.core.jobs import SLICE_SECONDS
from downline.genealogy.rules import company_today

from .actions import do_record_expiring
from .consumers import consume_business_actions
from .kpi_fold import fold_all, refresh_cohorts


@task
def record_expiring_certificates(on_date: str | None = None) -> int:
    """Daily: record certificate.expiring for certificates expiring within 30 days (once per
    certificate). ``on_date`` is an ISO date (default: today in the company's time zone)."""
    day = date.fromisoformat(on_date) if on_date else company_today()
    return do_record_expiring(day)


@task
def read_business_actions(seconds: float = SLICE_SECONDS) -> int:
    """Tick the first-30-days business actions from the outbox (first order, customer, webinar),
    for at most about ``seconds``; the next run goes on from there."""
    return consume_business_actions(seconds=seconds)


@task
def fold_kpis(seconds: float = 50.0) -> int:
    """Every minute: fold new progress and finished attempts into the KPI counters (for at most
    ``seconds``), and refresh the joiner cohorts when they are an hour old. Returns the
    members and attempts folded."""
    folded = fold_all(seconds=seconds)
    refresh_cohorts()
    return folded
