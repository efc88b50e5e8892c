"""Closing and reopening commission periods.

Rules:

* ``do_close_period``: the period must be open and over (its end has passed), and no earlier
  period of the same kind may still be open (periods close in order). It waits for every write
  already in the period to commit (see ``locks``), then marks it closed; from then on orders,
  returns, cancellations and structure moves into it are refused, and its volumes never change.
* ``do_reopen_period``: only the latest closed period of its kind can be reopened (no later
  period of the same kind is closed), and only if no receiver of ``signals.period_reopening``
  names something that depends on it (a later issue connects commission runs and payouts).

Both are recorded as ``PeriodEvent`` rows with the actor and the reason.

* ``do_ensure_period_for`` / ``do_ensure_period``: the period that contains an instant, or that
  has a code, created the first time something needs it (idempotent, safe under concurrency).
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from downline.accounts.models import User
from downline.calendar import bounds_for_code, bounds_for_instant

from .errors import PeriodError
from .models import Period, PeriodEvent
from .selectors import company_time_zone, period_kind, reopen_blockers
from .signals import period_closing


def do_ensure_period_for(instant: datetime) -> Period:
    """The period (of the company's period kind) that contains ``instant``; created if new.

    Safe under concurrency: two writers that create the same period end up with one row.
    """
    bounds = bounds_for_instant(instant, period_kind(), company_time_zone())
    return _get_or_create(bounds.code)


def do_ensure_period(code: str) -> Period:
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
                code=code, kind=bounds.kind, starts_at=bounds.starts_at, ends_at=bounds.ends_at
            )
    except IntegrityError:
        return Period.objects.get(code=code)


@transaction.atomic
def do_close_period(period: Period, *, actor: User | None = None, reason: str = "") -> Period:
    """Close ``period``: no more orders, returns, cancellations or moves in it."""
    locked = Period.objects.select_for_update().get(pk=period.pk)
    if locked.status == Period.Status.CLOSED:
        raise PeriodError(_("Period %(period)s is already closed.") % {"period": locked.code})
    now = timezone.now()
    if now < locked.ends_at:
        raise PeriodError(
            _("Period %(period)s has not ended yet; it can be closed after %(end)s.")
            % {"period": locked.code, "end": timezone.localtime(locked.ends_at).isoformat()}
        )
    earlier = (
        Period.objects.filter(
            kind=locked.kind, status=Period.Status.OPEN, starts_at__lt=locked.starts_at
        )
        .order_by("starts_at")
        .first()
    )
    if earlier is not None:
        raise PeriodError(
            _("Close period %(earlier)s before period %(period)s; periods close in order.")
            % {"earlier": earlier.code, "period": locked.code}
        )
    period_closing.send(sender=Period, period=locked)  # e.g. pending live volumes are folded
    locked.status = Period.Status.CLOSED
    locked.closed_at = now
    locked.closed_by = actor
    locked.save(update_fields=["status", "closed_at", "closed_by"])
    PeriodEvent.objects.create(
        period=locked, kind=PeriodEvent.Kind.CLOSED, actor=actor, reason=reason
    )
    return locked


@transaction.atomic
def do_reopen_period(period: Period, *, actor: User | None = None, reason: str = "") -> Period:
    """Reopen a closed ``period`` when nothing depends on it (see the module rules)."""
    locked = Period.objects.select_for_update().get(pk=period.pk)
    if locked.status == Period.Status.OPEN:
        raise PeriodError(_("Period %(period)s is open already.") % {"period": locked.code})
    blockers = reopen_blockers(locked)
    if blockers:
        raise PeriodError(
            _("Period %(period)s cannot be reopened: %(reasons)s")
            % {"period": locked.code, "reasons": " ".join(blockers)}
        )
    locked.status = Period.Status.OPEN
    locked.closed_at = None
    locked.closed_by = None
    locked.save(update_fields=["status", "closed_at", "closed_by"])
    PeriodEvent.objects.create(
        period=locked, kind=PeriodEvent.Kind.REOPENED, actor=actor, reason=reason
    )
    return locked
