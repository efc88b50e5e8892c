from downline.core.errors import DownlineError


class ShopError(DownlineError):
    """A shop webhook that cannot be turned into an order, return or cancellation as given."""
