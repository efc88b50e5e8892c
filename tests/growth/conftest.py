"""A hand-built network for the radar and notification tests, written through the actions.

Enrollment tree (sponsor → recruits), company time Europe/Berlin, "today" 15 October 2026::

    ROOT ─┬─ SAM ─┬─ NEWBIE   joined 12 Oct 2026 (day 4), no order yet
          │       ├─ INACT    joined Jan, no order in October (0 of 20 PV)
          │       ├─ CLOSE    25 PV in October: Leader needs GV 30 → 5 GV missing
          │       └─ DROP     Leader in August (50 PV), Member in September; failed autoship

SAM buys 25 PV in August and September (active: paid unilevel on DROP's August order).
          └─ OTTO ── KID      outside SAM's team

SAM signs in as ``sam``, NEWBIE as ``newbie``, OTTO as ``otto``.
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

PASSWORD = "a-long-secret-phrase"
PLAN = Path(__file__).with_name("plan.yaml")
TODAY = date(2026, 10, 15)
NOW = datetime(2026, 10, 15, 10, tzinfo=UTC)


def at(year: int, month: int, day: int, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


@dataclass
class Net:
    root: Distributor
    sam: Distributor
    newbie: Distributor
    inact: Distributor
    close: Distributor
    drop: Distributor
    otto: Distributor
    kid: Distributor
    sam_user: User
    newbie_user: User
    otto_user: User
    product: Product


@pytest.fixture(autouse=True)
def _binary_and_clean_cache(settings):
    settings.DOWNLINE_PLACEMENT = "binary"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _enroll(member_id, sponsor, joined, name, user=None, email=""):
    return do_enroll(
        member_id=member_id,
        sponsor=sponsor,
        joined_on=joined,
        effective_at=datetime(joined.year, joined.month, joined.day, 12, tzinfo=UTC),
        name=name,
        user=user,
        email=email,
    )


@pytest.fixture
def net(db, clock) -> Net:
    sam_user = do_create_user("sam", password=PASSWORD, email="sam@example.com", first_name="Sam")
    newbie_user = do_create_user(
        "newbie", password=PASSWORD, email="newbie@example.com", first_name="Nina"
    )
    otto_user = do_create_user("otto", password=PASSWORD, email="otto@example.com")
    jan = date(2026, 1, 5)
    root = _enroll("ROOT", None, jan, "Rosa Root")
    sam = _enroll("SAM", root, jan, "Sam Sponsor", sam_user, "sam@example.com")
    otto = _enroll("OTTO", root, jan, "Otto Other", otto_user, "otto@example.com")
    inact = _enroll("INACT", sam, jan, "Ines Idle", email="ines@example.com")
    close = _enroll("CLOSE", sam, jan, "Carl Close")
    drop = _enroll("DROP", sam, jan, "Dora Drop")
    kid = _enroll("KID", otto, jan, "Kim Kid")
    newbie = _enroll(
        "NEWBIE", sam, date(2026, 10, 12), "Nina Newbie", newbie_user, "newbie@example.com"
    )
    product = do_create_product(
        "TEA-1", {"en": "Green tea"}, pv=2500, cv=2000, prices={"EUR": 3990}
    )
    return Net(
        root=root,
        sam=Distributor.objects.get(pk=sam.pk),
        newbie=newbie,
        inact=inact,
        close=close,
        drop=drop,
        otto=Distributor.objects.get(pk=otto.pk),
        kid=kid,
        sam_user=sam_user,
        newbie_user=newbie_user,
        otto_user=otto_user,
        product=product,
    )


@pytest.fixture
def settled(net) -> Net:
    """Two final months and an October projection (see the module)."""
    from downline.compensation.plans import do_activate_plan_version, do_create_plan_version
    from downline.compensation.runs import do_run_final, do_run_projection
    from downline.orders.actions import do_place_order
    from downline.periods.actions import do_ensure_period

    version = do_create_plan_version(PLAN.read_text(encoding="utf-8"), note="growth tests")
    do_activate_plan_version(version, do_ensure_period("2026-08"))
    do_place_order(net.drop, [(net.product, 2)], "EUR", paid_at=at(2026, 8, 10))
    do_place_order(net.sam, [(net.product, 1)], "EUR", paid_at=at(2026, 8, 11))
    do_run_final(do_ensure_period("2026-08"))
    do_place_order(net.sam, [(net.product, 1)], "EUR", paid_at=at(2026, 9, 5))
    do_run_final(do_ensure_period("2026-09"))
    do_place_order(net.close, [(net.product, 1)], "EUR", paid_at=at(2026, 10, 10))
    do_run_projection(do_ensure_period("2026-10"))
    return net


def login(client, user: User):
    client.force_login(user)
    return client


def verified_staff(client, username: str, *roles: str) -> User:
    """A staff login holding ``roles``, signed in with a confirmed one-time code."""
    from django.contrib.auth.models import Group
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = do_create_user(username, password=PASSWORD, email=f"{username}@example.com", staff=True)
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    client.force_login(user)
    token = TOTP(device.bin_key, device.step, device.t0, device.digits).token()
    response = client.post("/accounts/two-factor/", {"code": f"{token:06d}"})
    assert response.status_code == 302, response.content[:500]
    return user
