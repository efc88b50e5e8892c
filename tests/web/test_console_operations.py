"""The console operations that moved out of the (now read-only) admin: enrolment, contact
details, sponsor or placement alone, upgrade, reversal, autoships, period close and reopen.

Each runs its action with the staff member as actor; a refusal is shown on the form with status
400 and nothing is written; roles decide who may do what.
"""

from __future__ import annotations

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from downline.genealogy.models import Distributor, StructureEvent
from downline.orders.models import Autoship
from downline.periods.actions import do_ensure_period
from downline.periods.models import Period, PeriodEvent
from downline.web.models import Note

from .conftest import at, verified_staff


@pytest.fixture
def support(team):
    client = Client()
    client.user = verified_staff(client, "sue", "support")
    return client


@pytest.fixture
def finance(team):
    client = Client()
    client.user = verified_staff(client, "fin", "finance")
    return client


def _member(member_id: str) -> Distributor:
    return Distributor.objects.select_related("sponsor", "placement_parent").get(
        member_id=member_id
    )


def test_enroll_a_member_under_a_sponsor(support):
    response = support.post(
        reverse("web:console_enroll"),
        {
            "member_id": "ERIN",
            "kind": "distributor",
            "name": "Erin East",
            "sponsor": "DAVE",
            "joined_on": "2026-02-01",
            "status": "active",
            "language": "en",
            "currency": "EUR",
            "reason": "paper application",
        },
    )
    assert response.status_code == 302
    erin = _member("ERIN")
    assert erin.sponsor.member_id == "DAVE"
    event = StructureEvent.objects.get(distributor=erin)
    assert (event.kind, event.actor, event.reason) == (
        "enrolled",
        support.user,
        "paper application",
    )


def test_enrolling_under_an_unknown_or_customer_sponsor_is_refused_on_the_form(support):
    url = reverse("web:console_enroll")
    data = {
        "member_id": "ERIN",
        "kind": "distributor",
        "joined_on": "2026-02-01",
        "status": "active",
        "language": "en",
        "currency": "EUR",
    }
    unknown = support.post(url, {**data, "sponsor": "NOBODY"})
    assert unknown.status_code == 400
    assert "No member has the id NOBODY." in unknown.text
    customer = support.post(url, {**data, "sponsor": "CUST-A"})
    assert customer.status_code == 400
    assert "is a retail customer and cannot sponsor ERIN" in customer.text
    assert not Distributor.objects.filter(member_id="ERIN").exists()


def test_contact_details_change_and_the_change_is_noted(support):
    url = reverse("web:console_distributor_details", args=["BOB"])
    page = support.get(url)
    assert 'value="Bob Brown"' in page.text
    response = support.post(
        url,
        {"name": "Robert Brown", "email": "rob@example.com", "language": "de", "currency": "EUR"},
    )
    assert response.status_code == 302
    bob = _member("BOB")
    assert (bob.name, bob.email, bob.language) == ("Robert Brown", "rob@example.com", "de")
    note = Note.objects.get(distributor=bob)
    assert note.author == support.user
    assert "name: Bob Brown → Robert Brown" in note.text


def test_the_sponsor_alone_changes_with_a_reason(support):
    with time_machine.travel(at(2026, 3, 1), tick=False):
        response = support.post(
            reverse("web:console_distributor_sponsor", args=["CAROL"]),
            {"sponsor": "ALICE", "reason": "recruited by Alice"},
        )
    assert response.status_code == 302
    carol = _member("CAROL")
    assert carol.sponsor.member_id == "ALICE"
    event = StructureEvent.objects.filter(distributor=carol).latest("id")
    assert (event.kind, event.actor, event.reason) == (
        StructureEvent.Kind.SPONSOR_CHANGED,
        support.user,
        "recruited by Alice",
    )


def test_a_move_under_ones_own_downline_is_refused_and_nothing_changes(support):
    events = StructureEvent.objects.count()
    with time_machine.travel(at(2026, 3, 1), tick=False):
        response = support.post(
            reverse("web:console_distributor_sponsor", args=["ALICE"]),
            {"sponsor": "CAROL", "reason": "a mistake"},
        )
    assert response.status_code == 400
    assert "cannot be moved under their own downline" in response.text
    assert 'class="form-errors"' in response.text
    assert _member("ALICE").sponsor.member_id == "ROOT"
    assert StructureEvent.objects.count() == events


def test_the_placement_alone_changes(support):
    with time_machine.travel(at(2026, 3, 1), tick=False):
        response = support.post(
            reverse("web:console_distributor_placement", args=["CAROL"]),
            {"placement_parent": "BOB", "position": "2", "reason": "balance the legs"},
        )
    assert response.status_code == 302, response.content[:2000]
    carol = _member("CAROL")
    assert (carol.placement_parent.member_id, carol.placement_position) == ("BOB", 2)
    assert carol.sponsor.member_id == "BOB"


