"""Background task of the webhooks app (``django.tasks``; run by ``downline worker``)."""

from __future__ import annotations

from django.tasks import task

from .delivery import run


@task
def deliver_webhooks() -> dict[str, int]:
    """Queue new outbox events for the subscriptions and send the deliveries that are due;
    the scheduler enqueues this every ``DOWNLINE_WEBHOOK_MINUTES`` (default 1) minutes."""
    return run()
