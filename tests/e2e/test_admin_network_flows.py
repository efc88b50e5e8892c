"""An operator changes a sponsor in the admin, in real Chromium (Playwright).

The browser is Debian's ``chromium`` (never a downloaded one); the server is pytest-django's
live server on 127.0.0.1. The flows: sign in, open a distributor, change their sponsor through
the autocomplete with a reason, see the confirmation and the recorded event; try a change that
would make a cycle and get the rule's message with nothing written; and the admin speaks the
browser's language.
"""

from __future__ import annotations

from datetime import date

import pytest

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
    do_create_user("operator", password="a-long-password", superuser=True)
    return {"root": root, "alice": alice, "bob": bob}


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def _sign_in(page, live_server) -> None:
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "operator")
    page.fill("#id_password", "a-long-password")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")


def _choose_member(page, field: str, text: str) -> None:
    """Pick a member in an admin autocomplete (select2) field by typing part of their name."""
    page.locator(f"#id_{field} + .select2 .select2-selection").click()
    page.locator(".select2-search__field").fill(text)
    page.locator(".select2-results__option", has_text=text).first.click()


def test_an_operator_changes_a_sponsor_with_a_reason(new_page, live_server, network):
    page = new_page(1280, 900)
    _sign_in(page, live_server)
    bob = network["bob"]
    page.goto(f"{live_server.url}/admin/genealogy/distributor/{bob.pk}/change/")
    page.get_by_role("link", name="Change sponsor").click()

    _choose_member(page, "new_sponsor", "Alice")
    page.fill("#id_reason", "Alice recruited Bob; corrected at his request.")
    page.get_by_role("button", name="Save").click()

    expect(page.locator(".messagelist")).to_have_text("The sponsor of D-BOB was changed.")
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
    alice, bob = network["alice"], network["bob"]
    page = new_page(1280, 900)
    _sign_in(page, live_server)
    # Bob joins Alice's enrollment downline first, then Alice may not move under Bob.
    page.goto(f"{live_server.url}/admin/genealogy/distributor/{bob.pk}/change-sponsor/")
    _choose_member(page, "new_sponsor", "Alice")
    page.fill("#id_reason", "Moved under Alice.")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messagelist")).to_have_text("The sponsor of D-BOB was changed.")
    events_before = StructureEvent.objects.count()

    page.goto(f"{live_server.url}/admin/genealogy/distributor/{alice.pk}/change-sponsor/")
    _choose_member(page, "new_sponsor", "Bob")
    page.fill("#id_reason", "A mistake.")
    page.get_by_role("button", name="Save").click()

    expect(page.locator(".errorlist")).to_have_text(
        "D-BOB is in the enrollment downline of D-ALICE; D-ALICE cannot be moved under their "
        "own downline."
    )
    alice.refresh_from_db()
    assert alice.sponsor.member_id == "D-ROOT"
    assert StructureEvent.objects.count() == events_before


def test_the_admin_speaks_the_browsers_language(new_page, live_server, network):
    page = new_page(1280, 900, locale="de-DE")
    page.goto(f"{live_server.url}/admin/login/")
    expect(page.locator("label[for=id_username]")).to_contain_text("Benutzername")
    _sign_in(page, live_server)
    page.goto(f"{live_server.url}/admin/genealogy/distributor/")
    expect(page.locator("#content h1")).to_contain_text("Vertriebspartner")
