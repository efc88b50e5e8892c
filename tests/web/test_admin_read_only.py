"""Issue 11, finding 9: the Django admin no longer bypasses the actions.

Everything that moves money, structure or payout details is read-only in ``/admin/`` even for
a superuser with a confirmed second factor: the add and delete pages and every change POST
answer 403 and nothing changes; the change page shows the values read-only with a link to the
console. A plan is activated only by the console's action (which refuses a closed period); the
compliance hold on payouts is set and lifted only in the console, with a reason and a history.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from downline.compensation.models import Clawback, PlanActivation, PlanVersion, Run
from downline.genealogy.actions import do_change_sponsor
from downline.genealogy.models import Distributor, StructureEvent
from downline.ledger.actions import do_adjust_balance
from downline.ledger.models import Account, Adjustment, Transaction
from downline.orders.actions import do_create_autoship
from downline.orders.models import Autoship, Order, PeriodVolume
from downline.orders.volumes import fold_volume_changes
from downline.payouts.actions import do_create_payout_batch
from downline.payouts.details import do_seed_payout_details, do_set_compliance_hold
from downline.payouts.models import (
    ComplianceHoldChange,
    PayoutBatch,
    PayoutDetailsHistory,
    PayoutProfile,
)
from downline.periods.models import Period

from .conftest import PLAN, at, verified_staff

IBAN = "DE89370400440532013000"
OTHER_IBAN = "GB82WEST12345698765432"


@pytest.fixture
def world(settled, admin_user) -> dict[str, object]:
    """One row of every protected model, written through the actions."""
    team = settled.team
    do_seed_payout_details(
        [
            (team.bob, "Bob Brown", IBAN, "", "DE123", at(2026, 1, 6)),
            (team.alice, "Alice Adams", OTHER_IBAN, "", "DE456", at(2026, 1, 6)),
        ]
    )
    do_set_compliance_hold(team.bob, hold=True, reason="KYC review", actor=admin_user)
    autoship = do_create_autoship(team.carol, 15, [(team.product, 1)], "EUR", actor=admin_user)
    adjustment = do_adjust_balance(
        team.dave,
        100,
        currency="EUR",
        reason="goodwill",
        reference="T-1",
        actor=admin_user,
    )
    batch = do_create_payout_batch("EUR", minimum=1, actor=admin_user)
    event = do_change_sponsor(team.carol, team.alice, reason="asked", actor=admin_user)
    fold_volume_changes()  # what the worker's folder does within a second
    return {
        "distributor": team.bob,
        "structure event": event,
        "order": settled.carol_order,
        "period volume": PeriodVolume.objects.first(),
        "autoship": autoship,
        "plan version": PlanVersion.objects.get(pk=settled.version.pk),
        "plan activation": PlanActivation.objects.first(),
        "run": Run.objects.get(pk=settled.august.pk),
        "clawback": Clawback.objects.first(),
        "period": Period.objects.get(code="2026-08"),
        "ledger account": Account.objects.filter(distributor=team.dave).first(),
        "ledger transaction": Transaction.objects.first(),
        "adjustment": adjustment,
        "payout details": PayoutProfile.objects.get(distributor=team.bob),
        "payout details history": PayoutDetailsHistory.objects.first(),
        "compliance hold change": ComplianceHoldChange.objects.first(),
        "payout batch": batch,
    }


PROTECTED = [
    "distributor",
    "structure event",
    "order",
    "period volume",
    "autoship",
    "plan version",
    "plan activation",
    "run",
    "clawback",
    "period",
    "ledger account",
    "ledger transaction",
    "adjustment",
    "payout details",
    "payout details history",
    "compliance hold change",
    "payout batch",
]

# what an attacker would post on the change form of each model
TAMPER = {
    "distributor": {"status": "terminated", "name": "Mallory", "sponsor": "1"},
    "order": {"status": "cancelled"},
    "autoship": {"active": "", "day_of_month": "3"},
    "plan version": {"text": "garbage", "note": "x"},
    "plan activation": {"period": "1", "version": "1"},
    "period": {"status": "open"},
    "adjustment": {"amount": "99999999"},
    "payout details": {"iban": OTHER_IBAN, "tax_id": "EVIL", "compliance_hold": ""},
    "payout batch": {"status": "paid"},
}


def _state(obj) -> dict:
    fresh = type(obj).objects.get(pk=obj.pk)
    return {field.attname: getattr(fresh, field.attname) for field in fresh._meta.concrete_fields}


def _urls(obj) -> tuple[str, str, str, str]:
    prefix = f"admin:{obj._meta.app_label}_{obj._meta.model_name}"
    return (
        reverse(f"{prefix}_add"),
        reverse(f"{prefix}_change", args=[obj.pk]),
        reverse(f"{prefix}_delete", args=[obj.pk]),
        reverse(f"{prefix}_changelist"),
    )


@pytest.mark.parametrize("name", PROTECTED)
def test_a_superuser_cannot_add_change_or_delete_it_in_the_admin(admin_client, world, name):
    obj = world[name]
    model = type(obj)
    before, count = _state(obj), model.objects.count()
    add, change, delete, changelist = _urls(obj)

    assert admin_client.get(changelist).status_code == 200  # still there to look things up
    page = admin_client.get(change)
    assert page.status_code == 200
    assert 'name="_save"' not in page.text
    assert 'class="readonly"' in page.text

    assert admin_client.get(add).status_code == 403
    assert admin_client.post(add, TAMPER.get(name, {})).status_code == 403
    assert admin_client.post(change, TAMPER.get(name, {})).status_code == 403
    assert admin_client.get(delete).status_code == 403
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    admin_client.post(changelist, {"action": "delete_selected", "_selected_action": [obj.pk]})

    assert model.objects.count() == count
    assert _state(obj) == before


@pytest.mark.parametrize(
    ("name", "console_url"),
    [
        ("distributor", lambda w: reverse("web:console_distributor", args=["BOB"])),
        ("autoship", lambda w: reverse("web:console_autoships", args=["CAROL"])),
        ("payout details", lambda w: reverse("web:console_payout_profile", args=["BOB"])),
        ("period", lambda w: reverse("web:console_period", args=["2026-08"])),
        ("plan version", lambda w: reverse("web:console_plan", args=[w["plan version"].pk])),
        ("payout batch", lambda w: reverse("web:console_batch", args=[w["payout batch"].pk])),
    ],
)
def test_the_read_only_page_links_to_the_console(admin_client, world, name, console_url):
    page = admin_client.get(_urls(world[name])[1])
    assert console_url(world) in page.text
    assert "Change this in the console" in page.text


def test_the_payout_details_page_shows_no_full_iban(admin_client, world):
    page = admin_client.get(_urls(world["payout details"])[1])
    assert IBAN not in page.text
    assert "**** 3000" in page.text


def test_a_plan_for_a_closed_period_is_activated_nowhere_but_the_console_which_refuses(
    admin_client, settled
):
    """The old admin stored an activation for a closed period; now only the action can, and
    it refuses."""
    september = Period.objects.get(code="2026-09")
    assert september.status == Period.Status.CLOSED
    newer = settled.version  # the console stores a new version first
    response = admin_client.post(
        reverse("admin:compensation_planactivation_add"),
        {"period": september.pk, "version": newer.pk},
    )
    assert response.status_code == 403
    assert not PlanActivation.objects.filter(period=september).exists()

    admin = Client()
    verified_staff(admin, "ada", "admin")
    stored = admin.post(
        reverse("web:console_plans"), {"text": PLAN.read_text(encoding="utf-8"), "note": "v2"}
    )
    assert stored.status_code == 302
    version = PlanVersion.objects.exclude(pk=newer.pk).get()
    refused = admin.post(
        reverse("web:console_plan", args=[version.pk]), {"activate": "1", "period": "2026-09"}
    )
    assert refused.status_code == 400
    assert "Period 2026-09 is closed; its plan can no longer change." in refused.text
    assert not PlanActivation.objects.filter(period=september).exists()


def test_payout_details_change_only_in_the_console_with_history(admin_client, settled):
    """IBAN, tax id and the compliance hold cannot be typed into the admin; the console sets
    the hold with a reason and keeps who, when and why."""
    bob = settled.team.bob
    do_seed_payout_details([(bob, "Bob Brown", IBAN, "", "DE123", at(2026, 1, 6))])
    profile = PayoutProfile.objects.get(distributor=bob)
    history = PayoutDetailsHistory.objects.count()
    response = admin_client.post(
        reverse("admin:payouts_payoutprofile_change", args=[profile.pk]),
        {"iban": OTHER_IBAN, "tax_id": "EVIL", "compliance_hold": "on", "distributor": bob.pk},
    )
    assert response.status_code == 403
    profile.refresh_from_db()
    assert (profile.iban, profile.tax_id, profile.compliance_hold) == (IBAN, "DE123", False)
    assert PayoutDetailsHistory.objects.count() == history

    finance = Client()
    user = verified_staff(finance, "fin", "finance")
    url = reverse("web:console_payout_profile", args=["BOB"])
    assert finance.get(url).status_code == 200
    no_reason = finance.post(url, {"reason": ""})
    assert no_reason.status_code == 400
    assert "This field is required." in no_reason.text
    assert not PayoutProfile.objects.get(pk=profile.pk).compliance_hold

    assert finance.post(url, {"reason": "Income claims under review"}).status_code == 302
    profile.refresh_from_db()
    assert (profile.compliance_hold, profile.compliance_note) == (
        True,
        "Income claims under review",
    )
    assert profile.iban == IBAN
    assert finance.post(url, {"reason": "Review closed"}).status_code == 302
    profile.refresh_from_db()
    assert not profile.compliance_hold
    rows = list(ComplianceHoldChange.objects.filter(distributor=bob).order_by("id"))
    assert [(r.hold, r.reason, r.changed_by) for r in rows] == [
        (True, "Income claims under review", user),
        (False, "Review closed", user),
    ]
    page = finance.get(url).text
    assert "Income claims under review" in page
    assert IBAN not in page


def test_nobody_holds_or_frees_their_own_payouts(settled):
    """A finance login that is also a distributor cannot lift its own compliance hold."""
    alice = Distributor.objects.get(member_id="ALICE")
    client = Client()
    user = verified_staff(client, "fin", "finance")
    Distributor.objects.filter(pk=alice.pk).update(user=user)
    response = client.post(
        reverse("web:console_payout_profile", args=["ALICE"]), {"reason": "mine"}
    )
    assert response.status_code == 400
    assert "You cannot set or lift the compliance hold on your own payouts." in response.text
    assert not ComplianceHoldChange.objects.exists()


def test_support_staff_cannot_touch_the_compliance_hold(settled):
    client = Client()
    verified_staff(client, "sue", "support")
    url = reverse("web:console_payout_profile", args=["BOB"])
    assert client.post(url, {"reason": "x"}).status_code == 403
    assert not ComplianceHoldChange.objects.exists()


def test_a_held_member_is_held_in_the_next_batch_with_the_reason(settled, admin_user):
    bob = settled.team.bob
    do_seed_payout_details(
        [
            (bob, "Bob Brown", IBAN, "", "DE123", at(2026, 1, 6)),
            (settled.team.alice, "Alice Adams", OTHER_IBAN, "", "DE456", at(2026, 1, 6)),
        ]
    )
    do_set_compliance_hold(bob, hold=True, reason="KYC review", actor=admin_user)
    batch = do_create_payout_batch("EUR", minimum=1, actor=admin_user)
    hold = batch.holds.get(distributor=bob)
    assert (hold.reason, hold.detail) == ("compliance", "KYC review")
    assert not batch.payouts.filter(distributor=bob).exists()


def test_structure_event_and_order_history_stay_unchanged(admin_client, world):
    """Bulk actions that wrote through the admin are gone (reverse events, cancel autoships)."""
    event = world["structure event"]
    admin_client.post(
        reverse("admin:genealogy_structureevent_changelist"),
        {"action": "reverse_events", "_selected_action": [event.pk], "apply": "1", "reason": "x"},
    )
    admin_client.post(
        reverse("admin:orders_autoship_changelist"),
        {"action": "cancel_autoships", "_selected_action": [world["autoship"].pk]},
    )
    assert not StructureEvent.objects.filter(reverses=event).exists()
    assert Autoship.objects.get(pk=world["autoship"].pk).active
    assert Order.objects.filter(pk=world["order"].pk).exists()
    assert Adjustment.objects.count() == 1
    assert PayoutBatch.objects.count() == 1
