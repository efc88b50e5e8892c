"""``downline worker``: the task worker of ``django_tasks_db`` plus the periodic-job scheduler.

Takes every option of ``db_worker`` (``--queue-name``, ``--interval``, ``--batch``,
``--max-tasks``, ``--worker-id``, ``--backend``, ``--no-startup-delay``) except ``--reload``,
which is always off: a reloader would restart the scheduler thread along with the worker.

The scheduler runs in a thread (its own database connection) and the worker loop in the main
thread, which receives Ctrl+C/SIGTERM; when the loop ends the scheduler is stopped too.
With ``--batch`` the scheduler makes one pass, then the worker runs what is queued and exits.

Before it takes its first task, the worker fails every job whose worker is gone
(``downline.core.jobs``): a job left "running" by a killed worker is failed with the reason and
can be started again. Its default ``--worker-id`` names the process (``pid@host:random``), so a
task result left running by a dead process of this machine is failed too.
"""

from __future__ import annotations

import logging
import threading
from argparse import ArgumentParser

from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand
from django_tasks_db.management.commands.db_worker import valid_interval

from downline.core.jobs import do_fail_lost_jobs, worker_id
from downline.core.jobs import logger as jobs_logger
from downline.core.scheduler import Scheduler, enqueue_due_jobs
from downline.core.scheduler import logger as scheduler_logger


class Command(DbWorkerCommand):
    help = "Run the task worker and the scheduler of periodic jobs until interrupted."

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.set_defaults(worker_id=worker_id())
        parser.add_argument(
            "--no-scheduler",
            action="store_false",
            dest="scheduler",
            help="Only run tasks; do not enqueue periodic jobs (another worker does).",
        )
        parser.add_argument(
            "--schedule-interval",
            type=valid_interval,
            default=30.0,
            help="Seconds between two checks for due periodic jobs (default: %(default)s).",
        )

    def configure_logging(self, verbosity: int) -> None:
        """The worker's own logging, plus the scheduler's lines at the same verbosity."""
        super().configure_logging(verbosity)
        levels = {0: logging.CRITICAL, 1: logging.INFO}
        for logger in (scheduler_logger, jobs_logger):
            logger.setLevel(levels.get(verbosity, logging.DEBUG))
            if not logger.hasHandlers():
                logger.addHandler(logging.StreamHandler(self.stdout))

    def handle(self, *args: object, scheduler: bool, schedule_interval: float, **options) -> None:
        options["reload"] = False
        self.configure_logging(options["verbosity"])
        do_fail_lost_jobs()
        if not scheduler:
            super().handle(*args, **options)
            return
        if options["batch"]:
            enqueue_due_jobs()
            super().handle(*args, **options)
            return
        stop = threading.Event()
        thread = threading.Thread(
            target=Scheduler(interval=schedule_interval).run,
            args=(stop,),
            name="downline-scheduler",
            daemon=True,
        )
        thread.start()
        try:
            super().handle(*args, **options)
        finally:
            stop.set()
            thread.join(timeout=10)
