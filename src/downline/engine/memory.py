"""Process memory policy for large runs (Linux with glibc; a no-op elsewhere).

The engine allocates and frees many arrays of hundreds of megabytes. By default glibc serves
each with a fresh ``mmap`` and unmaps it when freed, and NumPy asks the kernel for transparent
huge pages on it, so every new array pays page faults (and, on a busy virtual machine, huge-page
compaction) for memory the process just gave back; measured here that can cost more than the
arithmetic. :func:`tune_process_memory` makes glibc serve large blocks from the heap and keep
freed memory for reuse (``M_MMAP_MAX = 0``, a high ``M_TRIM_THRESHOLD``), from one heap for
every thread (``M_ARENA_MAX = 1``: by default each thread that allocates gets an arena of its
own, which cannot reuse what another thread freed, so a run's writer threads fault in fresh
memory beside a heap full of free blocks: 80,000 page faults of ``downline calc``'s writing at
100,000 distributors, 15,000 with one arena), and turns NumPy's huge-page advice off. It changes how fast memory is obtained, never what is computed.
Command-line runs and benchmarks call it once at start; a library caller decides for their own
process.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from collections.abc import Iterator
from contextlib import contextmanager

M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4
M_ARENA_MAX = -8


def tune_process_memory() -> bool:
    """Keep freed memory for reuse and skip huge-page advice; whether glibc accepted it."""
    try:
        from numpy._core.multiarray import _set_madvise_hugepage

        _set_madvise_hugepage(False)
    except ImportError:
        pass
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return (
        bool(mallopt(M_MMAP_MAX, 0))
        and bool(mallopt(M_TRIM_THRESHOLD, 2**31 - 1))
        and bool(mallopt(M_ARENA_MAX, 1))
    )


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off inside the block, as it was after it. A run makes
    millions of objects (the imported modules, plan models, ids) and no cycles worth collecting
    in its seconds; the collector's passes over them cost about 0.1 s of CPU at 100,000
    distributors."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
