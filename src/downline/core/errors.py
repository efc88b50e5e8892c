"""The error every action raises when a business rule refuses a request.

Actions validate before they write and raise ``DownlineError`` (or an app's subclass) with a
translated, complete sentence that names what was refused (order number, SKU, member id, field)
and why. The transaction of the action is rolled back, so nothing is written partially. Views,
the admin, the API and the CLI show ``message`` as it is.
"""

from __future__ import annotations


class DownlineError(Exception):
    """A request that a rule of the business refuses; ``message`` says where and why."""

    def __init__(self, message: str, *, code: str = "invalid", field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field

    def __str__(self) -> str:
        return str(self.message)
