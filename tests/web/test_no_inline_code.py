"""No inline code in browser pages: the Content-Security-Policy (``SECURE_CSP``) allows scripts
and styles from this site only (``'self'``, no nonce, no ``'unsafe-inline'``), so a browser
ignores an inline ``<style>``, an inline ``<script>``, a ``style=""`` attribute or an ``on…=""``
handler. Pages load their styles and scripts as static files instead.

Two checks:

* every template a browser renders (not the PDF templates WeasyPrint renders, nor the income
  disclosure document, which is served under a policy of its own that allows inline styles)
  is free of inline code;
* rendered pages (the capture page, also from the page cache, the webinar registration, the
  contacts pages, the radar, the notification settings with web push on, a contest board)
  have none either, link their static files from ``<head>``, and each linked file exists
  (``django.contrib.staticfiles`` finders).
"""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.utils import timezone

import downline

SOURCE = Path(downline.__file__).resolve().parent
# Rendered to PDF by WeasyPrint (no browser, no policy) or, for the income disclosure
# statement, served as a self-contained document under compliance.views.DOCUMENT_POLICY.
NOT_BROWSER_PAGES = frozenset(
    {"statement_pdf.html", "certificate_pdf.html", "recognition_pdf.html", "disclosure.html"}
)
INLINE = re.compile(
    r"<style\b|<script\b(?![^>]*\bsrc=)[^>]*>|\sstyle\s*=\s*[\"']|\son[a-z]+\s*=\s*[\"']",
    re.IGNORECASE,
)


def _browser_templates() -> list[Path]:
    return sorted(
        path for path in SOURCE.glob("*/templates/**/*.html") if path.name not in NOT_BROWSER_PAGES
    )


def test_no_template_carries_inline_code():
    found = [
        f"{path.relative_to(SOURCE)}: {match.group(0)!r}"
        for path in _browser_templates()
        for match in INLINE.finditer(path.read_text(encoding="utf-8"))
    ]
    assert found == []


class _Page(HTMLParser):
    """What a page loads and what it carries inline."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inline: list[str] = []
        self.linked: list[tuple[str, bool]] = []  # (URL, inside <head>)
        self._in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "head":
            self._in_head = True
        for name, _value in attrs:
            if name == "style" or name.startswith("on"):
                self.inline.append(f"<{tag} {name}=…>")
        if tag == "style":
            self.inline.append("<style>")
        elif tag == "script":
            kind = (values.get("type") or "").lower()
            if values.get("src"):
                self.linked.append((values["src"] or "", self._in_head))
            elif kind not in ("application/json", "application/ld+json"):  # data, not code
                self.inline.append("<script> without src")
        elif tag == "link" and "stylesheet" in (values.get("rel") or "").split():
            self.linked.append((values.get("href") or "", self._in_head))

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self._in_head = False


def _check(response, *expected: str) -> _Page:
    """Asserts the page has no inline code and every file it links is a static file that
    exists; ``expected``: static paths the page must link from ``<head>``."""
    assert response.status_code == 200, response.content[:300]
    policy = response.headers.get("Content-Security-Policy", "")
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    page = _Page()
    page.feed(response.content.decode())
    assert page.inline == []
    static = (
        settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/" + settings.STATIC_URL
    )
    in_head = {}
    for url, head in page.linked:
        assert url.startswith(static), url
        path = url.removeprefix(static)
        assert finders.find(path), f"{path} is not a static file"
        in_head[path] = head
    for path in expected:
        assert in_head.get(path) is True, f"{path} is not linked from <head>: {page.linked}"
    return page


# --------------------------------------------------------------------------- rendered pages


@pytest.fixture
def capture_page(team):
    from downline.outreach.models import PageTemplate
    from downline.outreach.pages import do_create_page

    template = PageTemplate.objects.create(
        key="free-guide",
        name="Free guide",
        content={"en": {"headline": "Your free tea guide", "body": "Learn **five** tea rituals."}},
    )
    return do_create_page(team.alice, template, slug="alice")


def test_the_capture_page_links_its_style_and_time_zone_script(client, capture_page):
    first = client.get("/p/alice/")
    _check(first, "outreach/capture.css", "outreach/visitor_tz.js")
    assert b'name="tz"' in first.content
    assert b'class="hp"' in first.content
    again = client.get("/p/alice/")  # the whole HTML from the page cache
    _check(again, "outreach/capture.css", "outreach/visitor_tz.js")
    css = Path(finders.find("outreach/capture.css")).read_text(encoding="utf-8")
    assert ".hp { position: absolute; left: -10000px; }" in css
    script = Path(finders.find("outreach/visitor_tz.js")).read_text(encoding="utf-8")
    assert "input[name=tz]" in script
    assert "resolvedOptions().timeZone" in script


def test_the_webinar_registration_links_the_same_files(client, capture_page):
    from downline.outreach.webinars import do_create_webinar

    webinar = do_create_webinar(
        content={"en": {"title": "Tea business intro"}},
        starts_at=timezone.now() + timedelta(days=2),
    )
    response = client.get(f"/w/{webinar.pk}/alice/")
    _check(response, "outreach/capture.css", "outreach/visitor_tz.js")
    assert b'name="tz"' in response.content


def test_the_contacts_pages_link_their_style(alice_client, team):
    from downline.contacts.actions import do_create_contact

    contact = do_create_contact(team.alice, first_name="Jan", last_name="Kowalski", tags=["tea"])
    _check(alice_client.get("/contacts/"), "contacts/contacts.css")
    _check(alice_client.get("/contacts/tasks/"), "contacts/contacts.css")
    detail = alice_client.get(f"/contacts/{contact.pk}/")
    _check(detail, "contacts/contacts.css", "contacts/confirm.js")
    assert b"data-confirm=" in detail.content


def test_the_growth_pages_link_their_files(alice_client, settings):
    settings.DOWNLINE_VAPID_PUBLIC_KEY = "BPublicKeyForTheTest"
    settings.DOWNLINE_VAPID_PRIVATE_KEY = "private-key-for-the-test"
    _check(alice_client.get("/growth/radar/"), "growth/radar.css")
    notifications = alice_client.get("/growth/notifications/settings/")
    _check(notifications, "growth/push.js")
    assert b'id="push-enable"' in notifications.content
    assert b'data-ok="Web push is on for this device."' in notifications.content


def test_a_contest_board_links_its_style(alice_client):
    from downline.contests.actions import do_publish_contest, do_upload_contest

    contest = do_publish_contest(
        do_upload_contest(
            "contest: march-customers\n"
            "title: {en: March customer drive}\n"
            "metric: customer_volume\n"
            "window: {from: 2026-03-01, to: 2026-03-31}\n"
            "tiers:\n"
            "  - {name: Top three, top: 3, prize: {en: A dinner with the founders}}\n"
        )
    )
    _check(alice_client.get(f"/contests/{contest.slug}/"), "contests/board.css")
