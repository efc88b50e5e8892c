"""Reads of the ledger: a distributor's balances and their history."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from downline.genealogy.models import Distributor

from .models import Account, Entry


@dataclass(frozen=True)
class Balance:
    """One currency of one distributor: what the wallet holds, what they owe, and the net."""

    currency: str
    wallet: int
    owed: int

    @property
    def net(self) -> int:
        return self.wallet - self.owed


def balances(distributor: Distributor) -> list[Balance]:
    """The distributor's balances per currency (stored balances, proven by ``ledger check``)."""
    per_currency: dict[str, dict[str, int]] = {}
    for kind, currency, balance in Account.objects.filter(distributor=distributor).values_list(
        "kind", "currency", "balance"
    ):
        per_currency.setdefault(currency, {})[kind] = balance
    return [
        Balance(
            currency=currency,
            wallet=-values.get(Account.Kind.WALLET, 0),
            owed=values.get(Account.Kind.CLAWBACK_RECEIVABLE, 0),
        )
        for currency, values in sorted(per_currency.items())
    ]


def balance(distributor: Distributor, currency: str) -> Balance:
    for item in balances(distributor):
        if item.currency == currency:
            return item
    return Balance(currency=currency, wallet=0, owed=0)


def statement_entries(distributor: Distributor) -> QuerySet[Entry]:
    """Every entry on the distributor's wallet and receivable, newest first."""
    return (
        Entry.objects.filter(account__distributor=distributor)
        .select_related("transaction", "account")
        .order_by("-transaction__created_at", "-id")
    )
