"""The distributor's contact pages and the contact's own pages; privacy: a distributor's
contacts are theirs alone (not the sponsor's, not the upline's, not staff's)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from downline.contacts.actions import do_add_task, do_capture_contact, do_create_contact
from downline.contacts.models import Contact

from .conftest import login, staff_client


@pytest.fixture
def emmas(people):
    anna = do_capture_contact(
        people.emma,
        email="anna@example.com",
        first_name="Anna",
        last_name="Łukasiewicz",
        language="pl",
        source="page",
        source_ref="emma-tea",
        consent_text="I agree to receive e-mails from Emma.",
        consent_email=True,
        address="203.0.113.7",
    )
    jan = do_create_contact(
        people.emma, first_name="Jan", last_name="Kowalski", tags=["tea"], stage="presented"
    )
    return anna, jan


def test_the_owner_lists_searches_and_filters(people, emmas):
    _anna, _jan = emmas
    client = login(people.emma_user)
    page = client.get("/contacts/").content.decode()
    assert "2 contacts" in page
    assert "1 contact<" in client.get("/contacts/", {"stage": "presented"}).content.decode()
    assert "1 contact<" in client.get("/contacts/", {"q": "kowalski"}).content.decode()
    assert "Anna Łukasiewicz" in page
    assert "Jan Kowalski" in page
    found = client.get("/contacts/", {"q": "lukas"}).content.decode()  # without the diacritics
    assert "Anna" in found
    assert "Jan Kowalski" not in found
    by_stage = client.get("/contacts/", {"stage": "presented"}).content.decode()
    assert "Jan Kowalski" in by_stage
    assert "Anna Łukasiewicz" not in by_stage
    by_tag = client.get("/contacts/", {"tag": "TEA"}).content.decode()
    assert "Jan Kowalski" in by_tag
    assert "Anna Łukasiewicz" not in by_tag
    partial = client.get("/contacts/", {"q": "jan"}, HTTP_HX_REQUEST="true").content.decode()
    assert partial.startswith('<div id="contact-rows">')
    assert "Jan Kowalski" in partial


def test_nobody_else_sees_a_distributors_contacts(people, emmas):
    anna, _jan = emmas
    pages = [
        f"/contacts/{anna.pk}/",
        f"/contacts/{anna.pk}/edit/",
    ]
    # the sponsor (upline) and the recruit (downline) get 404, as for an id that does not exist
    for user in (people.rosa_user, people.ben_user):
        client = login(user)
        for url in pages:
            assert client.get(url).status_code == 404, url
        assert client.post(f"/contacts/{anna.pk}/notes/", {"text": "hi"}).status_code == 404
        assert client.post(f"/contacts/{anna.pk}/erase/").status_code == 404
        listing = client.get("/contacts/").content.decode()
        assert "Anna" not in listing
        export = client.get("/contacts/export.csv").content.decode()
        assert "anna@example.com" not in export
    # merging someone else's contact in is refused
    bens = do_create_contact(people.ben, first_name="Ben's friend", email="friend@example.com")
    emma = login(people.emma_user)
    emma.post(f"/contacts/{anna.pk}/merge/", {"other": "friend@example.com"})
    assert Contact.objects.filter(pk=bens.pk, owner=people.ben).exists()
    # staff have no page with contacts: the console does not list them, the admin has no model
    for client in (staff_client("ada", "admin", superuser=True), staff_client("sue", "support")):
        assert client.get(f"/contacts/{anna.pk}/").status_code == 404
        assert client.get("/contacts/").status_code == 404
        assert client.get("/admin/contacts/contact/").status_code == 404
    # signed out: sent to sign in
    from django.test import Client

    assert Client().get("/contacts/").status_code == 302


def test_add_edit_note_task_stage_and_the_due_list(people):
    client = login(people.emma_user)
    refused = client.post("/contacts/new/", {"language": "en", "stage": "new", "phone": "abc"})
    assert refused.status_code == 400
    response = client.post(
        "/contacts/new/",
        {
            "first_name": "Olga",
            "email": "olga@example.com",
            "language": "ru",
            "stage": "new",
            "tags": "a, b",
        },
    )
    contact = Contact.objects.get(email="olga@example.com")
    assert response.status_code == 302
    assert contact.owner == people.emma
    assert contact.tags == ["a", "b"]
    client.post(
        f"/contacts/{contact.pk}/edit/",
        {
            "first_name": "Olga",
            "last_name": "Ivanova",
            "email": "olga@example.com",
            "language": "ru",
            "stage": "contacted",
            "tags": "a",
            "time_zone": "Europe/Moscow",
        },
    )
    contact.refresh_from_db()
    assert (contact.last_name, contact.stage, contact.time_zone) == (
        "Ivanova",
        "contacted",
        "Europe/Moscow",
    )
    client.post(f"/contacts/{contact.pk}/notes/", {"text": "Prefers calls."})
    today = timezone.localdate()
    client.post(
        f"/contacts/{contact.pk}/tasks/",
        {"title": "Call Olga", "due_date": today.isoformat(), "due_time": "00:01"},
    )
    client.post(f"/contacts/{contact.pk}/stage/", {"stage": "customer"})
    detail = client.get(f"/contacts/{contact.pk}/").content.decode()
    assert "Prefers calls." in detail
    assert "Call Olga" in detail
    assert "Stage changed from contacted to customer" in detail
    due = client.get("/contacts/tasks/").content.decode()
    assert "Call Olga" in due
    task = contact.tasks.get()
    client.post(f"/contacts/tasks/{task.pk}/done/", {"next": "tasks"})
    assert "Call Olga" not in client.get("/contacts/tasks/").content.decode()
    # another distributor cannot tick Emma's task
    do_add_task(contact, title="Second", due_at=timezone.now() - timedelta(hours=1))
    second = contact.tasks.get(title="Second")
    assert login(people.rosa_user).post(f"/contacts/tasks/{second.pk}/done/").status_code == 404


def test_import_page_shows_every_error_and_export_downloads(people):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = login(people.emma_user)
    bad = SimpleUploadedFile("list.csv", b"email,first_name\nok@example.com,Ok\nbad,Bad\n")
    response = client.post("/contacts/import/", {"file": bad, "format": "auto"})
    assert response.status_code == 400
    assert "line 3, email" in response.content.decode()
    assert not Contact.objects.exists()
    good = SimpleUploadedFile(
        "list.vcf",
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Greta Schmidt\r\nEMAIL:greta@example.com\r\nEND:VCARD\r\n",
    )
    response = client.post("/contacts/import/", {"file": good, "format": "auto"})
    assert response.status_code == 200
    assert Contact.objects.filter(email="greta@example.com").exists()
    csv_download = client.get("/contacts/export.csv")
    assert csv_download["Content-Disposition"].endswith('"contacts.csv"')
    assert b"greta@example.com" in csv_download.content
    assert b"BEGIN:VCARD" in client.get("/contacts/export.vcf").content


def test_confirmation_page_and_my_data_with_deletion(people, emmas, client):
    anna, _jan = emmas
    token = anna.unsubscribe_token
    # GET shows a button and confirms nothing (mail scanners follow links)
    page = client.get(f"/contacts/confirm/{token}/")
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    anna.refresh_from_db()
    assert anna.email_consent == "pending"
    client.post(f"/contacts/confirm/{token}/")
    anna.refresh_from_db()
    assert anna.email_consent == "confirmed"
    data = client.get(f"/contacts/my-data/{token}/").content.decode()
    assert "anna@example.com" in data
    assert "I agree to receive e-mails from Emma." in data
    assert "203.0.113.7" in data
    assert "Emma Stone" in data
    client.post(f"/contacts/my-data/{token}/", {"action": "unsubscribe"})
    anna.refresh_from_db()
    assert anna.email_consent == "withdrawn"
    # deletion needs the confirmation box
    client.post(f"/contacts/my-data/{token}/", {"action": "delete"})
    assert not Contact.objects.get(pk=anna.pk).is_erased
    done = client.post(f"/contacts/my-data/{token}/", {"action": "delete", "confirm": "yes"})
    assert 'id="erased"' in done.content.decode()
    anna = Contact.objects.get(pk=anna.pk)
    assert anna.is_erased
    assert anna.email == ""
    assert client.get(f"/contacts/my-data/{token}/").status_code == 404
    assert client.get("/contacts/my-data/guessed-token/").status_code == 404
    assert client.get(f"/contacts/confirm/erased-{anna.pk}-0/").status_code == 404
