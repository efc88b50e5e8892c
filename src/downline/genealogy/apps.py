from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GenealogyConfig(AppConfig):
    name = "downline.genealogy"
    label = "genealogy"
    verbose_name = _("Network")
