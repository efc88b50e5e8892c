"""The projection job: enqueued once per slot of DOWNLINE_PROJECTION_MINUTES, and what it does."""

from __future__ import annotations

from django.utils import timezone

from downline.calendar import code_for_day
from downline.compensation.models import Run
from downline.compensation.tasks import refresh_projection
from downline.core.scheduler import SCHEDULE, enqueue_due_jobs

from .conftest import activate_plan, at

PROJECTION = tuple(job for job in SCHEDULE if job.name == "compensation.refresh_projection")


def test_the_projection_is_enqueued_once_per_slot(settings, world):
    settings.DOWNLINE_PROJECTION_MINUTES = 15
    settings.DOWNLINE_TIME_ZONE = "UTC"
    assert [r.slot for r in enqueue_due_jobs(at(2026, 11, 23, 10, 0), PROJECTION)] == [600]
    assert enqueue_due_jobs(at(2026, 11, 23, 10, 0), PROJECTION) == []
    assert enqueue_due_jobs(at(2026, 11, 23, 10, 14), PROJECTION) == []
    assert [r.slot for r in enqueue_due_jobs(at(2026, 11, 23, 10, 15), PROJECTION)] == [615]
    # the test settings run tasks at once: two projections of the current period exist
    assert Run.objects.filter(kind=Run.Kind.PROJECTION).count() == 2


def test_the_task_projects_the_current_period(world):
    now = timezone.now()
    activate_plan(code_for_day(now.date(), "monthly"))
    world.order("B", 1, now)
    result = refresh_projection.call()
    run = Run.objects.get(pk=result["run"])
    assert run.kind == Run.Kind.PROJECTION
    assert run.period.code == result["period"]
