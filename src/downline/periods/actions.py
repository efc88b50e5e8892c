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
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from downline.accounts.models import User

from .errors import PeriodError
from .models import Period, PeriodEvent
from .selectors import reopen_blockers


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
