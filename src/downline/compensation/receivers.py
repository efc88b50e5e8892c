"""Receivers of other apps' signals."""

from __future__ import annotations

from django.utils.translation import gettext as _

from .models import Run


def final_run_blocks_reopen(sender, period, **kwargs) -> str | None:
    """A period whose final run posted commissions cannot be reopened."""
    run = Run.objects.filter(period=period, kind=Run.Kind.FINAL).first()
    if run is None:
        return None
    return _("Its final run #%(run)s posted commissions to the ledger.") % {"run": run.pk}
