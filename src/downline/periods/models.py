from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Period(models.Model):
    """A commission period: ``[starts_at, ends_at)`` in the company's time zone, stored as instants.

    Monthly periods are coded ``2026-10``, weekly ones (Monday to Sunday, ISO weeks) ``2026-W43``.
    An order belongs to the period that contains its paid time. A closed period takes no more
    orders, returns, cancellations or structure moves; its numbers never change again.
    """

    class Kind(models.TextChoices):
        MONTHLY = "monthly", _("monthly")
        WEEKLY = "weekly", _("weekly")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    code = models.CharField(_("code"), max_length=16, unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("period")
        verbose_name_plural = _("periods")
        ordering = ("-starts_at",)
        constraints = (
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="period_ends_after_start",
            ),
        )
        indexes = (models.Index(fields=["kind", "starts_at"]),)

    def __str__(self) -> str:
        return self.code

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class PeriodEvent(models.Model):
    """A close or a reopen of a period: who, when and why (append-only)."""

    class Kind(models.TextChoices):
        CLOSED = "closed", _("closed")
        REOPENED = "reopened", _("reopened")

    period = models.ForeignKey(
        Period, verbose_name=_("period"), on_delete=models.PROTECT, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    at = models.DateTimeField(_("at"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("made by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("period event")
        verbose_name_plural = _("period events")
        ordering = ("at", "id")

    def __str__(self) -> str:
        return f"{self.period.code} {self.get_kind_display()}"
