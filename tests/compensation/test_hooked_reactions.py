"""Reactions that go through ``core.hooks``: the orders app claws back and the ledger check
reconciles commissions without importing compensation (DESIGN.md rule 11).

The clawback runs inside the return's transaction: when it fails, or when no app handles the
hook, the return is not written either. ``downline ledger check`` still reconciles final runs
with their postings through the compensation app's handler.
"""

from __future__ import annotations

import pytest
import time_machine
from django.utils import timezone

from downline.compensation.clawbacks import do_claw_back
from downline.compensation.models import Clawback, Run
from downline.compensation.runs import do_run_final
from downline.core import hooks
from downline.ledger.checks import violations
from downline.orders.actions import do_return_order
from downline.orders.models import Order

from .conftest import at

NOW = at(2026, 11, 5)  # September closed, November open: a return now is after September's close


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def settled(world):
    order = world.order("B", 3, at(2026, 9, 10))
    run = do_run_final(world.period("2026-09"))
    return order, run


def return_one(order: Order) -> Order:
    line = order.lines.get()
    return do_return_order(order, {line: 1}, refunded_at=timezone.now(), reason="damaged")


class ClawbackRefused(Exception):
    pass


def refuse(*, refund: Order) -> None:
    raise ClawbackRefused(f"no clawback for {refund.number}")


def test_a_return_after_close_is_clawed_back_through_the_hook(settled):
    order, _run = settled
    refund = return_one(order)
    clawback = Clawback.objects.get(return_order=refund)
    assert clawback.amount == -250  # A −1.00, R −1.00, B −0.50 (see test_clawbacks)
    assert violations() == []


def test_a_failing_clawback_leaves_no_return(settled):
    order, _run = settled
    hooks.RETURN_AFTER_CLOSE.register(refuse, key="test.refuse")
    try:
        with pytest.raises(ClawbackRefused):
            return_one(order)
    finally:
        hooks.RETURN_AFTER_CLOSE.unregister("test.refuse")
    assert not Order.objects.filter(returns_order=order).exists()
    assert not Clawback.objects.exists()
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_a_return_after_close_is_refused_when_no_app_claws_back(settled):
    order, _run = settled
    hooks.RETURN_AFTER_CLOSE.unregister("compensation.claw_back")
    try:
        with pytest.raises(hooks.HookError, match="return_after_close has no handler"):
            return_one(order)
    finally:
        hooks.RETURN_AFTER_CLOSE.register(do_claw_back, key="compensation.claw_back")
    assert not Order.objects.filter(returns_order=order).exists()


def test_ledger_check_names_a_final_run_that_does_not_reconcile(settled):
    _order, run = settled
    assert violations() == []
    Run.objects.filter(pk=run.pk).update(total_paid=run.total_paid + 1)
    found = violations()
    assert any(f"Final run #{run.pk} of 2026-09 paid {run.total_paid + 1}" in v for v in found)
