"""Background work of outreach (``django.tasks``; run by ``downline worker``).

``run_outreach_loop(stop, interval)`` is meant for ``core.scheduler.LOOPS`` (a thread next to
the scheduler): every ``interval`` seconds it consumes the outbox for the sequences
(``outreach.sequences``), queues the mails of due sequence steps and sends the due mails. An
event therefore becomes its first e-mail within a couple of intervals. ``no_order_scan`` is
the daily "no order for 30 days" trigger.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import date

from django.db import close_old_connections, connection
from django.tasks import task

from downline.core.jobs import LOOP_SLICE_SECONDS

from . import sequences, webinars
from .mail import dispatch_due

logger = logging.getLogger(__name__)


def outreach_tick(
    *, batch: int = 100, pause: float = 0.0, mail_only: bool = False, seconds: float | None = None
) -> int:
    """One round: events → enrollments (for at most about ``seconds``) → due steps → mails
    sent. Returns mails sent."""
    if not mail_only:
        webinars.poll_live_rooms()
        webinars.take_attendance()
        sequences.consume_events(seconds=seconds)
        sequences.advance_due()
    return dispatch_due(batch, pause=pause)


@task
def send_due_mails() -> int:
    return outreach_tick()


@task
def no_order_scan(on_date: str | date) -> int:
    day = on_date if isinstance(on_date, date) else date.fromisoformat(on_date)
    return sequences.start_no_order_sequences(day)


def run_outreach_loop(
    stop: threading.Event,
    interval: float = 3.0,
    *,
    batch: int = 100,
    pause: float = 0.0,
    mail_only: bool = False,
) -> None:
    """``outreach_tick`` every ``interval`` seconds until ``stop`` is set, each reading the
    outbox for at most ``LOOP_SLICE_SECONDS``."""
    try:
        while not stop.is_set():
            started = time.monotonic()
            close_old_connections()
            try:
                outreach_tick(
                    batch=batch, pause=pause, mail_only=mail_only, seconds=LOOP_SLICE_SECONDS
                )
            except Exception:
                logger.exception("Outreach tick failed; retrying in %s s", interval)
            stop.wait(max(0.0, interval - (time.monotonic() - started)))
    finally:
        connection.close()
