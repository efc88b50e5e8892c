"""Rate limits per API key, counted in the shared cache (Redis or the database cache).

A key may make ``DOWNLINE_API_RATE_LIMIT`` requests (default 600) in each fixed window of
``DOWNLINE_API_RATE_WINDOW`` seconds (default 60), windows aligned to multiples of the window
since the epoch. The counter lives in the cache every app server shares
(``web.ratelimit.store``), so all workers and machines count together. Beyond the limit the
request is answered 429 with ``Retry-After`` (seconds until the window ends). Counting costs
one round trip on Redis (``_count``).
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache.backends.redis import RedisCache
from django.utils.translation import gettext as _

from downline.web.ratelimit import store

from .errors import ApiProblem


def limit() -> int:
    return int(getattr(settings, "DOWNLINE_API_RATE_LIMIT", 600))


def window() -> int:
    return int(getattr(settings, "DOWNLINE_API_RATE_WINDOW", 60))


def count_request(key_hash: str, now: float | None = None) -> None:
    """Count one request of the key whose token hashes to ``key_hash``; raise a 429 problem
    when over the limit. (The hash, not the row id, names the counter: ids can be reused.)"""
    now = time.time() if now is None else now
    size = window()
    start = int(now // size) * size
    used = _count(f"api-rate:{key_hash[:32]}:{start}", size + 1)
    if used > limit():
        retry = max(1, int(start + size - now))
        raise ApiProblem(
            429,
            _("Rate limit of %(limit)s requests per %(window)s s reached; retry in %(retry)s s.")
            % {"limit": limit(), "window": size, "retry": retry},
            headers={"Retry-After": str(retry)},
        )


def _count(name: str, timeout: int) -> int:
    """Add one to counter ``name`` (created with ``timeout`` seconds to live); the new count.

    Redis: ``INCR`` and ``EXPIRE … NX`` in one round trip (atomic per command, so no request is
    lost). Other caches: ``incr`` first (the common case: the counter exists), ``add`` when it
    does not; the database cache may lose an increment when two processes count the same key at
    the same instant (``web.ratelimit``).
    """
    cache = store()
    if isinstance(cache, RedisCache):
        key = cache.make_and_validate_key(name)
        client = cache._cache.get_client(key, write=True)
        pipe = client.pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, timeout, nx=True)
        used, _set = pipe.execute()
        return int(used)
    for _attempt in range(3):
        try:
            return int(cache.incr(name))
        except ValueError:  # no counter yet (or it expired just now)
            if cache.add(name, 1, timeout=timeout):
                return 1
    return int(cache.incr(name))
