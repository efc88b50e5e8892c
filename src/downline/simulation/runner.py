"""Running the replicas: in this process or in worker processes, with progress.

Replica ``r`` of seed ``S`` draws from ``numpy.random.default_rng(SeedSequence(S).spawn(R)[r])``
(``R`` replicas), so a replica's result depends on the seed and its number only, never on how
many processes run or in which order they finish. In deterministic mode nothing is drawn and
every replica is the same.

Worker processes start with ``spawn`` (no copy of this process's threads or state) and run the
engine on one thread each (``DOWNLINE_ENGINE_THREADS=1``): replicas already fill the cores.
Each worker reports every finished month through a queue, which drives the progress bar.
"""

from __future__ import annotations

import multiprocessing
import os
import queue as queue_module
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

import numpy as np

from downline.engine.memory import tune_process_memory
from downline.engine.plan import Plan

from .params import GrowthParams
from .replica import ReplicaTask, run_replica

_progress_queue = None


def replica_tasks(
    plans: tuple[Plan, ...],
    params: GrowthParams,
    *,
    months: int,
    start_distributors: int,
    seed: int,
    replicas: int,
) -> list[ReplicaTask]:
    """One task per replica, each with its own child of ``SeedSequence(seed)``."""
    children: list[np.random.SeedSequence | None]
    if params.deterministic:
        children = [None] * replicas
    else:
        children = list(np.random.SeedSequence(seed).spawn(replicas))
    return [
        ReplicaTask(
            plans=plans,
            params=params,
            months=months,
            start_distributors=start_distributors,
            seed_sequence=child,
            index=index,
        )
        for index, child in enumerate(children)
    ]


def _init_worker(progress) -> None:
    global _progress_queue
    _progress_queue = progress
    os.environ["DOWNLINE_ENGINE_THREADS"] = "1"
    tune_process_memory()


def _run_in_worker(task: ReplicaTask) -> dict:
    progress = _progress_queue
    return run_replica(task, (lambda _t: progress.put(1)) if progress is not None else None)


def run_replicas(
    tasks: list[ReplicaTask],
    processes: int = 1,
    on_month: Callable[[], None] | None = None,
) -> list[dict]:
    """Every task's record, in task order. ``processes = 1`` runs here; more start that many
    worker processes (at most one per task). ``on_month`` is called once per finished month of
    any replica."""
    processes = max(1, min(processes, len(tasks)))
    if processes == 1:
        callback = (lambda _t: on_month()) if on_month is not None else None
        return [run_replica(task, callback) for task in tasks]
    context = multiprocessing.get_context("spawn")
    progress = context.Queue()
    records: dict[int, dict] = {}
    with ProcessPoolExecutor(
        max_workers=processes,
        mp_context=context,
        initializer=_init_worker,
        initargs=(progress,),
    ) as pool:
        pending: set[Future] = {pool.submit(_run_in_worker, task) for task in tasks}
        while pending:
            done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            _drain(progress, on_month)
            for future in done:
                record = future.result()
                records[record["index"]] = record
        _drain(progress, on_month)
    progress.close()
    return [records[task.index] for task in tasks]


def _drain(progress, on_month: Callable[[], None] | None) -> None:
    while True:
        try:
            progress.get_nowait()
        except (queue_module.Empty, OSError, ValueError):
            return
        if on_month is not None:
            on_month()
