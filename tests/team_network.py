"""A small network with logins, written through the actions (the fixtures of ``tests/web`` and
``tests/support``; each folder's conftest imports them).

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
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import time_machine
from django.core.cache import cache

from downline.accounts.actions import do_create_user
from downline.accounts.models import User
from downline.genealogy.actions import do_enroll
from downline.genealogy.models import Distributor
from downline.orders.actions import do_create_product
from downline.orders.models import Product

JOINED = date(2026, 1, 5)
ENROLLED_AT = datetime(2026, 1, 5, 12, tzinfo=UTC)  # in the history from the day they joined
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
    root = do_enroll(
        member_id="ROOT", sponsor=None, joined_on=JOINED, effective_at=ENROLLED_AT, name="Rosa Root"
    )
    alice = do_enroll(
        member_id="ALICE",
        sponsor=root,
        joined_on=JOINED,
        effective_at=ENROLLED_AT,
        name="Alice Adams",
        user=alice_user,
        placement_parent=root,
        position=1,
    )
    dave = do_enroll(
        member_id="DAVE",
        sponsor=root,
        joined_on=JOINED,
        effective_at=ENROLLED_AT,
        name="Dave Dodd",
        user=dave_user,
        placement_parent=root,
        position=2,
    )
    bob = do_enroll(
        member_id="BOB", sponsor=alice, joined_on=JOINED, effective_at=ENROLLED_AT, name="Bob Brown"
    )
    carol = do_enroll(
        member_id="CAROL",
        sponsor=bob,
        joined_on=JOINED,
        effective_at=ENROLLED_AT,
        name="Carol Clark",
    )
    cust_a = do_enroll(
        member_id="CUST-A",
        sponsor=alice,
        joined_on=JOINED,
        effective_at=ENROLLED_AT,
        kind="customer",
        name="Cora Buyer",
    )
    cust_d = do_enroll(
        member_id="CUST-D",
        sponsor=dave,
        joined_on=JOINED,
        effective_at=ENROLLED_AT,
        kind="customer",
        name="Dora Buyer",
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


# --------------------------------------------------------------------------- commission runs

PLAN = Path(__file__).with_name("team_network.yaml")


def at(year: int, month: int, day: int, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


# The settled company's open period is 2026-10 (company time, Europe/Berlin). Pages that show
# "the current period" (the dashboard, the console) need the clock inside it.
IN_THE_OPEN_PERIOD = at(2026, 10, 15)


@pytest.fixture
def open_period_clock():
    """The clock at 15 October 2026, 12:00 UTC (inside the settled company's open period 2026-10),
    ticking from there, for the whole test."""
    with time_machine.travel(IN_THE_OPEN_PERIOD, tick=True):
        yield


@dataclass
class Settled:
    """The ``team`` after two closed months and a projection of the open one (plan.yaml:
    unilevel 10 % / 5 % on CV, personal 5 %, matching 50 % of direct enrollees' unilevel,
    100 EUR on first reaching Leader with PV ≥ 20 and GV ≥ 30):

    * 2026-08: CAROL buys 2 teas (PV 50, CV 40): BOB unilevel 4.00; ALICE unilevel 2.00 and
      matching 2.00; CAROL personal 2.00 and advancement 100.00 (Leader). Final run.
    * 2026-09: BOB buys 2 teas: ALICE unilevel 4.00 + matching 0; BOB personal 2.00 + 100.00
      (Leader); ROOT unilevel 2.00 and matching 2.00. On 20 September CAROL returns 1 of her 2
      August teas: clawbacks of half of August (ALICE −1.00 unilevel, −1.00 matching; BOB −2.00;
      CAROL −1.00). Final run.
    * the open period 2026-10: on 10 October CAROL buys 1 tea; a projection runs. Tests that
      read the current period on a page ask for ``open_period_clock`` too.
    """

    team: Team
    version: object
    august: object
    september: object
    carol_order: object
    refund: object
    projection: object


@pytest.fixture
def settled(team) -> Settled:
    from downline.compensation.plans import do_activate_plan_version, do_create_plan_version
    from downline.compensation.runs import do_run_final, do_run_projection
    from downline.orders.actions import do_place_order, do_return_order
    from downline.periods.actions import do_ensure_period

    version = do_create_plan_version(PLAN.read_text(encoding="utf-8"), note="web tests")
    do_activate_plan_version(version, do_ensure_period("2026-08"))
    carol_order = do_place_order(team.carol, [(team.product, 2)], "EUR", paid_at=at(2026, 8, 10))
    august = do_run_final(do_ensure_period("2026-08"))
    do_place_order(team.bob, [(team.product, 2)], "EUR", paid_at=at(2026, 9, 5))
    line = carol_order.lines.get()
    refund = do_return_order(carol_order, {line: 1}, refunded_at=at(2026, 9, 20), reason="broken")
    september = do_run_final(do_ensure_period("2026-09"))
    do_place_order(team.carol, [(team.product, 1)], "EUR", paid_at=at(2026, 10, 10))
    projection = do_run_projection(do_ensure_period("2026-10"))
    return Settled(team, version, august, september, carol_order, refund, projection)


def verified_staff(client, username: str, *roles: str, superuser: bool = False) -> User:
    """A staff login holding ``roles`` (groups), signed in on ``client`` with a confirmed
    one-time code, the way staff sign in."""
    from django.contrib.auth.models import Group
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = do_create_user(username, password=PASSWORD, email=f"{username}@example.com", staff=True)
    if superuser:
        user.is_superuser = True
        user.save(update_fields=["is_superuser"])
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    client.force_login(user)
    token = TOTP(device.bin_key, device.step, device.t0, device.digits).token()
    response = client.post("/accounts/two-factor/", {"code": f"{token:06d}"})
    assert response.status_code == 302, response.content[:500]
    return user
