"""The capture page served whole from the shared cache: no database query for an anonymous
visitor, a working sign-up form (CSRF), and the page fresh again as soon as the distributor's
page or the company's template changes."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from downline.outreach.models import PageTemplate
from downline.outreach.pages import do_edit_page, do_set_photo, page_stats


def _html(client, url="/p/alice/") -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_an_anonymous_visit_costs_no_query(client, pages_, django_assert_num_queries):
    first = _html(client)
    with django_assert_num_queries(0):
        again = _html(client)
    assert "Alice Adams" in again
    assert again == first.replace(_token(first), _token(again))
    with django_assert_num_queries(1):  # a slug nobody has: one look-up, then 404
        assert client.get("/p/nobody/").status_code == 404


def _token(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_the_cached_page_carries_a_working_csrf_token(pages_, team):
    visitor = Client(enforce_csrf_checks=True)
    _html(visitor)  # fills the cache
    html = _html(visitor)  # served from it
    token = _token(html)
    assert "dl-csrf-token-mark" not in html
    data = {"first_name": "Pat", "email": "pat@example.org", "consent": "on"}
    refused = Client(enforce_csrf_checks=True).post("/p/alice/", data)
    assert refused.status_code == 403
    response = visitor.post("/p/alice/", {**data, "csrfmiddlewaretoken": token})
    assert response.status_code == 200
    assert "Thank you" in response.content.decode()
    assert team.alice.contacts.filter(email="pat@example.org").exists()


def test_the_language_switch_returns_to_the_visited_address(client, pages_):
    _html(client)
    html = _html(client, "/p/alice/?utm_source=x&a=<b>")
    assert 'name="next" value="/p/alice/?utm_source=x&amp;a=%3Cb%3E"' in html
    assert "dl-path-mark" not in html


def test_each_language_is_cached_apart(client, pages_, settings):
    template = pages_[0].template
    template.content_b = {}
    template.save()
    assert "Your free tea guide" in _html(client)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    assert "Ihr kostenloser Tee-Ratgeber" in _html(client)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Your free tea guide" in _html(client)


def test_an_edit_of_the_page_shows_at_once(client, pages_, team):
    _html(client)
    outcome = do_edit_page(
        pages_[0], greeting="Hello from Alice.", headline="Tea time", author=team.alice
    )
    assert outcome == "live"
    html = _html(client)
    assert "<h1>Tea time</h1>" in html
    assert "Hello from Alice." in html


def test_a_new_photo_shows_at_once(client, pages_):
    assert 'class="capture-photo"' not in _html(client)
    do_set_photo(pages_[0], b"\x89PNG fake", "image/png")
    assert 'class="capture-photo"' in _html(client)


def test_a_template_change_shows_at_once_on_every_page(client, pages_):
    _html(client)
    _html(client, "/p/dave/")
    template = PageTemplate.objects.get(pk=pages_[0].template_id)
    template.content = {"en": {"headline": "Brand-new headline", "body": "New body."}}
    template.content_b = {}
    template.save()
    assert "Brand-new headline" in _html(client)
    assert "Brand-new headline" in _html(client, "/p/dave/")
    template.active = False
    template.save()
    assert client.get("/p/alice/").status_code == 404


@pytest.mark.django_db(transaction=True)  # invalidation when the writing transaction commits
def test_a_change_committed_elsewhere_shows_too(client, pages_):
    from django.db import transaction

    _html(client)
    with transaction.atomic():
        template = PageTemplate.objects.get(pk=pages_[0].template_id)
        template.content = {"en": {"headline": "Committed headline", "body": "Body."}}
        template.content_b = {}
        template.save()
    assert "Committed headline" in _html(client)


def test_a_signed_in_visitor_gets_the_live_page(client, pages_, team):
    _html(client)  # an anonymous visit fills the cache
    signed_in = Client()
    signed_in.force_login(team.alice_user)
    html = _html(signed_in)
    assert "Sign out" in html  # the menu of the login, not the anonymous page


def test_a_visitor_keeps_a_variant_and_each_variant_is_counted(pages_):
    seen = {}
    for _ in range(12):
        visitor = Client()
        first = visitor.get("/p/alice/")
        variant = first.cookies[f"dl_v{pages_[0].pk}"].value
        html = _html(visitor)
        heading = "Tea, simply explained" if variant == "b" else "Your free tea guide"
        assert heading in html
        seen[variant] = seen.get(variant, 0) + 2
    stats = {row["variant"]: row["visits"] for row in page_stats(pages_[0])}
    assert stats == seen
