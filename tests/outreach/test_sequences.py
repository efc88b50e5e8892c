"""Sequences started by events, steps with delays and conditions, re-entry rules, leaving on
unsubscribe and conversion, broadcasts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from downline.contacts.actions import do_set_stage
from downline.contacts.models import Contact
from downline.core.events import CONTACT_CONVERTED, record_event
from downline.outreach.actions import do_remove_enrollment, do_send_broadcast
from downline.outreach.models import (
    Broadcast,
    Enrollment,
    OutboundMail,
    Sequence,
    SequenceStep,
    Suppression,
)
from downline.outreach.sequences import advance_due, consume_events
from downline.outreach.tasks import outreach_tick
from smtp_server import body_text

START = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)

# The outbox hands a consumer only events of finished transactions (on PostgreSQL those older
# than every running one), so these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def welcome(db):
    sequence = Sequence.objects.create(
        key="welcome", name="Welcome", trigger=Sequence.Trigger.SIGNED_UP, reentry="never"
    )
    SequenceStep.objects.create(
        sequence=sequence,
        position=1,
        delay_minutes=0,
        content={
            "en": {"subject": "Your guide, {{first_name}}", "body": "Here it is. {{distributor}}"},
            "de": {"subject": "Ihr Ratgeber, {{first_name}}", "body": "Bitte sehr."},
        },
    )
    SequenceStep.objects.create(
        sequence=sequence,
        position=2,
        delay_minutes=2 * 24 * 60,
        condition=SequenceStep.Condition.NOT_CUSTOMER,
        content={"en": {"subject": "Any questions?", "body": "Write back."}},
    )
    return sequence


def _sign_up(client, email="pat@example.org"):
    response = client.post("/p/alice/", {"first_name": "Pat", "email": email, "consent": "on"})
    assert response.status_code == 200


def test_a_sign_up_gets_the_first_mail_in_one_tick(client, pages_, welcome, smtp_server, team):
    with time_machine.travel(START, tick=False):
        _sign_up(client)
        outreach_tick()
    (message,) = [m for m in smtp_server.to("pat@example.org") if m["X-Downline-Key"]]
    assert message["Subject"] == "Your guide, Pat"
    assert message["Reply-To"] == "alice@example.com"
    assert "Alice Adams" in body_text(message)
    enrollment = Enrollment.objects.get()
    assert (enrollment.next_position, enrollment.owner_id) == (2, team.alice.pk)
    assert message["X-Downline-Key"] == f"enr:{enrollment.pk}:1"


def test_the_second_step_after_its_delay_and_only_if_not_a_customer(client, pages_, welcome):
    with time_machine.travel(START, tick=False):
        _sign_up(client, "one@example.org")
        _sign_up(client, "two@example.org")
        consume_events()
        assert advance_due() == 2
    do_set_stage(Contact.objects.get(email="two@example.org"), "customer")
    with time_machine.travel(START + timedelta(days=1), tick=False):
        assert advance_due() == 0
    with time_machine.travel(START + timedelta(days=2, minutes=1), tick=False):
        assert advance_due() == 1
    keys = sorted(OutboundMail.objects.values_list("to_email", "subject"))
    assert ("one@example.org", "Any questions?") in keys
    assert ("two@example.org", "Any questions?") not in keys
    assert set(Enrollment.objects.values_list("state", flat=True)) == {"finished"}


@pytest.mark.parametrize(
    ("rule", "days", "second_after", "expected"),
    [
        ("never", 0, 40, 1),
        ("after", 30, 10, 1),
        ("after", 30, 40, 2),
        ("always", 0, 1, 2),
    ],
)
def test_re_entry_rules(client, pages_, welcome, rule, days, second_after, expected):
    welcome.reentry, welcome.reentry_days = rule, days
    welcome.save()
    with time_machine.travel(START, tick=False):
        _sign_up(client)
        consume_events()
    with time_machine.travel(START + timedelta(days=second_after), tick=False):
        _sign_up(client)
        consume_events()
    assert Enrollment.objects.count() == expected


def test_unsubscribing_leaves_the_sequence(client, pages_, welcome, smtp_server):
    with time_machine.travel(START, tick=False):
        _sign_up(client)
        outreach_tick()
    mail = OutboundMail.objects.get(kind="sequence")
    message = smtp_server.to("pat@example.org")[-1]
    link = message["List-Unsubscribe"].strip("<>")
    path = link.removeprefix("https://downline.test")
    page = client.get(path)
    assert page.status_code == 200
    assert "pa…@example.org" in page.content.decode()
    # RFC 8058 one-click: a POST without a CSRF token
    response = client.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert Suppression.objects.get(email=mail.to_email).reason == "unsubscribe"
    assert Contact.objects.get(email="pat@example.org").email_consent == "withdrawn"
    enrollment = Enrollment.objects.get()
    assert (enrollment.state, enrollment.left_reason) == ("left", "unsubscribed")
    assert client.get("/u/not-a-token/").status_code == 404


def test_conversion_and_removal_leave(client, pages_, welcome, team):
    with time_machine.travel(START, tick=False):
        _sign_up(client, "one@example.org")
        _sign_up(client, "two@example.org")
        consume_events()
    one = Contact.objects.get(email="one@example.org")
    from django.db import transaction

    with transaction.atomic():
        record_event(CONTACT_CONVERTED, {"contact_id": one.pk}, member_id=team.alice.pk)
    consume_events()
    assert Enrollment.objects.get(contact_id=one.pk).left_reason == "converted"
    two = Enrollment.objects.get(email="two@example.org")
    with pytest.raises(Exception, match="No running enrollment"):
        do_remove_enrollment(team.dave, two.pk)
    do_remove_enrollment(team.alice, two.pk)
    two.refresh_from_db()
    assert two.left_reason == "removed"


def test_a_broadcast_to_a_segment_of_my_contacts(client, pages_, team, smtp_server):
    _sign_up(client, "one@example.org")
    _sign_up(client, "two@example.org")
    do_set_stage(Contact.objects.get(email="two@example.org"), "customer")
    broadcast = do_send_broadcast(
        team.alice, subject="New tea", body="Hello {{first_name}}", stages=["customer"]
    )
    assert broadcast.recipients == 1
    outreach_tick(mail_only=True)
    (message,) = smtp_server.to("two@example.org")[-1:]
    assert message["Subject"] == "New tea"
    held = do_send_broadcast(team.alice, subject="Quit your job", body="Financial freedom!")
    assert held.state == Broadcast.State.HELD
    assert held.recipients == 0


def test_no_order_for_30_days_starts_its_sequence(team):
    from downline.genealogy.models import Distributor
    from downline.orders.actions import do_create_product, do_place_order
    from downline.outreach.sequences import start_no_order_sequences
    from downline.periods.actions import do_ensure_period

    sequence = Sequence.objects.create(key="miss-you", name="Miss you", trigger="no_order_30_days")
    SequenceStep.objects.create(
        sequence=sequence, position=1, content={"en": {"subject": "We miss you", "body": "Hi"}}
    )
    Distributor.objects.filter(pk=team.bob.pk).update(email="bob@example.org")
    product = do_create_product("TEA-9", {"en": "Tea"}, pv=100, cv=100, prices={"EUR": 1000})
    do_ensure_period("2026-04")
    do_place_order(team.bob, [(product, 1)], "EUR", paid_at=datetime(2026, 4, 2, 10, tzinfo=UTC))
    from datetime import date

    assert start_no_order_sequences(date(2026, 5, 1)) == 0  # 29 days
    assert start_no_order_sequences(date(2026, 5, 2)) == 1  # 30 days
    enrollment = Enrollment.objects.get()
    assert (enrollment.email, enrollment.owner_id) == ("bob@example.org", team.alice.pk)
    assert start_no_order_sequences(date(2026, 5, 2)) == 0  # re-entry: never
