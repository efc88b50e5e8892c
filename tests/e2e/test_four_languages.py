"""The back office in its four languages, in real Chromium: each distributor signs in and
reads the page in their own language, with numbers written the way their locale writes them
(12,500.00 in English, 12.500,00 in German, 12 500,00 in Russian and Polish with a no-break
space) and the plan's rank names in their language.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from downline.accounts.actions import do_create_user
from downline.compensation.plans import do_activate_plan_version, do_create_plan_version
from downline.genealogy.actions import do_enroll
from downline.orders.actions import do_create_product, do_place_order
from downline.periods.actions import do_ensure_period_for

PLAN = Path(__file__).resolve().parents[2] / "plans" / "unilevel.yaml"
PASSWORD = "a-long-secret-phrase"
NBSP = "\u00a0"
READERS = {
    # username: (language, group volume as the dashboard writes it, its label)
    "emma": ("en", "12,500.00", "Group volume (GV)"),
    "jonas": ("de", "12.500,00", "Gruppenvolumen (GV)"),
    "olga": ("ru", f"12{NBSP}500,00", "Групповой объём (GV)"),
    "kasia": ("pl", f"12{NBSP}500,00", "Wolumen grupowy (GV)"),
}

pytestmark = pytest.mark.django_db(transaction=True)


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


@pytest.fixture
def readers(settings):
    """ROOT with one distributor per language below it; each has a recruit who bought 500
    units of a 25 PV product in the open period, so each reader's group volume is 12,500 PV."""
    from django.utils import timezone

    settings.DOWNLINE_PLACEMENT = "unilevel"
    joined = date(2026, 1, 5)
    root = do_enroll(member_id="ROOT", sponsor=None, joined_on=joined, name="Rosa Root")
    tea = do_create_product("TEA-1", {"en": "Green tea"}, pv=2500, cv=2000, prices={"EUR": 3990})
    do_activate_plan_version(
        do_create_plan_version(PLAN.read_text(encoding="utf-8"), note="e2e"),
        do_ensure_period_for(timezone.now()),
    )
    for number, (username, (language, _gv, _word)) in enumerate(READERS.items()):
        user = do_create_user(
            username, password=PASSWORD, email=f"{username}@example.com", language=language
        )
        reader = do_enroll(
            member_id=f"R{number}", sponsor=root, joined_on=joined, name=username, user=user
        )
        recruit = do_enroll(
            member_id=f"N{number}", sponsor=reader, joined_on=joined, name=f"Recruit {number}"
        )
        do_place_order(recruit, [(tea, 500)], "EUR")


def test_each_reader_sees_their_language_and_their_numbers(new_page, live_server, readers):
    for username, (language, group_volume, label) in READERS.items():
        page = new_page(1280, 900)
        page.goto(f"{live_server.url}/accounts/login/")
        page.locator("#id_username").fill(username)
        page.locator("#id_password").fill(PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(f"{live_server.url}/dashboard/")
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.locator("#figure-gv")).to_have_text(group_volume)
        expect(page.locator("dl.figures")).to_contain_text(label)
        assert not page.js_errors, (username, page.js_errors)
        page.close()
