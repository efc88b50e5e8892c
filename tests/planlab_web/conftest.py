"""Fixtures of the plan lab and compliance page tests.

* ``one_process`` (automatic): simulations run in the test's process.
* ``login_as``: a client signed in as anonymous, a distributor, or staff of one role with a
  confirmed one-time code, the way staff sign in.
* ``company``: a small company with two closed months (the seed of ``tests/compliance``,
  shortened): plan ``plan.yaml`` pays 10% of each order's CV to the sponsor of the credited
  distributor and 30.00 EUR the first time someone is paid as Leader (PV ≥ 50, GV ≥ 100).

  Network: R ─ A ─ {B, C}; R ─ D; R ─ E; retail customers a1, a2 of A.
  August 2026: B KIT 40.00, A SHAKE 50.00, a1 SHAKE 50.00, C KIT 40.00; paid 6.00 on a
  turnover of 180.00 (3.3%).
  September 2026: R FEE 20.00, D KIT 40.00 and SHAKE × 4, a1 SHAKE × 2, a2 SHAKE, B SHAKE ×
  2, A SHAKE, C SHAKE × 4 (760.00); A returns its August SHAKE after the close. Leaders A, C
  and D get 30.00 each; the run pays 119.00, a payout ratio of 119 / 760 = 15.7%. Customer
  CV 60 of 290 (I1 = 20.7%, red).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.contrib.auth.models import Group

from downline.accounts.actions import do_create_user
from downline.compensation.models import PlanVersion, Run
from downline.compensation.plans import do_activate_plan_version, do_create_plan_version
from downline.compensation.runs import do_run_final
from downline.genealogy.models import Distributor
from downline.orders.actions import do_create_product, do_place_order, do_return_order
from downline.orders.models import ProductKind
from downline.periods.actions import do_ensure_period

HERE = Path(__file__).resolve().parent
PLAN = HERE / "plan.yaml"
UNILEVEL = HERE.parents[1] / "plans" / "unilevel.yaml"
PASSWORD = "a-long-secret-phrase"


@pytest.fixture(autouse=True)
def one_process(settings):
    settings.DOWNLINE_SIMULATION_PROCESSES = 1


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 12, tzinfo=UTC)


@dataclass
class Company:
    version: PlanVersion
    members: dict[str, Distributor] = field(default_factory=dict)
    runs: dict[str, Run] = field(default_factory=dict)


def _member(members, member_id, joined, sponsor=None, kind=Distributor.Kind.DISTRIBUTOR):
    parent = members[sponsor] if sponsor else None
    members[member_id] = Distributor.objects.create(
        member_id=member_id,
        name=f"Member {member_id}",
        kind=kind,
        sponsor=parent,
        placement_parent=None if kind == Distributor.Kind.CUSTOMER else parent,
        joined_on=joined,
    )


@pytest.fixture
def company(db) -> Company:
    products = {
        sku: do_create_product(sku, {"en": sku.title()}, kind, pv=pv, cv=cv, prices={"EUR": price})
        for sku, kind, pv, cv, price in (
            ("SHAKE", ProductKind.PRODUCT, 2500, 2000, 5000),
            ("KIT", ProductKind.STARTER_KIT, 1000, 1000, 4000),
            ("FEE", ProductKind.FEE, 0, 0, 2000),
        )
    }
    members: dict[str, Distributor] = {}
    _member(members, "R", date(2025, 1, 1))
    _member(members, "A", date(2026, 6, 10), "R")
    _member(members, "B", date(2026, 8, 3), "A")
    _member(members, "C", date(2026, 8, 20), "A")
    _member(members, "D", date(2026, 9, 5), "R")
    _member(members, "E", date(2026, 6, 15), "R")
    _member(members, "a1", date(2026, 7, 1), "A", Distributor.Kind.CUSTOMER)
    _member(members, "a2", date(2026, 7, 1), "A", Distributor.Kind.CUSTOMER)
    version = do_create_plan_version(PLAN.read_text(encoding="utf-8"), note="plan lab tests")
    do_activate_plan_version(version, do_ensure_period("2026-08"))

    def order(member_id: str, sku: str, quantity: int, when: datetime):
        return do_place_order(members[member_id], [(products[sku], quantity)], "EUR", paid_at=when)

    order("B", "KIT", 1, at(8, 3))
    a_shake = order("A", "SHAKE", 1, at(8, 10))
    order("a1", "SHAKE", 1, at(8, 12))
    order("C", "KIT", 1, at(8, 20))
    company = Company(version=version, members=members)
    company.runs["2026-08"] = do_run_final(do_ensure_period("2026-08"))
    order("R", "FEE", 1, at(9, 2))
    do_return_order(a_shake, refunded_at=at(9, 3), reason="changed mind")
    order("D", "KIT", 1, at(9, 5))
    order("D", "SHAKE", 4, at(9, 6))
    order("a1", "SHAKE", 2, at(9, 10))
    order("a2", "SHAKE", 1, at(9, 12))
    order("B", "SHAKE", 1, at(9, 15))
    order("A", "SHAKE", 1, at(9, 20))
    order("B", "SHAKE", 1, at(9, 29))
    order("C", "SHAKE", 4, at(9, 29))
    company.runs["2026-09"] = do_run_final(do_ensure_period("2026-09"))
    return company


@pytest.fixture
def plan_version(db) -> PlanVersion:
    return do_create_plan_version(PLAN.read_text(encoding="utf-8"), note="plan lab tests")


def sign_in_staff(client, username: str, *roles: str, verified: bool = True):
    """A staff login holding ``roles``, signed in on ``client``; with ``verified`` it has
    confirmed a one-time code like staff do after their password."""
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = do_create_user(username, password=PASSWORD, email=f"{username}@example.com", staff=True)
    for role in roles:
        user.groups.add(Group.objects.get(name=role))
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    client.force_login(user)
    if verified:
        token = TOTP(device.bin_key, device.step, device.t0, device.digits).token()
        response = client.post("/accounts/two-factor/", {"code": f"{token:06d}"})
        assert response.status_code == 302, response.content[:500]
    return user


@pytest.fixture
def login_as(client, db):
    """``login_as(who)`` with who in anonymous, distributor, unverified (staff without the
    one-time code), nobody (staff without a role), support, finance, admin."""

    def login(who: str):
        if who == "anonymous":
            return client
        if who == "distributor":
            user = do_create_user("dina", password=PASSWORD, email="dina@example.com")
            root = Distributor.objects.filter(sponsor=None).first()  # one root per network
            Distributor.objects.create(
                member_id="DINA",
                name="Dina",
                user=user,
                sponsor=root,
                placement_parent=root,
                joined_on=date(2026, 1, 1),
            )
            client.force_login(user)
            return client
        if who == "unverified":
            sign_in_staff(client, "unverified", "admin", verified=False)
            return client
        roles = () if who == "nobody" else (who,)
        sign_in_staff(client, f"staff-{who}", *roles)
        return client

    return login
