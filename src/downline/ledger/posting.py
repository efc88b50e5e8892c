"""Posting balanced transactions, for one distributor or a million at once.

``post`` writes a transaction and all its entries in one statement (one ``COPY`` on
PostgreSQL, whose trigger then checks the sum per transaction), after checking that the entries
sum to zero per currency, and moves the stored balances in the same database transaction. A
transaction that would take a balance beyond ±``core.limits.MAX_BALANCE`` is refused whole.

``distributor_entries`` turns signed amounts owed to distributors (positive: the company owes
more, e.g. commissions; negative: a clawback or a debit adjustment) into wallet and clawback
receivable entries with netting: a credit first repays what the distributor owes (the
receivable), then fills the wallet; a debit first takes from the wallet, and what the wallet
cannot cover becomes receivable, a negative net balance carried into later periods.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.db import DataError, connection, transaction
from django.utils.translation import gettext as _

from downline.accounts.models import User
from downline.core.bulk_sql import insert_rows, is_postgresql, read_columns
from downline.core.errors import DownlineError
from downline.core.limits import MAX_BALANCE
from downline.core.phrases import Phrase, split

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


SMALL = 500  # up to this many distributors, read (and lock) their accounts by key


def _existing(kind: str, currency: str, distributor_ids: np.ndarray) -> tuple[np.ndarray, ...]:
    """(account keys, distributor keys, balances) of the ``kind`` accounts in ``currency``: of
    ``distributor_ids`` when they are few (locked ``FOR UPDATE`` on PostgreSQL), else of
    everyone (one sequential read beats a million lookups), sorted by distributor."""
    sql = f"""SELECT id, distributor_id, balance FROM {Account._meta.db_table}
              WHERE kind = %s AND currency = %s AND distributor_id IS NOT NULL"""
    params: list = [kind, currency]
    lock = ""
    if len(distributor_ids) <= SMALL:
        sql += f" AND distributor_id IN ({', '.join(['%s'] * len(distributor_ids))})"
        params += distributor_ids.tolist()
        lock = " FOR UPDATE" if is_postgresql() else ""
    columns = read_columns(f"{sql} ORDER BY distributor_id{lock}", params) or [[], [], []]
    return tuple(np.array(column, dtype=np.int64) for column in columns)


def _accounts(
    kind: str, currency: str, distributor_ids: np.ndarray, *, create: bool
) -> tuple[np.ndarray, np.ndarray]:
    """The ``kind`` account key (-1: none) and balance of each of ``distributor_ids``;
    with ``create``, missing accounts are created (balance 0)."""
    wanted = np.unique(distributor_ids)
    keys, owners, balances = _existing(kind, currency, wanted)
    if create:
        missing = np.setdiff1d(wanted, owners, assume_unique=True)
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
            keys, owners, balances = _existing(kind, currency, wanted)
    if not len(owners):
        return np.full(len(distributor_ids), -1, dtype=np.int64), np.zeros(
            len(distributor_ids), dtype=np.int64
        )
    at = np.minimum(np.searchsorted(owners, distributor_ids), len(owners) - 1)
    found = owners[at] == distributor_ids
    return np.where(found, keys[at], -1), np.where(found, balances[at], 0)


def distributor_account_ids(kind: str, currency: str, distributor_ids: np.ndarray) -> np.ndarray:
    """The primary keys of the ``kind`` accounts of ``distributor_ids`` (created if missing)."""
    return _accounts(kind, currency, np.asarray(distributor_ids, dtype=np.int64), create=True)[0]


def distributor_entries(
    distributor_ids: np.ndarray, amounts: np.ndarray, currency: str
) -> tuple[Entries, int]:
    """Wallet and receivable entries that give each distributor ``amounts`` (netted, see the
    module rules), and the total the counter account must take (``-Σ amounts``).

    For many distributors the caller holds ``lock_accounts``; few are locked row by row here.
    A receivable account is created only for a distributor who comes to owe something.
    """
    distributor_ids = np.asarray(distributor_ids, dtype=np.int64)
    amounts = np.asarray(amounts, dtype=np.int64)
    keep = amounts != 0
    distributor_ids, amounts = distributor_ids[keep], amounts[keep]
    receivables, owed_by = _accounts(
        Kind.CLAWBACK_RECEIVABLE, currency, distributor_ids, create=False
    )
    credit = np.maximum(amounts, 0)
    debit = np.maximum(-amounts, 0)
    repay = np.minimum(credit, owed_by)  # owed_by ≥ 0: what each distributor owes
    wallet_needed = (credit - repay > 0) | (debit > 0)
    wallets = np.full(len(amounts), -1, dtype=np.int64)
    owed_to = np.zeros(len(amounts), dtype=np.int64)
    if np.any(wallet_needed):
        ids, balances = _accounts(
            Kind.WALLET, currency, distributor_ids[wallet_needed], create=True
        )
        wallets[wallet_needed], owed_to[wallet_needed] = ids, -balances  # what each wallet holds
    take = np.minimum(debit, owed_to)
    wallet_amounts = -(credit - repay) + take
    receivable_amounts = -repay + (debit - take)
    new_debt = (receivable_amounts != 0) & (receivables < 0)
    if np.any(new_debt):
        receivables[new_debt] = _accounts(
            Kind.CLAWBACK_RECEIVABLE, currency, distributor_ids[new_debt], create=True
        )[0]
    entries = Entries.join(
        Entries(wallets, wallet_amounts), Entries(receivables, receivable_amounts)
    )
    nonzero = entries.amounts != 0
    return Entries(entries.accounts[nonzero], entries.amounts[nonzero]), int(-amounts.sum())


def post(
    kind: str,
    memo: str | Phrase,
    entries: Entries,
    *,
    currency: str,
    actor: User | None = None,
    idempotency_key: str | None = None,
    run_id: int | None = None,
) -> Transaction:
    """Write one balanced transaction in ``currency`` and move the balances of its accounts.

    A ``memo`` given as a :class:`Phrase` is stored as its key and parameters (rendered in the
    reader's language) next to its English text."""
    memo, memo_key, memo_params = split(memo)
    if not connection.in_atomic_block:
        raise RuntimeError("post must run inside transaction.atomic")
    accounts = entries.accounts.astype(np.int64)
    amounts = entries.amounts.astype(np.int64)
    if not len(amounts) or np.any(amounts == 0):
        raise LedgerError(_("A ledger transaction needs entries, none of them zero."))
    unique, inverse = np.unique(accounts, return_inverse=True)
    deltas = np.zeros(len(unique), dtype=np.int64)
    np.add.at(deltas, inverse, amounts)
    total = int(deltas.sum())
    if total:
        raise LedgerError(
            _("Ledger transaction %(memo)r does not balance: its entries sum to %(sums)s.")
            % {"memo": memo, "sums": f"{total} {currency}"}
        )
    if not is_postgresql() and _accounts_in_currency(unique, currency) != len(unique):
        raise _currency_refusal(memo, currency)
    with transaction.atomic():
        record = Transaction.objects.create(
            kind=kind,
            memo=memo,
            memo_key=memo_key,
            memo_params=memo_params,
            created_by=actor,
            idempotency_key=idempotency_key,
            run_id=run_id,
        )
        # the balances first: on PostgreSQL this also refuses an account in another currency,
        # before the entries' trigger would meet it as an unbalanced currency
        _move_balances(unique, deltas, memo, currency)
        insert_rows(
            Entry,
            {
                "transaction_id": np.full(len(amounts), record.pk, dtype=np.int64),
                "account_id": accounts,
                "amount": amounts,
            },
            len(amounts),
        )
    return record


def _currency_refusal(memo: str, currency: str) -> LedgerError:
    return LedgerError(
        _("Ledger transaction %(memo)r names an account that is not in %(currency)s.")
        % {"memo": memo, "currency": currency}
    )


def _bigint_array(values: np.ndarray) -> str:
    """``values`` as a PostgreSQL array literal (``{1,2,3}``, cast with ``::bigint[]``): one
    string parameter instead of a list the driver adapts element by element (seconds for a
    million keys)."""
    return "{" + ",".join(map(str, np.asarray(values, dtype=np.int64).tolist())) + "}"


def _accounts_in_currency(account_ids: np.ndarray, currency: str) -> int:
    """How many of ``account_ids`` (unique) exist in ``currency`` (SQLite; PostgreSQL counts
    them while moving the balances)."""
    table = Account._meta.db_table
    with connection.cursor() as cursor:
        found = 0
        for start in range(0, len(account_ids), 10_000):
            part = account_ids[start : start + 10_000].tolist()
            cursor.execute(
                f"SELECT COUNT(*) FROM {table} WHERE currency = %s "
                f"AND id IN ({', '.join(['%s'] * len(part))})",
                [currency, *part],
            )
            found += int(cursor.fetchone()[0])
        return found


def _move_balances(account_ids: np.ndarray, deltas: np.ndarray, memo: str, currency: str) -> None:
    """Add ``deltas`` to the balances of ``account_ids``; refuse (``LedgerError``, the caller's
    savepoint rolls back) when an account is not in ``currency`` (checked before, on SQLite) or
    a balance would leave ±``core.limits.MAX_BALANCE``.

    On PostgreSQL one statement moves the balances of the accounts in ``currency`` and counts
    the accounts moved and those beyond the limit: the keys travel once (as array literals)."""
    table = Account._meta.db_table
    with connection.cursor() as cursor:
        if is_postgresql():
            try:
                cursor.execute(
                    f"""WITH moved AS (
                            UPDATE {table} AS a SET balance = a.balance + d.delta
                            FROM unnest(%s::bigint[], %s::bigint[]) AS d(id, delta)
                            WHERE a.id = d.id AND a.currency = %s
                            RETURNING a.balance)
                        SELECT count(*), count(*) FILTER (WHERE balance > %s OR balance < %s)
                        FROM moved""",
                    [
                        _bigint_array(account_ids),
                        _bigint_array(deltas),
                        currency,
                        MAX_BALANCE,
                        -MAX_BALANCE,
                    ],
                )
            except DataError as error:  # beyond 64 bits: "bigint out of range"
                raise _balance_refusal(memo) from error
            moved, beyond = cursor.fetchone()
            if moved != len(account_ids):
                raise _currency_refusal(memo, currency)
            if beyond:
                raise _balance_refusal(memo)
            return
        cursor.executemany(
            f"UPDATE {table} SET balance = balance + %s WHERE id = %s",
            list(zip(deltas.tolist(), account_ids.tolist(), strict=True)),
        )
    if _balance_beyond_limit(account_ids):
        raise _balance_refusal(memo)


def _balance_refusal(memo: str) -> LedgerError:
    return LedgerError(
        _(
            "Ledger transaction %(memo)r would take an account's balance beyond %(limit)s minor "
            "units, the largest balance an account may hold; nothing was posted."
        )
        % {"memo": memo, "limit": f"{MAX_BALANCE:,}"}
    )


def _balance_beyond_limit(account_ids: np.ndarray) -> bool:
    """Whether any of ``account_ids`` holds a balance beyond ±``MAX_BALANCE`` (SQLite, where an
    integer that overflowed became a float, which compares beyond it as well)."""
    table = Account._meta.db_table
    condition = "(balance > %s OR balance < %s)"
    with connection.cursor() as cursor:
        for start in range(0, len(account_ids), 10_000):
            part = account_ids[start : start + 10_000].tolist()
            cursor.execute(
                f"SELECT 1 FROM {table} WHERE id IN ({', '.join(['%s'] * len(part))}) "
                f"AND {condition} LIMIT 1",
                [*part, MAX_BALANCE, -MAX_BALANCE],
            )
            if cursor.fetchone() is not None:
                return True
        return False
