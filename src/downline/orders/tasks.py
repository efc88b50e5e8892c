"""Background tasks of the orders app (``django.tasks``; run by ``downline worker``)."""

from __future__ import annotations

import logging
import threading
import time
from datetime import date

from django.db import close_old_connections, connection
from django.tasks import task

from . import volumes
from .actions import do_run_due_autoships

logger = logging.getLogger(__name__)


@task
def run_due_autoships(on_date: str | date) -> dict[str, object]:
    """Place one order for every active autoship due on or before ``on_date`` (an ISO date
    string when enqueued; task arguments are JSON). Safe to run twice: an autoship is ordered
    once per due date (see ``actions.do_place_autoship_order``). Returns the order numbers placed
    and the reason of each autoship that failed."""
    day = on_date if isinstance(on_date, date) else date.fromisoformat(on_date)
    return do_run_due_autoships(day).as_json()


@task
def fold_volume_changes() -> int:
    """Fold every pending live-volume change into the ``PeriodVolume`` rows (see ``volumes``);
    returns how many were folded. ``run_volume_folder`` does the same every second."""
    return volumes.fold_volume_changes()


def run_volume_folder(stop: threading.Event, interval: float = 1.0) -> None:
    """Fold the pending live-volume changes every ``interval`` seconds until ``stop`` is set.

    ``downline worker`` runs this in a thread of its own (``core.scheduler.Scheduler``), so an
    order's volume is in the folded rows within about ``interval`` seconds; readers fold what
    is left themselves. A failed fold is logged and tried again at the next tick.
    """
    try:
        while not stop.is_set():
            started = time.monotonic()
            close_old_connections()
            try:
                volumes.fold_volume_changes()
            except Exception:
                logger.exception("Folding live volumes failed; retrying in %s s", interval)
            stop.wait(max(0.0, interval - (time.monotonic() - started)))
    finally:
        connection.close()
