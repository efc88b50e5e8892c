"""Every write made through the API is recorded with the key that made it (``ApiWrite``).

``record`` is called inside the transaction of the write, after the action succeeded, so the
audit row and the change are committed together or not at all. ``companion`` hands the row to
an action that writes it itself, in the same statement as its own rows (placing an order). The action itself still records
its own domain audit (structure events, order ``created_by``); the actor it gets is the login
that made the key (``auth.actor``).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest

from .auth import key_of
from .models import ApiWrite


def record(request: HttpRequest, operation: str, target: str, status: int = 200) -> ApiWrite:
    """Record that the caller's key did ``operation`` on ``target``."""
    return ApiWrite.objects.create(
        key=key_of(request),
        method=request.method or "",
        path=request.path[:300],
        operation=operation,
        target=str(target)[:100],
        status=status,
    )


def companion(
    request: HttpRequest, operation: str, status: int = 201
) -> Callable[[str], list[ApiWrite]]:
    """The audit row of the caller's write, for an action that learns the target (an order's
    number) only as it writes: given the target, the unsaved row."""
    key = key_of(request)
    method = request.method or ""
    path = request.path[:300]

    def rows(target: str) -> list[ApiWrite]:
        return [
            ApiWrite(
                key=key,
                method=method,
                path=path,
                operation=operation,
                target=str(target)[:100],
                status=status,
            )
        ]

    return rows
