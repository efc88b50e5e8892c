"""In real Chromium: a sponsor acts on a radar item (sends the company's message) and the
newcomer receives it, in the app (the bell and the notifications page) and by e-mail (the
SMTP server on 127.0.0.1).

Chromium runs on the real clock, so the network's dates are counted from today."""

from __future__ import annotations

import os
import shutil
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from downline.accounts.actions import do_create_user
from downline.genealogy.actions import do_enroll
from downline.growth.actions import do_build_radar
from smtp_server import body_text

PASSWORD = "a-long-secret-phrase"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium"),
]


@pytest.fixture
def browser(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()
        connections.close_all()


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def _sign_in(browser, live_server, username):
    page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("E-mail or username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/dashboard/")
    return page


def test_a_sponsor_messages_a_newcomer_who_sees_it(browser, live_server, settings, smtp_server):
    settings.DOWNLINE_PLACEMENT = "binary"
    today = timezone.localdate()
    long_ago = today - timedelta(days=200)
    sam_user = do_create_user("sam", password=PASSWORD, email="sam@example.com", first_name="Sam")
    nina_user = do_create_user("nina", password=PASSWORD, email="nina@example.com")
    root = do_enroll(member_id="ROOT", sponsor=None, joined_on=long_ago, name="Rosa Root")
    sam = do_enroll(
        member_id="SAM", sponsor=root, joined_on=long_ago, name="Sam Sponsor", user=sam_user
    )
    do_enroll(
        member_id="NINA",
        sponsor=sam,
        joined_on=today - timedelta(days=2),
        name="Nina Newbie",
        user=nina_user,
    )
    do_build_radar(today)

    sam_page = _sign_in(browser, live_server, "sam")
    expect(sam_page.locator("#radar-card")).to_contain_text("1 person needs you today.")
    sam_page.get_by_role("link", name="Radar").first.click()
    item = sam_page.locator("[data-reason=newcomer_no_order]")
    expect(item).to_contain_text("Day 3 since joining and no first order yet.")
    text = item.get_by_label("Message (you may edit it; every message passes the compliance check)")
    expect(text).to_have_value(
        "Hi Nina, welcome aboard! Shall we pick your first products together? — Sam"
    )
    text.fill("Hi Nina, welcome! Shall we choose your first tea together on Friday? — Sam")
    item.get_by_role("button", name="Send", exact=True).click()
    expect(sam_page.locator(".messages")).to_contain_text("Message sent.")
    expect(sam_page.locator("[data-reason=newcomer_no_order]")).to_contain_text("Message sent.")

    nina_page = _sign_in(browser, live_server, "nina")
    expect(nina_page.locator("#growth-bell .badge")).to_have_text("1")
    nina_page.locator("#growth-bell").click()
    expect(nina_page.locator("#notifications")).to_contain_text(
        "Sam Sponsor wrote to you: Hi Nina, welcome! Shall we choose your first tea together"
    )
    (mail,) = smtp_server.to("nina@example.com")
    assert "Shall we choose your first tea together on Friday?" in body_text(mail)
