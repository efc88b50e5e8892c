"""Splitting large array work over threads.

NumPy releases the GIL inside sorts, gathers (``np.take``) and element-wise loops on numbers,
so independent pieces of one large step run on several cores from plain threads. Every use
splits work into pieces whose results do not depend on each other or on the split, so results
are identical with any number of threads. ``DOWNLINE_ENGINE_THREADS`` sets the number of
threads (default: the number of cores, at most 8; 1 runs everything in the calling thread).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

SMALL = 1 << 18  # below this many elements one thread is faster
LARGE = 1 << 22  # pieces at most this large, so temporaries stay small


def thread_count() -> int:
    configured = os.environ.get("DOWNLINE_ENGINE_THREADS")
    if configured:
        return max(1, int(configured))
    return max(1, min(os.cpu_count() or 1, 8))


@lru_cache(maxsize=1)
def _executor(workers: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="downline-engine")


def run_all(tasks: list[Callable[[], object]]) -> list[object]:
    """Run ``tasks`` on the engine's threads; results in task order (errors re-raised)."""
    workers = thread_count()
    if workers == 1 or len(tasks) <= 1:
        return [task() for task in tasks]
    futures = [_executor(workers).submit(task) for task in tasks]
    return [future.result() for future in futures]


def pieces(total: int, minimum: int = SMALL, maximum: int | None = None) -> list[slice]:
    """``[0, total)`` cut into contiguous slices: one per thread (one slice when small), and
    more when a slice would exceed ``maximum``."""
    count = min(thread_count(), max(1, total // minimum))
    if maximum is not None:
        count = max(count, -(-total // maximum))
    bounds = [total * k // count for k in range(count + 1)]
    return [slice(bounds[k], bounds[k + 1]) for k in range(count)]


def for_pieces(total: int, work: Callable[[slice], object], minimum: int = SMALL) -> None:
    """``work(piece)`` for every piece of ``[0, total)`` (at most :data:`LARGE` each), on the
    engine's threads."""
    run_all([lambda piece=piece: work(piece) for piece in pieces(total, minimum, LARGE)])
