from downline.core.errors import DownlineError


class OrderError(DownlineError):
    """An order, return or cancellation that the rules refuse."""


class ProductError(DownlineError):
    """A product or price that the rules refuse."""


class AutoshipError(DownlineError):
    """An autoship that the rules refuse."""
