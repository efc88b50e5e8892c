"""The lock every write into a period holds, so that nothing lands in a period after its close.

A write (order, return, cancellation, structure move) calls ``lock_period_for_writing`` inside
its transaction and refuses if the period it gets back is closed. ``do_close_period`` locks the
period row ``FOR UPDATE``.

On PostgreSQL the write takes ``FOR KEY SHARE``: writers never wait for each other, a close waits
until every writer that already holds the lock has committed, and a writer that comes during a
close waits for it and then reads the new status. (Inserting a row that references the period
takes the same lock implicitly; taking it explicitly first makes the status read current.)
On SQLite every write transaction is ``IMMEDIATE``, so writers and closes are serialized anyway.
"""

from __future__ import annotations

from django.db import connection

from .models import Period


def lock_period_for_writing(period_id: int) -> Period:
    """The current row of period ``period_id``, locked against a close until the transaction ends.

    Must be called inside ``transaction.atomic``.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("lock_period_for_writing must run inside transaction.atomic")
    if connection.vendor == "postgresql":
        table = Period._meta.db_table
        rows = list(
            Period.objects.raw(f"SELECT * FROM {table} WHERE id = %s FOR KEY SHARE", [period_id])
        )
        if not rows:
            raise Period.DoesNotExist(f"period {period_id} does not exist")
        return rows[0]
    return Period.objects.get(pk=period_id)
