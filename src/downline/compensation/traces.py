"""Every distributor's trace (``downline.engine.explain``), zlib-compressed JSON, in parallel.

Writing a million traces is the slowest part of storing a run (about 75 µs each in Python), so
large periods are split between forked worker processes that inherit the computed arrays
(nothing is copied in) and send back compressed bytes; the caller can write the commission
lines meanwhile. Traces are written in English; the sentences of the web pages come from their
structured fields, translated when shown.
"""

from __future__ import annotations

import itertools
import json
import multiprocessing
import os
import threading
import zlib
from concurrent.futures import Future, ProcessPoolExecutor

import numpy as np

from downline.engine.explain import Explainer
from downline.engine.inputs import PeriodInputs, PeriodResult
from downline.engine.plan import Plan
from downline.exchange.bulk_sql import Packed
from downline.i18n import use_language

PARALLEL_FROM = 50_000  # distributors; below this one process is faster than forking

_shared: tuple[Plan, PeriodInputs, PeriodResult] | None = None


def _traces(start: int, stop: int) -> tuple[np.ndarray, bytes]:
    plan, inputs, result = _shared
    with use_language("en"):
        explainer = Explainer(plan, inputs, result)
        blobs = [
            zlib.compress(
                json.dumps(
                    explainer.explain(d), ensure_ascii=False, separators=(",", ":")
                ).encode(),
                1,
            )
            for d in range(start, stop)
        ]
    return np.fromiter(map(len, blobs), dtype=np.int64, count=len(blobs)), b"".join(blobs)


def _other_threads() -> bool:
    """Whether threads besides this one and the engine's idle pool run: forking then could
    hand the child a lock another thread holds (the task worker's scheduler, a web server)."""
    return any(
        thread is not threading.current_thread() and not thread.name.startswith("downline-engine")
        for thread in threading.enumerate()
    )


class TraceJob:
    """Traces being made; :meth:`result` waits for them."""

    def __init__(self, plan: Plan, inputs: PeriodInputs, result: PeriodResult) -> None:
        global _shared
        _shared = (plan, inputs, result)
        n = inputs.n
        workers = min(os.cpu_count() or 1, 4)
        self._pool: ProcessPoolExecutor | None = None
        self._parts: list[Future] | list[tuple[np.ndarray, bytes]]
        if (
            n < PARALLEL_FROM
            or workers < 2
            or "fork" not in multiprocessing.get_all_start_methods()
            or _other_threads()
        ):
            self._parts = [_traces(0, n)]
            return
        self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
        bounds = np.linspace(0, n, workers * 2 + 1).astype(int)
        self._parts = [
            self._pool.submit(_traces, int(a), int(b)) for a, b in itertools.pairwise(bounds)
        ]

    def result(self) -> Packed:
        global _shared
        try:
            parts = [p.result() if isinstance(p, Future) else p for p in self._parts]
        finally:
            if self._pool is not None:
                self._pool.shutdown()
            _shared = None
        return Packed(
            lengths=np.concatenate([lengths for lengths, _blob in parts]),
            data=np.frombuffer(b"".join(blob for _lengths, blob in parts), dtype=np.uint8),
        )


def decode(blob: bytes | memoryview) -> dict:
    """A stored trace."""
    return json.loads(zlib.decompress(bytes(blob)))
