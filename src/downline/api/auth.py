"""Who is calling: ``Authorization: Bearer <token>`` → an :class:`~downline.api.models.ApiKey`.

A token is accepted when its SHA-256 names a key that is neither revoked nor expired (anything
else: 401). Each accepted request is counted against the key's rate limit (``limits``) and
sets ``last_used_at`` (at most once a minute, so busy keys do not write on every request).

Operations then ask for a scope with :func:`need` (403 without it) and narrow what a personal
token sees with :func:`viewer` (its distributor; ``None`` for an integration key, which sees
every member).
"""

from __future__ import annotations

from datetime import timedelta

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

LAST_USE_RESOLUTION = timedelta(minutes=1)


class KeyAuth(HttpBearer):
    """Bearer authentication by API key or personal token."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        key = (
            ApiKey.objects.select_related("member", "created_by")
            .filter(hashed=hash_token(token.strip()))
            .first()
        )
        now = timezone.now()
        if key is None or not key.usable(now):
            return None
        count_request(key.hashed)
        ApiKey.objects.filter(pk=key.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USE_RESOLUTION)
        ).update(last_used_at=now)
        request.api_key = key
        return key


def key_of(request: HttpRequest) -> ApiKey:
    return request.auth  # set by ninja from KeyAuth.authenticate


def need(request: HttpRequest, scope: str) -> ApiKey:
    """The caller's key when it holds ``scope``; else a 403 problem naming the scope."""
    key = key_of(request)
    if scope not in (key.scopes or []):
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
