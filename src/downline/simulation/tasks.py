"""The plan lab's background task: one simulation, with its progress (``django.tasks``; run by
``downline worker``, or at once with the immediate backend of the tests).

The simulation itself is the Django-free library (``simulate.simulate``); this task only reads
the row, feeds the library and writes back. Progress is the share of replica-months done. Each
change of a whole percent is written with a single ``UPDATE`` outside any transaction (so it
commits at once and the console's polling sees it), at most about a hundred writes per run.
The task holds no transaction while it computes, so SQLite's single writer is never blocked.

The number of worker processes is ``settings.DOWNLINE_SIMULATION_PROCESSES`` (default: the
machine's cores, at most one per replica); ``1`` computes in the task's own process.

A run survives its worker (``downline.core.jobs``): it records this process and the task's id
when it starts, each progress write and a ``Heartbeat`` thread mark it alive, and a run whose
worker dies is failed by the next check with the reason (it kept nothing but its progress, so
it can simply be started again).
"""

from __future__ import annotations

import os
import time

from django.conf import settings
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext as _

from downline.core.jobs import Heartbeat, running_fields, sqlite_lock_free
from downline.engine.plan import PlanError

from .actions import growth_params, loaded_plans
from .models import SimulationRun
from .params import ParamsError
from .simulate import SimulationSettings, simulate

# The aggregation after the last month takes a small share of the time; keep 99% for it.
COMPUTE_SHARE = 99


def _processes(replicas: int) -> int:
    configured = getattr(settings, "DOWNLINE_SIMULATION_PROCESSES", None)
    wanted = configured if configured else (os.cpu_count() or 1)
    return max(1, min(int(wanted), replicas))


def _write(run_id: int, **fields) -> None:
    SimulationRun.objects.filter(pk=run_id).update(**fields)


def _failed(run_id: int, message: str) -> None:
    _write(
        run_id,
        status=SimulationRun.Status.FAILED,
        error=message,
        message=_("Failed"),
        finished_at=timezone.now(),
    )


@task
def run_simulation(run_id: int) -> dict[str, object]:
    """Simulate the run's plan(s) and store ``metrics.json`` in the row, beating the run's
    heartbeat while it runs."""
    run = SimulationRun.objects.get(pk=run_id)
    with Heartbeat(SimulationRun, run_id, can_write=sqlite_lock_free()):
        _write(
            run_id,
            status=SimulationRun.Status.RUNNING,
            progress=0,
            message=_("Starting"),
            **running_fields(),
        )
        return _simulate(run)


def _simulate(run: SimulationRun) -> dict[str, object]:
    run_id = run.pk
    total = run.months * run.replicas
    try:
        plans = loaded_plans(run)
        params = growth_params(run)
    except (PlanError, ParamsError) as error:
        _failed(run_id, str(error))
        return {"run": run_id, "error": str(error)}

    done = 0
    shown = -1

    def on_month() -> None:
        nonlocal done, shown
        done += 1
        percent = COMPUTE_SHARE * done // total
        if percent != shown:
            shown = percent
            _write(
                run_id,
                heartbeat_at=timezone.now(),
                progress=percent,
                message=_("%(done)s of %(total)s replica-months simulated")
                % {"done": f"{done:,}", "total": f"{total:,}"},
            )

    started = time.perf_counter()
    try:
        document = simulate(
            plans,
            params,
            SimulationSettings(
                months=run.months,
                start_distributors=run.start_distributors,
                seed=run.seed,
                replicas=run.replicas,
                processes=_processes(run.replicas),
            ),
            on_month,
        )
    except Exception as error:
        _failed(run_id, f"{type(error).__name__}: {error}")
        raise
    seconds = time.perf_counter() - started
    _write(
        run_id,
        status=SimulationRun.Status.DONE,
        progress=100,
        metrics=document,
        message=_("Done in %(seconds).1f s") % {"seconds": seconds},
        finished_at=timezone.now(),
    )
    return {"run": run_id, "seconds": round(seconds, 3)}
