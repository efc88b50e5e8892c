"""A small network with logins, written through the actions.

Enrollment tree (sponsor → recruits)::

    ROOT ─┬─ ALICE ─┬─ BOB ── CAROL
          │         └─ (retail customer CUST-A)
          └─ DAVE ─── (retail customer CUST-D)

ALICE signs in as ``alice``, DAVE as ``dave``; ``staff`` is a staff login without membership.
DAVE is outside ALICE's downline in both trees (the placement tree is binary: ALICE left of
ROOT, DAVE right; everyone else spills over under their sponsor).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from django.core.cache import cache

from downline.accounts.actions import do_create_user
from downline.accounts.models import User
from downline.genealogy.actions import do_enroll
from downline.genealogy.models import Distributor
from downline.orders.actions import do_create_product
from downline.orders.models import Product

JOINED = date(2026, 1, 5)
PASSWORD = "a-long-secret-phrase"


@dataclass
class Team:
    root: Distributor
    alice: Distributor
    bob: Distributor
    carol: Distributor
    dave: Distributor
    cust_a: Distributor
    cust_d: Distributor
    alice_user: User
    dave_user: User
    staff_user: User
    product: Product


@pytest.fixture(autouse=True)
def _clean_cache_and_binary(settings):
    settings.DOWNLINE_PLACEMENT = "binary"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def team(db) -> Team:
    alice_user = do_create_user(
        "alice", password=PASSWORD, email="alice@example.com", first_name="Alice"
    )
    dave_user = do_create_user("dave", password=PASSWORD, email="dave@example.com")
    staff_user = do_create_user("staff", password=PASSWORD, email="staff@example.com", staff=True)
    root = do_enroll(member_id="ROOT", sponsor=None, joined_on=JOINED, name="Rosa Root")
    alice = do_enroll(
        member_id="ALICE",
        sponsor=root,
        joined_on=JOINED,
        name="Alice Adams",
        user=alice_user,
        placement_parent=root,
        position=1,
    )
    dave = do_enroll(
        member_id="DAVE",
        sponsor=root,
        joined_on=JOINED,
        name="Dave Dodd",
        user=dave_user,
        placement_parent=root,
        position=2,
    )
    bob = do_enroll(member_id="BOB", sponsor=alice, joined_on=JOINED, name="Bob Brown")
    carol = do_enroll(member_id="CAROL", sponsor=bob, joined_on=JOINED, name="Carol Clark")
    cust_a = do_enroll(
        member_id="CUST-A", sponsor=alice, joined_on=JOINED, kind="customer", name="Cora Buyer"
    )
    cust_d = do_enroll(
        member_id="CUST-D", sponsor=dave, joined_on=JOINED, kind="customer", name="Dora Buyer"
    )
    product = do_create_product(
        "TEA-1", {"en": "Green tea"}, pv=2500, cv=2000, prices={"EUR": 3990}
    )
    return Team(
        root=root,
        alice=Distributor.objects.get(pk=alice.pk),
        bob=bob,
        carol=carol,
        dave=Distributor.objects.get(pk=dave.pk),
        cust_a=cust_a,
        cust_d=cust_d,
        alice_user=alice_user,
        dave_user=dave_user,
        staff_user=staff_user,
        product=product,
    )


@pytest.fixture
def alice_client(client, team):
    client.force_login(team.alice_user)
    return client
