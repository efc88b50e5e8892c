from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "downline.orders"
    label = "orders"
    verbose_name = _("Orders and volumes")

    def ready(self) -> None:
        from downline.core import hooks
        from downline.periods.signals import period_closing

        from .network_moves import follow_moved_subtree, lock_chain_volumes

        period_closing.connect(_fold_on_close, dispatch_uid="orders.fold_on_close")
        # a sponsor or placement move carries the live volumes along (core.hooks)
        hooks.SUBTREE_MOVING.register(lock_chain_volumes, key="orders.lock_chain_volumes")
        hooks.SUBTREE_MOVED.register(follow_moved_subtree, key="orders.follow_moved_subtree")


def _fold_on_close(sender: object, period: object, **kwargs: object) -> None:
    """A period closes with every live-volume change folded (``volumes.fold_period_on_close``)."""
    from .volumes import fold_period_on_close

    fold_period_on_close(period.pk)
