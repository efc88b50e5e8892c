"""``downline ledger check``: every invariant of the ledger, verified from the stored rows.

1. Each transaction's entries sum to zero in each currency.
2. Each account's stored balance equals the sum of its entries.
3. A wallet never holds a debit balance, a clawback receivable never a credit balance.

Then every handler of the ``core.hooks.LEDGER_CHECKS`` hook adds its own (``deep=True`` asks for
the slow ones too): compensation checks that each final run and each clawback reconcile with
their lines and what they posted (``compensation.reconcile``). The ledger does not import the
apps that post to it.
"""

from __future__ import annotations

from django.db import connection
from django.utils.translation import gettext as _

from downline.core import hooks

from .models import Account, Entry

ENTRY = Entry._meta.db_table
ACCOUNT = Account._meta.db_table


def _rows(sql: str, params: list | None = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall()


def violations(*, deep: bool = False) -> list[str]:
    """One sentence per broken invariant (empty: the ledger is sound)."""
    found: list[str] = []
    for transaction_id, currency, total in _rows(
        f"""SELECT e.transaction_id, a.currency, SUM(e.amount) FROM {ENTRY} e
            JOIN {ACCOUNT} a ON a.id = e.account_id
            GROUP BY e.transaction_id, a.currency HAVING SUM(e.amount) <> 0
            ORDER BY e.transaction_id"""
    ):
        found.append(
            _("Transaction #%(id)s does not balance: its %(currency)s entries sum to %(total)s.")
            % {"id": transaction_id, "currency": currency, "total": total}
        )
    for account_id, kind, currency, stored, summed in _rows(
        f"""SELECT a.id, a.kind, a.currency, a.balance, COALESCE(SUM(e.amount), 0)
            FROM {ACCOUNT} a LEFT JOIN {ENTRY} e ON e.account_id = a.id
            GROUP BY a.id, a.kind, a.currency, a.balance
            HAVING a.balance <> COALESCE(SUM(e.amount), 0) ORDER BY a.id"""
    ):
        found.append(
            _(
                "Account #%(id)s (%(kind)s %(currency)s) has a stored balance of %(stored)s but "
                "its entries sum to %(summed)s."
            )
            % {
                "id": account_id,
                "kind": kind,
                "currency": currency,
                "stored": stored,
                "summed": summed,
            }
        )
    for account_id, kind, balance in _rows(
        f"""SELECT id, kind, balance FROM {ACCOUNT}
            WHERE (kind = %s AND balance > 0) OR (kind = %s AND balance < 0) ORDER BY id""",
        [Account.Kind.WALLET.value, Account.Kind.CLAWBACK_RECEIVABLE.value],
    ):
        found.append(
            _("Account #%(id)s (%(kind)s) has a balance on the wrong side: %(balance)s.")
            % {"id": account_id, "kind": kind, "balance": balance}
        )
    for sentences in hooks.LEDGER_CHECKS.fire(deep=deep):
        found.extend(sentences)
    return found
