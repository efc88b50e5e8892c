"""Returns (partial, full, too many) and cancellations, and the volumes they take back."""

from __future__ import annotations

import pytest

from downline.orders.actions import do_cancel_order, do_place_order, do_return_order
from downline.orders.errors import OrderError
from downline.orders.models import Order, OrderLine, PeriodVolume
from downline.orders.selectors import (
    VolumeRow,
    compare_period_volumes,
    member_period_volumes,
    returnable_quantities,
)
from downline.periods.actions import do_close_period
from downline.periods.models import Period

from .conftest import at

JUNE = at(2025, 6, 10)
LATER_IN_JUNE = at(2025, 6, 20)
JULY = at(2025, 7, 5)


def volumes(member, code="2025-06") -> VolumeRow:
    return member_period_volumes(member, Period.objects.get(code=code))


@pytest.fixture
def order(tree, shake, kit) -> Order:
    """C buys 3 shakes (3750 PV, 3000 CV) and a kit (5000 PV, 2500 CV) in June 2025."""
    return do_place_order(tree["C"], [(shake, 3), (kit, 1)], "EUR", paid_at=JUNE)


def lines_of(order: Order) -> tuple[OrderLine, OrderLine]:
    shake_line, kit_line = order.lines.order_by("id")
    return shake_line, kit_line


def test_a_partial_return_takes_back_the_returned_units_only(tree, order):
    shake_line, _kit_line = lines_of(order)

    refund = do_return_order(
        order, {shake_line: 2}, refunded_at=LATER_IN_JUNE, reason="Damaged in transit"
    )

    assert refund.returns_order == order
    assert refund.status == Order.Status.REFUNDED
    assert (refund.amount, refund.pv, refund.cv) == (2 * 4990, 2500, 2000)
    assert refund.number == f"{order.number}-R1"
    assert refund.period.code == "2025-06"
    [refund_line] = refund.lines.all()
    assert (refund_line.returns_line, refund_line.quantity) == (shake_line, 2)
    order.refresh_from_db()
    assert order.status == Order.Status.PARTLY_RETURNED
    assert volumes(tree["C"]).pv == 3750 + 5000 - 2500
    for upline in ("A", "R"):
        assert volumes(tree[upline]).group_pv == 6250
    for upline in ("B", "A", "R"):
        assert volumes(tree[upline]).placement_group_cv == 5500 - 2000
    assert returnable_quantities(order) == {shake_line.pk: 1, lines_of(order)[1].pk: 1}
    assert compare_period_volumes(order.period) == []


def test_returning_what_is_left_returns_the_order_in_full(tree, order):
    shake_line, _kit_line = lines_of(order)
    do_return_order(order, {shake_line: 1}, refunded_at=LATER_IN_JUNE, reason="Changed mind")

    rest = do_return_order(order, None, refunded_at=LATER_IN_JUNE, reason="Changed mind")

    assert rest.number == f"{order.number}-R2"
    assert {(line.sku, line.quantity) for line in rest.lines.all()} == {
        ("SHAKE-1", 2),
        ("KIT-1", 1),
    }
    order.refresh_from_db()
    assert order.status == Order.Status.RETURNED
    for member in ("C", "A", "R", "B"):
        assert volumes(tree[member]) == VolumeRow()
    with pytest.raises(OrderError, match="returned in full already; nothing is left"):
        do_return_order(order, None, refunded_at=LATER_IN_JUNE, reason="Again")


def test_returning_more_than_is_left_is_refused_and_writes_nothing(tree, order):
    shake_line, _kit_line = lines_of(order)
    do_return_order(order, {shake_line: 2}, refunded_at=LATER_IN_JUNE, reason="Damaged")
    before = list(PeriodVolume.objects.order_by("id").values())

    with pytest.raises(
        OrderError,
        match=rf"Order {order.number}, line SHAKE-1: 2 asked to be returned but only 1 of 3",
    ):
        do_return_order(order, {shake_line: 2}, refunded_at=LATER_IN_JUNE, reason="Damaged")

    assert Order.objects.filter(returns_order=order).count() == 1
    assert list(PeriodVolume.objects.order_by("id").values()) == before
    order.refresh_from_db()
    assert order.status == Order.Status.PARTLY_RETURNED


def test_a_line_of_another_order_is_refused(tree, order, shake):
    other = do_place_order(tree["A"], [(shake, 1)], "EUR", paid_at=JUNE)
    [other_line] = other.lines.all()
    with pytest.raises(OrderError, match=rf"is not a line of order {order.number}"):
        do_return_order(order, {other_line: 1}, refunded_at=LATER_IN_JUNE, reason="Mixed up")


