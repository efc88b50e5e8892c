"""The console's background task: a commission run with its progress (``django.tasks``; run by
``downline worker``, or at once with the immediate backend of the tests).

Progress goes to the ``RunJob`` row the console polls. A final run works in one database
transaction, and rows written inside it are invisible until it commits; so on PostgreSQL each
finished step is written from a short-lived thread with its own connection. SQLite has one
writer at a time (the final holds the write lock), so there the steps of a final are written
when it ends.

The job survives its worker (``downline.core.jobs``): when it starts it records this process
and the task's id, a ``Heartbeat`` thread marks it alive while it runs, and a job whose worker
dies (kill -9, a lost machine) is failed by the next check with the reason. A final's database
work is one transaction, rolled back when its process dies, so the run can then start again.
"""

from __future__ import annotations

import threading

from django.db import connection, connections
from django.tasks import task
from django.utils import timezone

from downline.compensation.runs import do_run_final, do_run_preview, do_run_projection
from downline.core.errors import DownlineError
from downline.core.jobs import Heartbeat, running_fields, sqlite_lock_free

from .models import RunJob

RUNNERS = {"projection": do_run_projection, "preview": do_run_preview, "final": do_run_final}


def _write_steps(job_id: int, steps: list[str]) -> None:
    if not connection.in_atomic_block:
        RunJob.objects.filter(pk=job_id).update(steps=steps, heartbeat_at=timezone.now())
        return
    if connection.vendor != "postgresql":
        return  # written at the end (see the module)

    def write() -> None:
        try:
            RunJob.objects.filter(pk=job_id).update(steps=steps, heartbeat_at=timezone.now())
        finally:
            connections.close_all()

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    thread.join(timeout=10)


def _failed(job_id: int, message: str, steps: list[str]) -> None:
    RunJob.objects.filter(pk=job_id).update(
        status=RunJob.Status.FAILED, error=message, steps=steps, finished_at=timezone.now()
    )


@task
def run_commissions(job_id: int) -> dict[str, object]:
    """Run the job's commission run (projection, preview or final) and record the outcome,
    beating the job's heartbeat while it runs."""
    job = RunJob.objects.select_related("period", "started_by").get(pk=job_id)
    with Heartbeat(RunJob, job_id, can_write=sqlite_lock_free()):
        RunJob.objects.filter(pk=job_id).update(status=RunJob.Status.RUNNING, **running_fields())
        return _run(job)


def _run(job: RunJob) -> dict[str, object]:
    job_id = job.pk
    steps: list[str] = []

    def on_step(step: str) -> None:
        steps.append(step)
        _write_steps(job_id, list(steps))

    try:
        run = RUNNERS[job.kind](job.period, actor=job.started_by, on_step=on_step)
    except DownlineError as error:
        _failed(job_id, str(error), steps)
        return {"job": job_id, "error": str(error)}
    except Exception as error:
        _failed(job_id, f"{type(error).__name__}: {error}", steps)
        raise
    RunJob.objects.filter(pk=job_id).update(
        status=RunJob.Status.DONE, run=run, steps=steps, finished_at=timezone.now()
    )
    return {"job": job_id, "run": run.pk}
