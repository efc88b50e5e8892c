"""Posting balanced transactions, for one distributor or a million at once.

``post`` writes a transaction and all its entries in one statement (one ``COPY`` on
PostgreSQL, whose trigger then checks the sum per transaction), after checking that the entries
sum to zero per currency, and moves the stored balances in the same database transaction.

``distributor_entries`` turns signed amounts owed to distributors (positive: the company owes
more, e.g. commissions; negative: a clawback or a debit adjustment) into wallet and clawback
receivable entries with netting: a credit first repays what the distributor owes (the
receivable), then fills the wallet; a debit first takes from the wallet, and what the wallet
cannot cover becomes receivable, a negative net balance carried into later periods.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.db import connection, transaction
from django.utils.translation import gettext as _

from downline.accounts.models import User
from downline.core.errors import DownlineError
from downline.exchange.bulk_sql import insert_rows, is_postgresql, read_columns

from .models import Account, Entry, Transaction

Kind = Account.Kind


class LedgerError(DownlineError):
    """A posting that would break the ledger's rules."""


@dataclass
class Entries:
    """Entries as two parallel arrays: account primary keys and signed amounts."""

    accounts: np.ndarray
    amounts: np.ndarray

    @staticmethod
    def join(*parts: Entries) -> Entries:
        return Entries(
            np.concatenate([p.accounts for p in parts]).astype(np.int64),
            np.concatenate([p.amounts for p in parts]).astype(np.int64),
        )


def lock_accounts() -> None:
    """Keep every other posting out until the transaction ends (bulk postings take this)."""
    if is_postgresql():
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {Account._meta.db_table} IN EXCLUSIVE MODE")


def company_account(kind: str, currency: str) -> Account:
    """The company's account of ``kind`` in ``currency`` (created the first time)."""
    account, _created = Account.objects.get_or_create(
        kind=kind, currency=currency, distributor=None
    )
    return account


def distributor_account_ids(kind: str, currency: str, distributor_ids: np.ndarray) -> np.ndarray:
    """The primary keys of the ``kind`` accounts of ``distributor_ids`` (created if missing)."""
    wanted = np.unique(distributor_ids)
    existing = _accounts_of(kind, currency, wanted)
    missing = np.setdiff1d(wanted, existing[1], assume_unique=True)
    if len(missing):
        insert_rows(
            Account,
            {
                "kind": [kind] * len(missing),
                "currency": [currency] * len(missing),
                "distributor_id": missing,
                "balance": np.zeros(len(missing), dtype=np.int64),
            },
            len(missing),
        )
        existing = _accounts_of(kind, currency, wanted)
    order = np.argsort(existing[1], kind="stable")
    found = np.searchsorted(existing[1], distributor_ids, sorter=order)
    return existing[0][order[found]]


SMALL = 500  # up to this many distributors, read (and lock) their accounts by key


