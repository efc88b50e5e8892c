"""The projection job: enqueued once per slot of DOWNLINE_PROJECTION_MINUTES, and what it does."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine
from django.utils import timezone

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


def test_the_task_projects_the_current_period(settings, world):
    settings.DOWNLINE_TIME_ZONE = "Europe/Berlin"
    # half past midnight on 1 March 2027 in Berlin, still 28 February in UTC
    with time_machine.travel(datetime(2027, 2, 28, 23, 30, tzinfo=UTC), tick=False):
        activate_plan("2027-03")
        world.order("B", 1, timezone.now())
        result = refresh_projection.call()
    run = Run.objects.get(pk=result["run"])
    assert run.kind == Run.Kind.PROJECTION
    assert run.period.code == result["period"] == "2027-03"
