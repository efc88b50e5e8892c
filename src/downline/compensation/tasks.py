"""Background tasks of the compensation app (``django.tasks``; run by ``downline worker``)."""

from __future__ import annotations

from django.tasks import task
from django.utils import timezone

from downline.periods.actions import do_ensure_period_for

from .errors import CompensationError
from .runs import do_run_projection


@task
def refresh_projection() -> dict[str, object]:
    """Project the period that contains now (what the dashboards show). A period without an
    active plan is skipped with the reason; the scheduler enqueues this every few minutes."""
    period = do_ensure_period_for(timezone.now())
    try:
        run = do_run_projection(period)
    except CompensationError as error:
        return {"period": period.code, "skipped": str(error)}
    return {"period": period.code, "run": run.pk, "total_paid": run.total_paid}
