from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SimulationConfig(AppConfig):
    name = "downline.simulation"
    label = "simulation"
    verbose_name = _("Plan lab")
