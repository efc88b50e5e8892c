"""Long jobs that survive their worker (DESIGN.md rule 14): heartbeats and lost workers.

A *worker job* is a row that a background task moves through ``queued → running → done |
failed`` (the console's ``RunJob``, the plan lab's ``SimulationRun``). Each such model
inherits ``WorkerJob`` and so records, while it runs:

* who runs it: ``worker_host`` (the machine's host name) and ``worker_pid`` (the process),
  and ``task_id``, the id of the task result of the tasks backend;
* a sign of life: ``heartbeat_at``, written when the task starts and then every
  ``settings.DOWNLINE_JOB_HEARTBEAT_SECONDS`` (default 15) by ``Heartbeat``, a small thread with
  its own database connection (so the beat commits even while the job holds a transaction).

**When a worker is gone.** A running job's worker is gone when

* it ran on this machine (same host name) and its process no longer exists, or a process
  with that number started only after the job did (the number was reused), or it is this very
  process but this process does not run the job (a worker restarted under the same number, as
  a container's first process does). On the same machine the process table is the truth: a
  live process is never declared gone, however old its last beat (SQLite has one writer, so a
  final run's long transaction holds back every beat until it commits);
* it ran on another machine (or before workers recorded themselves) and its last sign of life
  (``heartbeat_at``, else ``started_at``, else ``created_at``) is older than
  ``settings.DOWNLINE_JOB_STALE_SECONDS`` (default 120). Each worker machine therefore needs a
  host name of its own (containers have one each).

A job whose worker is gone is marked ``failed`` with ``worker_lost_at`` set; the page renders
the reason from the row (process, host, last sign of life) in the reader's language. Its task
result in ``django_tasks_db`` is marked failed too. Checks run when ``downline worker`` starts,
on every tick of its scheduler, when a job page polls a running job, and before a new run is
refused because another is "already under way".

**Why failing a lost job is safe.** A final run writes everything (lines, results, ledger,
closing the period) in one database transaction; when its process dies, PostgreSQL ends the
session and rolls the transaction back (SQLite rolls back the journal when the file is next
opened). Nothing of the lost job remains, so starting it again is safe. Should the process have
died after the commit but before it marked the job done, the final's own rules refuse the
second run (a period has one final run).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, models
from django.tasks import TaskResultStatus
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

DEFAULT_STALE_SECONDS = 120
DEFAULT_HEARTBEAT_SECONDS = 15
# A process counts as a newcomer under a reused number only if it started this much after the
# job: /proc dates a start from the boot time, which drifts when the clock is adjusted. (A
# worker restarted at once under the same number is caught by the own-process rule.)
START_SLACK = timedelta(seconds=60)
LOST_EXCEPTION = "downline.core.jobs.WorkerLost"

INTERACTIVE_PRIORITY = 50
"""Task priority of the jobs someone started and waits for (a commission run, a simulation).
Periodic tasks keep the default 0, and a worker takes the highest priority first, so such a
job waits at most for the task the worker is running, never for a queue of periodic ones."""

LOOP_SLICE_SECONDS = 1.0
"""How long one tick of a worker loop (outreach, contest boards) or a board page's poll reads
outbox events before it goes on with its other work; the rest waits for the next tick. After a
close the outreach loop (every 3 s) and the boards loop (every 2 s) so take at most about a
third and a half of their time for the backlog, beside the job the worker is running."""

SLICE_SECONDS = 20.0
"""How long a periodic task that works through a backlog of outbox events goes on before it
leaves the rest to its next run (``core.events.consume_all``), so that a job queued meanwhile
does not wait behind, say, a final run's hundreds of thousands of events."""


@dataclass(frozen=True)
class WorkerIdentity:
    """The machine and process that run a job."""

    host: str
    pid: int


def this_worker() -> WorkerIdentity:
    return WorkerIdentity(host=socket.gethostname()[:255], pid=os.getpid())


def stale_after() -> timedelta:
    """How long a job on another machine may stay silent before its worker counts as gone."""
    seconds = int(getattr(settings, "DOWNLINE_JOB_STALE_SECONDS", DEFAULT_STALE_SECONDS))
    return timedelta(seconds=max(1, seconds))


def heartbeat_every() -> float:
    """Seconds between two beats: the setting, but at most a third of the stale threshold."""
    wanted = float(getattr(settings, "DOWNLINE_JOB_HEARTBEAT_SECONDS", DEFAULT_HEARTBEAT_SECONDS))
    return max(0.05, min(wanted, stale_after().total_seconds() / 3))


# ---------------------------------------------------------------------------- processes


def process_started_at(pid: int) -> datetime | None:
    """When process ``pid`` started (Linux ``/proc``), or ``None`` where that is not known."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = next(
            int(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
    except (OSError, StopIteration, ValueError, IndexError):
        return None
    # The command name (field 2) may hold spaces; the fields after its ")" are plain.
    fields = stat.rsplit(")", 1)[1].split()
    ticks = int(fields[19])  # field 22 of the file: start time in clock ticks after boot
    return datetime.fromtimestamp(boot + ticks / os.sysconf("SC_CLK_TCK"), tz=UTC)


def process_exists(pid: int) -> bool:
    """Whether a process numbered ``pid`` exists on this machine (zombies count as gone)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


