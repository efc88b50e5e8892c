"""A small network with logins for the contest tests, written through the actions.

Enrollment tree::

    ROOT ─┬─ ALICE (PL) ─┬─ BOB (PL) ── CAROL (DE)
          │              └─ (customers CUST-A1, CUST-A2)
          └─ DAVE (PL) ─── (customer CUST-D)   BOB has customer CUST-B

DAVE is outside ALICE's downline. The clock is 15 March 2026 (a running March contest).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import time_machine
from django.core.cache import cache

from downline.accounts.actions import do_create_user
from downline.contests.actions import do_publish_contest, do_upload_contest
from downline.genealogy.actions import do_enroll
from downline.genealogy.models import Distributor
from downline.orders.actions import do_create_product
from downline.orders.models import Product

JOINED = date(2025, 3, 5)
ENROLLED_AT = datetime(2025, 3, 5, 12, tzinfo=UTC)
PASSWORD = "a-long-secret-phrase"
NOW = datetime(2026, 3, 15, 12, tzinfo=UTC)
PLAN = Path(__file__).resolve().parents[1] / "team_network.yaml"

CONTEST = """\
contest: march-customers
title: {en: March customer drive, de: März-Kundenaktion}
metric: customer_volume
window: {from: 2026-03-01, to: 2026-03-31}
eligibility: {good_standing: true}
tiers:
  - {name: Lisbon trip, threshold: 100, prize: {en: A weekend in Lisbon}}
  - {name: Top three, top: 3, prize: {en: A dinner with the founders}}
caps: {per_order: 80}
"""


def at(year: int, month: int, day: int, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


@dataclass
class Team:
    root: Distributor
    alice: Distributor
    bob: Distributor
    carol: Distributor
    dave: Distributor
    cust_a1: Distributor
    cust_a2: Distributor
    cust_b: Distributor
    cust_d: Distributor
    alice_user: object
    dave_user: object
    product: Product


@pytest.fixture(autouse=True)
def _setup(settings):
    settings.DOWNLINE_PLACEMENT = "binary"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=True):
        yield


def _enroll(member_id, sponsor, name, country="PL", kind="distributor", user=None, **kw):
    return do_enroll(
        member_id=member_id,
        sponsor=sponsor,
        joined_on=JOINED,
        effective_at=ENROLLED_AT,
        name=name,
        kind=kind,
        user=user,
        country=country,
        **kw,
    )


@pytest.fixture
def team(db, clock) -> Team:
    alice_user = do_create_user("alice", password=PASSWORD, email="alice@example.com")
    dave_user = do_create_user("dave", password=PASSWORD, email="dave@example.com")
    root = do_enroll(
        member_id="ROOT", sponsor=None, joined_on=JOINED, effective_at=ENROLLED_AT, name="Rosa Root"
    )
    alice = _enroll(
        "ALICE", root, "Alice Adams", user=alice_user, placement_parent=root, position=1
    )
    dave = _enroll("DAVE", root, "Dave Dodd", user=dave_user, placement_parent=root, position=2)
    bob = _enroll("BOB", alice, "Bob Brown")
    carol = _enroll("CAROL", bob, "Carol Clark", country="DE")
    cust_a1 = _enroll("CUST-A1", alice, "Cora Buyer", kind="customer")
    cust_a2 = _enroll("CUST-A2", alice, "Cecil Buyer", kind="customer")
    cust_b = _enroll("CUST-B", bob, "Bea Buyer", kind="customer")
    cust_d = _enroll("CUST-D", dave, "Dora Buyer", kind="customer")
    product = do_create_product(
        "TEA-1", {"en": "Green tea"}, pv=2500, cv=2000, prices={"EUR": 3990}
    )
    get = Distributor.objects.get
    return Team(
        root=get(pk=root.pk),
        alice=get(pk=alice.pk),
        bob=get(pk=bob.pk),
        carol=get(pk=carol.pk),
        dave=get(pk=dave.pk),
        cust_a1=cust_a1,
        cust_a2=cust_a2,
        cust_b=cust_b,
        cust_d=cust_d,
        alice_user=alice_user,
        dave_user=dave_user,
        product=product,
    )


@pytest.fixture
def contest(team):
    return do_publish_contest(do_upload_contest(CONTEST))


@pytest.fixture
def alice_client(client, team):
    client.force_login(team.alice_user)
    return client


def verified_staff(client, username: str, *roles: str):
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


# --------------------------------------------------------------------------- browser (copied
# from tests/e2e/conftest.py: Debian's Chromium, never a downloaded browser)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
]


@pytest.fixture
def browser(monkeypatch):
    import os

    if not os.path.exists(CHROMIUM):
        pytest.skip("needs Debian's chromium")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        connections.close_all()


@pytest.fixture
def new_page(browser):
    made = []

    def make(width: int = 1200, height: int = 900):
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        page.js_errors = []
        page.on("pageerror", lambda error: page.js_errors.append(str(error)))
        made.append(page)
        return page

    yield make
    for page in made:
        page.context.close()


def drain(expected: int, timeout: float = 60.0) -> int:
    """Consume events until ``expected`` were handled. On PostgreSQL an event becomes visible
    to consumers only once every older transaction of the server has ended (core.events), so
    another session's long transaction may hold it back for a while."""
    import time

    from downline.contests.activity import consume_events

    handled = consume_events()
    deadline = time.monotonic() + timeout
    while handled < expected and time.monotonic() < deadline:
        time.sleep(0.2)
        handled += consume_events()
    assert handled >= expected, f"only {handled} of {expected} events became visible"
    return handled
