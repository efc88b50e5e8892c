"""Writes of API credentials: make a key (the token is returned once), revoke it.

A token is ``dl_`` followed by 43 URL-safe characters (32 random bytes); it is stored only as
its SHA-256 (``hash_token``), and its first 11 characters are kept as the prefix that
identifies it in lists.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from downline.core.errors import DownlineError
from downline.genealogy.models import Distributor

from . import scopes as scope_registry
from .models import ApiKey

TOKEN_PREFIX = "dl_"
PREFIX_LENGTH = 11


class ApiKeyError(DownlineError):
    """A key that cannot be made or changed as asked."""


@dataclass(frozen=True)
class IssuedKey:
    """A key just made, with its token: the only moment the token is known."""

    key: ApiKey
    token: str


def hash_token(token: str) -> str:
    """The stored form of a token: hex SHA-256 of its UTF-8 bytes."""
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ApiKeyError(_("A key needs a name (what integration uses it)."), field="name")
    if len(name) > 100:
        raise ApiKeyError(_("A key's name has at most 100 characters."), field="name")
    return name


def _check_expiry(expires_at: datetime | None) -> None:
    if expires_at is not None and expires_at <= timezone.now():
        raise ApiKeyError(_("The expiry must lie in the future."), field="expires_at")


def do_create_api_key(
    *,
    name: str,
    scopes: list[str],
    created_by,
    expires_at: datetime | None = None,
) -> IssuedKey:
    """Make an integration key with ``scopes`` (each from ``scopes.SCOPES``, at least one)."""
    name = _clean_name(name)
    scopes = sorted(set(scopes))
    if not scopes:
        raise ApiKeyError(_("Choose at least one scope."), field="scopes")
    bad = scope_registry.unknown(scopes)
    if bad:
        raise ApiKeyError(
            _("Unknown scope(s): %(scopes)s.") % {"scopes": ", ".join(bad)}, field="scopes"
        )
    _check_expiry(expires_at)
    token = _new_token()
    with transaction.atomic():
        key = ApiKey.objects.create(
            name=name,
            kind=ApiKey.Kind.INTEGRATION,
            prefix=token[:PREFIX_LENGTH],
            hashed=hash_token(token),
            scopes=scopes,
            created_by=created_by,
            expires_at=expires_at,
        )
    return IssuedKey(key=key, token=token)


def do_create_personal_token(
    member: Distributor, *, name: str, expires_at: datetime | None = None
) -> IssuedKey:
    """Make a personal token of ``member`` (a distributor): reads of what their back office
    shows, nothing else."""
    if member.is_customer:
        raise ApiKeyError(_("Only distributors have personal tokens."))
    name = _clean_name(name)
    _check_expiry(expires_at)
    token = _new_token()
    key = ApiKey.objects.create(
        name=name,
        kind=ApiKey.Kind.PERSONAL,
        prefix=token[:PREFIX_LENGTH],
        hashed=hash_token(token),
        scopes=sorted(scope_registry.PERSONAL_SCOPES),
        member=member,
        created_by=member.user,
        expires_at=expires_at,
    )
    return IssuedKey(key=key, token=token)


def do_revoke_api_key(key: ApiKey) -> ApiKey:
    """Revoke ``key`` from now on (revoking twice keeps the first time)."""
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    from .auth import forget_keys  # auth imports this module

    forget_keys()  # this process's key cache (if on) drops the key at once
    key.refresh_from_db()
    return key
