"""Hostile input on the pages (issue 11, finding 12): page numbers past any database integer,
NUL characters in searches and paths, amounts of 25 digits in console forms. Each answers a
clear 400 or a page, never a 500."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from downline.ledger.models import Adjustment
from downline.payouts.models import PayoutBatch
from downline.web.pagination import MAX_PAGE, clamp_page, parse_page

from .conftest import verified_staff

HUGE = "99999999999999999999"
NOW = datetime(2026, 10, 15, 12, tzinfo=UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def finance(db):
    client = Client()
    verified_staff(client, "fin", "finance")
    return client


@pytest.fixture
def support(db):
    client = Client()
    verified_staff(client, "sue", "support")
    return client


@pytest.mark.parametrize(
    ("text", "page"),
    [
        (None, 1),
        ("", 1),
        ("abc", 1),
        ("0", 1),
        ("-3", 1),
        ("1e400", 1),
        ("٣", 1),  # an Arabic-Indic digit: not ASCII
        ("7", 7),
        (HUGE, MAX_PAGE),
        ("0" * 40 + "2", 2),
    ],
)
def test_page_numbers_are_read_within_bounds(text, page):
    assert parse_page(text) == page


def test_a_page_beyond_the_last_is_the_last():
    assert clamp_page(MAX_PAGE, total=120, page_size=50) == 3
    assert clamp_page(5, total=0, page_size=50) == 1


@pytest.mark.parametrize("page", [HUGE, "-1", "x"])
def test_paginated_member_pages_answer_a_page(alice_client, page):
    team = alice_client.get(reverse("web:team"), {"page": page})
    assert team.status_code == 200
    assert "BOB" in team.text
    tree = alice_client.get(reverse("web:tree_children", args=["BOB"]), {"page": page})
    assert tree.status_code == 200
    assert "CAROL" in tree.text
    levels = alice_client.get(reverse("web:team_levels"), {"level": "2", "page": page})
    assert levels.status_code == 200
    assert "CAROL" in levels.text  # level 2 is kept, and the last page shown
    customers = alice_client.get(reverse("web:customers"), {"page": page})
    assert customers.status_code == 200
    assert "CUST-A" in customers.text
    assert alice_client.get(reverse("web:earnings"), {"page": page}).status_code == 200


def test_a_run_page_beyond_the_last_shows_the_last(frozen, settled, finance):
    url = reverse("web:console_run", args=[settled.august.pk])
    response = finance.get(url, {"page": HUGE})
    assert response.status_code == 200
    assert "CAROL" in response.text


@pytest.mark.parametrize(
    ("name", "args", "params"),
    [
        ("web:team_search", [], {"q": "Bo\x00b"}),
        ("web:team", [], {"tree": "enrollment\x00"}),
        ("web:customers", [], {"page": "1\x00"}),
    ],
)
def test_a_nul_character_in_a_member_query_is_a_400(alice_client, name, args, params):
    response = alice_client.get(reverse(name, args=args), params)
    assert response.status_code == 400
    assert "NUL" in response.text


def test_a_nul_character_in_a_path_is_a_400(alice_client):
    response = alice_client.get("/team/member/BOB%00X/")
    assert response.status_code == 400


def test_a_nul_character_in_console_searches_is_a_400(frozen, settled, finance, support):
    search = support.get(reverse("web:console_distributors"), {"q": "Al\x00ice"})
    assert search.status_code == 400
    run = finance.get(reverse("web:console_run", args=[settled.august.pk]), {"q": "CA\x00"})
    assert run.status_code == 400


def test_a_nul_character_in_a_posted_form_is_a_400_and_nothing_is_written(team, finance):
    response = finance.post(
        reverse("web:console_adjustments"),
        {
            "member_id": "DAVE",
            "amount": "12.50",
            "currency": "EUR",
            "reason": "goodwill\x00",
            "reference": "T-1",
        },
    )
    assert response.status_code == 400
    assert not Adjustment.objects.exists()


def test_a_25_digit_adjustment_is_refused_at_its_field(team, finance):
    response = finance.post(
        reverse("web:console_adjustments"),
        {
            "member_id": "DAVE",
            "amount": "1234567890123456789012345",
            "currency": "EUR",
            "reason": "goodwill",
            "reference": "T-1",
        },
    )
    assert response.status_code == 400
    assert 'id="id_amount_error"' in response.text
    assert "10000000000.00 EUR" in response.text
    assert not Adjustment.objects.exists()


def test_a_25_digit_payout_minimum_is_refused_at_its_field(team, finance):
    response = finance.post(
        reverse("web:console_payouts"),
        {"currency": "EUR", "minimum": "1234567890123456789012345"},
    )
    assert response.status_code == 400
    assert 'id="id_minimum_error"' in response.text
    assert not PayoutBatch.objects.exists()
