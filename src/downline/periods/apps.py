from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeriodsConfig(AppConfig):
    name = "downline.periods"
    label = "periods"
    verbose_name = _("Commission periods")
