"""In Chromium: a visitor signs up on Alice's page, receives the first e-mail of the sequence in
the local SMTP server, registers for a webinar from Alice's link, and is Alice's contact and
nobody else's."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from downline.contacts.models import Contact
from downline.contacts.selectors import contacts_of
from downline.outreach.models import Registration, Sequence, SequenceStep
from downline.outreach.tasks import outreach_tick
from downline.outreach.webinars import do_create_webinar
from smtp_server import body_text

VISITOR = "visitor@example.org"


def test_visitor_signs_up_gets_mail_and_registers(live_server, new_page, pages_, team, smtp_server):
    sequence = Sequence.objects.create(key="welcome", name="Welcome", trigger="contact.signed_up")
    SequenceStep.objects.create(
        sequence=sequence,
        position=1,
        content={"en": {"subject": "Your tea guide", "body": "Hello {{first_name}}, enjoy."}},
    )
    webinar = do_create_webinar(
        content={"en": {"title": "Tea business intro"}},
        starts_at=timezone.now() + timedelta(days=2),
    )
    page = new_page()
    page.goto(f"{live_server.url}/p/alice/")
    page.get_by_label("First name").fill("Vera")
    page.get_by_label("E-mail").fill(VISITOR)
    page.get_by_label("I agree").check()
    page.get_by_role("button", name="Send it to me").click()
    page.get_by_text("Check your inbox").wait_for()

    outreach_tick()  # one round of the worker
    mails = [m for m in smtp_server.to(VISITOR) if m["X-Downline-Key"]]
    assert [m["Subject"] for m in mails] == ["Your tea guide"]
    assert "Hello Vera, enjoy." in body_text(mails[0])
    assert mails[0]["Reply-To"] == "alice@example.com"

    page.goto(f"{live_server.url}/w/{webinar.pk}/alice/")
    page.get_by_label("Your name").fill("Vera")
    page.get_by_label("E-mail").fill(VISITOR)
    page.get_by_label("I agree").check()
    page.get_by_role("button", name="Register").click()
    page.get_by_text("You are registered").wait_for()
    assert page.js_errors == []

    assert Registration.objects.get().owner_id == team.alice.pk
    assert contacts_of(team.alice).filter(email=VISITOR).count() == 1
    assert not contacts_of(team.dave).filter(email=VISITOR).exists()
    assert list(Contact.objects.filter(email=VISITOR).values_list("owner_id", flat=True)) == [
        team.alice.pk
    ]
    outreach_tick()
    confirmations = [
        m
        for m in smtp_server.to(VISITOR)
        if m["X-Downline-Key"] == f"reg:{Registration.objects.get().pk}:confirm"
    ]
    assert len(confirmations) == 1
