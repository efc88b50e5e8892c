"""Credentials of the public API and the audit of every write made through it.

An ``ApiKey`` is either an *integration key* (made by staff, scoped per resource and action,
e.g. ``members:read``, ``orders:write``) or a *personal token* of one distributor (``member`` set;
it sees exactly what that distributor's back office shows: themselves and their downline).

The secret is shown once, when the key is made; only its SHA-256 is stored (the token has 256
bits of entropy, so a plain hash is enough: there is nothing to brute-force). ``prefix`` (the
first characters of the token) identifies the key in lists and logs. A key is usable while it is
not revoked and not expired; ``last_used_at`` records its last accepted request.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiKey(models.Model):
    """An integration key or a distributor's personal token (see the module docstring)."""

    class Kind(models.TextChoices):
        INTEGRATION = "integration", _("integration key")
        PERSONAL = "personal", _("personal token")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(
        _("kind"), max_length=12, choices=Kind.choices, default=Kind.INTEGRATION
    )
    prefix = models.CharField(_("prefix"), max_length=16, db_index=True)
    hashed = models.CharField(_("SHA-256 of the token"), max_length=64, unique=True)
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    member = models.ForeignKey(
        "genealogy.Distributor",
        verbose_name=_("member (personal token)"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.prefix}… {self.name}"

    def usable(self, now=None) -> bool:
        """Not revoked and not past its expiry."""
        now = now or timezone.now()
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > now


class ApiWrite(models.Model):
    """One write made through the API: which key, which operation, on what, with what answer."""

    key = models.ForeignKey(
        ApiKey, verbose_name=_("API key"), on_delete=models.PROTECT, related_name="writes"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    method = models.CharField(_("method"), max_length=8)
    path = models.CharField(_("path"), max_length=300)
    operation = models.CharField(_("operation"), max_length=64)
    target = models.CharField(_("target"), max_length=100, blank=True)
    status = models.PositiveSmallIntegerField(_("status"))

    class Meta:
        verbose_name = _("API write")
        verbose_name_plural = _("API writes")
        ordering = ("-at", "-id")

    def __str__(self) -> str:
        return f"{self.operation} {self.target}"
