from downline.core.errors import DownlineError


class ComplianceError(DownlineError):
    """A compliance report or setting that cannot be made; the message says where and why."""
