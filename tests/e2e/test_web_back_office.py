"""The distributor back office in real Chromium (Playwright): joining by a referral link,
confirming the e-mail from the link in Django's outbox, a first order appearing on the
sponsor's dashboard at once, and the language switch showing Russian, Polish and German pages.

Screenshots of a failing test are kept in ``var/test-screenshots/``.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.core import mail

from downline.accounts.actions import do_create_user
from downline.genealogy.actions import do_enroll
from downline.genealogy.models import Distributor
from downline.orders.actions import do_create_product, do_place_order

PASSWORD = "a-long-secret-phrase"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sponsor(settings) -> Distributor:
    settings.DOWNLINE_PLACEMENT = "binary"
    user = do_create_user("sara", password=PASSWORD, email="sara@example.com", first_name="Sara")
    root = do_enroll(member_id="ROOT", sponsor=None, joined_on=date(2026, 1, 5), name="Rosa")
    return do_enroll(
        member_id="SARA",
        sponsor=root,
        joined_on=date(2026, 1, 5),
        name="Sara Sponsor",
        user=user,
        placement_parent=root,
        position=1,
    )


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def _sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("E-mail or username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/dashboard/")


def test_joining_by_referral_link_and_a_first_order_on_the_sponsors_dashboard(
    new_page, page, live_server, sponsor
):
    page.goto(f"{live_server.url}/join/sara/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sara Sponsor invites you")
    page.get_by_label("Your name").fill("Nina Novak")
    page.get_by_label("E-mail").fill("nina@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("I want to join this team as a distributor.").check()
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome to the team")

    link = re.search(r"https?://\S+", mail.outbox[-1].body).group(0)
    page.goto(link)
    expect(page.locator(".messages")).to_contain_text("is confirmed")
    _sign_in(page, live_server, "nina@example.com")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Nina Novak")

    sara_page = new_page()
    _sign_in(sara_page, live_server, "sara")
    expect(sara_page.locator("#figure-gv")).to_have_text("0.00")
    expect(sara_page.locator(".events")).to_contain_text("Nina Novak")

    nina = Distributor.objects.get(email="nina@example.com")
    assert nina.sponsor_id == sponsor.pk
    product = do_create_product(
        "KIT", {"en": "Starter kit"}, pv=5000, cv=4000, prices={"EUR": 9900}
    )
    do_place_order(nina, [(product, 1)], "EUR")
    sara_page.reload()
    expect(sara_page.locator("#figure-gv")).to_have_text("50.00")
    expect(sara_page.locator("#figure-pv")).to_have_text("0.00")

    # the new recruit is in the sponsor's tree, and her team opens lazily
    sara_page.goto(f"{live_server.url}/team/")
    expect(sara_page.locator(".tree")).to_contain_text("Nina Novak")
    expect(sara_page.locator(".tree")).to_contain_text("PV 50.00")
    sara_page.close()


def test_the_language_switch_shows_russian_polish_and_german_pages(page, live_server, sponsor):
    """Strings already in the shipped catalogues (statuses, Django's own messages) appear in
    the chosen language; the page declares it; the choice sticks across pages."""
    _sign_in(page, live_server, "sara")
    words = {
        "ru": ("активен", "Обязательное поле."),
        "pl": ("aktywny", "To pole jest wymagane."),
        "de": ("aktiv", "Dieses Feld ist zwingend erforderlich."),
    }
    for language, (active, required) in words.items():
        page.locator("#language-select").select_option(language)
        page.locator(".language-form button[type=submit]").click()
        page.wait_for_url(f"{live_server.url}/dashboard/")
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.locator("#volumes-heading + dl + p .badge").first).to_have_text(active)
        page.goto(f"{live_server.url}/accounts/profile/")
        expect(page.locator("html")).to_have_attribute("lang", language)
        page.locator("#id_name").fill("")
        page.locator("main form button[type=submit]").click()
        expect(page.locator("#id_name_error")).to_have_text(required)
        page.goto(f"{live_server.url}/dashboard/")
