"""The contacts actions: capture and double opt-in, stages and events, notes and tasks,
merge, erasure on request and by retention, the follow-up reminders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError

from downline.contacts.actions import (
    do_add_note,
    do_add_task,
    do_add_timeline,
    do_capture_contact,
    do_complete_task,
    do_confirm_email_consent,
    do_create_contact,
    do_delete_contact_data,
    do_erase_inactive_contacts,
    do_merge_contacts,
    do_set_stage,
    do_unsubscribe,
    do_update_contact,
)
from downline.contacts.models import ConsentRecord, Contact, FollowUpTask, Note, TimelineEntry
from downline.contacts.selectors import contacts_of, search_contacts, tasks_due
from downline.contacts.tasks import remind_due_tasks
from downline.contacts.timeline import describe
from downline.core.models import Event

NOW = datetime(2026, 10, 15, 10, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def capture(owner, email="anna@example.com", **kw):
    params = {
        "first_name": "Anna",
        "language": "pl",
        "source": "page",
        "source_ref": "emma-tea",
        "consent_text": "Chcę otrzymywać e-maile od Emmy.",
        "consent_email": True,
        "address": "203.0.113.7",
    }
    params.update(kw)
    return do_capture_contact(owner, email=email, **params)


def test_capture_records_consent_timeline_event_and_sends_the_confirmation(
    people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        contact = capture(people.emma, email=" Anna@Example.com ")
    assert contact.email == "anna@example.com"
    assert contact.email_consent == "pending"
    assert contact.owner == people.emma
    record = ConsentRecord.objects.get(contact=contact)
    assert record.text_shown == "Chcę otrzymywać e-maile od Emmy."
    assert (record.source, record.source_ref, record.address) == ("page", "emma-tea", "203.0.113.7")
    assert record.given_at == NOW
    assert record.confirmed_at is None
    kinds = list(contact.timeline.values_list("kind", flat=True))
    assert set(kinds) == {"signed_up", "consent_given"}
    event = Event.objects.get(kind="contact.signed_up")
    assert event.payload == {"contact_id": contact.pk, "source": "page", "source_ref": "emma-tea"}
    assert event.member_id == people.emma.pk
    (message,) = mail.outbox
    assert message.to == ["anna@example.com"]
    assert f"/contacts/confirm/{contact.unsubscribe_token}/" in message.body
    assert "Potwierdź" in message.subject or "confirm" in message.subject.lower()

    # the same address again: the same contact, one more consent record, no second contact
    again = capture(people.emma, email="anna@example.com", first_name="Ania")
    assert again.pk == contact.pk
    assert again.first_name == "Anna"
    assert ConsentRecord.objects.filter(contact=contact).count() == 2
    # the same address with another distributor is that distributor's own contact
    other = capture(people.ben, email="anna@example.com")
    assert other.pk != contact.pk
    assert contacts_of(people.ben).get() == other


def test_double_opt_in_and_unsubscribe(people):
    contact = capture(people.emma)
    contact = do_confirm_email_consent(contact)
    assert contact.email_consent == "confirmed"
    assert ConsentRecord.objects.get(contact=contact).confirmed_at == NOW
    # a confirmed address signing up again stays confirmed, no second opt-in
    again = capture(people.emma)
    assert again.email_consent == "confirmed"
    do_unsubscribe(contact)
    contact.refresh_from_db()
    assert contact.email_consent == "withdrawn"
    assert not ConsentRecord.objects.filter(
        contact=contact, channel="email", withdrawn_at=None
    ).exists()
    assert "unsubscribed" in contact.timeline.values_list("kind", flat=True)


def test_capture_refuses_bad_input_naming_the_field(people):
    with pytest.raises(ValidationError) as caught:
        capture(people.emma, email="not-an-address")
    assert "email" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        capture(people.emma, consent_text=" ")
    assert "consent_text" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        capture(people.emma, language="xx")
    assert "language" in caught.value.message_dict
    assert not Contact.objects.exists()


def test_stages_notes_tasks_and_the_timeline_in_words(people):
    contact = do_create_contact(
        people.emma, first_name="Jan", last_name="Kowalski", tags="tea, sport"
    )
    assert contact.tags == ["tea", "sport"]
    do_set_stage(contact, "contacted")
    do_set_stage(contact, "customer")
    assert Event.objects.get(kind="contact.converted").payload == {
        "contact_id": contact.pk,
        "stage": "customer",
    }
    with pytest.raises(ValidationError) as caught:
        do_set_stage(contact, "friend")
    assert "stage" in caught.value.message_dict
    do_add_note(contact, "Likes green tea.")
    task = do_add_task(contact, title="Call back", due_at=NOW + timedelta(hours=2))
    assert list(tasks_due(people.emma)) == [task]
    do_complete_task(task)
    assert not tasks_due(people.emma).exists()
    do_add_timeline(contact, "page_visit", {"page": "emma-tea"}, at=NOW + timedelta(minutes=5))
    do_add_timeline(contact, "webinar_attended", {"webinar_id": 4})
    with pytest.raises(ValidationError):
        do_add_timeline(contact, "order", {"amount": 1.5})
    contact.refresh_from_db()
    assert contact.last_activity_at == NOW + timedelta(minutes=5)
    from django.utils import translation

    entry = contact.timeline.get(kind="stage_changed", params__new="customer")
    with translation.override("en"):
        assert describe(entry) == "Stage changed from contacted to customer"
    visit = contact.timeline.get(kind="page_visit")
    assert "emma-tea" in describe(visit)
    # stored as keys and numbers, never as sentences
    assert all(
        isinstance(v, str | int | list)
        for e in TimelineEntry.objects.all()
        for v in e.params.values()
    )


def test_update_checks_duplicates_and_resets_consent_of_a_new_address(people):
    first = capture(people.emma, email="a@example.com")
    second = do_create_contact(people.emma, email="b@example.com")
    with pytest.raises(ValidationError) as caught:
        do_update_contact(second, email="A@example.com")
    assert "email" in caught.value.message_dict
    do_update_contact(first, email="new@example.com", phone="+48 600 100 200")
    first.refresh_from_db()
    assert first.email_consent == "none"
    assert first.phone == "+48 600 100 200"
    assert list(search_contacts(people.emma, query="600100")) == [first]
    with pytest.raises(ValidationError) as caught:
        do_update_contact(first, phone="call me")
    assert "phone" in caught.value.message_dict


def test_merge_moves_everything_to_the_kept_contact(people):
    keep = do_create_contact(people.emma, first_name="Anna", phone="+48 600 000 001", tags=["tea"])
    other = capture(people.emma, email="anna@example.com", first_name="Anna", last_name="Nowak")
    do_add_note(other, "Met at the fair.")
    do_add_task(other, title="Send the brochure", due_at=NOW + timedelta(days=1))
    do_update_contact(other, tags=["fair"])
    do_set_stage(other, "presented")
    merged = do_merge_contacts(keep, other)
    assert not Contact.objects.filter(pk=other.pk).exists()
    assert merged.email == "anna@example.com"
    assert merged.email_consent == "pending"
    assert merged.last_name == "Nowak"
    assert merged.phone == "+48 600 000 001"
    assert merged.tags == ["tea", "fair"]
    assert merged.stage == "presented"
    assert Note.objects.get().contact_id == keep.pk
    assert FollowUpTask.objects.get().contact_id == keep.pk
    assert ConsentRecord.objects.get().contact_id == keep.pk
    assert "merged" in keep.timeline.values_list("kind", flat=True)
    assert "signed_up" in keep.timeline.values_list("kind", flat=True)
    assert list(search_contacts(people.emma, query="nowak")) == [merged]
    # never across owners, never with itself
    bens = do_create_contact(people.ben, first_name="Anna")
    with pytest.raises(ValidationError):
        do_merge_contacts(keep, bens)
    with pytest.raises(ValidationError):
        do_merge_contacts(keep, keep)


def test_deletion_leaves_an_anonymised_tombstone(people):
    contact = capture(people.emma, email="erase@example.com", last_name="Secret")
    do_add_note(contact, "Private thing")
    do_add_task(contact, title="Call", due_at=NOW)
    token = contact.unsubscribe_token
    erased = do_delete_contact_data(contact, reason="contact")
    assert erased.is_erased
    assert erased.email == ""
    assert erased.last_name == ""
    assert erased.first_name == ""
    assert erased.tags == []
    assert erased.search_text == ""
    assert erased.unsubscribe_token != token
    assert not Note.objects.exists()
    assert not FollowUpTask.objects.exists()
    assert list(erased.timeline.values_list("kind", "params")) == [
        ("erased", {"reason": "contact"})
    ]
    record = ConsentRecord.objects.get()
    assert record.address == ""
    assert record.withdrawn_at == NOW
    assert not contacts_of(people.emma).exists()
    assert Contact.objects.filter(pk=contact.pk, stage="new").exists()  # the tombstone
    # the address can sign up again as a new contact
    assert capture(people.emma, email="erase@example.com").pk != contact.pk


def test_retention_erases_contacts_inactive_longer_than_the_setting(people, settings):
    old = do_create_contact(people.emma, first_name="Old")
    Contact.objects.filter(pk=old.pk).update(last_activity_at=NOW - timedelta(days=731))
    recent = do_create_contact(people.emma, first_name="Recent")
    Contact.objects.filter(pk=recent.pk).update(last_activity_at=NOW - timedelta(days=100))
    assert do_erase_inactive_contacts() == 1
    assert Contact.objects.get(pk=old.pk).is_erased
    assert not Contact.objects.get(pk=recent.pk).is_erased
    settings.DOWNLINE_CONTACT_RETENTION_DAYS = 90
    assert do_erase_inactive_contacts() == 1
    assert Contact.objects.get(pk=recent.pk).is_erased
    assert do_erase_inactive_contacts() == 0


def test_reminders_are_sent_once_per_task(people):
    contact = do_create_contact(people.emma, first_name="Jan")
    due = do_add_task(contact, title="Call Jan", due_at=NOW - timedelta(minutes=5))
    do_add_task(contact, title="Later", due_at=NOW + timedelta(days=3))
    assert remind_due_tasks(NOW) == 1
    (message,) = mail.outbox
    assert message.to == ["emma@example.com"]
    assert "Call Jan" in message.body
    assert remind_due_tasks(NOW) == 0
    assert len(mail.outbox) == 1
    due.refresh_from_db()
    assert due.reminder_sent_at == NOW
    # a task done before it came due is never reminded of
    early = do_add_task(contact, title="Done early", due_at=NOW + timedelta(hours=1))
    do_complete_task(early)
    assert remind_due_tasks(NOW + timedelta(days=4)) == 1  # only "Later"
    assert len(mail.outbox) == 2
    assert "Later" in mail.outbox[1].body
