"""The network lock: structure changes exclude each other and the writers of live volumes.

A structure change (enrollment, move, status change, upgrade, reversal) holds the lock
exclusively for its whole transaction; a writer of live volumes (an order, a return) holds it
shared before it walks the upline chains, so it only ever walks chains that no structure change
is rewriting. Shared holders do not block each other.

On PostgreSQL the lock is a transaction-scoped advisory lock. Its wait queue is fair: once a
structure change is waiting, new orders queue behind it instead of starving it (a shared row
lock on the root row would let a steady stream of orders keep a move waiting indefinitely).
On SQLite a write transaction is exclusive by itself (``transaction_mode = IMMEDIATE``), so
there is nothing more to take.
"""

from __future__ import annotations

from django.db import connection

NETWORK_LOCK_KEY = 0x646C_766F  # "dlvo": one key for the whole network


def _advisory(function: str) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s)", [NETWORK_LOCK_KEY])


def hold_network_exclusive() -> None:
    """Take the network lock for a structure change; call first inside ``transaction.atomic``."""
    _advisory("pg_advisory_xact_lock")


def hold_network_shared() -> None:
    """Take the network lock shared (for live-volume writers); inside ``transaction.atomic``."""
    _advisory("pg_advisory_xact_lock_shared")
