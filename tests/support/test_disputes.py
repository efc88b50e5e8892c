"""Commission disputes: evidence from the line or the trace, the counterfactual, and the
resolution through the ledger's adjustment (four eyes) or a rejection."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from downline.accounts.actions import do_create_user
from downline.core.models import Event
from downline.ledger.models import Adjustment, AdjustmentRequest
from downline.support.actions import (
    SupportError,
    do_approve_dispute_adjustment,
    do_open_dispute,
    do_reject_dispute,
    do_resolve_dispute_with_adjustment,
)
from downline.support.evidence import lines_of
from downline.support.models import Dispute, Ticket
from downline.support.selectors import dispute_figures

from .conftest import PASSWORD, PLAN, at, verified_staff


def _finance(username: str, role: str = "finance"):
    user = do_create_user(username, password=PASSWORD, email=f"{username}@example.com", staff=True)
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


@pytest.fixture
def inactive_bob(team):
    """A plan where activity needs 10 PV: in August BOB (no own order) is inactive, so CAROL's
    order pays him no unilevel line (it would have paid 10% of CV 40 = 4.00 EUR)."""
    from downline.compensation.plans import do_activate_plan_version, do_create_plan_version
    from downline.compensation.runs import do_run_final
    from downline.orders.actions import do_place_order
    from downline.periods.actions import do_ensure_period

    text = PLAN.read_text(encoding="utf-8").replace(
        "activity: {pv_at_least: 0}", "activity: {pv_at_least: 10}"
    )
    version = do_create_plan_version(text)
    do_activate_plan_version(version, do_ensure_period("2026-08"))
    order = do_place_order(team.carol, [(team.product, 2)], "EUR", paid_at=at(2026, 8, 10))
    run = do_run_final(do_ensure_period("2026-08"))
    return order, run


def test_line_dispute_attaches_source_and_figures(settled):
    alice = settled.team.alice
    lines = lines_of(alice, settled.august)
    line_id = next(i for i, found in lines if found["bonus"] == "unilevel")
    dispute = do_open_dispute(alice, line_id=line_id, message="I expected level 1")
    assert dispute.kind == "line"
    assert dispute.period.code == "2026-08"
    assert dispute.bonus == "unilevel"
    assert dispute.level == 2
    assert dispute.source == settled.team.carol
    assert dispute.order == settled.carol_order
    assert (dispute.base, dispute.rate_num, dispute.rate_den, dispute.paid) == (4000, 1, 20, 200)
    assert dispute.counterfactual == 200
    assert dispute.cause == "bonus:unilevel"
    assert dispute.ticket.category == "dispute"
    assert dispute.ticket.assignee_group == "finance"
    assert dispute.ticket.line_ref == line_id
    event = Event.objects.get(kind="dispute.opened")
    assert event.payload["dispute_id"] == dispute.pk
    assert event.member_id == alice.pk
    with pytest.raises(SupportError, match="already"):
        do_open_dispute(alice, line_id=line_id)


def test_someone_elses_line_is_refused(settled):
    alice_line = lines_of(settled.team.alice, settled.august)[0][0]
    with pytest.raises(SupportError) as error:
        do_open_dispute(settled.team.dave, line_id=alice_line)
    assert error.value.field == "line"


def test_order_dispute_finds_the_failed_condition_and_counterfactual(inactive_bob, team):
    order, _run = inactive_bob
    dispute = do_open_dispute(team.bob, order_id=order.number)
    assert dispute.kind == "order"
    assert dispute.paid == 0
    assert dispute.bonus == "unilevel"
    assert dispute.level == 1
    assert dispute.cause == "activity:pv"
    assert dispute.counterfactual == 400  # CV 40.00 × 10 % = 4.00 EUR
    assert dispute.evidence["active"] is False


def test_order_outside_the_team_is_refused(inactive_bob, team):
    order, _run = inactive_bob
    with pytest.raises(SupportError, match="not in your team"):
        do_open_dispute(team.dave, order_id=order.number)


def test_adjustment_below_the_limit_posts_and_points_both_ways(inactive_bob, team):
    order, _run = inactive_bob
    dispute = do_open_dispute(team.bob, order_id=order.number)
    fiona = _finance("fiona")
    resolved = do_resolve_dispute_with_adjustment(
        dispute, fiona, amount=400, reason="Goodwill: activity rule explained"
    )
    assert resolved.status == Dispute.Status.ADJUSTED
    adjustment = Adjustment.objects.get(pk=resolved.adjustment_id)
    assert adjustment.distributor == team.bob
    assert adjustment.amount == 400
    assert adjustment.reference == f"dispute {dispute.reference}"
    assert adjustment.transaction.memo_params["reference"] == f"dispute {dispute.reference}"
    event = Event.objects.get(kind="dispute.resolved")
    assert event.payload == {
        "dispute_id": dispute.pk,
        "outcome": "adjusted",
        "adjustment_id": adjustment.pk,
        "amount": 400,
    }
    ticket = Ticket.objects.get(pk=dispute.ticket_id)
    assert ticket.status == Ticket.Status.RESOLVED
    assert ticket.messages.filter(from_staff=True, kind="public").exists()


def test_adjustment_above_the_limit_needs_a_second_person(inactive_bob, team, settings):
    settings.DOWNLINE_ADJUSTMENT_APPROVAL_LIMIT = 100
    order, _run = inactive_bob
    dispute = do_open_dispute(team.bob, order_id=order.number)
    fiona, admin = _finance("fiona"), _finance("boss", "admin")
    pending = do_resolve_dispute_with_adjustment(dispute, fiona, amount=400, reason="Missed line")
    assert pending.status == Dispute.Status.PENDING_APPROVAL
    assert pending.adjustment_request.status == AdjustmentRequest.Status.PENDING
    assert not Adjustment.objects.exists()
    with pytest.raises(SupportError):
        do_approve_dispute_adjustment(pending, fiona)  # not the same person
    done = do_approve_dispute_adjustment(pending, admin)
    assert done.status == Dispute.Status.ADJUSTED
    assert done.adjustment.amount == 400
    assert done.adjustment.request.decided_by == admin


def test_rejection_needs_a_reason_and_figures_count_causes(inactive_bob, team):
    order, _run = inactive_bob
    dispute = do_open_dispute(team.bob, order_id=order.number)
    fiona = _finance("fiona")
    with pytest.raises(SupportError):
        do_reject_dispute(dispute, fiona, reason=" ")
    rejected = do_reject_dispute(
        dispute, fiona, reason="Bob had no own order; activity needs 10 PV."
    )
    assert rejected.status == Dispute.Status.REJECTED
    figures = dispute_figures()
    causes = dict(figures["causes"])
    assert causes["activity:pv"]["rejected"] == 1


def test_dispute_pages_for_member_and_finance(client, inactive_bob, team, settings):
    settings.DOWNLINE_ADJUSTMENT_APPROVAL_LIMIT = 100
    order, _run = inactive_bob
    bob_user = do_create_user("bob", password=PASSWORD, email="bob@example.com")
    team.bob.user = bob_user
    team.bob.save(update_fields=["user"])
    client.force_login(bob_user)
    page = client.get(f"/support/disputes/new/?order={order.number}")
    assert page.status_code == 200
    assert "4.00" in page.content.decode() or "4,00" in page.content.decode()
    assert b"activity:pv" in page.content
    response = client.post("/support/disputes/new/", {"order": order.number, "message": "Why?"})
    dispute = Dispute.objects.get()
    assert response.status_code == 302
    assert response.url == f"/support/disputes/{dispute.pk}/"
    assert client.get(response.url).status_code == 200
    client.force_login(team.alice_user)
    assert client.get(f"/support/disputes/{dispute.pk}/").status_code == 404

    fiona = verified_staff(client, "fiona", "finance")
    assert client.get("/console/support/disputes/").status_code == 200
    client.post(
        f"/console/support/disputes/{dispute.pk}/",
        {"decision": "adjust", "amount": "4.00", "reason": "Missed line"},
    )
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.PENDING_APPROVAL
    verified_staff(client, "admin2", "admin")
    client.post(f"/console/support/disputes/{dispute.pk}/", {"decision": "approve"})
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.ADJUSTED
    assert dispute.adjustment.amount == 400
    assert dispute.adjustment.request.requested_by == fiona
    client.force_login(bob_user)
    page = client.get(f"/support/disputes/{dispute.pk}/")
    assert b'data-testid="dispute-outcome"' in page.content
