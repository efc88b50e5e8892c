"""Background tasks of the orders app (``django.tasks``; run by ``downline worker``)."""

from __future__ import annotations

from datetime import date

from django.tasks import task

from .actions import do_run_due_autoships


@task
def run_due_autoships(on_date: str | date) -> dict[str, object]:
    """Place one order for every active autoship due on or before ``on_date`` (an ISO date
    string when enqueued; task arguments are JSON). Safe to run twice: an autoship is ordered
    once per due date (see ``actions.do_place_autoship_order``). Returns the order numbers placed
    and the reason of each autoship that failed."""
    day = on_date if isinstance(on_date, date) else date.fromisoformat(on_date)
    return do_run_due_autoships(day).as_json()
