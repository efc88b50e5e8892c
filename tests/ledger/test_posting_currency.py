"""A posting names only accounts in its own currency: one entry on an account in another
currency (or on no account at all) refuses the whole transaction and moves no balance, on
SQLite (checked before writing) and on PostgreSQL (counted while the balances move)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pytest
from django.db import transaction

from downline.genealogy.actions import do_enroll
from downline.ledger.checks import violations
from downline.ledger.models import Account, Transaction
from downline.ledger.posting import (
    Entries,
    LedgerError,
    company_account,
    distributor_account_ids,
    post,
)

JOINED_AT = datetime(2026, 1, 5, 12, tzinfo=UTC)


@pytest.fixture
def dave(db):
    root = do_enroll(
        member_id="ROOT", sponsor=None, joined_on=date(2026, 1, 5), effective_at=JOINED_AT
    )
    return do_enroll(
        member_id="DAVE", sponsor=root, joined_on=date(2026, 1, 5), effective_at=JOINED_AT
    )


def _post(accounts: list[int], amounts: list[int]) -> None:
    with transaction.atomic():
        post(
            Transaction.Kind.ADJUSTMENT,
            "currency test",
            Entries(np.array(accounts), np.array(amounts)),
            currency="EUR",
        )


def test_an_account_in_another_currency_refuses_the_whole_posting(dave):
    eur = int(distributor_account_ids(Account.Kind.WALLET, "EUR", np.array([dave.pk]))[0])
    usd = int(distributor_account_ids(Account.Kind.WALLET, "USD", np.array([dave.pk]))[0])
    company = company_account(Account.Kind.ADJUSTMENTS, "EUR").pk
    with pytest.raises(LedgerError, match="not in EUR"):
        _post([eur, usd, company], [-500, -200, 700])
    with pytest.raises(LedgerError, match="not in EUR"):
        _post([eur, company, 10**9], [-500, 700, -200])  # no such account
    assert not Transaction.objects.exists()
    assert set(Account.objects.values_list("balance", flat=True)) == {0}
    _post([eur, company], [-500, 500])
    assert dict(Account.objects.values_list("id", "balance")) == {eur: -500, usd: 0, company: 500}
    assert violations() == []