def _accounts_of(
    kind: str, currency: str, distributor_ids: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(account keys, distributor keys) of ``kind`` in ``currency``: of ``distributor_ids``
    when they are few, else of everyone (one sequential read beats a million lookups)."""
    sql = f"""SELECT id, distributor_id FROM {Account._meta.db_table}
              WHERE kind = %s AND currency = %s AND distributor_id IS NOT NULL"""
    params: list = [kind, currency]
    if len(distributor_ids) <= SMALL:
        sql += f" AND distributor_id IN ({', '.join(['%s'] * len(distributor_ids))})"
        params += distributor_ids.tolist()
    columns = read_columns(sql + " ORDER BY id", params) or [[], []]
    return np.array(columns[0], dtype=np.int64), np.array(columns[1], dtype=np.int64)


def balances_of(account_ids: np.ndarray) -> np.ndarray:
    """The stored balances of distributor accounts ``account_ids`` (in their order); few are
    read by key and locked ``FOR UPDATE`` until the transaction ends."""
    if not len(account_ids):
        return np.zeros(0, dtype=np.int64)
    table = Account._meta.db_table
    if len(account_ids) <= SMALL:
        keys = np.unique(account_ids).tolist()
        lock = " FOR UPDATE" if is_postgresql() else ""
        columns = read_columns(
            f"SELECT id, balance FROM {table} WHERE id IN ({', '.join(['%s'] * len(keys))})"
            f" ORDER BY id{lock}",
            keys,
        )
    else:
        columns = read_columns(
            f"SELECT id, balance FROM {table} WHERE kind IN (%s, %s) ORDER BY id",
            [Kind.WALLET.value, Kind.CLAWBACK_RECEIVABLE.value],
        )
    ids = np.array(columns[0], dtype=np.int64)
    values = np.array(columns[1], dtype=np.int64)
    return values[np.searchsorted(ids, account_ids)]


def distributor_entries(
    distributor_ids: np.ndarray, amounts: np.ndarray, currency: str
) -> tuple[Entries, int]:
    """Wallet and receivable entries that give each distributor ``amounts`` (netted, see the
    module rules), and the total the counter account must take (``-Σ amounts``).

    For many distributors the caller holds ``lock_accounts``; few are locked row by row here.
    """
    distributor_ids = np.asarray(distributor_ids, dtype=np.int64)
    amounts = np.asarray(amounts, dtype=np.int64)
    keep = amounts != 0
    distributor_ids, amounts = distributor_ids[keep], amounts[keep]
    wallets = distributor_account_ids(Kind.WALLET, currency, distributor_ids)
    receivables = distributor_account_ids(Kind.CLAWBACK_RECEIVABLE, currency, distributor_ids)
    owed_to = -balances_of(wallets)  # what each wallet holds (≥ 0)
    owed_by = balances_of(receivables)  # what each distributor owes (≥ 0)
    credit = np.maximum(amounts, 0)
    debit = np.maximum(-amounts, 0)
    repay = np.minimum(credit, owed_by)
    take = np.minimum(debit, owed_to)
    wallet_amounts = -(credit - repay) + take
    receivable_amounts = -repay + (debit - take)
    entries = Entries.join(
        Entries(wallets, wallet_amounts), Entries(receivables, receivable_amounts)
    )
    nonzero = entries.amounts != 0
    return Entries(entries.accounts[nonzero], entries.amounts[nonzero]), int(-amounts.sum())


def post(
    kind: str,
    memo: str,
    entries: Entries,
    *,
    actor: User | None = None,
    idempotency_key: str | None = None,
    run_id: int | None = None,
) -> Transaction:
    """Write one balanced transaction and move the balances of its accounts."""
    if not connection.in_atomic_block:
        raise RuntimeError("post must run inside transaction.atomic")
    accounts = entries.accounts.astype(np.int64)
    amounts = entries.amounts.astype(np.int64)
    if not len(amounts) or np.any(amounts == 0):
        raise LedgerError(_("A ledger transaction needs entries, none of them zero."))
    unique, inverse = np.unique(accounts, return_inverse=True)
    deltas = np.zeros(len(unique), dtype=np.int64)
    np.add.at(deltas, inverse, amounts)
    currencies = dict(Account.objects.filter(pk__in=unique.tolist()).values_list("pk", "currency"))
    if len(currencies) != len(unique):
        raise LedgerError(_("A ledger entry names an account that does not exist."))
    per_currency: dict[str, int] = {}
    for account, delta in zip(unique.tolist(), deltas.tolist(), strict=True):
        per_currency[currencies[account]] = per_currency.get(currencies[account], 0) + delta
    unbalanced = {c: total for c, total in per_currency.items() if total}
    if unbalanced:
        raise LedgerError(
            _("Ledger transaction %(memo)r does not balance: its entries sum to %(sums)s.")
            % {
                "memo": memo,
                "sums": ", ".join(f"{t} {c}" for c, t in sorted(unbalanced.items())),
            }
        )
    with transaction.atomic():
        record = Transaction.objects.create(
            kind=kind, memo=memo, created_by=actor, idempotency_key=idempotency_key, run_id=run_id
        )
        insert_rows(
            Entry,
            {
                "transaction_id": np.full(len(amounts), record.pk, dtype=np.int64),
                "account_id": accounts,
                "amount": amounts,
            },
            len(amounts),
        )
        _move_balances(unique, deltas)
    return record


def _move_balances(account_ids: np.ndarray, deltas: np.ndarray) -> None:
    table = Account._meta.db_table
    with connection.cursor() as cursor:
        if is_postgresql():
            cursor.execute(
                f"""UPDATE {table} AS a SET balance = a.balance + d.delta
                    FROM unnest(%s::bigint[], %s::bigint[]) AS d(id, delta) WHERE a.id = d.id""",
                [account_ids.tolist(), deltas.tolist()],
            )
        else:
            cursor.executemany(
                f"UPDATE {table} SET balance = balance + %s WHERE id = %s",
                list(zip(deltas.tolist(), account_ids.tolist(), strict=True)),
            )
