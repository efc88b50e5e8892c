from downline.core.errors import DownlineError


class PeriodError(DownlineError):
    """A period cannot be closed or reopened, or is closed to a write."""
