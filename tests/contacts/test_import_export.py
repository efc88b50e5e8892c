"""Import from CSV and vCard, all or nothing with errors naming line and field; export."""

from __future__ import annotations

import pytest

from downline.contacts.actions import do_create_contact
from downline.contacts.models import Contact
from downline.contacts.selectors import contacts_of
from downline.contacts.transfer import (
    ImportRefused,
    do_import,
    export_csv,
    export_vcard,
    read_vcard,
)

GOOD_CSV = b"""E-mail;First name;Surname;Phone;Tags;Stage;Language
anna@example.com;Anna;Nowak;+48 600 100 200;tea, sport;contacted;pl
jan@example.com;Jan;Kowalski;;;;
;Olga;;+7 900 000 00 00;;;ru
"""

VCARDS = """BEGIN:VCARD
VERSION:3.0
N:Schmidt;Greta;;;
FN:Greta Schmidt
EMAIL;TYPE=INTERNET:greta@example.com
TEL;TYPE=CELL:+49 151 2345678
CATEGORIES:tea,friends
END:VCARD
BEGIN:VCARD
VERSION:4.0
FN:Иван Петров
EMAIL:ivan@example.com
END:VCARD
"""


def test_a_clean_csv_is_imported_and_completes_existing_contacts(people):
    existing = do_create_contact(people.emma, email="jan@example.com", tags=["old"])
    result = do_import(people.emma, GOOD_CSV, fmt="csv")
    assert (result.created, result.updated) == (2, 1)
    anna = contacts_of(people.emma).get(email="anna@example.com")
    assert (anna.first_name, anna.last_name, anna.phone) == ("Anna", "Nowak", "+48 600 100 200")
    assert anna.tags == ["tea", "sport"]
    assert anna.stage == "contacted"
    assert anna.language == "pl"
    assert anna.email_consent == "none"
    assert anna.source == "csv"
    assert list(anna.timeline.values_list("kind", flat=True)) == ["imported"]
    existing.refresh_from_db()
    assert existing.first_name == "Jan"
    assert existing.tags == ["old"]
    assert contacts_of(people.emma).filter(first_name="Olga", language="ru").exists()
    assert not contacts_of(people.rosa).exists()


def test_a_csv_with_errors_is_refused_whole_naming_line_and_field(people):
    data = b"""email,first_name,stage,language,phone
ok@example.com,Ok,,,
broken-address,Bad,,,
dup@example.com,Dup,,,
dup@example.com,Dup again,,,
,,,,
x@example.com,X,friend,xx,
,,,,not a phone
"""
    with pytest.raises(ImportRefused) as caught:
        do_import(people.emma, data, fmt="csv")
    errors = {(e.line, e.field) for e in caught.value.errors}
    assert errors == {
        (3, "email"),
        (5, "email"),
        (7, "stage"),
        (7, "language"),
        (8, "phone"),
    }
    assert "line 3, email" in str(caught.value.errors[0])
    assert not Contact.objects.exists()  # nothing written, not even the good first row


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (b"", "file"),
        (b"\xff\xfe\x00b\x00a\x00d", "file"),
        (b"colour,size\nred,big\n", "header"),
    ],
)
def test_unreadable_files_are_refused(people, data, field):
    with pytest.raises(ImportRefused) as caught:
        do_import(people.emma, data, fmt="csv")
    assert caught.value.errors[0].field == field


def test_vcard_import_and_its_errors(people):
    result = do_import(people.emma, VCARDS.encode(), fmt="vcard")
    assert result.created == 2
    greta = contacts_of(people.emma).get(email="greta@example.com")
    assert (greta.first_name, greta.last_name, greta.phone) == (
        "Greta",
        "Schmidt",
        "+49 151 2345678",
    )
    assert greta.tags == ["tea", "friends"]
    ivan = contacts_of(people.emma).get(email="ivan@example.com")
    assert (ivan.first_name, ivan.last_name) == ("Иван", "Петров")

    bad = (
        VCARDS.replace("ivan@example.com", "ivan-at-example")
        + "BEGIN:VCARD\nVERSION:3.0\nFN:No end\n"
    )
    with pytest.raises(ImportRefused) as caught:
        read_vcard(bad.encode())
    assert {(e.line, e.field) for e in caught.value.errors} == {(12, "email"), (14, "vcard")}


def test_export_round_trips_and_defuses_formulas(people):
    do_import(people.emma, GOOD_CSV, fmt="csv")
    do_create_contact(people.emma, first_name="=HYPERLINK(1)", email="f@example.com")
    do_create_contact(people.ben, first_name="Not Emma's")
    contacts = contacts_of(people.emma).order_by("pk")
    text = export_csv(contacts)
    assert "'=HYPERLINK(1)" in text
    assert "+48 600 100 200" in text
    assert "Not Emma" not in text
    assert text.splitlines()[0].startswith("email,phone,first_name,last_name")
    cards = export_vcard(contacts)
    assert cards.count("BEGIN:VCARD") == 4
    # what we export imports again without doubles
    Contact.objects.filter(owner=people.emma).delete()
    assert do_import(people.emma, cards.encode(), fmt="vcard").created == 4
