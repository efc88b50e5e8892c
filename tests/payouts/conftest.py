"""Two distributors with logins (ANNA under ROOT, BEN under ANNA), written through the actions,
and helpers to credit a wallet and to sign in. The clock is frozen by each test that needs it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache

from downline.accounts.actions import do_create_user
from downline.accounts.models import User
from downline.genealogy.actions import do_enroll
from downline.genealogy.models import Distributor
from downline.ledger.actions import do_adjust_balance

PASSWORD = "a-long-secret-phrase"
JOINED_AT = datetime(2026, 1, 5, 12, tzinfo=UTC)
GOOD_IBAN = "DE89370400440532013000"
OTHER_IBAN = "PL61109010140000071219812874"


@dataclass
class Members:
    root: Distributor
    anna: Distributor
    ben: Distributor
    anna_user: User
    ben_user: User
    maker: User
    checker: User


def credit(member: Distributor, amount: int, reference: str = "T1") -> None:
    """Put ``amount`` minor units EUR into ``member``'s wallet (a finance adjustment)."""
    do_adjust_balance(
        member, amount, currency="EUR", reason="test credit", reference=reference, actor=None
    )


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def members(db) -> Members:
    anna_user = do_create_user("anna", password=PASSWORD, email="anna@example.com")
    ben_user = do_create_user("ben", password=PASSWORD, email="ben@example.com")
    root = do_enroll(
        member_id="ROOT", sponsor=None, joined_on=date(2026, 1, 5), name="Rosa Root",
        effective_at=JOINED_AT,
    )  # fmt: skip
    anna = do_enroll(
        member_id="ANNA", sponsor=root, joined_on=date(2026, 1, 5), name="Anna Adler",
        email="anna@example.com", user=anna_user, effective_at=JOINED_AT,
    )  # fmt: skip
    ben = do_enroll(
        member_id="BEN", sponsor=anna, joined_on=date(2026, 1, 5), name="Ben Brandt",
        email="ben@example.com", user=ben_user, effective_at=JOINED_AT,
    )  # fmt: skip
    maker = do_create_user("maker", password=PASSWORD, staff=True)
    checker = do_create_user("checker", password=PASSWORD, staff=True)
    for login in (maker, checker):  # money moves only by finance or admin staff
        login.groups.add(Group.objects.get(name="finance"))
    return Members(root, anna, ben, anna_user, ben_user, maker, checker)
