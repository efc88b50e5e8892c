"""Visits of capture pages, counted in the shared cache and folded into ``PageStat``.

A visit must not cost a database write (the page is served from the cache without touching
the database at all), and no visit may be lost or counted twice. So:

**Counting.** Time is cut into slots of ``SLOT_SECONDS`` (slot ``s`` covers the Unix seconds
``[s·SLOT_SECONDS, (s+1)·SLOT_SECONDS)``). A visit of page ``p``, variant ``v`` on company-local
day ``d`` adds one to the cache counter ``cell = (s, p, d, v)``. The first visit of a cell in a
slot also registers the cell in the slot's index (an atomic counter ``n`` of cells and one key
per cell number), so the folder can find every cell without listing keys. Each step is one
atomic cache operation (``add``/``incr``), which Redis, Memcached and the in-process cache
(tests, a single process) guarantee. With a cache that cannot count atomically (the database
cache of the demo) a visit is one ``UPDATE`` of its ``PageStat`` row instead, as before.

**Folding** (``fold_visits``, every few seconds by ``run_visit_folder``, a loop of
``core.scheduler.LOOPS`` in ``downline worker``). The folder locks the one ``VisitFold`` row, whose ``folded_through``
says which slots are already in ``PageStat``. It takes every slot after that one that closed
at least ``GRACE_SLOTS`` slots ago (a request that read the clock in a slot has long counted
its visit by then), adds the slots' counters to ``PageStat`` and moves ``folded_through`` in
the same transaction; only after the commit are the counters deleted. A fold that fails
rolls back and leaves the counters for the next one; a second fold of the same slots finds
them at or below ``folded_through`` and adds nothing. Two folders serialise on the lock.

**Reading** (``pending_visits``): the dashboards add the counters not folded yet to the rows,
so conversion figures are exact at any moment (see ``pages.page_stats``).

Limits: counters live ``KEEP_SECONDS`` in the cache (a folder stopped for longer loses them),
and a cache that evicts keys under memory pressure (Redis ``maxmemory`` with an eviction
policy) can lose them too; give the cache room, or ``noeviction``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date, datetime

from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.memcached import BaseMemcachedCache
from django.core.cache.backends.redis import RedisCache
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.db.models import F
from django.utils import timezone

from .models import Page, PageStat, VisitFold

logger = logging.getLogger(__name__)

SLOT_SECONDS = 5
GRACE_SLOTS = 2
KEEP_SECONDS = 24 * 3600
PREFIX = "outreach:visits"
_CHUNK = 500

Cell = tuple[int, str, str]  # page id, ISO day, variant


def counts_in_cache() -> bool:
    """Whether the shared cache counts atomically (else a visit is a database ``UPDATE``)."""
    return isinstance(caches["default"], RedisCache | BaseMemcachedCache | LocMemCache)


def slot_of(moment: float) -> int:
    return int(moment // SLOT_SECONDS)


def company_day(moment: float) -> date:
    from .mail import zone

    return datetime.fromtimestamp(moment, tz=zone(None)).date()


def _count_key(slot: int, cell: str) -> str:
    return f"{PREFIX}:{slot}:c:{cell}"


def _size_key(slot: int) -> str:
    return f"{PREFIX}:{slot}:n"


def _index_key(slot: int, number: int) -> str:
    return f"{PREFIX}:{slot}:k:{number}"


def _bump(key: str) -> int:
    """``key`` plus one, created at 1 when missing; atomic on the backends ``counts_in_cache``
    names. On Redis one ``INCR`` (Django's ``incr`` first asks whether the key exists)."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        raw = backend.make_and_validate_key(key)
        client = backend._cache.get_client(raw, write=True)
        value = int(client.incr(raw))
        if value == 1:
            client.expire(raw, KEEP_SECONDS)
        return value
    while True:
        if backend.add(key, 1, KEEP_SECONDS):
            return 1
        try:
            return backend.incr(key)
        except ValueError:  # expired between the two calls: start again
            continue


def count_visit(page_id: int, variant: str, *, now: float | None = None) -> None:
    """One visit of ``page_id``'s ``variant``."""
    moment = time.time() if now is None else now
    day = company_day(moment)
    if not counts_in_cache():
        add_to_stats({(page_id, day.isoformat(), variant): 1})
        return
    slot = slot_of(moment)
    cell = f"{page_id}:{day.isoformat()}:{variant}"
    if _bump(_count_key(slot, cell)) == 1:  # the cell's first visit in this slot: register it
        cache.set(_index_key(slot, _bump(_size_key(slot))), cell, KEEP_SECONDS)


def add_to_stats(counts: dict[Cell, int]) -> None:
    """Add visits to the ``PageStat`` rows (created when missing; pages deleted since are
    skipped)."""
    pages = set(Page.objects.filter(pk__in={c[0] for c in counts}).values_list("pk", flat=True))
    for (page_id, day, variant), visits in sorted(counts.items()):
        if page_id not in pages or not visits:
            continue
        rows = PageStat.objects.filter(page_id=page_id, day=day, variant=variant)
        if rows.update(visits=F("visits") + visits):
            continue
        try:
            with transaction.atomic():
                PageStat.objects.create(page_id=page_id, day=day, variant=variant, visits=visits)
        except IntegrityError:  # a sign-up created the row meanwhile
            rows.update(visits=F("visits") + visits)


def _chunks(items: list, size: int = _CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _read_slots(slots: Iterable[int]) -> tuple[dict[Cell, int], list[str]]:
    """The counters of ``slots``: visits per cell, and every cache key they occupy."""
    counts: dict[Cell, int] = defaultdict(int)
    keys: list[str] = []
    for chunk in _chunks(list(slots)):
        sizes = cache.get_many([_size_key(s) for s in chunk])
        index = [
            _index_key(s, n) for s in chunk for n in range(1, int(sizes.get(_size_key(s)) or 0) + 1)
        ]
        keys += [_size_key(s) for s in chunk if _size_key(s) in sizes]
        for part in _chunks(index):
            cells = cache.get_many(part)
            keys += list(cells)
            count_keys = {_count_key(int(k.split(":")[2]), cell): cell for k, cell in cells.items()}
            values = cache.get_many(list(count_keys))
            keys += list(values)
            for key, visits in values.items():
                page_id, day, variant = count_keys[key].split(":")
                counts[(int(page_id), day, variant)] += int(visits)
    return dict(counts), keys


def last_closed_slot(moment: float) -> int:
    """The newest slot that ended ``GRACE_SLOTS`` slots or more before ``moment``."""
    return slot_of(moment) - GRACE_SLOTS - 1


def _first_kept_slot(moment: float) -> int:
    return slot_of(moment - KEEP_SECONDS)


def _locked_mark() -> VisitFold:
    try:
        with transaction.atomic():
            return VisitFold.objects.select_for_update().get_or_create(pk=1)[0]
    except IntegrityError:  # another folder created it first
        return VisitFold.objects.select_for_update().get(pk=1)


def fold_visits(*, now: float | None = None) -> int:
    """Fold the closed slots' counters into ``PageStat``; returns the visits added."""
    if not counts_in_cache():
        return 0
    moment = time.time() if now is None else now
    through = last_closed_slot(moment)
    with transaction.atomic():
        mark = _locked_mark()
        first = max(mark.folded_through + 1, _first_kept_slot(moment))
        if first > through:
            return 0
        counts, keys = _read_slots(range(first, through + 1))
        add_to_stats(counts)
        mark.folded_through, mark.folded_at = through, timezone.now()
        mark.save(update_fields=["folded_through", "folded_at"])
        transaction.on_commit(lambda: [cache.delete_many(part) for part in _chunks(keys)])
    return sum(counts.values())


def _folded_through() -> int:
    return VisitFold.objects.filter(pk=1).values_list("folded_through", flat=True).first() or 0


def pending_visits(page_id: int, *, now: float | None = None) -> dict[tuple[str, str], int]:
    """The page's visits still in the cache, per (ISO day, variant).

    Read between two reads of ``folded_through``: if a fold committed in between (the mark
    moved) the read is repeated, so a slot is never counted both in the rows and here."""
    if not counts_in_cache():
        return {}
    for _attempt in range(5):
        moment = time.time() if now is None else now
        before = _folded_through()
        first = max(before + 1, _first_kept_slot(moment))
        counts, _keys = _read_slots(range(first, slot_of(moment) + 1))
        if _folded_through() == before:
            break
    return {(day, variant): n for (pid, day, variant), n in counts.items() if pid == page_id}


def run_visit_folder(stop: threading.Event, interval: float = SLOT_SECONDS) -> None:
    """Fold the page visits every ``interval`` seconds until ``stop`` is set (a loop of
    ``core.scheduler.LOOPS``). A failed fold is logged and tried again at the next tick."""
    pause = interval
    try:
        while not stop.is_set():
            started = time.monotonic()
            close_old_connections()
            try:
                fold_visits()
            except Exception:
                logger.exception("Folding page visits failed; retrying in %s s", pause)
            stop.wait(max(0.0, pause - (time.monotonic() - started)))
    finally:
        connection.close()
