from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompensationConfig(AppConfig):
    name = "downline.compensation"
    label = "compensation"
    verbose_name = _("Commissions")

    def ready(self) -> None:
        from downline.periods.signals import period_reopening

        from .receivers import final_run_blocks_reopen

        period_reopening.connect(final_run_blocks_reopen, dispatch_uid="compensation.final_run")
