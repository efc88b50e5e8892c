"""Counting failed attempts per key in fixed time windows, in a cache every app server shares.

A key is over its limit when ``limit`` failures were recorded for it in the current window of
``window`` seconds (windows are aligned to multiples of ``window`` since the epoch). Keys are
hashed, so neither account names nor addresses are stored in the cache in clear.

The counters live in the cache named by ``DOWNLINE_LIMITS_CACHE`` (``default``): Redis when
``DOWNLINE_REDIS_URL`` is set, else the database cache (table ``downline_cache``, created by
migration ``accounts/0003``). Both are seen by every worker process and every machine, so
``serve``'s workers share one count. Redis counts atomically; the database cache may lose an
increment when two processes count the same key at the same instant (see docs/web.md).

``Gate`` slows an account down instead of locking it: after its limit, one attempt may pass
every ``delay`` seconds, the delay doubling with each further failure up to a cap.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import BaseCache, caches


def store() -> BaseCache:
    """The shared cache the counters live in."""
    return caches[getattr(settings, "DOWNLINE_LIMITS_CACHE", "default")]


def _hashed(scope: str, ident: str) -> str:
    return hashlib.sha256(f"{scope}\0{ident}".encode()).hexdigest()[:32]


def _now(now: float | None) -> float:
    return time.time() if now is None else now


@dataclass(frozen=True)
class Limit:
    """At most ``limit`` failures per key in each window of ``window`` seconds."""

    scope: str
    limit: int
    window: int

    def _key(self, ident: str, now: float) -> str:
        return f"downline:rl:{self.scope}:{_hashed(self.scope, ident)}:{int(now // self.window)}"

    def failures(self, ident: str, *, now: float | None = None) -> int:
        return int(store().get(self._key(ident, _now(now)), 0))

    def is_blocked(self, ident: str, *, now: float | None = None) -> bool:
        return self.failures(ident, now=now) >= self.limit

    def record_failure(self, ident: str, *, now: float | None = None) -> int:
        """Count one failure; the counter expires with its window. Returns the new count."""
        cache = store()
        key = self._key(ident, _now(now))
        cache.add(key, 0, timeout=self.window)
        try:
            return int(cache.incr(key))
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=self.window)
            return 1

    def seconds_left(self, *, now: float | None = None) -> int:
        """Seconds until the current window ends."""
        moment = _now(now)
        return int(self.window - (moment % self.window)) or self.window

    def reset(self, ident: str, *, now: float | None = None) -> None:
        store().delete(self._key(ident, _now(now)))


@dataclass(frozen=True)
class Gate:
    """Once a key is over its limit, one attempt per ``delay`` seconds, never a lock-out.

    ``delay(failures)`` is ``2 ** (failures - limit + 1)`` seconds, capped at ``max_delay``:
    2 s after the limit is reached, then 4, 8, 16 … The gate is a cache entry that expires
    when the next attempt may pass; ``enter`` claims it atomically (``cache.add``), so
    parallel requests cannot slip through together.
    """

    scope: str
    limit: int
    max_delay: int

    def _key(self, ident: str) -> str:
        return f"downline:gate:{self.scope}:{_hashed(self.scope, ident)}"

    def delay(self, failures: int) -> int:
        """Seconds to wait after ``failures`` failures (0 below the limit)."""
        if failures < self.limit:
            return 0
        return min(self.max_delay, 2 ** min(failures - self.limit + 1, 30))

    def wait(self, ident: str, *, now: float | None = None) -> int:
        """Seconds until the next attempt may pass (0: it may pass now)."""
        until = store().get(self._key(ident))
        if until is None:
            return 0
        return max(0, math.ceil(float(until) - _now(now)))

    def enter(self, ident: str, failures: int, *, now: float | None = None) -> int:
        """Claim the next attempt. Returns 0 when this attempt may go ahead, else the seconds
        to wait. Below the limit every attempt passes."""
        delay = self.delay(failures)
        if delay == 0:
            return 0
        moment = _now(now)
        if store().add(self._key(ident), moment + delay, timeout=delay):
            return 0
        return max(1, self.wait(ident, now=moment))

    def close(self, ident: str, failures: int, *, now: float | None = None) -> int:
        """After a failure: the next attempt waits ``delay(failures)`` from now. Returns it."""
        delay = self.delay(failures)
        if delay:
            store().set(self._key(ident), _now(now) + delay, timeout=delay)
        return delay

    def open(self, ident: str) -> None:
        store().delete(self._key(ident))


def client_address(request) -> str:
    """The address of the client as the server sees it (``REMOTE_ADDR``).

    Behind a reverse proxy the proxy must set ``REMOTE_ADDR`` from the real client (e.g.
    gunicorn's ``--forwarded-allow-ips`` with the proxy's ``X-Forwarded-For``); a header the
    client can write itself is never trusted here.
    """
    return request.META.get("REMOTE_ADDR", "") or "unknown"
