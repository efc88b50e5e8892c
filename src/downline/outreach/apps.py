from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutreachConfig(AppConfig):
    name = "downline.outreach"
    verbose_name = _("Outreach")

    def ready(self) -> None:
        # bounces, complaints and unsubscribes reported by an e-mail provider through
        # django-anymail's tracking webhooks (when the project mounts them)
        from anymail.signals import tracking

        from . import page_cache  # noqa: F401 (drops cached pages when a page or template changes)
        from .receivers import on_anymail_tracking

        tracking.connect(on_anymail_tracking, dispatch_uid="downline.outreach.tracking")
