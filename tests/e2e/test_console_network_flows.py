"""An operator changes a sponsor in the console, in real Chromium (Playwright).

The admin is read-only for the network (issue 11), so these flows moved here from
``test_admin_network_flows.py``. The browser is Debian's ``chromium``; the server is
pytest-django's live server on 127.0.0.1. The flows: sign in with the second factor, open a
distributor, change their sponsor with a reason, see the confirmation and the recorded event;
try a change that would make a cycle and get the rule's message with nothing written.
"""

from __future__ import annotations

from datetime import date

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from downline.accounts.actions import do_create_user
from downline.genealogy.actions import do_enroll
from downline.genealogy.models import Distributor, StructureEvent

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
    """The project's sign-in, then a code from the authenticator."""
    from django_otp.oath import TOTP

    page.goto(f"{live_server.url}/accounts/login/?next=/console/")
    page.fill("#id_username", "operator")
    page.fill("#id_password", "a-long-password")
    page.click("button.primary[type=submit]")
    page.wait_for_url("**/accounts/two-factor/**")
    device = TOTPDevice.objects.get(user__username="operator")
    page.fill(
        "#id_code", f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"
    )
    page.click("button.primary[type=submit]")
    page.wait_for_url(f"{live_server.url}/console/")


def test_an_operator_changes_a_sponsor_with_a_reason(new_page, live_server, network):
    page = new_page(1280, 900)
    _sign_in(page, live_server)
    bob = network["bob"]
    page.goto(f"{live_server.url}/console/distributors/{bob.member_id}/")
    page.get_by_role("link", name="Change the sponsor only").click()

    page.fill("#id_sponsor", "D-ALICE")
    page.fill("#id_reason", "Alice recruited Bob; corrected at his request.")
    page.get_by_role("button", name="Change the sponsor").click()

    expect(page.locator(".messages")).to_have_text("The sponsor of D-BOB was changed.")
    expect(page.locator("#member-sponsor")).to_have_text("D-ALICE")
    bob.refresh_from_db()
    assert bob.sponsor.member_id == "D-ALICE"
    event = StructureEvent.objects.filter(distributor=bob).order_by("-id").first()
    assert event.kind == StructureEvent.Kind.SPONSOR_CHANGED
    assert event.old_sponsor.member_id == "D-ROOT"
    assert event.reason == "Alice recruited Bob; corrected at his request."
    assert event.actor.username == "operator"
    assert Distributor.objects.get(member_id="D-ALICE").enrollment_downline == 1


def test_a_change_that_would_make_a_cycle_is_refused_with_the_rule_and_nothing_changes(
    new_page, live_server, network
):
    alice = network["alice"]
    page = new_page(1280, 900)
    _sign_in(page, live_server)
    # Bob joins Alice's enrollment downline first, then Alice may not move under Bob.
    page.goto(f"{live_server.url}/console/distributors/D-BOB/sponsor/")
    page.fill("#id_sponsor", "D-ALICE")
    page.fill("#id_reason", "Moved under Alice.")
    page.get_by_role("button", name="Change the sponsor").click()
    expect(page.locator(".messages")).to_have_text("The sponsor of D-BOB was changed.")
    events_before = StructureEvent.objects.count()

    page.goto(f"{live_server.url}/console/distributors/D-ALICE/sponsor/")
    page.fill("#id_sponsor", "D-BOB")
    page.fill("#id_reason", "A mistake.")
    page.get_by_role("button", name="Change the sponsor").click()

    expect(page.locator(".form-errors")).to_have_text(
        "Bob Brown (D-BOB) is in the enrollment downline of Alice Adams (D-ALICE); Alice Adams "
        "(D-ALICE) cannot be moved under their own downline."
    )
    alice.refresh_from_db()
    assert alice.sponsor.member_id == "D-ROOT"
    assert StructureEvent.objects.count() == events_before
