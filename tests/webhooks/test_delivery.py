"""Webhooks delivered to a real receiver on 127.0.0.1 that fails at first: signatures,
retries with backoff, order per member, the delivery log, replay, and an endpoint disabled
after three days of failures with a notice to staff."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from downline.core.events import ORDER_PAID, ORDER_RETURNED
from downline.orders.actions import do_return_order
from downline.webhooks.actions import WebhookError, do_create_subscription, do_replay_delivery
from downline.webhooks.delivery import deliver_due
from downline.webhooks.models import Delivery, Subscription
from downline.webhooks.signing import verify

from .conftest import Received, at, settled_run, signed_in_staff

pytestmark = pytest.mark.django_db(transaction=True)

T0 = at(2026, 9, 10, 14)


def verified(secret: str, request: Received) -> bool:
    return verify(
        secret,
        request.headers["webhook-id"],
        int(request.headers["webhook-timestamp"]),
        request.body,
        request.headers["webhook-signature"],
    )


@pytest.fixture
def endpoint(receiver):
    subscription, secret = do_create_subscription(
        url=receiver.url, kinds=[ORDER_PAID, ORDER_RETURNED], description="shop"
    )
    return subscription, secret


def test_a_failing_receiver_gets_signed_retries_with_backoff_until_it_accepts(
    world, receiver, endpoint
):
    subscription, secret = endpoint
    receiver.codes = [500, 500]
    with time_machine.travel(T0, tick=False) as clock:
        order = world.order("B", 1, at(2026, 9, 10))
        assert settled_run() == {"events": 1, "attempts": 1}
        delivery = Delivery.objects.get()
        assert (delivery.status, delivery.attempts) == ("pending", 1)
        assert delivery.next_attempt_at == T0 + timedelta(seconds=5)
        clock.shift(timedelta(seconds=4))
        assert deliver_due() == 0  # not due yet
        clock.shift(timedelta(seconds=1))
        assert deliver_due() == 1
        delivery.refresh_from_db()
        assert delivery.next_attempt_at == T0 + timedelta(seconds=5) + timedelta(minutes=5)
        clock.shift(timedelta(minutes=5))
        assert deliver_due() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 3, 200)
    assert [(a.number, a.status_code) for a in delivery.log.all()] == [(1, 500), (2, 500), (3, 200)]
    assert delivery.log.get(number=1).response == "receiver is down"
    assert len(receiver.received) == 3
    ids = {request.headers["webhook-id"] for request in receiver.received}
    assert ids == {f"evt_{delivery.event_id}"}  # the same id on every retry: deduplicate by it
    assert all(verified(secret, request) for request in receiver.received)
    stamps = [int(request.headers["webhook-timestamp"]) for request in receiver.received]
    assert stamps == [int(T0.timestamp()), int(T0.timestamp()) + 5, int(T0.timestamp()) + 305]
    document = receiver.received[-1].document
    assert document["type"] == ORDER_PAID
    assert document["data"]["order"] == order.number
    assert document["data"]["amount"] == 4990
    assert not verified("whsec_" + "A" * 32, receiver.received[-1])
    subscription.refresh_from_db()
    assert subscription.failing_since is None  # the success cleared it


def test_a_members_later_event_waits_for_the_earlier_one(world, receiver, endpoint):
    receiver.codes = [500]
    with time_machine.travel(T0, tick=False) as clock:
        order = world.order("B", 2, at(2026, 9, 10))
        do_return_order(order, {order.lines.get(): 1}, reason="damaged")
        world.order("C", 1, at(2026, 9, 10))
        settled_run()
        # B's paid order failed; B's return waits; C's order goes through on its own
        sent = [(r.document["type"], r.document["data"]["member"]) for r in receiver.received]
        assert sent == [(ORDER_PAID, "B"), (ORDER_PAID, "C")]
        clock.shift(timedelta(seconds=5))
        settled_run()
    sent = [(r.document["type"], r.document["data"]["member"]) for r in receiver.received]
    assert sent[2:] == [(ORDER_PAID, "B"), (ORDER_RETURNED, "B")]
    assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}


def test_retries_end_after_three_days_and_the_endpoint_is_disabled_with_a_notice(
    world, receiver, endpoint
):
    subscription, _secret = endpoint
    client = Client()
    admin = signed_in_staff(client, "admin1", "admin")
    signed_in_staff(Client(), "finance1", "finance")
    receiver.codes = [503] * 100
    with time_machine.travel(T0, tick=False) as clock:
        world.order("B", 1, at(2026, 9, 10))
        settled_run()
        while Delivery.objects.filter(status="pending").exists():
            delivery = Delivery.objects.get()
            clock.move_to(delivery.next_attempt_at)
            deliver_due()
    delivery = Delivery.objects.get()
    attempts = list(delivery.log.values_list("at", flat=True))
    gaps = [later - earlier for earlier, later in itertools.pairwise(attempts)]
    h = timedelta(hours=1)
    assert gaps[:7] == [
        timedelta(seconds=5),
        timedelta(minutes=5),
        timedelta(minutes=30),
        2 * h,
        5 * h,
        10 * h,
        10 * h,
    ]
    assert attempts[-1] == T0 + timedelta(days=3)  # the last try is three days after the first
    assert delivery.status == "failed"
    subscription.refresh_from_db()
    assert not subscription.enabled
    assert subscription.disabled_automatically
    assert subscription.disabled_at == T0 + timedelta(days=3)
    # the notice: one e-mail to the admin (not to finance), and a banner in the console
    notices = [message for message in mail.outbox if "webhook" in message.subject]
    assert [message.to for message in notices] == [[admin.email]]
    assert receiver.url in notices[0].body
    page = client.get(reverse("web:console"))
    assert b"webhook-notice" in page.content
    assert receiver.url.encode() in page.content
    # new events are not sent to a disabled endpoint
    with time_machine.travel(T0 + timedelta(days=4), tick=False):
        world.order("C", 1, at(2026, 9, 10))
        assert settled_run()["attempts"] == 0
    assert Delivery.objects.count() == 1


def test_a_failure_of_a_few_hours_does_not_disable(world, receiver, endpoint):
    subscription, _secret = endpoint
    receiver.codes = [500, 500, 500]
    with time_machine.travel(T0, tick=False) as clock:
        world.order("B", 1, at(2026, 9, 10))
        settled_run()
        while Delivery.objects.get().status == "pending":
            clock.move_to(Delivery.objects.get().next_attempt_at)
            settled_run()
    assert Delivery.objects.get().attempts == 4
    subscription.refresh_from_db()
    assert subscription.enabled
    assert subscription.failing_since is None
    assert Delivery.objects.get().status == "delivered"
    assert not [message for message in mail.outbox if "webhook" in message.subject]


def test_replay_sends_the_same_event_again_from_the_console(world, receiver, endpoint):
    subscription, secret = endpoint
    client = Client()
    signed_in_staff(client, "admin1", "admin")
    with time_machine.travel(T0, tick=False):
        world.order("B", 1, at(2026, 9, 10))
        settled_run()
        original = Delivery.objects.get()
        page = client.get(reverse("webhooks:delivery", args=[original.pk]))
        assert page.status_code == 200
        assert b"200" in page.content
        response = client.post(reverse("webhooks:replay", args=[original.pk]))
        assert response.status_code == 302
        settled_run()
    replay = Delivery.objects.exclude(pk=original.pk).get()
    assert replay.replay_of == original
    assert replay.status == "delivered"
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    assert verified(secret, second)
    log = client.get(reverse("webhooks:deliveries"), {"subscription": subscription.pk})
    assert log.status_code == 200
    assert log.content.count(b'data-status="delivered"') == 2


def test_a_disabled_endpoint_cannot_be_replayed_to(world, receiver, endpoint):
    subscription, _secret = endpoint
    with time_machine.travel(T0, tick=False):
        world.order("B", 1, at(2026, 9, 10))
        settled_run()
    Subscription.objects.filter(pk=subscription.pk).update(enabled=False)
    with pytest.raises(WebhookError, match="disabled"):
        do_replay_delivery(Delivery.objects.get())


def test_the_console_pages_are_for_admins_and_show_the_secret_once(receiver, db):
    admin, finance, outsider = Client(), Client(), Client()
    signed_in_staff(admin, "admin1", "admin")
    signed_in_staff(finance, "finance1", "finance")
    url = reverse("webhooks:subscriptions")
    assert finance.get(url).status_code == 403
    assert outsider.get(url).status_code in (302, 404)
    response = admin.post(url, {"url": receiver.url, "kinds": [ORDER_PAID], "description": "x"})
    assert response.status_code == 200
    subscription = Subscription.objects.get()
    assert subscription.secret.encode() in response.content
    assert subscription.kinds == [ORDER_PAID]
    assert subscription.secret.encode() not in admin.get(url).content  # shown once
    refused = admin.post(url, {"url": "ftp://example.com/x", "kinds": [ORDER_PAID]})
    assert refused.status_code == 400
    assert Subscription.objects.count() == 1
    admin.post(reverse("webhooks:disable", args=[subscription.pk]))
    subscription.refresh_from_db()
    assert not subscription.enabled
    assert not subscription.disabled_automatically
    admin.post(reverse("webhooks:enable", args=[subscription.pk]))
    subscription.refresh_from_db()
    assert subscription.enabled
    assert finance.post(reverse("webhooks:disable", args=[subscription.pk])).status_code == 403
