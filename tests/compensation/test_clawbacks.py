"""Returns after the close: clawbacks with matching, netting of a negative balance.

September (see test_runs): B's order of 3 shakes pays A 3.00 (unilevel), R 1.50 (unilevel) +
1.50 (matching on A), B 1.50 (personal) + 100.00 (advancement). In November B returns 1 of the 3
shakes (f = CV 10.00 / 30.00 = 1/3):

* unilevel: A −1.00, R −0.50; personal: B −0.50 (10.00 of B's CV 30.00);
* matching: R's 50% of A's clawed −1.00 = −0.50;
* advancement is not clawed back: September's ranks stand.

Total −2.50: A −1.00, R −1.00, B −0.50.
"""

from __future__ import annotations

import pytest
import time_machine
from django.utils import timezone

from downline.compensation.models import Clawback, CommissionLine, RunResult
from downline.compensation.runs import do_run_final
from downline.ledger.checks import violations
from downline.ledger.selectors import balance
from downline.orders.actions import do_return_order
from downline.orders.models import PeriodVolume
from downline.payouts.actions import (
    PayoutError,
    do_approve_payout_batch,
    do_create_payout_batch,
    do_mark_batch_paid,
)
from downline.payouts.models import PayoutProfile

from .conftest import at

# "Now" in these tests: 5 November 2026. September and October have ended, November is open,
# and a return "now" is a return in November.
NOW = at(2026, 11, 5)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def settled(world):
    order = world.order("B", 3, at(2026, 9, 10))
    run = do_run_final(world.period("2026-09"))
    return world, order, run


def return_one(order, when=None):
    line = order.lines.get()
    return do_return_order(order, {line: 1}, refunded_at=when or timezone.now(), reason="damaged")


def test_a_return_after_the_close_claws_back_with_matching(settled):
    world, order, run = settled
    refund = return_one(order)
    assert refund.after_close
    clawback = Clawback.objects.get(return_order=refund)
    assert clawback.original_run == run
    assert clawback.amount == -250
    lines = {
        (line.bonus, line.recipient_id): line.amount
        for line in CommissionLine.objects.filter(clawback=clawback)
    }
    assert lines == {
        (0, world["A"].pk): -100,
        (0, world["R"].pk): -50,
        (1, world["B"].pk): -50,
        (2, world["R"].pk): -50,
    }
    assert all(
        line.period_id == refund.period_id and line.source_order_id == order.pk
        for line in CommissionLine.objects.filter(clawback=clawback)
    )
    assert balance(world["A"], "EUR").net == 200
    assert balance(world["R"], "EUR").net == 200
    assert balance(world["B"], "EUR").net == 10100
    # the closed period does not change: its results, and no volume moves in the open period
    assert RunResult.objects.get(run=run, distributor=world["B"]).paid_as_rank == 1
    assert not PeriodVolume.objects.filter(period_id=refund.period_id).exists()
    assert violations() == []


def test_a_return_before_any_final_has_no_clawback(world):
    order = world.order("B", 3, at(2026, 9, 10))
    refund = return_one(order, at(2026, 9, 20))
    assert not refund.after_close
    assert not Clawback.objects.exists()


def test_a_negative_balance_is_carried_and_netted_later(settled, django_user_model):
    world, order, _run = settled
    # A is paid out in full, then the return takes 1.00 that A no longer has
    PayoutProfile.objects.create(
        distributor=world["A"],
        account_holder="Anna A",
        iban="DE89370400440532013000",
        bic="COBADEFFXXX",
        tax_id="DE123",
    )
    from django.contrib.auth.models import Group

    creator = django_user_model.objects.create(username="finance1", is_staff=True)
    approver = django_user_model.objects.create(username="finance2", is_staff=True)
    for login in (creator, approver):
        login.groups.add(Group.objects.get(name="finance"))
    batch = do_create_payout_batch("EUR", minimum=100, actor=creator)
    assert {p.distributor_id for p in batch.payouts.all()} == {world["A"].pk}
    do_approve_payout_batch(batch, actor=approver)
    do_mark_batch_paid(batch, actor=approver)
    assert balance(world["A"], "EUR").net == 0
    return_one(order)
    assert balance(world["A"], "EUR").owed == 100
    assert balance(world["A"], "EUR").net == -100
    with pytest.raises(PayoutError, match="negative balance: 1"):  # nobody else to pay
        do_create_payout_batch("EUR", minimum=100, actor=creator)
    # October: C buys 1 shake (CV 10.00): A earns 1.00 unilevel, which repays the debt first
    world.order("C", 1, at(2026, 10, 10))
    do_run_final(world.period("2026-10"))
    assert balance(world["A"], "EUR").owed == 0
    assert balance(world["A"], "EUR").net == 0
    assert violations() == []
