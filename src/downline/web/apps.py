from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "downline.web"
    label = "web"
    verbose_name = _("Back office and console")

    def ready(self) -> None:
        # the team-event sources register themselves when imported: new recruits, then rank
        # advancements of the commission runs
        from . import rank_events, selectors  # noqa: F401
