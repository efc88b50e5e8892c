"""Capture pages: rendering, variants, sign-ups into the right distributor's contacts, honeypot,
rate limit, edits through the claim scanner, QR codes, stats."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from downline.contacts.models import ConsentRecord, Contact, TimelineEntry
from downline.contacts.selectors import contacts_of
from downline.outreach.models import Page
from downline.outreach.pages import consent_text, do_edit_page, page_stats, sync_review
from downline.outreach.sequences import consume_events


def _sign_up(client, slug="alice", email="pat@example.org", **extra):
    data = {"first_name": "Pat", "email": email, "consent": "on", **extra}
    return client.post(f"/p/{slug}/", data)


def test_a_page_shows_the_template_and_the_distributor(client, pages_):
    response = client.get("/p/alice/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Alice Adams" in html
    assert "Your free tea guide" in html or "Tea, simply explained" in html
    assert "tea-basics" in html
    variant = response.cookies[f"dl_v{pages_[0].pk}"].value
    assert {r["variant"]: r["visits"] for r in page_stats(pages_[0])} == {variant: 1}
    again = client.get("/p/alice/")
    assert again.cookies[f"dl_v{pages_[0].pk}"].value == variant  # a visitor keeps a variant
    assert client.get("/p/nobody/").status_code == 404


def test_the_page_in_the_visitors_language(client, pages_, settings):
    pages_[0].template.content_b = {}
    pages_[0].template.save()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    assert "Ihr kostenloser Tee-Ratgeber" in client.get("/p/alice/").content.decode()


def test_a_page_is_served_in_few_queries(client, pages_, django_assert_max_num_queries):
    client.get("/p/alice/")  # warm the cache
    with django_assert_max_num_queries(6):
        assert client.get("/p/alice/").status_code == 200


def test_a_sign_up_is_a_contact_of_that_distributor_only(client, pages_, team):
    response = _sign_up(client, tz="America/New_York")
    assert response.status_code == 200
    assert "Check your inbox" in response.content.decode()
    contact = contacts_of(team.alice).get(email="pat@example.org")
    assert contact.source == "page"
    assert contact.source_ref == "alice"
    assert contact.time_zone == "America/New_York"
    assert not contacts_of(team.dave).exists()
    assert not Contact.objects.exclude(owner=team.alice).exists()
    record = ConsentRecord.objects.get(contact=contact)
    assert record.text_shown == consent_text(pages_[0], "en")
    assert TimelineEntry.objects.filter(contact=contact, kind="page_visit").exists()
    assert sum(row["signups"] for row in page_stats(pages_[0])) == 1


def test_the_honeypot_catches_bots(client, pages_):
    response = _sign_up(client, website="http://spam.example")
    assert response.status_code == 200
    assert not Contact.objects.exists()


def test_sign_ups_are_rate_limited_per_address(client, pages_, settings):
    settings.DOWNLINE_CAPTURE_RATE = (2, 600)
    assert _sign_up(client, email="a@example.org").status_code == 200
    assert _sign_up(client, email="b@example.org").status_code == 200
    blocked = _sign_up(client, email="c@example.org")
    assert blocked.status_code == 429
    assert Contact.objects.count() == 2


def test_a_blocked_claim_never_goes_live(pages_, team):
    page = pages_[0]
    with pytest.raises(ValidationError) as caught:
        do_edit_page(
            page,
            greeting="This tea has a guaranteed income for you",
            headline="",
            author=team.alice,
        )
    assert "guaranteed income" in str(caught.value)
    page.refresh_from_db()
    assert page.greeting == ""


@pytest.mark.django_db(transaction=True)  # the outbox's consumer sees committed events only
def test_a_claim_for_review_waits_for_approval(pages_, team, client):
    from downline.compliance.claims import do_review_claim
    from downline.compliance.models import ClaimReview

    page = pages_[0]
    assert do_edit_page(page, greeting="Hi, I'm Alice.", headline="", author=team.alice) == "live"
    outcome = do_edit_page(
        page, greeting="Tea gave me financial freedom.", headline="", author=team.alice
    )
    assert outcome == "review"
    page.refresh_from_db()
    assert page.greeting == "Hi, I'm Alice."
    assert "financial freedom" not in client.get("/p/alice/").content.decode()
    assert sync_review(page) == "pending"
    review = ClaimReview.objects.get(source_kind="outreach.page")
    do_review_claim(review, decision="approved", reason="", by=None)
    consume_events()
    page.refresh_from_db()
    assert page.greeting == "Tea gave me financial freedom."
    assert not page.has_pending
    assert "financial freedom" in client.get("/p/alice/").content.decode()


@pytest.mark.parametrize(("kind", "magic"), [("png", b"\x89PNG"), ("svg", b"<?xml")])
def test_qr_codes(client, pages_, kind, magic):
    response = client.get(f"/p/alice/qr.{kind}")
    assert response.status_code == 200
    assert response.content.startswith(magic)


def test_the_page_address_is_unique(team, template):
    from downline.outreach.pages import do_create_page

    first = do_create_page(team.alice, template)
    second = do_create_page(team.dave, template, slug=first.slug)
    assert first.slug != second.slug
    assert Page.objects.count() == 2
