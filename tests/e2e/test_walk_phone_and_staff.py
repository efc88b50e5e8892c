"""Walking the site as a newcomer in real Chromium (Playwright): staff sign in with their
authenticator code and land on the console; on a 390 px wide phone the dashboard (in German),
the team by level and a console table fit the screen; the team search answers while one
types. Screenshots of a failing test are kept in ``var/test-screenshots/``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.contrib.auth.models import Group

from downline.accounts.actions import do_create_user
from downline.compensation.plans import do_activate_plan_version, do_create_plan_version
from downline.genealogy.actions import do_enroll
from downline.orders.actions import do_create_product, do_place_order
from downline.periods.actions import do_ensure_period_for

PLAN = Path(__file__).resolve().parents[1] / "team_network.yaml"
PASSWORD = "a-long-secret-phrase"
PHONE = 390
WIDTH = "document.documentElement.scrollWidth"

pytestmark = pytest.mark.django_db(transaction=True)


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


@pytest.fixture
def network(settings):
    """ROOT ─ SARA (German, signs in as ``sara``) ─ NINA and BOB, who buy in the open period;
    the web test plan is the plan; a staff login ``fiona`` (finance) with an authenticator."""
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    settings.DOWNLINE_PLACEMENT = "binary"
    sara_user = do_create_user(
        "sara", password=PASSWORD, email="sara@example.com", language="de", first_name="Sara"
    )
    joined = date(2026, 1, 5)
    root = do_enroll(member_id="ROOT", sponsor=None, joined_on=joined, name="Rosa")
    sara = do_enroll(
        member_id="SARA",
        sponsor=root,
        joined_on=joined,
        name="Sara Sponsor",
        user=sara_user,
        placement_parent=root,
        position=1,
    )
    tea = do_create_product("TEA-1", {"en": "Green tea"}, pv=2500, cv=2000, prices={"EUR": 3990})
    version = do_create_plan_version(PLAN.read_text(encoding="utf-8"), note="e2e")
    period = do_ensure_period_for(timezone.now())  # the open period, whatever the date
    do_activate_plan_version(version, period)
    for member_id, name in (("NINA", "Nina Novak-Oberhauser"), ("BOB", "Bob Brown")):
        member = do_enroll(member_id=member_id, sponsor=sara, joined_on=joined, name=name)
        do_place_order(member, [(tea, 2)], "EUR")
    staff = do_create_user("fiona", password=PASSWORD, email="fiona@example.com", staff=True)
    staff.groups.add(Group.objects.get_or_create(name="finance")[0])  # flushed between tests
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    return {"sara": sara, "device": device, "period": period}


def _sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()


def _staff_sign_in(page, live_server, device) -> None:
    from django_otp.oath import TOTP

    _sign_in(page, live_server, device.user.username)
    page.wait_for_url("**/accounts/two-factor/**")
    code = TOTP(device.bin_key, device.step, device.t0, device.digits).token()
    page.get_by_label("Six-digit code from your authenticator app").fill(f"{code:06d}")
    page.get_by_role("button", name="Confirm").click()


def _fits(page) -> None:
    width = page.evaluate(WIDTH)
    assert width <= PHONE, f"{page.url} is {width} px wide on a {PHONE} px screen"


def test_staff_sign_in_with_the_code_lands_on_the_console(new_page, live_server, network):
    page = new_page(1280, 900)
    _staff_sign_in(page, live_server, network["device"])
    page.wait_for_url(f"{live_server.url}/console/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Company console")
    menu = page.get_by_role("navigation", name="Main")
    expect(menu.get_by_role("link", name="Console")).to_have_attribute("aria-current", "page")
    expect(menu.get_by_role("link", name="Dashboard")).to_have_count(0)
    assert not page.js_errors


def test_a_phone_shows_the_german_dashboard_levels_and_a_console_table_without_overflow(
    new_page, live_server, network
):
    page = new_page(PHONE, 844)
    _sign_in(page, live_server, "sara")
    page.wait_for_url(f"{live_server.url}/dashboard/")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator("#figure-gv")).not_to_have_text("0,00")
    _fits(page)
    page.goto(f"{live_server.url}/team/levels/?level=1")
    expect(page.locator("#level-rows")).to_contain_text("Nina Novak-Oberhauser")
    _fits(page)
    # the rows are cards: each cell starts with its column's name
    label = page.locator("#level-rows td[data-label]").first.evaluate(
        "cell => getComputedStyle(cell, '::before').content"
    )
    assert label.strip('"') == page.locator("#level-rows thead th").first.inner_text()

    staff = new_page(PHONE, 844)
    _staff_sign_in(staff, live_server, network["device"])
    staff.wait_for_url(f"{live_server.url}/console/")
    _fits(staff)
    staff.goto(f"{live_server.url}/console/periods/")
    expect(staff.locator("table.cards")).to_contain_text(network["period"].code)
    _fits(staff)
    assert not page.js_errors
    assert not staff.js_errors


def test_the_team_search_answers_while_one_types(new_page, live_server, network):
    page = new_page(PHONE, 844)
    _sign_in(page, live_server, "sara")
    page.wait_for_url(f"{live_server.url}/dashboard/")
    page.goto(f"{live_server.url}/team/")
    page.locator("input[type=search]").press_sequentially("novak", delay=40)
    expect(page.locator("#search-results")).to_contain_text("Nina Novak-Oberhauser")
    expect(page.locator("#search-results")).not_to_contain_text("Bob Brown")
    assert page.url == f"{live_server.url}/team/"  # no button pressed, no page loaded
    assert not page.js_errors
