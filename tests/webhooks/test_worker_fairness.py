"""A worker stays free for the jobs people wait for: periodic consumers and the worker's loops
work through a backlog in time slices, reading from the cursor on; webhooks without a
subscription pass events over in one step; a commission run started from the console is taken
before periodic tasks queued earlier."""

from __future__ import annotations

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from downline.contests import activity as contest_activity
from downline.core.events import ORDER_PAID, consume, consume_all, has_pending, record_event
from downline.core.jobs import INTERACTIVE_PRIORITY
from downline.core.models import Consumer
from downline.periods.actions import do_ensure_period
from downline.web.actions import do_start_run
from downline.webhooks.actions import do_create_subscription
from downline.webhooks.delivery import CONSUMER, queue_events
from downline.webhooks.models import Delivery
from downline.webhooks.tasks import deliver_webhooks

pytestmark = pytest.mark.django_db(transaction=True)


def paid(number: str) -> None:
    record_event(ORDER_PAID, {"order": number, "member": "B", "buyer": "B"})


def test_a_consumer_with_a_time_budget_stops_after_the_batch_that_uses_it_up():
    for number in range(5):
        paid(f"O{number}")
    handled: list[str] = []

    def handle(event) -> None:
        handled.append(event.payload["order"])

    assert consume_all("sliced", handle, batch=2, seconds=0) == 2
    assert handled == ["O0", "O1"]
    assert consume_all("sliced", handle, batch=2) == 3  # the next run goes on from there
    assert handled == ["O0", "O1", "O2", "O3", "O4"]


def test_webhooks_without_a_subscription_pass_the_events_over_and_a_new_one_gets_later_events(
    receiver,
):
    for number in range(3):
        paid(f"O{number}")
    assert queue_events() == 3
    cursor = Consumer.objects.get(name=CONSUMER)
    assert cursor.cursor_id > 0
    assert queue_events() == 0
    do_create_subscription(url=receiver.url, kinds=[ORDER_PAID], description="shop")
    paid("O3")
    assert queue_events() == 1
    [delivery] = Delivery.objects.all()
    assert delivery.event.payload["order"] == "O3"


def test_a_run_started_from_the_console_is_taken_before_periodic_tasks_queued_earlier(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    period = do_ensure_period("2026-08")
    deliver_webhooks.enqueue()
    job = do_start_run(period, "projection", actor=None)
    with transaction.atomic():
        first = DBTaskResult.objects.ready().get_locked()
    assert first is not None
    assert str(first.id) == job.task_id
    assert first.priority == INTERACTIVE_PRIORITY
    assert first.task_path == "downline.web.tasks.run_commissions"


def test_a_cursor_inside_one_large_transaction_resumes_right_after_its_event():
    with transaction.atomic():  # a final run writes its events in one transaction
        for number in range(7):
            paid(f"O{number}")
    handled: list[str] = []

    def handle(event) -> None:
        handled.append(event.payload["order"])

    assert consume("resuming", handle, batch=3) == 3
    consumer = Consumer.objects.get(name="resuming")
    assert has_pending(consumer)
    assert consume_all("resuming", handle, batch=3) == 4
    assert handled == [f"O{number}" for number in range(7)]
    assert not has_pending(Consumer.objects.get(name="resuming"))


def test_the_contest_boards_read_a_backlog_in_slices(monkeypatch):
    monkeypatch.setattr(contest_activity, "BATCH", 2)
    for number in range(5):
        paid(f"O{number}")
    assert contest_activity.consume_events(seconds=0) == 2
    assert contest_activity.consume_events() == 3
