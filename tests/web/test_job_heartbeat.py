"""A console run job survives its worker (DESIGN.md rule 14, issue 11 finding 8): a job whose
worker is gone is failed with the reason, shown on its page, and the period can run again;
a job whose worker is alive is left alone."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from downline.core.jobs import Heartbeat, do_fail_lost_jobs, this_worker
from downline.core.scheduler import Scheduler
from downline.periods.actions import do_ensure_period
from downline.periods.models import Period
from downline.web.models import RunJob

from .conftest import verified_staff

OTHER_HOST = "worker-2.example"


@pytest.fixture
def finance(db):
    client = Client()
    client.user = verified_staff(client, "fin", "finance")
    return client


def _dead_pid() -> int:
    """The number of a process of this machine that has ended."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _running_job(period: Period, **fields) -> RunJob:
    now = timezone.now()
    values = {"started_at": now - timedelta(minutes=5), "heartbeat_at": now}
    values.update(fields)
    return RunJob.objects.create(
        period=period, kind="preview", status=RunJob.Status.RUNNING, steps=["load"], **values
    )


def _start_preview(client: Client, period: Period):
    return client.post(reverse("web:console_run_start"), {"period": period.pk, "kind": "preview"})


def test_a_silent_job_of_another_machine_blocks_until_stale_then_fails_and_the_run_starts(
    settled, finance
):
    september = Period.objects.get(code="2026-09")
    job = _running_job(september, worker_host=OTHER_HOST, worker_pid=4242)

    refused = _start_preview(finance, september)
    assert refused["Location"] == reverse("web:console_periods")
    page = finance.get(refused["Location"]).text
    assert f"is already under way (job #{job.pk})" in page
    job.refresh_from_db()
    assert job.status == "running"  # a fresh heartbeat is not touched
    assert job.worker_lost_at is None

    with time_machine.travel(timezone.now() + timedelta(minutes=10), tick=False):
        started = _start_preview(finance, september)
        new = RunJob.objects.exclude(pk=job.pk).get()
        assert started["Location"] == reverse("web:console_job", args=[new.pk])
        assert new.status == "done", new.error
        job.refresh_from_db()
        assert job.status == "failed"
        assert job.worker_lost_at is not None
        assert job.finished_at is not None
        page = finance.get(reverse("web:console_job", args=[job.pk])).text
    assert 'data-status="failed"' in page
    assert f"The worker stopped (process 4242 on host {OTHER_HOST}) while the job ran" in page
    assert "last sign of life at" in page
    assert "hx-trigger" not in page  # finished: the page stops polling


def test_a_job_whose_process_died_on_this_machine_fails_at_once_with_its_task(settled, finance):
    september = Period.objects.get(code="2026-09")
    pid = _dead_pid()
    job = _running_job(september, worker_host=this_worker().host, worker_pid=pid)
    task = DBTaskResult.objects.create(
        status="RUNNING",
        task_path="downline.web.tasks.run_commissions",
        args_kwargs={"args": [job.pk], "kwargs": {}},
        backend_name="default",
        run_after=get_date_max(),
        worker_ids=[f"{pid}@{this_worker().host}:abcdefgh"],
        started_at=job.started_at,
    )
    RunJob.objects.filter(pk=job.pk).update(task_id=str(task.pk))

    fragment = finance.get(
        reverse("web:console_job", args=[job.pk]), headers={"HX-Request": "true"}
    ).text

    assert 'data-status="failed"' in fragment
    assert f"(process {pid} on host {this_worker().host})" in fragment
    job.refresh_from_db()
    assert job.status == "failed"
    task.refresh_from_db()
    assert task.status == "FAILED"
    assert f"process {pid}" in task.traceback


def test_a_queued_job_whose_worker_died_after_claiming_its_task_is_failed(settled, finance):
    """The worker took the task and died before it started the job: the task result is
    failed (its worker's process is gone), and with it the job that stayed queued."""
    september = Period.objects.get(code="2026-09")
    pid = _dead_pid()
    task = DBTaskResult.objects.create(
        status="RUNNING",
        task_path="downline.web.tasks.run_commissions",
        args_kwargs={"args": [0], "kwargs": {}},
        backend_name="default",
        run_after=get_date_max(),
        worker_ids=[f"{pid}@{this_worker().host}:abcdefgh"],
        started_at=timezone.now(),
    )
    job = RunJob.objects.create(period=september, kind="preview", task_id=str(task.pk))

    assert [lost.pk for lost in do_fail_lost_jobs()] == [job.pk]
    task.refresh_from_db()
    assert task.status == "FAILED"
    job.refresh_from_db()
    assert job.status == "failed"
    assert _start_preview(finance, september)["Location"] != reverse("web:console_periods")


@pytest.mark.real_clock  # compares with the start times of real processes
def test_a_live_process_of_this_machine_keeps_its_job_however_old_its_last_beat(settled):
    september = Period.objects.get(code="2026-09")
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        job = _running_job(
            september,
            worker_host=this_worker().host,
            worker_pid=sleeper.pid,
            started_at=timezone.now(),
            heartbeat_at=timezone.now() - timedelta(hours=1),  # SQLite held the beats back
        )
        assert do_fail_lost_jobs() == []
        job.refresh_from_db()
        assert job.status == "running"
    finally:
        sleeper.kill()
        sleeper.wait()
    assert [lost.pk for lost in do_fail_lost_jobs()] == [job.pk]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)")
@pytest.mark.real_clock  # compares with the start times of real processes
def test_a_process_number_reused_by_a_newer_process_counts_as_gone(settled):
    september = Period.objects.get(code="2026-09")
    newcomer = subprocess.Popen(["sleep", "60"])  # started after the job below
    try:
        job = _running_job(
            september,
            worker_host=this_worker().host,
            worker_pid=newcomer.pid,
            started_at=timezone.now() - timedelta(hours=1),
        )
        assert [lost.pk for lost in do_fail_lost_jobs()] == [job.pk]
    finally:
        newcomer.kill()
        newcomer.wait()


def test_a_job_naming_this_process_is_alive_only_while_this_process_runs_it(settled):
    """A worker restarted under the same process number (a container's first process) finds
    the job its predecessor left and fails it; the job it runs itself stays."""
    september = Period.objects.get(code="2026-09")
    job = _running_job(september, worker_host=this_worker().host, worker_pid=this_worker().pid)
    with Heartbeat(RunJob, job.pk):
        assert do_fail_lost_jobs() == []
    assert [lost.pk for lost in do_fail_lost_jobs()] == [job.pk]


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_thread_keeps_a_running_job_alive(settings):
    settings.DOWNLINE_JOB_HEARTBEAT_SECONDS = 0.05
    job = _running_job(
        do_ensure_period("2026-09"), heartbeat_at=timezone.now() - timedelta(minutes=5)
    )
    before = job.heartbeat_at
    with Heartbeat(RunJob, job.pk):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.heartbeat_at > before:
                break
            time.sleep(0.05)
    assert job.heartbeat_at > before


@pytest.mark.django_db(transaction=True)
def test_the_worker_scheduler_fails_lost_jobs_on_its_tick():
    job = _running_job(
        do_ensure_period("2026-09"), worker_host=this_worker().host, worker_pid=_dead_pid()
    )
    stop = threading.Event()
    thread = threading.Thread(target=Scheduler(schedule=(), interval=0.05).run, args=(stop,))
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.status == "failed":
                break
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert job.status == "failed"
    assert job.worker_lost_at is not None
