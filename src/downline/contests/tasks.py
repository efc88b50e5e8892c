"""Background work of the contests app: a loop that keeps the live boards current.

``run_board_refresher(stop, interval)`` is meant for ``core.scheduler.LOOPS`` (a thread next to
the worker): every ``interval`` seconds it reads new outbox events (consumer
``contests.activity``) and recomputes the running contests marked dirty (at most every
``actions.REFRESH_SECONDS``). Board pages also do this when they poll, so boards follow orders
even where no worker runs.
"""

from __future__ import annotations

import logging
import threading
import time

from django.db import close_old_connections, connection
from django.tasks import task

from downline.core.jobs import LOOP_SLICE_SECONDS

from .actions import do_refresh_due

logger = logging.getLogger(__name__)


def run_board_refresher(stop: threading.Event, interval: float = 2.0) -> None:
    try:
        while not stop.is_set():
            started = time.monotonic()
            close_old_connections()
            try:
                do_refresh_due(seconds=LOOP_SLICE_SECONDS)
            except Exception:
                logger.exception("Refreshing the contest boards failed; retrying in %s s", interval)
            stop.wait(max(0.0, interval - (time.monotonic() - started)))
    finally:
        connection.close()


@task
def refresh_boards() -> int:
    """One refresh (for an interval job): returns how many contests were recomputed."""
    return do_refresh_due()