def test_a_return_after_the_period_closed_keeps_its_volume_with_that_period(tree, order):
    """The closed period's volumes never change, and the open period's do not move either: the
    return's commissions are clawed back instead (tests/compensation/test_clawbacks.py)."""
    june = Period.objects.get(code="2025-06")
    june_before = {member: volumes(tree[member]) for member in ("R", "A", "B", "C", "D")}
    do_close_period(june)

    refund = do_return_order(order, None, refunded_at=JULY, reason="Guarantee")

    assert refund.period.code == "2025-07"
    assert refund.after_close
    assert {member: volumes(tree[member]) for member in june_before} == june_before
    assert volumes(tree["C"], "2025-07") == VolumeRow()
    assert compare_period_volumes(refund.period) == []
    order.refresh_from_db()
    assert order.status == Order.Status.RETURNED


def test_a_refund_into_a_closed_period_is_refused(tree, order):
    do_close_period(Period.objects.get(code="2025-06"))
    with pytest.raises(OrderError, match="Period 2025-06 is closed; a return of order"):
        do_return_order(order, None, refunded_at=LATER_IN_JUNE, reason="Late paperwork")
    assert not Order.objects.filter(returns_order=order).exists()


def test_a_refund_before_the_payment_is_refused(tree, order):
    with pytest.raises(OrderError, match="before it was paid"):
        do_return_order(order, None, refunded_at=at(2025, 6, 1), reason="Clock skew")


def test_a_return_needs_a_reason(tree, order):
    with pytest.raises(OrderError, match="Give a reason"):
        do_return_order(order, None, refunded_at=LATER_IN_JUNE, reason="  ")


def test_a_customer_return_takes_back_customer_volume(tree, shake):
    order = do_place_order(tree["K"], [(shake, 2)], "EUR", paid_at=JUNE)
    do_return_order(order, None, refunded_at=LATER_IN_JUNE, reason="Allergy")
    assert volumes(tree["D"]) == VolumeRow()


def test_cancelling_reverses_the_order_in_its_own_period(tree, order):
    cancelled = do_cancel_order(order, reason="Payment charged back")

    assert cancelled.status == Order.Status.CANCELLED
    assert cancelled.reason == "Payment charged back"
    assert cancelled.cancelled_at is not None
    for member in ("C", "A", "R", "B"):
        assert volumes(tree[member]) == VolumeRow()
    assert compare_period_volumes(order.period) == []
    with pytest.raises(OrderError, match="is cancelled already"):
        do_cancel_order(order, reason="Twice")
    with pytest.raises(OrderError, match="is cancelled; there is nothing to return"):
        do_return_order(order, None, refunded_at=LATER_IN_JUNE, reason="After cancel")


def test_an_order_with_returns_cannot_be_cancelled(tree, order):
    shake_line, _ = lines_of(order)
    refund = do_return_order(order, {shake_line: 1}, refunded_at=LATER_IN_JUNE, reason="Broken")
    with pytest.raises(OrderError, match="has returns and cannot be cancelled"):
        do_cancel_order(order, reason="Fraud")
    with pytest.raises(OrderError, match="is a return; a return cannot be cancelled"):
        do_cancel_order(refund, reason="Fraud")
    with pytest.raises(OrderError, match="is itself a return and cannot be returned"):
        do_return_order(refund, None, refunded_at=LATER_IN_JUNE, reason="Loop")


def test_an_order_in_a_closed_period_cannot_be_cancelled(tree, order):
    do_close_period(Period.objects.get(code="2025-06"))
    with pytest.raises(OrderError, match=rf"Period 2025-06 of order {order.number} is closed"):
        do_cancel_order(order, reason="Too late")
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_a_return_with_an_idempotency_key_is_written_once(tree, order, shake):
    first = do_return_order(
        order, None, refunded_at=LATER_IN_JUNE, reason="Guarantee", idempotency_key="rma-9"
    )
    again = do_return_order(
        order, None, refunded_at=LATER_IN_JUNE, reason="Guarantee", idempotency_key="rma-9"
    )
    assert again.pk == first.pk
    assert volumes(tree["C"]) == VolumeRow()
    other = do_place_order(tree["C"], [(shake, 1)], "EUR", paid_at=JUNE)
    with pytest.raises(OrderError, match=rf"rma-9 was already used for order {first.number}"):
        do_return_order(
            other, None, refunded_at=LATER_IN_JUNE, reason="Guarantee", idempotency_key="rma-9"
        )