def test_a_customer_is_upgraded_and_a_change_is_reversed(support):
    with time_machine.travel(at(2026, 3, 1), tick=False):
        upgraded = support.post(
            reverse("web:console_distributor_upgrade", args=["CUST-A"]), {"reason": "joined"}
        )
        assert upgraded.status_code == 302
        assert _member("CUST-A").kind == Distributor.Kind.DISTRIBUTOR
        moved = support.post(
            reverse("web:console_distributor_sponsor", args=["CAROL"]),
            {"sponsor": "ALICE", "reason": "wrong"},
        )
        assert moved.status_code == 302
        event = StructureEvent.objects.filter(distributor__member_id="CAROL").latest("id")
    with time_machine.travel(at(2026, 3, 2), tick=False):
        page = support.get(reverse("web:console_distributor", args=["CAROL"]))
        reverse_url = reverse("web:console_event_reverse", args=["CAROL", event.pk])
        assert reverse_url in page.text
        assert support.post(reverse_url, {"reason": ""}).status_code == 400
        assert support.post(reverse_url, {"reason": "entered by mistake"}).status_code == 302
    assert _member("CAROL").sponsor.member_id == "BOB"
    assert StructureEvent.objects.get(reverses=event).reason == "entered by mistake"


def test_autoships_are_created_and_cancelled_in_the_console(support, team):
    url = reverse("web:console_autoships", args=["BOB"])
    bad = support.post(url, {"day_of_month": "5", "currency": "EUR", "items": "NOPE 1\nTEA-1 x"})
    assert bad.status_code == 400
    assert "Line 1: no product has the SKU NOPE." in bad.text
    assert "Line 2: write the SKU and the quantity" in bad.text
    no_price = support.post(url, {"day_of_month": "5", "currency": "USD", "items": "TEA-1 2"})
    assert no_price.status_code == 400
    assert "no price in USD" in no_price.text
    assert not Autoship.objects.exists()

    with time_machine.travel(at(2026, 3, 1), tick=False):
        created = support.post(url, {"day_of_month": "5", "currency": "eur", "items": "TEA-1 2"})
    assert created.status_code == 302
    autoship = Autoship.objects.get()
    assert (autoship.distributor, autoship.day_of_month, autoship.currency) == (team.bob, 5, "EUR")
    assert [(i.product.sku, i.quantity) for i in autoship.items.all()] == [("TEA-1", 2)]
    assert autoship.created_by == support.user

    cancel = reverse("web:console_autoship_cancel", args=["BOB", autoship.pk])
    assert support.post(cancel).status_code == 302
    autoship.refresh_from_db()
    assert (autoship.active, autoship.cancelled_by) == (False, support.user)


def test_a_period_is_closed_and_reopened_with_a_reason(finance):
    march = do_ensure_period("2026-03")
    url = reverse("web:console_period", args=["2026-03"])
    with time_machine.travel(at(2026, 4, 2), tick=False):
        assert finance.post(url, {"reason": ""}).status_code == 400
        assert finance.post(url, {"reason": "month end"}).status_code == 302
        march.refresh_from_db()
        assert (march.status, march.closed_by) == (Period.Status.CLOSED, finance.user)
        assert finance.post(url, {"reason": "late order"}).status_code == 302
    march.refresh_from_db()
    assert march.status == Period.Status.OPEN
    events = PeriodEvent.objects.filter(period=march).order_by("id")
    assert [(e.kind, e.reason, e.actor) for e in events] == [
        ("closed", "month end", finance.user),
        ("reopened", "late order", finance.user),
    ]


def test_a_period_that_has_not_ended_is_not_closed(finance):
    with time_machine.travel(at(2026, 3, 10), tick=False):
        do_ensure_period("2026-03")
        response = finance.post(
            reverse("web:console_period", args=["2026-03"]), {"reason": "too early"}
        )
    assert response.status_code == 400
    assert "Period 2026-03 has not ended yet" in response.text
    assert Period.objects.get(code="2026-03").status == Period.Status.OPEN


def test_roles_decide_who_may_do_what(support, finance):
    do_ensure_period("2026-03")
    assert (
        support.post(reverse("web:console_period", args=["2026-03"]), {"reason": "x"}).status_code
        == 403
    )
    assert finance.get(reverse("web:console_enroll")).status_code == 403
    assert finance.get(reverse("web:console_autoships", args=["BOB"])).status_code == 403
    assert (
        finance.post(
            reverse("web:console_distributor_sponsor", args=["CAROL"]),
            {"sponsor": "ALICE", "reason": "x"},
        ).status_code
        == 403
    )
    assert _member("CAROL").sponsor.member_id == "BOB"
    anonymous = Client()
    assert anonymous.get(reverse("web:console_enroll")).status_code in (302, 404)
