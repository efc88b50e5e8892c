"""What the company sets for compliance reporting.

* ``IndicatorThreshold``: the amber and red thresholds of one pyramid-risk indicator (basis
  points of its value) and the parameters of its rule; without a row the defaults of
  ``catalogue.INDICATORS`` apply.
* ``DisclaimerText``: the disclaimer printed under the income disclosure statement, per
  language; without a row the default text of ``disclosure_render.DEFAULT_DISCLAIMER`` applies.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .catalogue import INDICATORS


class IndicatorThreshold(models.Model):
    indicator = models.CharField(
        _("indicator"),
        max_length=40,
        unique=True,
        choices=[(i.code, i.title) for i in INDICATORS],
    )
    amber = models.BigIntegerField(_("amber from (basis points)"))
    red = models.BigIntegerField(_("red from (basis points)"))
    parameter = models.BigIntegerField(_("parameter"), null=True, blank=True)
    parameter_2 = models.BigIntegerField(_("second parameter"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("indicator threshold")
        verbose_name_plural = _("indicator thresholds")
        ordering = ("indicator",)

    def __str__(self) -> str:
        return self.get_indicator_display()


class DisclaimerText(models.Model):
    language = models.CharField(
        _("language"), max_length=8, unique=True, choices=settings.LANGUAGES
    )
    text = models.TextField(_("disclaimer"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("disclaimer")
        verbose_name_plural = _("disclaimers")
        ordering = ("language",)

    def __str__(self) -> str:
        return self.get_language_display()


class ClaimReview(models.Model):
    """A distributor's text the claim scanner held for compliance review (``claims.submit_text``).

    ``source_kind``/``source_id`` name what the text belongs to (a page, an e-mail of a sequence,
    a message); ``findings`` are the scanner's findings as dicts (category, phrase, start, end,
    rule, severity, how), so the console can highlight them. A later text of the same source
    withdraws a pending review; staff approve or reject with a reason (event ``claim.reviewed``).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        WITHDRAWN = "withdrawn", _("withdrawn (replaced by a later text)")
        CLEARED = "cleared", _("a later text needed no review")

    author = models.ForeignKey(
        "genealogy.Distributor",
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source_kind = models.CharField(_("source kind"), max_length=40)
    source_id = models.CharField(_("source id"), max_length=64)
    language = models.CharField(_("language"), max_length=8, blank=True)
    text = models.TextField(_("text"))
    text_sha256 = models.CharField(max_length=64)
    verdict = models.CharField(_("verdict"), max_length=12)
    findings = models.JSONField(_("findings"), default=list)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("claim review")
        verbose_name_plural = _("claim reviews")
        ordering = ("created_at", "pk")
        indexes = (
            models.Index(fields=["source_kind", "source_id", "created_at"]),
            models.Index(fields=["status", "created_at"]),
        )

    def __str__(self) -> str:
        return f"{self.source_kind}:{self.source_id} ({self.status})"
