"""Who is calling: ``Authorization: Bearer <token>`` → an :class:`~downline.api.models.ApiKey`.

A token is accepted when its SHA-256 names a key that is neither revoked nor expired (anything
else: 401). Each accepted request is counted against the key's rate limit (``limits``) and
sets ``last_used_at`` (at most once a minute, so busy keys do not write on every request).

With ``DOWNLINE_API_KEY_CACHE_SECONDS`` above 0 (default 0: the key is read on every request,
and a revocation applies to the next request) each app-server process keeps a key it has read
for that many seconds, so a busy integration costs no query per request: then a revocation (or
any other change to the key) takes effect in every process at most that many seconds after it
was committed. Expiry is checked on every request against the clock either way; unknown tokens
are never kept, so a new key works at once.

Operations then ask for a scope with :func:`need` (403 without it) and narrow what a personal
token sees with :func:`viewer` (its distributor; ``None`` for an integration key, which sees
every member).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from downline.genealogy.models import Distributor

from .actions import hash_token
from .errors import ApiProblem
from .limits import count_request
from .models import ApiKey
from .scopes import PERSONAL_SCOPES

LAST_USE_RESOLUTION = timedelta(minutes=1)


KEYS_KEPT = 1024  # keys one process keeps at most (the oldest read is dropped first)
_kept: OrderedDict[str, tuple[float, ApiKey]] = OrderedDict()
_kept_lock = threading.Lock()


def cache_seconds() -> float:
    return float(getattr(settings, "DOWNLINE_API_KEY_CACHE_SECONDS", 0))


def forget_keys() -> None:
    """Drop every key this process keeps (the next request of each reads it again)."""
    with _kept_lock:
        _kept.clear()


def _key_for(hashed: str) -> tuple[ApiKey | None, bool]:
    """The key whose token hashes to ``hashed`` (kept for ``cache_seconds()``, see the module
    docstring), and whether it was kept rather than read now."""
    seconds = cache_seconds()
    moment = time.time()
    if seconds > 0:
        with _kept_lock:
            kept = _kept.get(hashed)
        if kept is not None and 0 <= moment - kept[0] < seconds:  # a clock set back: read
            return kept[1], True
    key = ApiKey.objects.select_related("member", "created_by").filter(hashed=hashed).first()
    if key is not None and seconds > 0:
        with _kept_lock:
            _kept[hashed] = (moment, key)
            _kept.move_to_end(hashed)
            while len(_kept) > KEYS_KEPT:
                _kept.popitem(last=False)
    return key, False


class KeyAuth(HttpBearer):
    """Bearer authentication by API key or personal token."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        key, kept = _key_for(hash_token(token.strip()))
        now = timezone.now()
        if key is None or not key.usable(now):
            return None
        count_request(key.hashed)
        due = key.last_used_at is None or key.last_used_at < now - LAST_USE_RESOLUTION
        if due or not kept:  # a key read now: the database decides, as before
            ApiKey.objects.filter(pk=key.pk).filter(
                Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USE_RESOLUTION)
            ).update(last_used_at=now)
            if due:
                key.last_used_at = now
        request.api_key = key
        return key


def key_of(request: HttpRequest) -> ApiKey:
    return request.auth  # set by ninja from KeyAuth.authenticate


def need(request: HttpRequest, scope: str) -> ApiKey:
    """The caller's key when it holds ``scope``; else a 403 problem naming the scope."""
    key = key_of(request)
    # A personal token holds the personal scopes of today's code, whatever was stored when it
    # was made (new read scopes reach existing tokens without a migration).
    held = PERSONAL_SCOPES if key.kind == ApiKey.Kind.PERSONAL else (key.scopes or [])
    if scope not in held:
        raise ApiProblem(
            403,
            _("This key does not hold the scope %(scope)s needed here.") % {"scope": scope},
        )
    return key


def viewer(request: HttpRequest) -> Distributor | None:
    """The distributor whose back office a personal token mirrors; ``None`` for an integration
    key."""
    key = key_of(request)
    return key.member if key.kind == ApiKey.Kind.PERSONAL else None


def actor(request: HttpRequest):
    """The login recorded as the actor of a write: who made the key (the key itself is
    recorded by ``audit``)."""
    return key_of(request).created_by
