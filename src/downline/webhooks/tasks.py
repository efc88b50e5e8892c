"""Background task of the webhooks app (``django.tasks``; run by ``downline worker``)."""

from __future__ import annotations

from django.tasks import task

from downline.core.jobs import SLICE_SECONDS

from .delivery import run


@task
def deliver_webhooks(seconds: float = SLICE_SECONDS) -> dict[str, int]:
    """Queue new outbox events for the subscriptions (for at most about ``seconds``) and send
    the deliveries that are due; the scheduler enqueues this every
    ``DOWNLINE_WEBHOOK_MINUTES`` (default 1) minutes."""
    return run(seconds=seconds)
