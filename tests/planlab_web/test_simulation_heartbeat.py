"""A plan-lab simulation survives its worker (DESIGN.md rule 14, issue 11 finding 8): a run
whose worker is gone is failed with the reason and shown so; a run whose worker beats is not."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from downline.core.jobs import do_fail_lost_jobs, this_worker
from downline.simulation.models import SimulationRun

from .test_plan_lab import _form


@pytest.fixture
def admin(login_as, plan_version):
    return login_as("admin")


@pytest.fixture
def running(admin, plan_version, settings) -> SimulationRun:
    """A simulation taken by a worker on another machine that beat a moment ago."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    admin.post(reverse("planlab:lab"), _form(plan_version=plan_version.pk))
    run = SimulationRun.objects.get()
    now = timezone.now()
    SimulationRun.objects.filter(pk=run.pk).update(
        status=SimulationRun.Status.RUNNING,
        progress=40,
        worker_host="worker-2.example",
        worker_pid=4242,
        started_at=now - timedelta(minutes=3),
        heartbeat_at=now,
    )
    run.refresh_from_db()
    return run


def test_a_simulation_whose_worker_went_silent_is_failed_with_the_reason(admin, running):
    page = reverse("planlab:run", args=[running.pk])
    fragment = admin.get(page, headers={"HX-Request": "true"})
    assert 'data-status="running"' in fragment.text  # a fresh heartbeat is not touched

    with time_machine.travel(timezone.now() + timedelta(minutes=10), tick=False):
        listing = admin.get(reverse("planlab:runs")).text
        fragment = admin.get(page, headers={"HX-Request": "true"})
    running.refresh_from_db()
    assert running.status == "failed"
    assert running.worker_lost_at is not None
    assert "lab-status-failed" in listing
    assert 'data-status="failed"' in fragment.text
    assert fragment["HX-Refresh"] == "true"
    text = admin.get(page).text
    assert "The worker stopped (process 4242 on host worker-2.example) while the job ran" in text


def test_a_simulation_whose_process_died_on_this_machine_is_failed_by_the_check(running):
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    SimulationRun.objects.filter(pk=running.pk).update(
        worker_host=this_worker().host, worker_pid=child.pid
    )
    assert [lost.pk for lost in do_fail_lost_jobs()] == [running.pk]
    running.refresh_from_db()
    assert running.status == "failed"
    assert f"(process {child.pid} on host {this_worker().host})" in running.worker_lost_message
