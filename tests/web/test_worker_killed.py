"""kill -9 of a real ``downline worker`` in the middle of a console final (issue 11 finding 8):
the next worker fails the job with the reason, nothing of the final remains, and the final
can be started again and succeeds.

The final is held in the middle of its transaction by a lock this test takes on the period's
row, so the kill always lands mid-run. Every wait is bounded; the test stops by itself.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connection, transaction
from django_tasks_db.models import DBTaskResult

from downline.compensation.models import Run
from downline.compensation.plans import do_activate_plan_version, do_create_plan_version
from downline.core.jobs import this_worker
from downline.orders.actions import do_place_order
from downline.periods.actions import do_ensure_period
from downline.periods.models import Period
from downline.web.actions import do_start_run
from downline.web.models import RunJob

from .conftest import PLAN, at

ROOT = Path(__file__).resolve().parents[2]
WAIT = 60  # seconds, at most, for any one thing to happen


def _worker_env() -> dict[str, str]:
    """The environment of a ``downline worker`` on the suite's (committed) test database,
    with the production settings (the database task backend)."""
    db = connection.settings_dict
    env = dict(os.environ)
    env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env["DJANGO_SETTINGS_MODULE"] = "downline.settings.base"
    env.setdefault("DOWNLINE_SECRET_KEY", "test-worker-killed-" + "x" * 40)
    return env


def _worker(*options: str, log: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "downline", "worker", "--no-scheduler"]
    command += ["--no-startup-delay", "--interval", "0.1", *options]
    return subprocess.Popen(
        command, env=_worker_env(), cwd=ROOT, stdout=log.open("a"), stderr=subprocess.STDOUT
    )


def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.1)


def _scalar(sql: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


class PeriodLock:
    """Holds the period's row lock (``SELECT … FOR UPDATE``) in a thread of its own until
    ``release``; a final run waits for it inside its transaction."""

    def __init__(self, period: Period) -> None:
        self.period_id = period.pk
        self.taken, self.done = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold, daemon=True)

    def _hold(self) -> None:
        try:
            with transaction.atomic():
                Period.objects.select_for_update().get(pk=self.period_id)
                self.taken.set()
                self.done.wait(WAIT)
        finally:
            connection.close()

    def __enter__(self) -> PeriodLock:
        self.thread.start()
        assert self.taken.wait(WAIT)
        return self

    def release(self) -> None:
        self.done.set()
        self.thread.join(WAIT)

    def __exit__(self, *exc: object) -> None:
        self.release()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_during_a_final_fails_its_job_and_the_final_runs_again(
    team, settings, tmp_path
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    log = tmp_path / "worker.log"
    version = do_create_plan_version(PLAN.read_text(encoding="utf-8"), note="kill -9")
    do_activate_plan_version(version, do_ensure_period("2026-08"))
    do_place_order(team.carol, [(team.product, 2)], "EUR", paid_at=at(2026, 8, 10))
    august = Period.objects.get(code="2026-08")

    job = do_start_run(august, "final", actor=team.staff_user)
    assert job.status == "queued"
    assert job.task_id
    with PeriodLock(august) as lock:
        worker = _worker(log=log)
        try:
            _until(
                lambda: (
                    _scalar("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
                    > 0
                ),
                "the final to wait for the period inside its transaction",
            )
            job.refresh_from_db()
            assert job.status == "running"
            assert (job.worker_host, job.worker_pid) == (this_worker().host, worker.pid)
            worker.send_signal(signal.SIGKILL)
            assert worker.wait(WAIT) == -signal.SIGKILL
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait(WAIT)
        lock.release()
    # PostgreSQL ends the killed worker's session and rolls its transaction back.
    _until(
        lambda: _scalar("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'") == 0,
        "the killed final's session to end",
    )
    job.refresh_from_db()
    assert job.status == "running"  # what the issue found: nothing has noticed yet

    restarted = _worker("--batch", log=log)
    assert restarted.wait(WAIT) == 0, log.read_text()
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.worker_lost_at is not None
    assert f"(process {worker.pid} on host {this_worker().host})" in job.worker_lost_message
    assert DBTaskResult.objects.get(pk=job.task_id).status == "FAILED"
    august.refresh_from_db()
    assert august.is_open
    assert not Run.objects.filter(period=august).exists()

    again = do_start_run(august, "final", actor=team.staff_user)
    assert again.status == "queued"
    finisher = _worker("--batch", log=log)
    assert finisher.wait(WAIT) == 0, log.read_text()
    again.refresh_from_db()
    assert again.status == "done", again.error
    august.refresh_from_db()
    assert not august.is_open
    assert RunJob.objects.filter(status="running").count() == 0
