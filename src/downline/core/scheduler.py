"""Periodic jobs: a small schedule of daily tasks, enqueued once per company-local day.

``django_tasks_db`` runs tasks but has no clock. The scheduler adds one:

* ``SCHEDULE`` lists the jobs. A daily job runs every day at a wall-clock time in the company's
  time zone (``settings.DOWNLINE_TIME_ZONE``) and its task receives that day as an ISO date
  string: at 00:05 ``downline.orders.tasks.run_due_autoships(today)``. An interval job runs in
  every slot of ``minutes`` minutes of the company-local day (slots start at midnight) with no
  arguments: every ``settings.DOWNLINE_PROJECTION_MINUTES`` (default 10) minutes
  ``downline.compensation.tasks.refresh_projection()``; every ``DOWNLINE_WEBHOOK_MINUTES``
  (default 1) minute ``downline.webhooks.tasks.deliver_webhooks()``.
* For each job, the run that is due is the latest scheduled instant not after now: before 00:05
  that is yesterday's run, from 00:05 on today's. A scheduler that was down therefore catches up
  the most recent missed run once (older missed days are not replayed; the jobs themselves catch
  up, e.g. ``run_due_autoships`` orders every autoship whose date has passed).
* A run is enqueued at most once: a ``ScheduledRun`` row with a unique (job, day, slot) is
  inserted in
  the same transaction as the task row of ``django_tasks_db``. A restarted scheduler, or two
  schedulers on two machines, find the row (or wait for the other's insert and then find it) and
  enqueue nothing.

``LOOPS`` run more often than a task row per run would allow, each in a thread started by
``Scheduler.run``: every second ``downline.orders.tasks.run_volume_folder`` folds the orders'
live-volume changes into the uplines' volumes.

``downline worker`` runs ``Scheduler.run`` in a thread next to the task worker. Each tick
also fails the jobs whose worker is gone (``downline.core.jobs.do_fail_lost_jobs``), so a job
left "running" by a killed worker is failed with the reason within one tick.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.tasks import Task
from django.utils import timezone
from django.utils.module_loading import import_string

from .jobs import do_fail_lost_jobs
from .models import ScheduledRun

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DailyJob:
    """A task enqueued once a day at ``at`` (company time) with the day as its one argument."""

    name: str
    task_path: str
    at: time
    description: str

    def task(self) -> Task:
        return import_string(self.task_path)

    def due_day(self, now: datetime, time_zone: str) -> date:
        """The company-local day of the latest scheduled run not after ``now``."""
        local = now.astimezone(ZoneInfo(time_zone))
        return local.date() if local.time() >= self.at else local.date() - timedelta(days=1)

    def due_slot(self, now: datetime, time_zone: str) -> tuple[date, int]:
        return self.due_day(now, time_zone), 0

    def arguments(self, day: date) -> tuple:
        return (day.isoformat(),)


@dataclass(frozen=True)
class IntervalJob:
    """A task enqueued once in every slot of ``minutes()`` minutes (no arguments)."""

    name: str
    task_path: str
    setting: str  # the setting that holds the interval in minutes
    default_minutes: int
    description: str

    def task(self) -> Task:
        return import_string(self.task_path)

    def minutes(self) -> int:
        return max(1, int(getattr(settings, self.setting, self.default_minutes)))

    def due_slot(self, now: datetime, time_zone: str) -> tuple[date, int]:
        """The company-local day and the first minute of the slot that contains ``now``."""
        local = now.astimezone(ZoneInfo(time_zone))
        minute = local.hour * 60 + local.minute
        return local.date(), minute - minute % self.minutes()

    def arguments(self, day: date) -> tuple:
        return ()


SCHEDULE: tuple[DailyJob | IntervalJob, ...] = (
    DailyJob(
        name="orders.run_due_autoships",
        task_path="downline.orders.tasks.run_due_autoships",
        at=time(0, 5),
        description="Place the orders of every autoship due on or before the day.",
    ),
    IntervalJob(
        name="compensation.refresh_projection",
        task_path="downline.compensation.tasks.refresh_projection",
        setting="DOWNLINE_PROJECTION_MINUTES",
        default_minutes=10,
        description="Project the current period's ranks and earnings for the dashboards.",
    ),
    IntervalJob(
        name="webhooks.deliver",
        task_path="downline.webhooks.tasks.deliver_webhooks",
        setting="DOWNLINE_WEBHOOK_MINUTES",
        default_minutes=1,
        description="Queue new events for the webhook endpoints and send what is due.",
    ),
    IntervalJob(
        name="support.mark_breaches",
        task_path="downline.support.tasks.mark_breaches",
        setting="DOWNLINE_SUPPORT_BREACH_MINUTES",
        default_minutes=5,
        description="Mark SLA breaches (e-mail each ticket's group once); follow dispute adjustments.",
    ),
    DailyJob(
        name="support.refresh_plan_articles",
        task_path="downline.support.tasks.refresh_plan_articles",
        at=time(0, 20),
        description="Render the knowledge base's plan articles again if the active plan changed.",
    ),
    IntervalJob(
        name="contacts.task_reminders",
        task_path="downline.contacts.tasks.send_task_reminders",
        setting="DOWNLINE_CONTACT_REMINDER_MINUTES",
        default_minutes=5,
        description="E-mail distributors their follow-ups that came due (once per task).",
    ),
    DailyJob(
        name="contacts.retention",
        task_path="downline.contacts.tasks.erase_inactive_contacts",
        at=time(3, 30),
        description="Erase contacts inactive longer than DOWNLINE_CONTACT_RETENTION_DAYS.",
    ),
    DailyJob(
        name="growth.build_radar",
        task_path="downline.growth.tasks.build_radar",
        at=time(5, 0),
        description="Build the sponsors' radar for the day.",
    ),
    IntervalJob(
        name="growth.deliver_notifications",
        task_path="downline.growth.tasks.deliver_notifications",
        setting="DOWNLINE_NOTIFICATION_MINUTES",
        default_minutes=1,
        description="Turn events into notifications; send e-mail and push.",
    ),
    DailyJob(
        name="growth.send_notification_digests",
        task_path="downline.growth.tasks.send_notification_digests",
        at=time(18, 0),
        description="Send the daily notification digests.",
    ),
    DailyJob(
        name="outreach.no_order_scan",
        task_path="downline.outreach.tasks.no_order_scan",
        at=time(6, 0),
        description="Start the 'no order for 30 days' sequences.",
    ),
    DailyJob(
        name="academy.expiring_certificates",
        task_path="downline.academy.tasks.record_expiring_certificates",
        at=time(0, 30),
        description="Record certificate.expiring 30 days before a certificate expires (once each).",
    ),
    IntervalJob(
        name="academy.business_actions",
        task_path="downline.academy.tasks.read_business_actions",
        setting="DOWNLINE_ACADEMY_ACTION_MINUTES",
        default_minutes=1,
        description="Tick the first-30-days business actions (first order, customer, webinar).",
    ),
    IntervalJob(
        name="academy.fold_kpis",
        task_path="downline.academy.tasks.fold_kpis",
        setting="DOWNLINE_ACADEMY_KPI_MINUTES",
        default_minutes=1,
        description="Fold new academy progress and quiz results into the KPI counters.",
    ),
)


@dataclass(frozen=True)
class LoopJob:
    """A loop that runs every ``interval`` seconds in a thread of its own next to the scheduler:
    ``function_path`` names ``function(stop: threading.Event, interval: float)``, which returns
    once ``stop`` is set. For work too frequent for a task row per run."""

    name: str
    function_path: str
    interval: float
    description: str

    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(
            target=import_string(self.function_path),
            args=(stop, self.interval),
            name=f"downline-{self.name}",
            daemon=True,
        )
        thread.start()
        return thread


LOOPS: tuple[LoopJob, ...] = (
    LoopJob(
        name="orders.fold_volume_changes",
        function_path="downline.orders.tasks.run_volume_folder",
        interval=1.0,
        description="Fold the orders' live-volume changes into the uplines' volumes.",
    ),
    LoopJob(
        name="outreach.send",
        function_path="downline.outreach.tasks.run_outreach_loop",
        interval=3.0,
        description="Outbox events to sequences to due e-mails sent; webinar attendance.",
    ),
    LoopJob(
        name="outreach.fold_visits",
        function_path="downline.outreach.visits.run_visit_folder",
        interval=5.0,
        description="Fold the capture pages' visit counters from the shared cache into their figures.",
    ),
    LoopJob(
        name="contests.refresh_boards",
        function_path="downline.contests.tasks.run_board_refresher",
        interval=2.0,
        description="Read new events and recompute the running contests' live boards.",
    ),
)


def enqueue_due_jobs(
    now: datetime | None = None, schedule: tuple[DailyJob | IntervalJob, ...] = SCHEDULE
) -> list[ScheduledRun]:
    """Enqueue every job whose latest run is not enqueued yet; return the runs enqueued now."""
    now = now or timezone.now()
    enqueued = []
    for job in schedule:
        day, slot = job.due_slot(now, settings.DOWNLINE_TIME_ZONE)
        run = _enqueue_once(job, day, slot)
        if run is not None:
            enqueued.append(run)
    return enqueued


def _enqueue_once(job: DailyJob | IntervalJob, day: date, slot: int) -> ScheduledRun | None:
    if ScheduledRun.objects.filter(job=job.name, run_for=day, slot=slot).exists():
        return None
    with transaction.atomic():
        try:
            with transaction.atomic():
                run = ScheduledRun.objects.create(job=job.name, run_for=day, slot=slot)
        except IntegrityError:
            return None  # another scheduler enqueued it first
        result = job.task().enqueue(*job.arguments(day))
        run.task_result_id = str(result.id)
        run.save(update_fields=["task_result_id"])
    logger.info("Enqueued %s for %s (task %s)", job.name, day.isoformat(), result.id)
    return run


class Scheduler:
    """Calls ``enqueue_due_jobs`` and ``do_fail_lost_jobs`` every ``interval`` seconds until
    ``stop`` is set."""

    def __init__(
        self,
        schedule: tuple[DailyJob | IntervalJob, ...] = SCHEDULE,
        interval: float = 30.0,
        loops: tuple[LoopJob, ...] = LOOPS,
    ):
        self.schedule = schedule
        self.interval = interval
        self.loops = loops

    def run(self, stop: threading.Event) -> None:
        logger.info("Scheduler started: %s", ", ".join(job.name for job in self.schedule))
        threads = [loop.start(stop) for loop in self.loops]
        try:
            while not stop.is_set():
                close_old_connections()
                for step in (self._enqueue, do_fail_lost_jobs):
                    try:
                        step()
                    except Exception:
                        # A database hiccup must not end the scheduler; the next tick tries again.
                        logger.exception("Scheduler tick failed; retrying in %s s", self.interval)
                stop.wait(self.interval)
        finally:
            for loop, thread in zip(self.loops, threads, strict=True):
                thread.join(timeout=loop.interval + 30)
            connection.close()

    def _enqueue(self) -> None:
        enqueue_due_jobs(schedule=self.schedule)
