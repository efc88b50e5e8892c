"""The outbox (rule 11): actions record their events in their own transaction, and each
consumer handles each event once, in order, with its cursor moved alongside its writes."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.db import transaction

from downline.core.events import (
    MEMBER_JOINED,
    ORDER_PAID,
    ORDER_RETURNED,
    EventError,
    consume,
    consume_all,
    record_event,
)
from downline.core.models import Consumer, Event
from downline.genealogy.actions import do_enroll, do_recount_network
from downline.orders.actions import do_return_order
from downline.orders.errors import OrderError

from .conftest import at, settle

pytestmark = pytest.mark.django_db(transaction=True)


def kinds() -> list[str]:
    return list(Event.objects.order_by("tx", "id").values_list("kind", flat=True))


def test_enrolling_records_one_member_joined_event(world):
    do_recount_network()  # the fixture wrote its rows directly
    with time_machine.travel(at(2026, 9, 5), tick=False):
        member = do_enroll(member_id="N1", sponsor=world["A"], joined_on=date(2026, 9, 5))
    [event] = Event.objects.filter(kind=MEMBER_JOINED)
    assert event.member_id == member.pk
    assert event.payload["member"] == "N1"
    assert event.payload["sponsor"] == "A"
    assert event.payload["joined_on"] == "2026-09-05"
    assert event.occurred_at == at(2026, 9, 5)


def test_an_order_and_its_return_record_paid_then_returned(world):
    with time_machine.travel(at(2026, 9, 20), tick=False):
        order = world.order("B", 3, at(2026, 9, 10))
        line = order.lines.get()
        refund = do_return_order(order, {line: 1}, reason="damaged")
    assert kinds() == [ORDER_PAID, ORDER_RETURNED]
    paid, returned = Event.objects.order_by("tx", "id")
    assert paid.member_id == returned.member_id == world["B"].pk
    assert paid.payload == {
        "order": order.number,
        "member": "B",
        "buyer": "B",
        "customer_order": False,
        "kind": order.kind,
        "currency": "EUR",
        "amount": 3 * 4990,
        "pv": 3 * 1250,
        "cv": 3 * 1000,
        "period": "2026-09",
        "paid_at": at(2026, 9, 10).isoformat(),
    }
    assert returned.payload["return"] == refund.number
    assert returned.payload["amount"] == 4990
    assert returned.payload["status"] == "partly_returned"
    assert returned.payload["after_close"] is False


def test_a_rolled_back_action_leaves_no_event(world):
    def order_then_fail() -> None:
        with transaction.atomic():
            world.order("B", 1, at(2026, 9, 10))
            raise RuntimeError("the caller's transaction fails after the order")

    with pytest.raises(RuntimeError):
        order_then_fail()
    with pytest.raises(OrderError):
        world.order("B", 0, at(2026, 9, 10))  # refused: nothing written, no event
    assert not Event.objects.exists()


def test_an_idempotent_repeat_records_no_second_event(world):
    from downline.orders.actions import do_place_order

    for _ in range(2):
        do_place_order(
            world["B"], [(world.shake, 1)], "EUR", paid_at=at(2026, 9, 10), idempotency_key="k-1"
        )
    assert kinds() == [ORDER_PAID]


def test_a_payload_holds_numbers_not_floats_or_objects(db):
    with pytest.raises(EventError, match="'amount' is a float"):
        record_event(ORDER_PAID, {"amount": 1.5})
    with pytest.raises(EventError, match="unknown event kind"):
        record_event("order.shipped", {})
    assert not Event.objects.exists()


def test_a_consumer_handles_each_event_once_in_order(world):
    for day in (10, 11, 12):
        world.order("B", 1, at(2026, 9, day))
    seen: list[int] = []
    settle()
    assert consume("test", lambda event: seen.append(event.pk), batch=2) == 2
    assert consume("test", lambda event: seen.append(event.pk), batch=2) == 1
    assert consume("test", lambda event: seen.append(event.pk), batch=2) == 0
    assert seen == list(Event.objects.order_by("tx", "id").values_list("pk", flat=True))
    world.order("C", 1, at(2026, 9, 13))
    settle()
    assert consume_all("test", lambda event: seen.append(event.pk)) == 1
    assert len(seen) == len(set(seen)) == 4
    # another consumer has its own cursor and starts from the beginning
    others: list[int] = []
    assert consume_all("other", lambda event: others.append(event.pk)) == 4
    assert others == seen


def test_a_failing_handler_rolls_back_its_writes_and_the_cursor(world):
    world.order("B", 1, at(2026, 9, 10))
    world.order("C", 1, at(2026, 9, 11))

    def write_then_fail(event: Event) -> None:
        Consumer.objects.create(name=f"written-by-{event.pk}")
        if event.payload["member"] == "C":
            raise RuntimeError("handler failed")

    settle()
    with pytest.raises(RuntimeError):
        consume("fragile", write_then_fail)
    assert not Consumer.objects.filter(name__startswith="written-by").exists()
    assert not Consumer.objects.filter(name="fragile", cursor_id__gt=0).exists()
    handled: list[str] = []
    assert consume("fragile", lambda event: handled.append(event.payload["member"])) == 2
    assert handled == ["B", "C"]


@pytest.mark.postgres
def test_events_of_a_transaction_still_running_wait_for_it(world):
    """A consumer never moves past an event whose transaction has not committed yet: here an
    order held open in another connection, while a later one commits."""
    import threading

    from django.db import connections

    started, release = threading.Event(), threading.Event()

    def slow_order() -> None:
        try:
            with transaction.atomic():
                world.order("C", 1, at(2026, 9, 10))
                started.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=slow_order)
    thread.start()
    assert started.wait(10)
    world.order("B", 1, at(2026, 9, 11))  # committed, but after the open transaction began
    seen: list[str] = []
    consume_all("pg", lambda event: seen.append(event.payload["member"]))
    assert seen == []  # B's event waits behind the running transaction
    release.set()
    thread.join(10)
    consume_all("pg", lambda event: seen.append(event.payload["member"]))
    assert seen == ["C", "B"]


@pytest.mark.postgres
def test_a_long_transaction_in_another_database_does_not_hold_the_outbox_back(world):
    """Another database on the same server (a benchmark's load, another company) cannot write
    this outbox, so its open transaction does not delay this database's consumers."""
    import psycopg
    from django.db import connection

    settings = connection.settings_dict
    other = psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        dbname="postgres",
    )
    try:
        other.execute("SELECT pg_current_xact_id()")  # the other database's writing transaction
        world.order("B", 1, at(2026, 9, 11))  # committed here after it began
        seen: list[str] = []
        consume_all("pg-other-db", lambda event: seen.append(event.payload["member"]))
        assert seen == ["B"]
    finally:
        other.rollback()
        other.close()
