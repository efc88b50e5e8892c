"""Background tasks of support (``django.tasks``; run by ``downline worker``).

* ``mark_breaches`` (every few minutes): SLA breaches marked, each ticket's group e-mailed once;
  pending dispute adjustments decided on the console's adjustments page followed.
* ``refresh_plan_articles`` (daily): the knowledge base's plan articles rendered again if the
  active plan version changed (also done lazily when the knowledge base is read).
"""

from __future__ import annotations

from django.tasks import task

from .actions import do_mark_breaches, sync_dispute
from .kb import ensure_content
from .models import Dispute


@task
def mark_breaches() -> dict[str, int]:
    escalated = do_mark_breaches()
    synced = 0
    for dispute in Dispute.objects.filter(status=Dispute.Status.PENDING_APPROVAL):
        if sync_dispute(dispute).status != Dispute.Status.PENDING_APPROVAL:
            synced += 1
    return {"escalated": escalated, "disputes_followed": synced}


@task
def refresh_plan_articles(day: str | None = None) -> dict[str, bool]:
    """``day`` (ISO date) is what the daily scheduler passes; the plan in force now counts."""
    from .plan_articles import sync_plan_articles

    ensure_content()
    return {"changed": sync_plan_articles()}
