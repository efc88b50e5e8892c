"""The network lock: structure changes exclude each other and the writers of live volumes.

The lock is the root row of the network. A structure change (enrollment, move, status change,
upgrade, reversal) holds it exclusively (``FOR NO KEY UPDATE``) for its whole transaction; it
changes the root's downline counters anyway, so this costs no concurrency it did not already
cost. A writer of live volumes (an order) that holds it shared (``FOR SHARE``) before it walks
the upline chains is guaranteed to walk chains no structure change is rewriting: shared holders
do not block each other, and every statement after the lock sees the committed tree.
On SQLite a write transaction is exclusive by itself (``transaction_mode = IMMEDIATE``), so both
functions only read the row there.
"""

from __future__ import annotations

from .models import Distributor


def hold_network_exclusive() -> None:
    """Take the network lock for a structure change; call first inside ``transaction.atomic``."""
    list(
        Distributor.objects.select_for_update(no_key=True)
        .filter(sponsor__isnull=True)
        .values_list("id", flat=True)
    )


def hold_network_shared() -> None:
    """Take the network lock shared (for live-volume writers); inside ``transaction.atomic``.

    ``select_for_update`` has no ``FOR SHARE`` mode, so PostgreSQL gets the clause directly.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {Distributor._meta.db_table} WHERE sponsor_id IS NULL FOR SHARE"
        )
        cursor.fetchall()
