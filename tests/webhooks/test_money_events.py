"""Events of the money side: a final run records who advanced in rank (once, above their
previous highest) and that it finished; previews and projections finish too; a paid batch
records one event per payout; a return after the close records its clawback."""

from __future__ import annotations

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.utils import timezone

from downline.compensation.runs import do_run_final, do_run_preview
from downline.core.events import (
    CLAWBACK_CREATED,
    ORDER_RETURNED,
    PAYOUT_SENT,
    RANK_ADVANCED,
    RUN_FINISHED,
)
from downline.core.models import Event
from downline.orders.actions import do_return_order
from downline.payouts.actions import (
    do_approve_payout_batch,
    do_create_payout_batch,
    do_mark_batch_paid,
)
from downline.payouts.models import PayoutProfile
from downline.periods.actions import do_ensure_period

from .conftest import at

NOW = at(2026, 11, 5)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def events(kind: str) -> list[Event]:
    return list(Event.objects.filter(kind=kind).order_by("tx", "id"))


def test_a_final_run_records_rank_advances_once_and_its_end(world):
    world.order("B", 3, at(2026, 9, 10))  # B: PV 37.50, GV 37.50 → Leader
    run = do_run_final(do_ensure_period("2026-09"))
    [advance] = events(RANK_ADVANCED)
    assert advance.member_id == world["B"].pk
    assert advance.payload == {
        "member": "B",
        "rank": "Leader",
        "rank_index": 1,
        "previous_rank": "Member",
        "previous_rank_index": 0,
        "period": "2026-09",
        "run": run.pk,
    }
    [finished] = events(RUN_FINISHED)
    assert finished.payload["run"] == run.pk
    assert finished.payload["run_kind"] == "final"
    assert finished.payload["total_paid"] == run.total_paid
    # Leader again in October is no advance: not above B's highest rank
    world.order("B", 3, at(2026, 10, 10))
    do_run_final(do_ensure_period("2026-10"))
    assert len(events(RANK_ADVANCED)) == 1
    assert len(events(RUN_FINISHED)) == 2


def test_a_preview_finishes_without_rank_events(world):
    world.order("B", 3, at(2026, 9, 10))
    run = do_run_preview(do_ensure_period("2026-09"))
    [finished] = events(RUN_FINISHED)
    assert finished.payload["run_kind"] == "preview"
    assert finished.payload["run"] == run.pk
    assert events(RANK_ADVANCED) == []


def test_a_return_after_the_close_records_the_return_then_the_clawback(world):
    order = world.order("B", 3, at(2026, 9, 10))
    do_run_final(do_ensure_period("2026-09"))
    refund = do_return_order(
        order, {order.lines.get(): 1}, refunded_at=timezone.now(), reason="damaged"
    )
    kinds = list(
        Event.objects.filter(kind__in=[ORDER_RETURNED, CLAWBACK_CREATED])
        .order_by("tx", "id")
        .values_list("kind", flat=True)
    )
    assert kinds == [ORDER_RETURNED, CLAWBACK_CREATED]
    [clawback] = events(CLAWBACK_CREATED)
    assert clawback.member_id == world["B"].pk
    assert clawback.payload["clawback"] == refund.clawback.pk
    assert clawback.payload["amount"] == refund.clawback.amount < 0
    assert clawback.payload["period"] == "2026-11"
    assert clawback.payload["original_period"] == "2026-09"


def test_a_paid_batch_records_one_event_per_payout(world, django_user_model):
    world.order("B", 3, at(2026, 9, 10))
    do_run_final(do_ensure_period("2026-09"))
    PayoutProfile.objects.create(
        distributor=world["B"],
        account_holder="Bea B",
        iban="DE89370400440532013000",
        bic="COBADEFFXXX",
        tax_id="DE123",
    )
    creator = django_user_model.objects.create(username="finance1", is_staff=True)
    approver = django_user_model.objects.create(username="finance2", is_staff=True)
    for login in (creator, approver):
        login.groups.add(Group.objects.get(name="finance"))
    batch = do_create_payout_batch("EUR", minimum=100, actor=creator)
    do_approve_payout_batch(batch, actor=approver)
    assert events(PAYOUT_SENT) == []  # approved is not sent
    do_mark_batch_paid(batch, actor=approver)
    sent = events(PAYOUT_SENT)
    payouts = {p.pk: p for p in batch.payouts.all()}
    assert {event.payload["payout"] for event in sent} == set(payouts)
    for event in sent:
        payout = payouts[event.payload["payout"]]
        assert event.member_id == payout.distributor_id
        assert event.payload["amount"] == payout.amount
        assert event.payload["batch"] == batch.pk
