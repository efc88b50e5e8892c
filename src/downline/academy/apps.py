from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AcademyConfig(AppConfig):
    name = "downline.academy"
    verbose_name = _("Academy")

    def ready(self) -> None:
        from downline.core import hooks

        from .selectors import certificates_held
        from .summary import copy_sponsor_paths, follow_sponsor_move

        hooks.SUBTREE_MOVED.register(follow_sponsor_move, key="academy.follow_sponsor_move")
        hooks.SPONSOR_PATHS_REBUILT.register(copy_sponsor_paths, key="academy.copy_sponsor_paths")
        hook = getattr(hooks, "CERTIFICATES_HELD", None)
        if hook is not None:
            hook.register(certificates_held, key="academy.certificates_held")
