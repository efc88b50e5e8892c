from downline.core.errors import DownlineError


class CompensationError(DownlineError):
    """A plan version, run or clawback that cannot be done; the message says why."""
