from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompensationConfig(AppConfig):
    name = "downline.compensation"
    label = "compensation"
    verbose_name = _("Commissions")

    def ready(self) -> None:
        from downline.core import hooks
        from downline.periods.signals import period_reopening

        from . import labels  # noqa: F401  (connects its per-request cache to the signals)
        from .clawbacks import do_claw_back
        from .receivers import final_run_blocks_reopen
        from .reconcile import ledger_violations

        period_reopening.connect(final_run_blocks_reopen, dispatch_uid="compensation.final_run")
        # a return after close claws back, inside the return's transaction (core.hooks)
        hooks.RETURN_AFTER_CLOSE.register(do_claw_back, key="compensation.claw_back")
        # `downline ledger check` also reconciles runs and clawbacks with their postings
        hooks.LEDGER_CHECKS.register(ledger_violations, key="compensation.reconcile")
