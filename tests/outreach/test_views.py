"""The distributor's and the console's outreach pages, their guards, and the blog."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from downline.outreach.mail import queue_mail
from downline.outreach.models import Article, Enrollment, Page, PageTemplate, Sequence, Webinar


@pytest.fixture
def alice_client(client, team):
    client.force_login(team.alice_user)
    return client


def test_distributor_pages_need_a_member(client, team):
    for url in (
        "/outreach/",
        "/outreach/webinars/",
        "/outreach/sequences/",
        "/outreach/broadcast/",
    ):
        assert client.get(url).status_code == 302  # to the login


def test_my_page_is_created_from_a_template_and_edited(alice_client, team, template):
    assert "Create my page" in alice_client.get("/outreach/").content.decode()
    alice_client.post("/outreach/", {"action": "create", "template": template.pk})
    page = Page.objects.get(owner=team.alice)
    shown = alice_client.get("/outreach/").content.decode()
    assert f"/p/{page.slug}/" in shown
    assert "qr.png" in shown
    blocked = alice_client.post(
        "/outreach/", {"greeting": "Cures cancer in a week!", "headline": ""}
    )
    assert blocked.status_code == 200
    assert "Cures" in blocked.content.decode() or "cure" in blocked.content.decode().lower()
    page.refresh_from_db()
    assert page.greeting == ""
    alice_client.post("/outreach/", {"greeting": "Hello, I am Alice.", "headline": "Tea time"})
    page.refresh_from_db()
    assert (page.greeting, page.headline) == ("Hello, I am Alice.", "Tea time")


def test_a_photo_on_the_page(alice_client, team, pages_):
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "green").save(buffer, "PNG")
    buffer.seek(0)
    buffer.name = "me.png"
    alice_client.post("/outreach/", {"greeting": "", "headline": "", "photo": buffer})
    response = alice_client.get("/p/alice/photo")
    assert response.status_code == 200
    assert response.content.startswith(b"\x89PNG")


def test_enrollments_are_the_owners_own(alice_client, team, pages_):
    sequence = Sequence.objects.create(key="s", name="S", trigger="contact.signed_up")
    mine = Enrollment.objects.create(
        sequence=sequence, owner=team.alice, email="m@example.org", started_at=timezone.now()
    )
    theirs = Enrollment.objects.create(
        sequence=sequence, owner=team.dave, email="t@example.org", started_at=timezone.now()
    )
    shown = alice_client.get("/outreach/sequences/").content.decode()
    assert "m@example.org" in shown
    assert "t@example.org" not in shown
    assert alice_client.post(f"/outreach/sequences/{theirs.pk}/remove/").status_code == 404
    assert alice_client.post(f"/outreach/sequences/{mine.pk}/remove/").status_code == 302
    mine.refresh_from_db()
    assert mine.state == "left"


def test_my_webinars_carry_my_address(alice_client, team, pages_):
    webinar = Webinar.objects.create(
        content={"en": {"title": "Intro"}},
        starts_at=timezone.now() + timedelta(days=1),
        meeting_id="m1",
    )
    shown = alice_client.get("/outreach/webinars/").content.decode()
    assert f"/w/{webinar.pk}/alice/" in shown


def test_broadcast_form_scans_the_text(alice_client, team, pages_):
    response = alice_client.post(
        "/outreach/broadcast/", {"subject": "Hi", "body": "Guaranteed income for all!"}
    )
    assert response.status_code == 200
    assert "guaranteed income" in response.content.decode().lower()
    ok = alice_client.post(
        "/outreach/broadcast/", {"subject": "Hi", "body": "New tea in the shop."}
    )
    assert ok.status_code == 302


def test_the_dashboard_card(client, team, pages_, django_assert_max_num_queries):
    from django.template.loader import render_to_string

    client.post("/p/alice/", {"first_name": "Pat", "email": "pat@example.org", "consent": "on"})
    with django_assert_max_num_queries(2):
        html = render_to_string("outreach/_dashboard.html", {"member": team.alice})
    assert "sign-ups this week" in html
    assert '<p class="figure">1</p>' in html
    assert "Create your page" in render_to_string("outreach/_dashboard.html", {"member": team.bob})


CONSOLE = [
    "/console/outreach/",
    "/console/outreach/templates/",
    "/console/outreach/templates/new/",
    "/console/outreach/sequences/",
    "/console/outreach/sequences/new/",
    "/console/outreach/news/",
    "/console/outreach/webinars/",
    "/console/outreach/webinars/new/",
    "/console/outreach/articles/",
    "/console/outreach/articles/new/",
]


def test_console_pages_are_for_staff_with_the_capability(client, staff_client, team):
    queue_mail(key="x1", to_email="x@example.org", subject="Logged", body_text="b", kind="test")
    for url in CONSOLE:
        assert staff_client.get(url).status_code == 200, url
    assert "Logged" in staff_client.get("/console/outreach/").content.decode()
    client.logout()
    client.force_login(team.alice_user)
    for url in CONSOLE:
        assert client.get(url).status_code == 404, url


def test_console_writes_company_content(staff_client, team):
    response = staff_client.post(
        "/console/outreach/templates/new/",
        {
            "key": "guide",
            "name": "Guide",
            "headline_en": "Free guide",
            "body_en": "Text",
            "active": "on",
        },
    )
    assert response.status_code == 302
    assert PageTemplate.objects.get(key="guide").content["en"]["headline"] == "Free guide"
    staff_client.post(
        "/console/outreach/sequences/new/",
        {
            "key": "welcome",
            "name": "Welcome",
            "trigger": "contact.signed_up",
            "reentry": "after",
            "reentry_days": 30,
            "active": "on",
        },
    )
    sequence = Sequence.objects.get(key="welcome")
    staff_client.post(
        f"/console/outreach/sequences/{sequence.pk}/steps/new/",
        {
            "delay_minutes": 0,
            "condition": "",
            "subject_en": "Hello",
            "body_en": "Welcome",
            "subject_de": "Hallo",
            "body_de": "Willkommen",
        },
    )
    assert sequence.steps.get().content["de"] == {"subject": "Hallo", "body": "Willkommen"}
    staff_client.post(
        "/console/outreach/webinars/new/",
        {
            "kind": "live",
            "provider": "bbb",
            "starts_at": "2026-09-01 18:00",
            "duration_minutes": 60,
            "title_en": "Intro",
        },
    )
    assert Webinar.objects.get().title("en") == "Intro"
    staff_client.post(
        "/console/outreach/articles/new/",
        {"slug": "news-1", "title_en": "News", "body_en": "Body", "publish": "on"},
    )
    assert Article.objects.get().published_at is not None
    response = staff_client.post(
        "/console/outreach/news/", {"subject": "Company news", "body": "Hello all"}
    )
    assert response.status_code == 302


def test_the_blog_carries_the_sharers_attribution(client, pages_):
    Article.objects.create(
        slug="tea-rituals",
        content={
            "en": {"title": "Tea rituals", "summary": "Five", "body": "Five **rituals**."},
            "pl": {"title": "Rytuały", "body": "Pięć."},
        },
        published_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    Article.objects.create(slug="draft", content={"en": {"title": "Draft"}})
    listing = client.get("/blog/?ref=alice")
    assert "Tea rituals" in listing.content.decode()
    assert "Draft" not in listing.content.decode()
    assert listing.cookies["dl_ref"].value == "alice"
    shown = client.get("/blog/tea-rituals/").content.decode()
    assert "<strong>rituals</strong>" in shown
    assert "/p/alice/" in shown  # the cookie follows the visitor
    assert client.get("/blog/draft/").status_code == 404
    client.post("/p/alice/", {"first_name": "Pat", "email": "pat@example.org", "consent": "on"})
    from downline.contacts.models import TimelineEntry

    visit = TimelineEntry.objects.get(kind="page_visit")
    assert visit.params["ref"] == "alice"
