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
