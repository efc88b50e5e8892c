"""One module per bonus kind; each turns the period context into the bonus's lines."""

from __future__ import annotations

from collections.abc import Callable

from .advancement import rank_advancement
from .binary import binary
from .fast_start import fast_start
from .generation import generation
from .matching import matching
from .personal import personal
from .pool import pool
from .stairstep import stairstep
from .unilevel import matrix, unilevel

BONUS_KINDS: dict[str, Callable] = {
    "personal": personal,
    "unilevel": unilevel,
    "matrix": matrix,
    "fast_start": fast_start,
    "binary": binary,
    "stairstep": stairstep,
    "generation": generation,
    "matching": matching,
    "rank_advancement": rank_advancement,
    "pool": pool,
}
