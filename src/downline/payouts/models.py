"""Payout details of distributors (with their pending changes and audit history), payout
batches, their payouts and holds.

A distributor's bank and tax details change in two steps (see ``details.py``): a
``PayoutDetailsChange`` waits until its e-mail link is followed, then it is applied to the
``PayoutProfile`` and recorded in ``PayoutDetailsHistory`` (IBANs masked). A change of the bank
account starts a cooling-off period (``PayoutProfile.bank_changed_at``) during which batches
hold the member.

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
    bank_changed_at = models.DateTimeField(
        _("bank account changed at"),
        null=True,
        blank=True,
        help_text=_("When the account holder, IBAN or BIC last changed; starts the cooling-off."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("payout details")
        verbose_name_plural = _("payout details")

    def __str__(self) -> str:
        return str(self.distributor_id)


class PayoutDetailsChange(models.Model):
    """New payout details a distributor asked for: applied only once the e-mail link is followed.

    Only the newest pending change of a member can be confirmed: asking again supersedes the
    older one. The full IBAN is kept here until the change is confirmed or superseded.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for confirmation")
        CONFIRMED = "confirmed", _("confirmed")
        SUPERSEDED = "superseded", _("superseded")

    distributor = models.ForeignKey(
        "genealogy.Distributor",
        verbose_name=_("distributor"),
        on_delete=models.PROTECT,
        related_name="payout_detail_changes",
    )
    account_holder = models.CharField(_("account holder"), max_length=140)
    iban = models.CharField(_("IBAN"), max_length=34)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    tax_id = models.CharField(_("tax id"), max_length=40)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    requested_at = models.DateTimeField(_("requested at"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_from = models.GenericIPAddressField(_("requested from"), null=True, blank=True)
    sent_to = models.EmailField(_("confirmation sent to"), blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("payout details change")
        verbose_name_plural = _("payout details changes")
        ordering = ("-requested_at", "-id")

    def __str__(self) -> str:
        return f"{self.distributor_id} {self.get_status_display()}"


class PayoutDetailsHistory(models.Model):
    """One applied change of a distributor's payout details: who, when, from where, old → new.

    IBANs and tax ids are stored masked (all but the last 4 characters hidden). Rows are only
    ever added.
    """

    class Source(models.TextChoices):
        SELF_SERVICE = "self", _("self-service, confirmed by e-mail")
        IMPORT = "import", _("import by staff")

    distributor = models.ForeignKey(
        "genealogy.Distributor",
        verbose_name=_("distributor"),
        on_delete=models.PROTECT,
        related_name="payout_details_history",
    )
    changed_at = models.DateTimeField(_("changed at"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    requested_from = models.GenericIPAddressField(_("requested from"), null=True, blank=True)
    confirmed_from = models.GenericIPAddressField(_("confirmed from"), null=True, blank=True)
    old_account_holder = models.CharField(_("old account holder"), max_length=140, blank=True)
    new_account_holder = models.CharField(_("new account holder"), max_length=140, blank=True)
    old_iban = models.CharField(_("old IBAN (masked)"), max_length=34, blank=True)
    new_iban = models.CharField(_("new IBAN (masked)"), max_length=34, blank=True)
    old_bic = models.CharField(_("old BIC"), max_length=11, blank=True)
    new_bic = models.CharField(_("new BIC"), max_length=11, blank=True)
    old_tax_id = models.CharField(_("old tax id (masked)"), max_length=40, blank=True)
    new_tax_id = models.CharField(_("new tax id (masked)"), max_length=40, blank=True)
    bank_changed = models.BooleanField(_("bank account changed"), default=False)

    class Meta:
        verbose_name = _("payout details history")
        verbose_name_plural = _("payout details history")
        ordering = ("-changed_at", "-id")

    def __str__(self) -> str:
        return f"{self.distributor_id} {self.changed_at:%Y-%m-%d}"


class ComplianceHoldChange(models.Model):
    """A compliance hold set on or lifted from a distributor's payouts: who, when, why.

    Written only by ``details.do_set_compliance_hold`` (the console); rows are only ever
    added. Kept apart from ``PayoutDetailsHistory``, which the member sees on their own page:
    a compliance review is staff business.
    """

    distributor = models.ForeignKey(
        "genealogy.Distributor",
        verbose_name=_("distributor"),
        on_delete=models.PROTECT,
        related_name="compliance_hold_changes",
    )
    hold = models.BooleanField(_("hold set"), help_text=_("False: the hold was lifted."))
    reason = models.TextField(_("reason"))
    changed_at = models.DateTimeField(_("changed at"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("compliance hold change")
        verbose_name_plural = _("compliance hold changes")
        ordering = ("-changed_at", "-id")

    def __str__(self) -> str:
        return f"{self.distributor_id} {'hold' if self.hold else 'lifted'}"


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
        COOLING_OFF = "cooling_off", _("bank details changed recently (cooling-off)")

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
