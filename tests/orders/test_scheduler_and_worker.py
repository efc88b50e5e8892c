"""The daily schedule (autoships at 00:05 company time) and the ``worker`` command."""

from __future__ import annotations

import signal
from datetime import date

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from downline.core.models import ScheduledRun
from downline.core.scheduler import SCHEDULE, enqueue_due_jobs
from downline.orders.actions import do_create_autoship
from downline.orders.models import Order

from .conftest import at

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
AUTOSHIPS = (SCHEDULE[0],)


def runs() -> list[tuple[str, date]]:
    return list(ScheduledRun.objects.order_by("run_for").values_list("job", "run_for"))


def test_the_autoship_job_is_enqueued_once_per_company_day(settings, tree, shake):
    settings.DOWNLINE_TIME_ZONE = "Europe/Berlin"  # UTC+2 in October before the 25th
    autoship = do_create_autoship(tree["C"], 15, [(shake, 1)], "EUR", starts_on=date(2026, 10, 1))
    job = SCHEDULE[0].name

    # 00:04 on 15 October in Berlin: the latest run due is the one of the 14th.
    assert [
        run.run_for for run in enqueue_due_jobs(schedule=AUTOSHIPS, now=at(2026, 10, 14, 22, 4))
    ] == [date(2026, 10, 14)]
    assert not Order.objects.exists()
    # 00:05: the run of the 15th places the autoship order.
    assert [
        run.run_for for run in enqueue_due_jobs(schedule=AUTOSHIPS, now=at(2026, 10, 14, 22, 5))
    ] == [date(2026, 10, 15)]
    assert Order.objects.get().autoship == autoship
    # Later the same day, and a restarted or second scheduler: nothing more.
    assert enqueue_due_jobs(schedule=AUTOSHIPS, now=at(2026, 10, 14, 22, 6)) == []
    assert enqueue_due_jobs(schedule=AUTOSHIPS, now=at(2026, 10, 15, 21, 59)) == []
    # The next day once again.
    assert len(enqueue_due_jobs(schedule=AUTOSHIPS, now=at(2026, 10, 15, 22, 5))) == 1
    assert runs() == [
        (job, date(2026, 10, 14)),
        (job, date(2026, 10, 15)),
        (job, date(2026, 10, 16)),
    ]
    assert Order.objects.count() == 1


def test_with_the_database_backend_a_run_is_one_queued_task(settings, tree, shake):
    settings.TASKS = DATABASE_TASKS
    enqueue_due_jobs(schedule=AUTOSHIPS, now=at(2026, 10, 14, 22, 5))
    enqueue_due_jobs(schedule=AUTOSHIPS, now=at(2026, 10, 14, 23, 0))

    [task] = DBTaskResult.objects.all()
    assert task.task_path == "downline.orders.tasks.run_due_autoships"
    assert task.args_kwargs == {"args": ["2026-10-15"], "kwargs": {}}
    assert ScheduledRun.objects.get().task_result_id == str(task.id)


@pytest.fixture
def restore_signals():
    """The worker installs its own SIGINT/SIGTERM handlers; put pytest's back afterwards."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("restore_signals")
def test_the_worker_schedules_and_runs_the_autoship_job_once(settings, network, shake):
    settings.TASKS = DATABASE_TASKS
    network.add("R")
    do_create_autoship(network["R"], 15, [(shake, 3)], "EUR", starts_on=date(2020, 1, 1))

    call_command("worker", "--batch", "--no-startup-delay", verbosity=0)
    call_command("worker", "--batch", "--no-startup-delay", verbosity=0)

    [order] = Order.objects.all()
    assert (order.buyer.member_id, order.pv) == ("R", 3750)
    assert ScheduledRun.objects.filter(job=SCHEDULE[0].name).count() == 1
    [task] = DBTaskResult.objects.filter(task_path=SCHEDULE[0].task_path)
    assert task.status == "SUCCESSFUL"
    assert task.return_value["ordered"] == [order.number]
    # the projection job ran too; with no plan active it says why it skipped
    [projection] = DBTaskResult.objects.filter(task_path=SCHEDULE[1].task_path)
    assert "No plan is active" in projection.return_value["skipped"]
