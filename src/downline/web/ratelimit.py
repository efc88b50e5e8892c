"""Counting failed attempts per key in fixed time windows, in Django's cache.

A key is over its limit when ``limit`` failures were recorded for it in the current window of
``window`` seconds (windows are aligned to multiples of ``window`` since the epoch). Keys are
hashed, so neither account names nor addresses are stored in the cache in clear. The counters
live in the default cache: one process's memory in the demo, a shared store with several
app servers (see docs/web.md).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class Limit:
    scope: str
    limit: int
    window: int

    def _key(self, ident: str, now: float) -> str:
        digest = hashlib.sha256(f"{self.scope}\0{ident}".encode()).hexdigest()[:32]
        return f"downline:rl:{self.scope}:{digest}:{int(now // self.window)}"

    def failures(self, ident: str, *, now: float | None = None) -> int:
        return int(cache.get(self._key(ident, time.time() if now is None else now), 0))

    def is_blocked(self, ident: str, *, now: float | None = None) -> bool:
        return self.failures(ident, now=now) >= self.limit

    def record_failure(self, ident: str, *, now: float | None = None) -> int:
        """Count one failure; the counter expires with its window."""
        key = self._key(ident, time.time() if now is None else now)
        cache.add(key, 0, timeout=self.window)
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=self.window)
            return 1

    def seconds_left(self, *, now: float | None = None) -> int:
        """Seconds until the current window ends."""
        moment = time.time() if now is None else now
        return int(self.window - (moment % self.window)) or self.window

    def reset(self, ident: str, *, now: float | None = None) -> None:
        cache.delete(self._key(ident, time.time() if now is None else now))


def client_address(request) -> str:
    """The address of the client as the server sees it (``REMOTE_ADDR``).

    Behind a reverse proxy the proxy must set ``REMOTE_ADDR`` from the real client (e.g.
    gunicorn's ``--forwarded-allow-ips`` with the proxy's ``X-Forwarded-For``); a header the
    client can write itself is never trusted here.
    """
    return request.META.get("REMOTE_ADDR", "") or "unknown"
