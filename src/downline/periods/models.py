from django.db import models
from django.utils.translation import gettext_lazy as _


class Period(models.Model):
    """A commission period: ``[starts_at, ends_at)`` in the company's time zone, stored as instants.

    Monthly periods are coded ``2026-10``, weekly ones (Monday to Sunday, ISO weeks) ``2026-W43``.
    An order belongs to the period that contains its paid time.
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

    class Meta:
        verbose_name = _("period")
        verbose_name_plural = _("periods")
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="period_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["kind", "starts_at"])]

    def __str__(self) -> str:
        return self.code
