"""Payout details of distributors, payout batches, their payouts and holds.

A batch moves ``draft → approved → exported → paid`` (or ``cancelled`` while a draft). Creating
it moves each payout's amount from the wallet to payouts clearing, so no other batch can draw the
same money; cancelling the draft or a failed payout moves it back. Marking a batch paid moves the
clearing to the bank, once: a paid batch never pays again.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PayoutProfile(models.Model):
    """Where and whether a distributor can be paid."""

    distributor = models.OneToOneField(
        "genealogy.Distributor",
        verbose_name=_("distributor"),
        on_delete=models.PROTECT,
        related_name="payout_profile",
    )
    account_holder = models.CharField(_("account holder"), max_length=140, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    tax_id = models.CharField(_("tax id"), max_length=40, blank=True)
    compliance_hold = models.BooleanField(_("compliance hold"), default=False)
    compliance_note = models.TextField(_("compliance note"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("payout details")
        verbose_name_plural = _("payout details")

    def __str__(self) -> str:
        return str(self.distributor_id)


class PayoutBatch(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        APPROVED = "approved", _("approved")
        EXPORTED = "exported", _("exported")
        PAID = "paid", _("paid")
        CANCELLED = "cancelled", _("cancelled")

    currency = models.CharField(_("currency"), max_length=16)
    minimum = models.BigIntegerField(_("minimum payout (minor units)"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    total = models.BigIntegerField(_("total (minor units)"), default=0)
    count = models.PositiveIntegerField(_("payouts"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    exported_at = models.DateTimeField(_("exported at"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    idempotency_key = models.CharField(
        _("idempotency key"), max_length=100, unique=True, null=True, blank=True
    )

    class Meta:
        verbose_name = _("payout batch")
        verbose_name_plural = _("payout batches")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"#{self.pk} {self.currency} {self.get_status_display()}"


class Payout(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        PAID = "paid", _("paid")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", _("cancelled")

    batch = models.ForeignKey(
        PayoutBatch, verbose_name=_("batch"), on_delete=models.PROTECT, related_name="payouts"
    )
    distributor = models.ForeignKey(
        "genealogy.Distributor",
        verbose_name=_("distributor"),
        on_delete=models.PROTECT,
        related_name="payouts",
    )
    amount = models.BigIntegerField(_("amount (minor units)"))
    currency = models.CharField(_("currency"), max_length=16)
    idempotency_key = models.CharField(_("idempotency key"), max_length=35, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    account_holder = models.CharField(_("account holder"), max_length=140)
    iban = models.CharField(_("IBAN"), max_length=34)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    failure_reason = models.TextField(_("failure reason"), blank=True)
    provider_reference = models.CharField(_("provider reference"), max_length=100, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        ordering = ("batch", "id")
        constraints = (
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payout_positive"),
        )

    def __str__(self) -> str:
        return self.idempotency_key


class PayoutHold(models.Model):
    """A distributor whose balance reached the minimum but who was not paid in a batch."""

    class Reason(models.TextChoices):
        MISSING_BANK_DETAILS = "missing_bank", _("missing or invalid bank details")
        MISSING_TAX_DETAILS = "missing_tax", _("missing tax details")
        NEGATIVE_BALANCE = "negative", _("negative balance")
        SUSPENDED = "suspended", _("account suspended or terminated")
        COMPLIANCE = "compliance", _("compliance hold")

    batch = models.ForeignKey(
        PayoutBatch, verbose_name=_("batch"), on_delete=models.PROTECT, related_name="holds"
    )
    distributor = models.ForeignKey(
        "genealogy.Distributor",
        verbose_name=_("distributor"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    balance = models.BigIntegerField(_("balance (minor units)"))
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    detail = models.TextField(_("detail"), blank=True)

    class Meta:
        verbose_name = _("payout hold")
        verbose_name_plural = _("payout holds")
        ordering = ("batch", "id")

    def __str__(self) -> str:
        return f"{self.distributor_id} {self.get_reason_display()}"
