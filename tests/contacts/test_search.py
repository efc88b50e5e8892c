"""Searching a distributor's contact list: every word, any case and diacritics, the owner's
contacts only, a count that stays cheap on a long list, and a page whose queries do not grow
with its rows."""

from __future__ import annotations

import pytest
from django.db import connection

from downline.contacts import selectors
from downline.contacts.actions import do_create_contact
from downline.contacts.search import search_key
from downline.contacts.selectors import count_matches, search_contacts

from .conftest import login

STAGES = ["new", "contacted", "presented", "customer", "distributor"]


@pytest.fixture
def long_list(people):
    """Emma's 60 contacts (names, e-mails, phones, tags and stages of every kind) and one
    matching contact of each of her sponsor and her recruit."""
    names = [("Anna", "Nowak"), ("Łukasz", "Wójcik"), ("Greta", "Schmidt"), ("Ivan", "Petrov")]
    for n in range(60):
        first, last = names[n % 4]
        do_create_contact(
            people.emma,
            first_name=first,
            last_name=last,
            email=f"{search_key(first)}.{n}@example.com",
            phone=f"+48 600 100 {n:03d}",
            tags=["tea", "gym"] if n % 3 == 0 else ["webinar"],
            stage=STAGES[n % 5],
        )
    for owner in (people.rosa, people.ben):
        do_create_contact(owner, first_name="Anna", last_name="Nowak", tags=["tea"])
    return people


def _names(contacts) -> set[str]:
    return {f"{c.first_name} {c.last_name}" for c in contacts}


def test_every_word_in_any_case_and_without_diacritics(long_list):
    emma = long_list.emma
    assert search_contacts(emma, query="anna").count() == 15
    assert search_contacts(emma, query="ANNA nowak").count() == 15
    assert _names(search_contacts(emma, query="lukasz wojcik")) == {"Łukasz Wójcik"}
    assert search_contacts(emma, query="anna wojcik").count() == 0
    assert [c.email for c in search_contacts(emma, query="greta.14@")] == ["greta.14@example.com"]
    assert search_contacts(emma, query="600100007").count() == 1  # phone digits
    assert search_contacts(emma, query="zzzz").count() == 0


def test_stage_and_tag_filters(long_list):
    emma = long_list.emma
    assert search_contacts(emma, stage="presented").count() == 12
    assert search_contacts(emma, tag="TEA").count() == 20
    assert search_contacts(emma, tag="tea", query="anna").count() == 5
    assert search_contacts(emma, tag="te").count() == 0  # a whole tag, not a part of one
    assert selectors.stage_counts(emma) == dict.fromkeys(STAGES, 12)


def test_a_search_finds_the_owners_contacts_only(long_list):
    for owner in (long_list.rosa, long_list.ben):
        assert search_contacts(owner, query="anna").count() == 1
    html = login(long_list.rosa_user).get("/contacts/?q=anna").content.decode()
    assert "1 contact" in html
    assert "anna.0@example.com" not in html


def test_the_count_of_a_search_stops_at_the_cap(long_list, monkeypatch):
    emma = long_list.emma
    assert count_matches(search_contacts(emma, query="anna"), cap=10) == 11
    assert count_matches(search_contacts(emma, query="anna"), cap=100) == 15
    monkeypatch.setattr(selectors, "COUNT_CAP", 10)
    client = login(long_list.emma_user)
    html = client.get("/contacts/?q=anna").content.decode()
    assert "More than 10 contacts match: narrow the search." in html
    html = client.get("/contacts/?q=greta.1").content.decode()  # greta.10, .14, .18
    assert "3 contacts" in html
    html = client.get("/contacts/").content.decode()  # no search: the exact count
    assert "60 contacts" in html


def test_the_list_page_costs_the_same_queries_for_any_number_of_rows(
    long_list, django_assert_max_num_queries
):
    client = login(long_list.emma_user)
    client.get("/contacts/")
    with django_assert_max_num_queries(12) as few:
        html = client.get("/contacts/?q=a").content.decode()
    for shown in ("Łukasz", "webinar", "presented"):
        assert shown in html
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/contacts/?q=anna&page=1")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/contacts/?page=2")


def test_pages_of_a_long_list(long_list):
    client = login(long_list.emma_user)
    first = client.get("/contacts/").content.decode()
    assert "Page 1 of 2" in first
    second = client.get("/contacts/?page=2").content.decode()
    assert "Page 2 of 2" in second
    assert second.count('<a href="/contacts/') - first.count('<a href="/contacts/') == -40


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigram index is PostgreSQL's")
def test_postgres_has_the_owner_first_trigram_index(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'contacts_owner_search_trgm'"
        )
        (definition,) = cursor.fetchone()
        assert "gin (owner_id, search_text gin_trgm_ops, tag_text gin_trgm_ops)" in definition
        assert "erased_at IS NULL" in definition
