"""Webhook subscriptions and the deliveries of events to them (see ``delivery``)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Subscription(models.Model):
    """An endpoint that receives the events of ``kinds``, signed with its secret.

    ``secret`` is the ``whsec_…`` string shown once when the subscription is made; it has to be
    stored as it is (the signature needs the key itself). ``failing_since`` is the first failed
    attempt since the last success; after ``DISABLE_AFTER`` of failures the subscription is
    disabled (``disabled_automatically``) and staff are told."""

    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    kinds = models.JSONField(_("event kinds"), default=list)
    secret = models.CharField(_("secret"), max_length=100)
    enabled = models.BooleanField(_("enabled"), default=True)
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    disabled_automatically = models.BooleanField(_("disabled after failures"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ("id",)

    def __str__(self) -> str:
        return self.url

    def wants(self, kind: str) -> bool:
        return kind in self.kinds


class Delivery(models.Model):
    """One event on its way to one subscription: sent until the endpoint answers 2xx, retried
    with backoff, given up after ``GIVE_UP_AFTER``. A replay is a new delivery of the same
    event (``replay_of``); receivers deduplicate by the event id in ``webhook-id``."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("gave up")

    event = models.ForeignKey(
        "core.Event", verbose_name=_("event"), on_delete=models.PROTECT, related_name="+"
    )
    subscription = models.ForeignKey(
        Subscription,
        verbose_name=_("subscription"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    member_id = models.BigIntegerField(_("member"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last response code"), null=True)
    last_response = models.TextField(_("last response (excerpt)"), blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    last_duration_ms = models.PositiveIntegerField(_("last duration (ms)"), null=True)
    replay_of = models.ForeignKey(
        "self",
        verbose_name=_("replay of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replays",
    )

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ("-id",)
        indexes = (
            models.Index(fields=["status", "next_attempt_at"], name="webhooks_delivery_due"),
            models.Index(
                fields=["subscription", "member_id", "status", "id"], name="webhooks_member_order"
            ),
        )

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription}"


class Attempt(models.Model):
    """One request of a delivery and what came back: the delivery log."""

    delivery = models.ForeignKey(
        Delivery, verbose_name=_("delivery"), on_delete=models.CASCADE, related_name="log"
    )
    number = models.PositiveIntegerField(_("attempt"))
    at = models.DateTimeField(_("at"))
    status_code = models.PositiveSmallIntegerField(_("response code"), null=True)
    response = models.TextField(_("response (excerpt)"), blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ("delivery", "number")

    def __str__(self) -> str:
        return f"{self.delivery} #{self.number}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
