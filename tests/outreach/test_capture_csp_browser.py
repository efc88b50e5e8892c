"""In Chromium, under the enforced Content-Security-Policy: the capture page's styles and its
time-zone script are static files, so the browser applies them. The honeypot field is off
screen, the hidden ``tz`` field holds the visitor's zone (the browser context's, not the
company's), the contact is stored with it, and the browser reports no policy violation. The
same on the webinar registration page."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from downline.contacts.models import Contact
from downline.outreach.webinars import do_create_webinar

VISITOR_ZONE = "Asia/Tokyo"  # far from the company's zone


def _visitor(browser):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, timezone_id=VISITOR_ZONE, locale="en-GB"
    )
    page = context.new_page()
    page.problems = []
    page.on("pageerror", lambda error: page.problems.append(str(error)))
    page.on(
        "console",
        lambda message: (
            page.problems.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return page


def _honeypot_is_off_screen(page) -> None:
    box = page.locator(".hp").bounding_box()
    assert box is not None
    assert box["x"] + box["width"] < 0, box


def test_capture_page_styles_and_time_zone_work_under_the_policy(live_server, browser, pages_):
    page = _visitor(browser)
    try:
        page.goto(f"{live_server.url}/p/alice/")
        _honeypot_is_off_screen(page)
        assert page.locator("input[name=tz]").input_value() == VISITOR_ZONE
        page.get_by_label("First name").fill("Vera")
        page.get_by_label("E-mail").fill("vera@example.org")
        page.get_by_label("I agree").check()
        page.get_by_role("button", name="Send it to me").click()
        page.get_by_text("Check your inbox").wait_for()
        page.goto(f"{live_server.url}/p/alice/")  # served from the page cache this time
        _honeypot_is_off_screen(page)
        assert page.locator("input[name=tz]").input_value() == VISITOR_ZONE
        assert page.problems == []
    finally:
        page.context.close()
    assert Contact.objects.get(email="vera@example.org").time_zone == VISITOR_ZONE


def test_webinar_registration_fills_the_time_zone(live_server, browser, pages_):
    webinar = do_create_webinar(
        content={"en": {"title": "Tea business intro"}},
        starts_at=timezone.now() + timedelta(days=2),
    )
    page = _visitor(browser)
    try:
        page.goto(f"{live_server.url}/w/{webinar.pk}/alice/")
        _honeypot_is_off_screen(page)
        assert page.locator("input[name=tz]").input_value() == VISITOR_ZONE
        assert page.problems == []
    finally:
        page.context.close()