# Jobs this process runs now, as (model label, primary key): a job that names this process but
# is not in here was left by an earlier process with the same number.
_RUNNING_HERE: set[tuple[str, int]] = set()
_RUNNING_LOCK = threading.Lock()


def _key(model: type[models.Model], pk: int) -> tuple[str, int]:
    return (model._meta.label, int(pk))


def runs_here(model: type[models.Model], pk: int) -> bool:
    with _RUNNING_LOCK:
        return _key(model, pk) in _RUNNING_HERE


def process_gone(pid: int, started: datetime | None, *, running_here: bool) -> bool:
    """Whether the process ``pid`` of this machine that started a job at ``started`` is gone."""
    if pid == os.getpid():
        return not running_here
    if not process_exists(pid):
        return True
    began = process_started_at(pid)
    return began is not None and started is not None and began > started + START_SLACK


# ---------------------------------------------------------------------------- the model


class WorkerJob(models.Model):
    """The fields of a job that a worker runs (see the module). A concrete model has a
    ``Status`` with ``RUNNING`` and ``FAILED``, and the fields ``status``, ``created_at``,
    ``started_at`` and ``finished_at``."""

    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    worker_host = models.CharField(_("worker host"), max_length=255, blank=True)
    worker_pid = models.PositiveIntegerField(_("worker process"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    worker_lost_at = models.DateTimeField(
        _("worker lost at"),
        null=True,
        blank=True,
        help_text=_("set when the job was failed because its worker stopped"),
    )

    class Meta:
        abstract = True

    @property
    def last_sign_of_life(self) -> datetime:
        return self.heartbeat_at or getattr(self, "started_at", None) or self.created_at

    def worker_gone(self, now: datetime | None = None) -> bool:
        """Whether this running job's worker is gone (the rules are in the module). A queued
        job's worker is gone when its task result ended without the task taking the job (the
        worker died between claiming the task and starting the job)."""
        if self.status == self.Status.QUEUED:
            return _task_ended(self.task_id)
        if self.status != self.Status.RUNNING:
            return False
        if self.worker_pid and self.worker_host == this_worker().host:
            return process_gone(
                self.worker_pid,
                getattr(self, "started_at", None),
                running_here=runs_here(type(self), self.pk),
            )
        return (now or timezone.now()) - self.last_sign_of_life > stale_after()

    @property
    def worker_lost_message(self) -> str:
        """Why the job failed when its worker was lost, in the active language."""
        if self.worker_lost_at is None:
            return ""
        seen = date_format(timezone.localtime(self.last_sign_of_life), "DATETIME_FORMAT")
        if not self.worker_pid:
            return gettext(
                "The worker stopped while the job ran; last sign of life at %(seen)s. "
                "The job can be started again."
            ) % {"seen": seen}
        return gettext(
            "The worker stopped (process %(pid)s on host %(host)s) while the job ran; last "
            "sign of life at %(seen)s. The job can be started again."
        ) % {"pid": self.worker_pid, "host": self.worker_host, "seen": seen}


def worker_job_models() -> list[type[WorkerJob]]:
    return [model for model in apps.get_models() if issubclass(model, WorkerJob)]


# ---------------------------------------------------------------------------- writes


def running_fields() -> dict[str, object]:
    """The fields a task writes when it starts a job: run here, alive now. (The action that
    enqueues the task records ``task_id``.)"""
    me = this_worker()
    now = timezone.now()
    return {
        "worker_host": me.host,
        "worker_pid": me.pid,
        "heartbeat_at": now,
        "started_at": now,
        "worker_lost_at": None,
    }


def do_fail_if_lost(job: WorkerJob, now: datetime | None = None) -> bool:
    """Mark ``job`` failed if its worker is gone; return whether it was. The update only
    applies if the row is still running with the beat that was judged, so a beat that arrives
    meanwhile keeps the job alive."""
    now = now or timezone.now()
    if not job.worker_gone(now):
        return False
    model = type(job)
    updated = model.objects.filter(
        pk=job.pk, status=job.status, heartbeat_at=job.heartbeat_at
    ).update(status=model.Status.FAILED, worker_lost_at=now, finished_at=now)
    if not updated:
        return False
    job.status, job.worker_lost_at, job.finished_at = model.Status.FAILED, now, now
    message = job.worker_lost_message
    logger.warning("%s #%s failed: %s", model._meta.verbose_name, job.pk, message)
    _fail_task_result(job.task_id, message, now)
    return True


def do_fail_lost_jobs(
    job_models: Iterable[type[WorkerJob]] | None = None, now: datetime | None = None
) -> list[WorkerJob]:
    """Mark failed every running job whose worker is gone, of every worker-job model (or the
    ones given); also fail task results left running by a dead worker of this machine.
    Returns the jobs marked failed."""
    now = now or timezone.now()
    _fail_orphaned_task_results(now)
    lost: list[WorkerJob] = []
    for model in job_models if job_models is not None else worker_job_models():
        unfinished = (model.Status.QUEUED, model.Status.RUNNING)
        for job in model.objects.filter(status__in=unfinished):
            if do_fail_if_lost(job, now):
                lost.append(job)
    return lost


def _task_results():
    if not apps.is_installed("django_tasks_db"):
        return None
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult


def _stored_task(task_id: str):
    """The ``django_tasks_db`` rows of ``task_id`` (a queryset), or ``None`` when the id is
    empty or of another backend."""
    model = _task_results()
    try:
        uuid.UUID(task_id)
    except ValueError:
        return None
    return None if model is None else model.objects.filter(pk=task_id)


def _task_ended(task_id: str) -> bool:
    stored = _stored_task(task_id)
    ended = (TaskResultStatus.FAILED, TaskResultStatus.SUCCESSFUL)
    return stored is not None and stored.filter(status__in=ended).exists()


def _fail_task_result(task_id: str, message: str, now: datetime) -> None:
    stored = _stored_task(task_id)
    if stored is None:
        return
    stored.filter(status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.FAILED,
        finished_at=now,
        exception_class_path=LOST_EXCEPTION,
        traceback=message,
    )


# ---------------------------------------------------------------------------- task results

# The worker ids this process made (``worker_id``); a task result that names this process
# number with another id was left by an earlier process that had the same number.
_MY_WORKER_IDS: set[str] = set()


def _worker_prefix(pid: int) -> str:
    return f"{pid}@{this_worker().host}"[:55]


def worker_id() -> str:
    """A ``django_tasks_db`` worker id that names this process: ``pid@host:random``."""
    from django.utils.crypto import get_random_string

    made = f"{_worker_prefix(os.getpid())}:{get_random_string(8)}"
    _MY_WORKER_IDS.add(made)
    return made


def _process_of(worker: str) -> int | None:
    """The process number in a worker id made by ``worker_id`` on this machine, else ``None``."""
    head, _colon, _random = worker.rpartition(":")
    pid = head.partition("@")[0]
    if not pid.isdigit() or head != _worker_prefix(int(pid)):
        return None
    return int(pid)


def _fail_orphaned_task_results(now: datetime) -> None:
    """Fail the running task results whose worker was a process of this machine that is gone
    (periodic tasks have no job row; this keeps them from staying "running" forever)."""
    model = _task_results()
    if model is None:
        return
    for result in model.objects.filter(status=TaskResultStatus.RUNNING).only(
        "id", "worker_ids", "started_at"
    ):
        worker = result.worker_ids[-1] if result.worker_ids else ""
        pid = _process_of(worker)
        if pid is None:
            continue
        if pid == os.getpid():
            gone = worker not in _MY_WORKER_IDS
        else:
            gone = process_gone(pid, result.started_at, running_here=False)
        if gone:
            message = gettext("The worker stopped (process %(pid)s on host %(host)s).") % {
                "pid": pid,
                "host": this_worker().host,
            }
            _fail_task_result(str(result.id), message, now)


# ---------------------------------------------------------------------------- the heartbeat


class Heartbeat:
    """While the ``with`` block runs, mark job ``pk`` of ``model`` as run by this process and
    write its ``heartbeat_at`` every ``heartbeat_every()`` seconds from a thread with its own
    connection. ``can_write`` tells whether a beat may be written now (on SQLite not while the
    job's own connection holds the single write lock). A failed beat is logged and retried at
    the next one; it never stops the job."""

    def __init__(
        self,
        model: type[WorkerJob],
        pk: int,
        *,
        can_write: Callable[[], bool] = lambda: True,
    ) -> None:
        self.model, self.pk, self.can_write = model, pk, can_write
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{pk}", daemon=True)

    def __enter__(self) -> Heartbeat:
        with _RUNNING_LOCK:
            _RUNNING_HERE.add(_key(self.model, self.pk))
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        with _RUNNING_LOCK:
            _RUNNING_HERE.discard(_key(self.model, self.pk))

    def beat(self) -> None:
        self.model.objects.filter(pk=self.pk, status=self.model.Status.RUNNING).update(
            heartbeat_at=timezone.now()
        )

    def _run(self) -> None:
        try:
            while not self._stop.wait(heartbeat_every()):
                if not self.can_write():
                    continue
                try:
                    self.beat()
                except DatabaseError:
                    logger.warning("Heartbeat of job #%s not written; next try soon", self.pk)
        finally:
            connection.close()


def sqlite_lock_free() -> Callable[[], bool]:
    """``can_write`` for a job whose connection (the calling thread's) may hold SQLite's one
    write lock: a beat is written only while that connection is outside a transaction.
    Other databases take a beat at any time."""
    job_connection = connections[DEFAULT_DB_ALIAS]  # this thread's, not the beating thread's
    if job_connection.vendor != "sqlite":
        return lambda: True
    return lambda: not job_connection.in_atomic_block
