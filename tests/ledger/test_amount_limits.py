"""Amount limits on the ledger (issue 11, finding 7): an adjustment of
92,233,720,368,547,758.07 EUR was accepted, and on SQLite the balance silently became a float.
Every amount is checked against ``core.limits`` and refused with the field named; no posting
takes a balance beyond ``MAX_BALANCE``; the ledger stays sound."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from downline.accounts.actions import do_create_user
from downline.core.limits import MAX_BALANCE, max_money
from downline.genealogy.actions import do_enroll
from downline.ledger.actions import do_adjust_balance
from downline.ledger.checks import violations
from downline.ledger.models import Account, Adjustment, Transaction
from downline.ledger.posting import (
    Entries,
    LedgerError,
    company_account,
    distributor_account_ids,
    post,
)
from downline.ledger.selectors import balance
from downline.payouts.actions import PayoutError, do_create_payout_batch
from downline.payouts.models import PayoutBatch

JOINED_AT = datetime(2026, 1, 5, 12, tzinfo=UTC)
INT64_MAX = 2**63 - 1


@pytest.fixture
def dave(db, settings):
    # the limits of this file, not the four-eyes threshold, are under test
    settings.DOWNLINE_ADJUSTMENT_APPROVAL_LIMIT = 10**14
    root = do_enroll(
        member_id="ROOT", sponsor=None, joined_on=date(2026, 1, 5), effective_at=JOINED_AT
    )
    return do_enroll(
        member_id="DAVE", sponsor=root, joined_on=date(2026, 1, 5), effective_at=JOINED_AT
    )


def _adjust(member, amount: int, currency: str = "EUR"):
    return do_adjust_balance(
        member, amount, currency=currency, reason="test", reference="T-1", actor=None
    )


def test_the_int64_adjustment_of_the_review_is_refused_at_its_field(dave):
    with pytest.raises(LedgerError) as refused:
        _adjust(dave, INT64_MAX)
    assert refused.value.field == "amount"
    assert "10000000000.00 EUR" in refused.value.message
    assert not Adjustment.objects.exists()
    assert not Transaction.objects.exists()
    assert violations() == []


@pytest.mark.parametrize(
    ("currency", "limit"),
    [("EUR", 10**12), ("JPY", 10**10), ("KWD", 10**13)],
)
def test_the_limit_is_ten_billion_of_the_major_unit_either_way(dave, currency, limit):
    assert max_money(currency) == limit
    for beyond in (limit + 1, -(limit + 1)):
        with pytest.raises(LedgerError) as refused:
            _adjust(dave, beyond, currency)
        assert refused.value.field == "amount"
    _adjust(dave, limit, currency)
    assert balance(dave, currency).wallet == limit
    assert violations() == []


def _raw_post(wallet: int, company: int, amount: int) -> None:
    with transaction.atomic():
        post(
            Transaction.Kind.ADJUSTMENT,
            "limit test",
            Entries(np.array([wallet, company]), np.array([-amount, amount])),
            currency="EUR",
        )


def test_no_posting_takes_a_balance_beyond_the_limit(dave):
    wallet = int(distributor_account_ids(Account.Kind.WALLET, "EUR", np.array([dave.pk]))[0])
    company = company_account(Account.Kind.ADJUSTMENTS, "EUR").pk
    half = MAX_BALANCE // 2 + 1
    _raw_post(wallet, company, half)
    with pytest.raises(LedgerError, match="largest balance"):
        _raw_post(wallet, company, half)  # the sum would pass MAX_BALANCE
    with pytest.raises(LedgerError, match="largest balance"):
        _raw_post(wallet, company, INT64_MAX)  # beyond 64 bits: refused, not a float or a 500
    assert Transaction.objects.count() == 1
    stored = dict(Account.objects.values_list("id", "balance"))
    assert stored[wallet] == -half
    assert stored[company] == half
    with connection.cursor() as cursor:  # SQLite would have stored an overflowed sum as a float
        cursor.execute(f"SELECT balance FROM {Account._meta.db_table} WHERE id = %s", [wallet])
        assert isinstance(cursor.fetchone()[0], int)
    assert violations() == []
    call_command("ledger", "check")


def _finance(username: str):
    from django.contrib.auth.models import Group

    user = do_create_user(username, password="a-long-secret-phrase", staff=True)
    user.groups.add(Group.objects.get(name="finance"))
    return user


def test_a_payout_minimum_beyond_the_limit_is_refused(dave):
    with pytest.raises(PayoutError) as refused:
        do_create_payout_batch("EUR", minimum=10**12 + 1, actor=_finance("maker"))
    assert refused.value.field == "minimum"
    assert not PayoutBatch.objects.exists()


def test_the_command_line_refuses_a_huge_minimum_with_a_sentence(dave):
    _finance("maker")
    with pytest.raises(CommandError, match=r"at most 10000000000\.00 EUR"):
        call_command("payouts", "create", "--minimum", "99999999999999999999", "--user", "maker")
    assert not PayoutBatch.objects.exists()
