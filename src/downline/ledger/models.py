"""A double-entry ledger: accounts, transactions and their entries.

Every entry is a signed amount in integer minor units of its account's currency: **positive =
debit, negative = credit**. The entries of a transaction sum to zero in every currency (checked
by ``actions.post`` on every database and by a trigger on PostgreSQL), and nothing is ever
updated or deleted (triggers on both databases): a correction is a new transaction.

Accounts and their normal side:

====================  ===========================  ======  ====================================
kind                  per                          normal  meaning of a positive balance
====================  ===========================  ======  ====================================
wallet                distributor and currency     credit  the company owes the distributor
clawback_receivable   distributor and currency     debit   the distributor owes the company
commission_expense    currency                     debit   commissions earned, net of clawbacks
adjustments           currency                     debit   adjustments paid, net
payouts_clearing      currency                     credit  approved payouts not yet paid
bank                  currency                     debit   (negative: money paid out)
====================  ===========================  ======  ====================================

``Account.balance`` is the raw sum of the account's entries (debit-positive), kept in the same
transaction as each posting; ``downline ledger check`` proves it equals the entries.
A distributor's *net balance* is wallet minus clawback receivable; posting never leaves both
non-zero (a credit first repays what is owed, a debit first takes from the wallet).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from downline.core.phrases import render_stored

from . import memos  # noqa: F401  (registers the memo phrases rendered below)


class Account(models.Model):
    class Kind(models.TextChoices):
        WALLET = "wallet", _("wallet")
        CLAWBACK_RECEIVABLE = "clawback_receivable", _("clawback receivable")
        COMMISSION_EXPENSE = "commission_expense", _("commission expense")
        ADJUSTMENTS = "adjustments", _("adjustments")
        PAYOUTS_CLEARING = "payouts_clearing", _("payouts clearing")
        BANK = "bank", _("bank")

    CREDIT_NORMAL = frozenset({Kind.WALLET, Kind.PAYOUTS_CLEARING})
    PER_DISTRIBUTOR = frozenset({Kind.WALLET, Kind.CLAWBACK_RECEIVABLE})

    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    currency = models.CharField(_("currency"), max_length=16)
    distributor = models.ForeignKey(
        "genealogy.Distributor",
        verbose_name=_("distributor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accounts",
    )
    balance = models.BigIntegerField(_("balance (debit-positive minor units)"), default=0)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = (
            models.UniqueConstraint(
                fields=["kind", "currency", "distributor"],
                name="account_per_distributor",
                condition=models.Q(distributor__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["kind", "currency"],
                name="account_of_company",
                condition=models.Q(distributor__isnull=True),
            ),
        )

    def __str__(self) -> str:
        owner = f" {self.distributor_id}" if self.distributor_id else ""
        return f"{self.get_kind_display()} {self.currency}{owner}"

    @property
    def normal_balance(self) -> int:
        """The balance on the account's normal side (a wallet's positive balance is owed)."""
        return -self.balance if self.kind in self.CREDIT_NORMAL else self.balance


class Transaction(models.Model):
    class Kind(models.TextChoices):
        COMMISSIONS = "commissions", _("commissions of a final run")
        CLAWBACK = "clawback", _("clawback of a return")
        ADJUSTMENT = "adjustment", _("adjustment")
        ADJUSTMENT_REVERSAL = "adjustment_reversal", _("adjustment undone")
        PAYOUT = "payout", _("payout approved")
        PAYOUT_PAID = "payout_paid", _("payout paid")
        PAYOUT_FAILED = "payout_failed", _("payout failed")

    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    memo = models.CharField(_("memo"), max_length=300)
    memo_key = models.CharField(
        _("memo key"),
        max_length=60,
        null=True,
        blank=True,
        help_text=_("the memo as a message key, rendered in the reader's language"),
    )
    memo_params = models.JSONField(_("memo parameters"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    idempotency_key = models.CharField(
        _("idempotency key"), max_length=100, unique=True, null=True, blank=True
    )
    run = models.ForeignKey(
        "compensation.Run",
        verbose_name=_("commission run"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_transactions",
    )

    class Meta:
        verbose_name = _("ledger transaction")
        verbose_name_plural = _("ledger transactions")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"#{self.pk} {self.memo}"

    @property
    def text(self) -> str:
        """The memo in the reader's language (``memo`` keeps the English text as written;
        rows from before memo keys are recognised from it)."""
        return render_stored(self.memo_key, self.memo_params, self.memo)


class Entry(models.Model):
    transaction = models.ForeignKey(
        Transaction, verbose_name=_("transaction"), on_delete=models.PROTECT, related_name="entries"
    )
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="entries"
    )
    amount = models.BigIntegerField(_("amount (debit +, credit −)"))

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = (
            models.CheckConstraint(condition=~models.Q(amount=0), name="entry_not_zero"),
        )

    def __str__(self) -> str:
        return f"{self.transaction_id}:{self.account_id} {self.amount}"


class Adjustment(models.Model):
    """A manual credit (positive) or debit (negative) of a distributor's balance by finance
    staff, with its reason and reference. Undone only by a counter-adjustment (``reverses``)."""

    distributor = models.ForeignKey(
        "genealogy.Distributor",
        verbose_name=_("distributor"),
        on_delete=models.PROTECT,
        related_name="adjustments",
    )
    currency = models.CharField(_("currency"), max_length=16)
    amount = models.BigIntegerField(_("amount (minor units)"))
    reason = models.TextField(_("reason"))
    reference = models.CharField(_("reference"), max_length=100)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("undoes"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
    )
    transaction = models.OneToOneField(
        Transaction, verbose_name=_("ledger transaction"), on_delete=models.PROTECT
    )

    class Meta:
        verbose_name = _("adjustment")
        verbose_name_plural = _("adjustments")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.distributor_id} {self.amount} {self.currency}"


class AdjustmentRequest(models.Model):
    """An adjustment above ``DOWNLINE_ADJUSTMENT_APPROVAL_LIMIT`` waiting for a second staff
    member (four eyes): ``pending`` until a different finance or admin login approves it (then
    it is posted and ``adjustment`` names the result) or rejects it with a reason. Who asked,
    who decided, when and why stay on the row: the request is its own audit record."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for approval")
        APPROVED = "approved", _("approved and posted")
        REJECTED = "rejected", _("rejected")

    distributor = models.ForeignKey(
        "genealogy.Distributor",
        verbose_name=_("distributor"),
        on_delete=models.PROTECT,
        related_name="adjustment_requests",
    )
    currency = models.CharField(_("currency"), max_length=16)
    amount = models.BigIntegerField(_("amount (minor units)"))
    reason = models.TextField(_("reason"))
    reference = models.CharField(_("reference"), max_length=100)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    rejection_reason = models.TextField(_("reason of the rejection"), blank=True)
    adjustment = models.OneToOneField(
        Adjustment,
        verbose_name=_("posted adjustment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="request",
    )

    class Meta:
        verbose_name = _("adjustment request")
        verbose_name_plural = _("adjustment requests")
        ordering = ("-requested_at", "-id")

    def __str__(self) -> str:
        return f"#{self.pk} {self.distributor_id} {self.amount} {self.currency} {self.status}"
