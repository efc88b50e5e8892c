"""``/contacts`` through the API: a distributor's contacts are theirs alone (a personal token
never reaches the sponsor's, upline's or downline's), an integration key with the contacts
scopes reaches every owner's, a read-only key never writes, writes go through the back office's
actions (same validation, consent recorded, data erased) and are audited with the key.

Network (tests/api/conftest.py): R ─ A ─ C ─ (customer K), R ─ B; the personal token is A's.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from downline.api.actions import do_create_api_key
from downline.api.models import ApiWrite
from downline.api.scopes import SCOPES
from downline.contacts.actions import do_add_note, do_create_contact
from downline.contacts.models import ConsentRecord, Contact
from downline.core.models import Event

from .conftest import Api

MONDAY = datetime(2026, 6, 15, 9, tzinfo=UTC)


def patch(api: Api, path: str, body):
    return api.client.patch(
        path, json.dumps(body), content_type="application/json", headers=api._headers(None)
    )


def delete(api: Api, path: str):
    return api.client.delete(path, headers=api._headers(None))


def call(api: Api, method: str, path: str, body=None):
    if method == "get":
        return api.get(path)
    if method == "post":
        return api.post(path, body)
    if method == "patch":
        return patch(api, path, body)
    return delete(api, path)


@pytest.fixture
def book(net) -> dict[str, Contact]:
    """Contacts of A (two), of her downline C, her upline R and B beside her."""
    with time_machine.travel(MONDAY, tick=False):
        found = {
            "jana": do_create_contact(
                net["A"], first_name="Jana", last_name="Nováková", email="jana@example.com",
                tags=["gym", "vegan"], stage="contacted",
            ),
            "piotr": do_create_contact(net["A"], first_name="Piotr", phone="+48 601 234 567"),
            "carl": do_create_contact(net["C"], first_name="Carl", email="carl@example.com"),
            "rita": do_create_contact(net["R"], first_name="Rita", tags=["gym"]),
            "bert": do_create_contact(net["B"], first_name="Bert"),
        }  # fmt: skip
    return found


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


# --------------------------------------------------------------------------- who sees what


def test_a_personal_token_lists_only_its_own_contacts(book, anna_api):
    assert ids(anna_api.get("/api/v1/contacts")) == [book["jana"].pk, book["piotr"].pk]
    assert ids(anna_api.get("/api/v1/contacts", owner="C")) == []
    assert ids(anna_api.get("/api/v1/contacts", search="carl")) == []
    one = anna_api.get(f"/api/v1/contacts/{book['jana'].pk}").json()
    assert one["owner"] == "A"
    assert one["email"] == "jana@example.com"


@pytest.mark.parametrize("whose", ["carl", "rita", "bert"])  # downline, upline, beside
def test_a_personal_token_never_reaches_another_members_contact(whose, book, anna_api):
    response = anna_api.get(f"/api/v1/contacts/{book[whose].pk}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_an_integration_key_reads_every_owners_contacts(book, read_api):
    every = ids(read_api.get("/api/v1/contacts"))
    assert every == sorted(contact.pk for contact in book.values())
    assert ids(read_api.get("/api/v1/contacts", owner="C")) == [book["carl"].pk]
    assert read_api.get(f"/api/v1/contacts/{book['rita'].pk}").json()["owner"] == "R"


def test_filters_stage_tag_search_and_updated_since(book, read_api):
    assert ids(read_api.get("/api/v1/contacts", stage="contacted")) == [book["jana"].pk]
    assert ids(read_api.get("/api/v1/contacts", tag="GYM")) == [book["jana"].pk, book["rita"].pk]
    # every word, any case, with or without diacritics; phone digits too
    assert ids(read_api.get("/api/v1/contacts", search="jana novakova")) == [book["jana"].pk]
    assert ids(read_api.get("/api/v1/contacts", search="601234")) == [book["piotr"].pk]
    with time_machine.travel(MONDAY + timedelta(days=2), tick=False):
        do_add_note(book["carl"], "Call back.")
    since = (MONDAY + timedelta(days=1)).isoformat()
    assert ids(read_api.get("/api/v1/contacts", updated_since=since)) == [book["carl"].pk]


def test_the_list_is_cursor_paginated(book, read_api):
    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        body = read_api.get("/api/v1/contacts", **params).json()
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(contact.pk for contact in book.values())


def test_an_erased_contact_is_gone_from_reads(book, staff_api):
    assert delete(staff_api, f"/api/v1/contacts/{book['jana'].pk}").status_code == 204
    assert book["jana"].pk not in ids(staff_api.get("/api/v1/contacts"))
    assert staff_api.get(f"/api/v1/contacts/{book['jana'].pk}").status_code == 404


# --------------------------------------------------------------------------- writes


def test_create_records_the_consent_as_a_sign_up_and_is_audited(
    net, staff_api, django_capture_on_commit_callbacks
):
    body = {
        "owner": "A",
        "first_name": "Ola",
        "email": "OLA@example.com",
        "tags": ["shop", "shop "],
        "note": "Bought the starter kit.",
        "consent": {
            "text_shown": "Yes, e-mail me news from Anna.",
            "source_ref": "checkout",
            "address": "203.0.113.9",
        },
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_api.post("/api/v1/contacts", body)
    assert response.status_code == 201, response.content
    made = response.json()
    assert made["owner"] == "A"
    assert made["email"] == "ola@example.com"
    assert made["tags"] == ["shop"]
    assert made["source"] == "api"
    assert made["email_consent"] == "pending"
    assert [note["text"] for note in made["notes"]] == ["Bought the starter kit."]
    [consent] = made["consents"]
    assert consent["text_shown"] == "Yes, e-mail me news from Anna."
    assert consent["source_ref"] == "checkout"
    assert ConsentRecord.objects.get(contact_id=made["id"]).address == "203.0.113.9"
    # the double opt-in e-mail went to the contact
    assert [message.to for message in mail.outbox] == [["ola@example.com"]]
    assert Event.objects.filter(kind="contact.signed_up", payload__contact_id=made["id"]).exists()
    write = ApiWrite.objects.get()
    assert (write.operation, write.target, write.status) == (
        "contacts.create",
        str(made["id"]),
        201,
    )
    assert write.key.name == "shop"


def test_create_without_consent_records_none(net, staff_api):
    response = staff_api.post("/api/v1/contacts", {"owner": "C", "phone": "+49 30 1234567"})
    assert response.status_code == 201
    assert response.json()["email_consent"] == "none"
    assert response.json()["consents"] == []
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"owner": "A", "email": "not-an-address"}, "body.email"),
        ({"owner": "A", "email": "jana@example.com"}, "body.email"),  # taken in A's book
        ({"owner": "A", "tags": ["gym"]}, "body.first_name"),  # no name, e-mail or phone
        ({"owner": "A", "first_name": "Ola", "phone": "call me"}, "body.phone"),
        ({"owner": "A", "first_name": "Ola", "time_zone": "Mars/Base"}, "body.time_zone"),
        ({"owner": "A", "first_name": "Ola", "tags": [f"t{i}" for i in range(21)]}, "body.tags"),
        ({"owner": "A", "first_name": "Ola", "tags": ["x" * 41]}, "body.tags"),
        ({"owner": "A", "first_name": "O" * 101}, "body.first_name"),
        ({"owner": "A", "first_name": "Ola", "stage": "won"}, "body.stage"),
        ({"owner": "A", "first_name": "Ola", "colour": "red"}, "body.colour"),
        ({"owner": "A", "first_name": "Ola\x00"}, "body.first_name"),
        ({"owner": "A", "first_name": "Ola", "tags": ["a\x00"]}, "body.tags"),
        ({"first_name": "Ola"}, "body.owner"),
        ({"owner": "NOBODY", "first_name": "Ola"}, "body.owner"),
        ({"owner": "K", "first_name": "Ola"}, "body.owner"),  # a retail customer
        (
            {"owner": "A", "first_name": "Ola", "consent": {"text_shown": "Yes."}},
            "body.email",
        ),  # consent to e-mail without an address
        ({"owner": "A", "email": "o@example.com", "consent": {"text_shown": ""}}, None),
    ],
)
def test_create_refusals_name_the_field_and_write_nothing(body, field, book, staff_api):
    before = (Contact.objects.count(), ConsentRecord.objects.count())
    response = staff_api.post("/api/v1/contacts", body)
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    fields = [error["field"] for error in response.json()["errors"]]
    assert fields
    if field is not None:
        assert field in fields
    assert (Contact.objects.count(), ConsentRecord.objects.count()) == before
    assert ApiWrite.objects.count() == 0


def test_update_moves_stage_changes_tags_and_resets_consent_for_a_new_email(book, staff_api):
    jana = book["jana"]
    Contact.objects.filter(pk=jana.pk).update(email_consent=Contact.Consent.CONFIRMED)
    response = patch(
        staff_api,
        f"/api/v1/contacts/{jana.pk}",
        {"stage": "customer", "tags": ["vip"], "email": "jana.n@example.com"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["stage"], body["tags"], body["email"]) == (
        "customer",
        ["vip"],
        "jana.n@example.com",
    )
    assert body["email_consent"] == "none"  # consent was for the old address
    converted = Event.objects.get(kind="contact.converted")
    assert converted.payload == {"contact_id": jana.pk, "stage": "customer"}
    assert ApiWrite.objects.get().operation == "contacts.update"


def test_update_refusal_changes_nothing(book, staff_api):
    jana = book["jana"]
    response = patch(
        staff_api, f"/api/v1/contacts/{jana.pk}", {"tags": ["ok"], "time_zone": "Nowhere/X"}
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["body.time_zone"]
    jana.refresh_from_db()
    assert jana.tags == ["gym", "vegan"]
    assert ApiWrite.objects.count() == 0
    response = patch(staff_api, f"/api/v1/contacts/{jana.pk}", {"stage": "won"})
    assert [e["field"] for e in response.json()["errors"]] == ["body.stage"]


def test_notes_are_added_and_listed(book, staff_api):
    path = f"/api/v1/contacts/{book['carl'].pk}"
    response = staff_api.post(f"{path}/notes", {"text": "  Call back on Friday. "})
    assert response.status_code == 201
    assert response.json()["text"] == "Call back on Friday."
    assert [n["text"] for n in staff_api.get(path).json()["notes"]] == ["Call back on Friday."]
    blank = staff_api.post(f"{path}/notes", {"text": "   "})
    assert blank.status_code == 422
    assert [e["field"] for e in blank.json()["errors"]] == ["body.text"]


def test_delete_erases_the_contacts_data_as_the_back_office_does(book, staff_api):
    jana = book["jana"]
    do_add_note(jana, "private")
    response = delete(staff_api, f"/api/v1/contacts/{jana.pk}?reason=contact")
    assert response.status_code == 204
    jana.refresh_from_db()
    assert jana.erased_at is not None
    assert (jana.email, jana.first_name, jana.last_name, jana.tags) == ("", "", "", [])
    assert jana.notes.count() == 0
    assert list(jana.timeline.values_list("kind", "params")) == [("erased", {"reason": "contact"})]
    write = ApiWrite.objects.get()
    assert (write.operation, write.status) == ("contacts.erase", 204)
    assert delete(staff_api, f"/api/v1/contacts/{jana.pk}").status_code == 404


# --------------------------------------------------------------------------- scopes


def _operations(book) -> list[tuple[str, str, object, str]]:
    jana = book["jana"].pk
    return [
        ("get", "/api/v1/contacts", None, "contacts:read"),
        ("get", f"/api/v1/contacts/{jana}", None, "contacts:read"),
        ("post", "/api/v1/contacts", {"owner": "A", "first_name": "Ola"}, "contacts:write"),
        ("patch", f"/api/v1/contacts/{jana}", {"stage": "presented"}, "contacts:write"),
        ("post", f"/api/v1/contacts/{jana}/notes", {"text": "hi"}, "contacts:write"),
        ("delete", f"/api/v1/contacts/{jana}", None, "contacts:write"),
    ]


def _state() -> tuple:
    return (
        list(Contact.objects.order_by("pk").values_list("stage", "email", "erased_at")),
        Contact.objects.count(),
        ApiWrite.objects.count(),
    )


def test_every_contacts_operation_needs_its_scope(book, staff):
    for method, path, body, scope in _operations(book):
        others = [name for name in SCOPES if name != scope]
        token = do_create_api_key(name="almost", scopes=others, created_by=staff).token
        response = call(Api(token), method, path, body)
        assert response.status_code == 403, (method, path)
        assert scope in response.json()["detail"]
        assert call(Api(None), method, path, body).status_code == 401


def test_a_read_only_key_and_a_personal_token_never_write(book, read_api, anna_api):
    before = _state()
    for api in (read_api, anna_api):
        for method, path, body, scope in _operations(book):
            if scope == "contacts:write":
                response = call(api, method, path, body)
                assert response.status_code == 403, (method, path)
    assert _state() == before


def test_bad_query_values_name_the_parameter(book, read_api):
    response = read_api.get("/api/v1/contacts", stage="won")
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["query.stage"]
    response = read_api.get("/api/v1/contacts", cursor="nope")
    assert [e["field"] for e in response.json()["errors"]] == ["query.cursor"]
    assert read_api.get("/api/v1/contacts/0").status_code == 422
    assert read_api.get(f"/api/v1/contacts/{2**63}").status_code == 422


AUTH_TABLES = ("api_apikey", "cache")


def _queries(api: Api, path: str, **params) -> int:
    """Queries of the operation itself (the key's lookup, last use and rate count aside: the
    authentication keeps keys for a few seconds, so their queries come and go)."""
    with CaptureQueriesContext(connection) as captured:
        assert api.get(path, **params).status_code == 200
    return len([q for q in captured if not any(t in q["sql"] for t in AUTH_TABLES)])


def test_lists_and_details_read_a_fixed_number_of_queries(book, net, read_api):
    """No query per contact: twelve more contacts cost no more queries."""
    few = _queries(read_api, "/api/v1/contacts", limit=500)
    one = _queries(read_api, f"/api/v1/contacts/{book['jana'].pk}")
    for i in range(12):
        contact = do_create_contact(net["B"], first_name=f"Extra {i}", tags=["x"])
        do_add_note(contact, "note")
    assert _queries(read_api, "/api/v1/contacts", limit=500) == few
    assert _queries(read_api, f"/api/v1/contacts/{contact.pk}") == one
