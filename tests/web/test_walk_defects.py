"""Defects found walking every page of the back office and the console (issue 10, §3): staff
sign-in and menu, team search as one types, plan line endings, tables as cards on phones, one
meaning of "active", indicator numbers, menu highlighting and the favicon."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from downline.accounts.actions import do_create_user
from downline.compensation.compare import text_diff
from downline.compensation.plans import (
    do_activate_plan_version,
    do_create_plan_version,
    do_update_plan_version,
)
from downline.compliance.catalogue import INDICATORS
from downline.orders.actions import do_place_order
from downline.periods.actions import do_ensure_period
from downline.web.console_forms import PlanForm

from .conftest import PASSWORD, PLAN, verified_staff

SRC = Path(__file__).resolve().parents[2] / "src" / "downline"
MID_AUGUST = datetime(2026, 8, 15, 12, tzinfo=UTC)


def _code(device: TOTPDevice) -> str:
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"


def _staff_with_device(username: str = "stella") -> TOTPDevice:
    user = do_create_user(username, password=PASSWORD, email=f"{username}@example.com", staff=True)
    return TOTPDevice.objects.create(user=user, name="app", confirmed=True)


def _nav(page: str) -> str:
    return re.search(r'<nav aria-label="Main">(.*?)</nav>', page, re.S).group(1)


# --------------------------------------------------------------------------- 1. staff sign-in


def test_staff_sign_in_and_code_land_on_the_console(client, db):
    device = _staff_with_device()
    signed_in = client.post(reverse("web:login"), {"username": "stella", "password": PASSWORD})
    asked = client.get(signed_in["Location"])  # the middleware asks for the code first
    assert asked.status_code == 302
    assert asked["Location"].startswith(reverse("web:two_factor"))
    next_page = re.search(r"next=([^&]+)", asked["Location"]).group(1).replace("%2F", "/")
    done = client.post(asked["Location"], {"code": _code(device), "next": next_page})
    assert done["Location"] == reverse("web:console")
    assert client.get(done["Location"]).status_code == 200


def test_the_code_page_without_next_lands_on_the_console(client, db):
    device = _staff_with_device()
    client.force_login(device.user)
    done = client.post(reverse("web:two_factor"), {"code": _code(device)})
    assert done["Location"] == reverse("web:console")


def test_staff_sign_in_keeps_a_safe_next_and_drops_a_foreign_one(client, db):
    _staff_with_device()
    credentials = {"username": "stella", "password": PASSWORD}
    kept = client.post(reverse("web:login") + "?next=/console/payouts/", credentials)
    assert kept["Location"] == "/console/payouts/"
    client.logout()
    foreign = client.post(reverse("web:login") + "?next=https://evil.example/", credentials)
    assert foreign["Location"] == reverse("web:console")


def test_staff_menu_shows_the_console_and_no_distributor_links(db, team):
    staff = Client()
    verified_staff(staff, "ada", "admin")
    nav = _nav(staff.get(reverse("web:console")).text)
    assert 'href="/console/" aria-current="page"' in nav
    for page in ("web:dashboard", "web:team", "web:team_levels", "web:customers", "web:earnings"):
        assert f'href="{reverse(page)}"' not in nav, page


def test_distributor_menu_shows_the_back_office_and_no_console(alice_client):
    nav = _nav(alice_client.get(reverse("web:dashboard")).text)
    for page in ("web:dashboard", "web:team", "web:team_levels", "web:customers", "web:earnings"):
        assert f'href="{reverse(page)}"' in nav, page
    assert 'href="/console/"' not in nav


# --------------------------------------------------------------------------- 2. team search


def test_the_team_search_field_searches_as_one_types(alice_client):
    page = alice_client.get(reverse("web:team")).text
    field = re.search(r'<input type="search"[^>]*>', page).group(0)
    assert f'hx-get="{reverse("web:team_search")}"' in field
    assert 'hx-trigger="input changed delay:300ms, search"' in field
    assert 'hx-target="#search-results"' in field
    assert 'hx-include="closest form"' in field  # the tree goes along


def test_typing_gets_the_results_fragment_and_the_button_the_whole_page(alice_client):
    fragment = alice_client.get(
        reverse("web:team_search"), {"q": "bro", "tree": "enrollment"}, HTTP_HX_REQUEST="true"
    )
    assert "Bob Brown" in fragment.text
    assert "<html" not in fragment.text
    whole = alice_client.get(reverse("web:team_search"), {"q": "bro", "tree": "enrollment"})
    assert "<html" in whole.text
    assert "Bob Brown" in whole.text


# --------------------------------------------------------------------------- 3. line endings


def test_a_plan_saved_with_windows_line_endings_is_stored_with_lf(db):
    text = PLAN.read_text(encoding="utf-8")
    first = do_create_plan_version(text)
    edited = text.replace("levels: [10%, 5%]", "levels: [10%, 6%]")
    second = do_create_plan_version(edited.replace("\n", "\r\n"))
    assert "\r" not in second.text
    changed = [
        line
        for line in text_diff(first, second).splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert changed == ["-    levels: [10%, 5%]", "+    levels: [10%, 6%]"]


def test_an_edit_with_old_mac_line_endings_is_stored_with_lf(db):
    text = PLAN.read_text(encoding="utf-8")
    version = do_create_plan_version(text)
    saved = do_update_plan_version(version, text.replace("\n", "\r"))
    assert saved.text == text
    assert saved.digest == version.digest


def test_the_console_plan_form_normalises_line_endings():
    form = PlanForm(data={"text": "name: x\r\ncurrency: EUR\r\n", "note": ""})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["text"] == "name: x\ncurrency: EUR\n"


# --------------------------------------------------------------------------- 4. tables as cards

CARD_TEMPLATES = [
    *sorted((SRC / "web" / "templates" / "web").rglob("*.html")),
    *sorted((SRC / "compliance" / "templates").rglob("*.html")),
    *sorted((SRC / "simulation" / "templates").rglob("*.html")),
]
STATEMENTS = {"_statement_body.html", "statement_pdf.html"}


@pytest.mark.parametrize(
    "template",
    [t for t in CARD_TEMPLATES if "<table" in t.read_text() and t.name not in STATEMENTS],
    ids=lambda t: str(t.relative_to(SRC)),
)
def test_every_table_turns_into_cards_with_a_label_on_each_cell(template):
    text = template.read_text(encoding="utf-8")
    for table in re.findall(r"<table\b[^>]*>", text):
        assert re.search(r'class="[^"]*\bcards\b', table), table
    for cell in re.findall(r"<td\b[^>]*>", text):
        # a cell under an empty heading (a button, say) says so with an empty label
        assert "colspan" in cell or re.search(r'data-label="', cell), cell


def test_phone_css_makes_card_tables_and_lets_long_words_wrap():
    css = (SRC / "web" / "static" / "web" / "css" / "app.css").read_text(encoding="utf-8")
    media = css[css.index("@media (max-width: 600px)") :]
    assert "table.cards" in media
    assert "attr(data-label)" in media
    assert "overflow-wrap: anywhere" in css


def test_the_dashboard_labels_cells_in_the_readers_language(alice_client):
    alice_client.cookies["django_language"] = "de"
    page = alice_client.get(reverse("web:dashboard"), HTTP_ACCEPT_LANGUAGE="de").text
    assert '<table class="cards">' in page
    assert 'data-label="Mitglied"' in page or 'data-label="Member"' in page


# --------------------------------------------------------------------------- 5. "active"


def _plan_with_pv_minimum() -> str:
    text = PLAN.read_text(encoding="utf-8")
    return text.replace("activity: {pv_at_least: 0}", "activity: {pv_at_least: 20}")


@pytest.fixture
def august_with_rule(team):
    """Mid-August 2026 under a plan that makes a distributor active from 20 PV: BOB buys two
    teas (50 PV); CAROL, whose account is active too, buys nothing."""
    with time_machine.travel(MID_AUGUST, tick=False):
        version = do_create_plan_version(_plan_with_pv_minimum())
        do_activate_plan_version(version, do_ensure_period("2026-08"))
        do_place_order(team.bob, [(team.product, 2)], "EUR", paid_at=MID_AUGUST)
        yield team


def test_the_levels_active_filter_follows_the_plans_activity_rule(alice_client, august_with_rule):
    level = reverse("web:team_levels")
    first = alice_client.get(level, {"level": 1, "active": "on"}).text
    assert "BOB" in first
    assert "PV met" in first
    second = alice_client.get(level, {"level": 2, "active": "on"}).text
    assert "CAROL" not in second  # account active, but her PV is not met
    assert "CAROL" in alice_client.get(level, {"level": 2}).text


def test_the_console_counts_active_by_the_plans_rule_and_account_status_apart(
    august_with_rule,
):
    staff = Client()
    verified_staff(staff, "ada", "admin")
    page = staff.get(reverse("web:console")).text
    assert re.search(r'id="count-active">1<', page)  # BOB: 50 PV of 20 needed
    assert re.search(r'id="count-account-active">5<', page)  # nobody suspended
    assert "Active in 2026-08 so far" in page
    assert "Of them active" not in page


# --------------------------------------------------------------------------- 6. disclosure, menu, icon


def test_indicator_numbers_are_unique():
    numbers = [indicator.number for indicator in INDICATORS]
    assert len(numbers) == len(set(numbers)), numbers


def test_the_disclosure_page_highlights_its_console_section_not_earnings(db):
    staff = Client()
    user = verified_staff(staff, "fin", "finance")
    # a staff login that is also a distributor sees both menus
    from downline.genealogy.actions import do_enroll

    do_enroll(member_id="FIN", sponsor=None, joined_on=MID_AUGUST.date(), user=user)
    page = staff.get(reverse("compliance:statement")).text
    nav = _nav(page)
    assert f'href="{reverse("web:earnings")}"' in nav
    assert f'href="{reverse("web:earnings")}" aria-current' not in nav
    assert 'href="/console/" aria-current="page"' in nav
    assert f'href="{reverse("compliance:statement")}" aria-current="page"' in page


def test_the_site_has_a_favicon(client, db):
    assert finders.find("web/favicon.svg")
    page = client.get(reverse("web:login")).text
    assert re.search(r'<link rel="icon" href="[^"]*favicon\.svg"', page)
    icon = client.get("/favicon.ico")
    assert icon.status_code in (301, 302)
    assert icon["Location"].endswith("web/favicon.svg")
