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
