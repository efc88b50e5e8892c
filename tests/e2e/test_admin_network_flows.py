"""The (read-only) admin in real Chromium (Playwright): it speaks the browser's language.

Sponsor changes are made in the console now; their browser flows are in
``test_console_network_flows.py``.
"""

from __future__ import annotations

from datetime import date

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from downline.accounts.actions import do_create_user
from downline.genealogy.actions import do_enroll
from downline.genealogy.models import Distributor

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def network() -> dict[str, Distributor]:
    """D-ROOT sponsors D-ALICE (placed left) and D-BOB (placed under D-ALICE)."""
    joined = date(2026, 1, 5)
    root = do_enroll(member_id="D-ROOT", sponsor=None, joined_on=joined, name="Rosa Root")
    alice = do_enroll(
        member_id="D-ALICE",
        sponsor=root,
        joined_on=joined,
        name="Alice Adams",
        placement_parent=root,
        position=1,
    )
    bob = do_enroll(
        member_id="D-BOB",
        sponsor=root,
        joined_on=joined,
        name="Bob Brown",
        placement_parent=alice,
        position=1,
    )
    operator = do_create_user("operator", password="a-long-password", superuser=True)
    TOTPDevice.objects.create(user=operator, name="phone", confirmed=True)
    return {"root": root, "alice": alice, "bob": bob}


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def _sign_in(page, live_server) -> None:
    """The admin has no login of its own: the project's sign-in, then a code (issue 11)."""
    from django_otp.oath import TOTP

    page.goto(f"{live_server.url}/admin/login/")
    page.wait_for_url("**/accounts/login/**")
    page.fill("#id_username", "operator")
    page.fill("#id_password", "a-long-password")
    page.click("button.primary[type=submit]")
    page.wait_for_url("**/accounts/two-factor/**")
    device = TOTPDevice.objects.get(user__username="operator")
    page.fill(
        "#id_code", f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"
    )
    page.click("button.primary[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")


def test_the_admin_speaks_the_browsers_language(new_page, live_server, network):
    """The sign-in page speaks the browser's language; once signed in (through the project's
    sign-in, which sets the login's language), the admin speaks the login's: German here."""
    from downline.accounts.models import User

    User.objects.filter(username="operator").update(language="de")
    page = new_page(1280, 900, locale="de-DE")
    page.goto(f"{live_server.url}/admin/login/")
    expect(page.locator("label[for=id_username]")).to_contain_text("Benutzername")
    _sign_in(page, live_server)
    page.goto(f"{live_server.url}/admin/genealogy/distributor/")
    expect(page.locator("#content h1")).to_contain_text("Vertriebspartner")
