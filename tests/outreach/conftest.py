"""Fixtures of the outreach tests: a small network with logins (as in tests/web), staff with the
console's one-time code, a capture page template."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from django.core.cache import cache
from django.db import connections

from downline.accounts.actions import do_create_user
from downline.accounts.models import User
from downline.genealogy.actions import do_enroll
from downline.genealogy.models import Distributor

JOINED = date(2026, 1, 5)
ENROLLED_AT = datetime(2026, 1, 5, 12, tzinfo=UTC)
PASSWORD = "a-long-secret-phrase"


@dataclass
class Team:
    root: Distributor
    alice: Distributor
    bob: Distributor
    dave: Distributor
    alice_user: User
    dave_user: User


@pytest.fixture(autouse=True)
def _clean_cache(settings):
    settings.DOWNLINE_PLACEMENT = "binary"
    settings.DOWNLINE_SITE_URL = "https://downline.test"
    settings.DOWNLINE_QUIET_HOURS = (0, 0)  # no quiet hours unless a test sets them
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def team(db) -> Team:
    alice_user = do_create_user(
        "alice", password=PASSWORD, email="alice@example.com", first_name="Alice"
    )
    dave_user = do_create_user("dave", password=PASSWORD, email="dave@example.com")
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
    Distributor.objects.filter(pk=alice.pk).update(email="alice@example.com")
    return Team(
        root=root,
        alice=Distributor.objects.get(pk=alice.pk),
        bob=bob,
        dave=Distributor.objects.get(pk=dave.pk),
        alice_user=alice_user,
        dave_user=dave_user,
    )


@pytest.fixture
def staff_client(client, db):
    """A staff login with the admin role and a confirmed one-time code."""
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = do_create_user("olga", password=PASSWORD, email="olga@example.com", staff=True)
    user.is_superuser = True
    user.save()
    device = TOTPDevice.objects.create(user=user, name="tests", confirmed=True)
    client.force_login(user)
    code = TOTP(device.bin_key, device.step, device.t0, device.digits).token()
    response = client.post("/accounts/two-factor/", {"code": f"{code:06d}"})
    assert response.status_code == 302, response.content[:300]
    return client


@pytest.fixture
def bbb_server(settings):
    from .bbb_standin import SECRET, BBBStandin

    server = BBBStandin().start()
    settings.DOWNLINE_BBB_URL = server.url
    settings.DOWNLINE_BBB_SECRET = SECRET
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def template(db):
    from downline.outreach.models import PageTemplate

    return PageTemplate.objects.create(
        key="free-guide",
        name="Free guide",
        content={
            "en": {"headline": "Your free tea guide", "body": "Learn **five** tea rituals."},
            "de": {"headline": "Ihr kostenloser Tee-Ratgeber", "body": "Fünf Tee-Rituale."},
            "ru": {"headline": "Бесплатный гид по чаю", "body": "Пять чайных ритуалов."},
            "pl": {"headline": "Darmowy przewodnik", "body": "Pięć rytuałów."},
        },
        content_b={"en": {"headline": "Tea, simply explained", "body": "A short guide."}},
        lead_course="tea-basics",
    )


@pytest.fixture
def pages_(team, template):
    from downline.outreach.pages import do_create_page

    return do_create_page(team.alice, template, slug="alice"), do_create_page(
        team.dave, template, slug="dave"
    )


# --------------------------------------------------------------------------- browser (as tests/e2e)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
]


@pytest.fixture
def browser(monkeypatch):
    if not os.path.exists(CHROMIUM):
        pytest.skip("needs Debian's chromium (apt-get install chromium)")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        connections.close_all()


@pytest.fixture
def new_page(browser):
    made = []

    def make(width: int = 390, height: int = 844):
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        page.js_errors = []
        page.on("pageerror", lambda error: page.js_errors.append(str(error)))
        made.append(page)
        return page

    yield make
    for page in made:
        page.context.close()
