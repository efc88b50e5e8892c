"""WooCommerce partial refunds read from the shop's REST API and returned by themselves.

A stand-in of WooCommerce's REST API listens on 127.0.0.1 and answers
``GET /wp-json/wc/v3/orders/<order>/refunds/<refund>`` with the refund resource in
WooCommerce's shape (``tests/shops/payloads/woocommerce_refund.json``), checking the Basic
authentication with the shop's consumer key and secret.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import time_machine
from django.tasks import default_task_backend
from django.test import override_settings

from downline.orders.models import Order
from downline.shops.actions import LOOKUP_GIVE_UP_AFTER
from downline.shops.admin import ShopForm
from downline.shops.models import Receipt, RefundLookup, Shop
from downline.shops.payloads import Ignored, read_woocommerce_refund
from downline.shops.tasks import look_up_woocommerce_refund

from .conftest import REFUND_DAY, payload
from .test_shop_webhooks import ORDER_CV, ORDER_PV, customer_volume, group_volume, volumes

CONSUMER_KEY = "ck_3f0a9c1d5e7b2468ace0bdf13579ace02468bdf1"
CONSUMER_SECRET = "cs_9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d"
REFUND_PATH = "/wp-json/wc/v3/orders/1287/refunds/1301"
NOTHING = {"line_items": []}


@dataclass
class WooStandIn:
    """The shop's REST API: ``refunds`` maps a path to its resource; the first ``failures``
    requests answer 503; every request is kept in ``requests`` as (path, Authorization)."""

    url: str = ""
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    failures: int = 0
    requests: list[tuple[str, str]] = field(default_factory=list)

    def answer(self, path: str, authorization: str) -> tuple[int, dict[str, Any]]:
        self.requests.append((path, authorization))
        if self.failures:
            self.failures -= 1
            return 503, {"code": "internal_server_error", "message": "Down for maintenance"}
        expected = base64.b64encode(f"{CONSUMER_KEY}:{CONSUMER_SECRET}".encode()).decode()
        if authorization != f"Basic {expected}":
            return 401, {
                "code": "woocommerce_rest_cannot_view",
                "message": "Sorry, you cannot view this resource.",
                "data": {"status": 401},
            }
        if path not in self.refunds:
            return 404, {
                "code": "woocommerce_rest_invalid_order_refund_id",
                "message": "Invalid order refund ID.",
                "data": {"status": 404},
            }
        return 200, self.refunds[path]


@pytest.fixture
def woo_api() -> Iterator[WooStandIn]:
    state = WooStandIn()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with lock:
                code, document = state.answer(self.path, self.headers.get("Authorization", ""))
            text = json.dumps(document).encode()
            self.send_response(code)
            self.send_header("content-type", "application/json; charset=UTF-8")
            self.send_header("content-length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

        def log_message(self, *args) -> None:  # keep the test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    state.refunds[REFUND_PATH] = payload("woocommerce_refund")
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def woo_rest(woo: Shop, woo_api: WooStandIn) -> Shop:
    """The WooCommerce shop with a REST API key for the stand-in."""
    woo.woo_base_url = woo_api.url + "/"
    woo.woo_consumer_key = CONSUMER_KEY
    woo.woo_consumer_secret = CONSUMER_SECRET
    woo.save()
    return woo


def order_with_refund() -> dict[str, Any]:
    """Order 1287 as ``order.updated`` sends it after refund 1301 (one shake, EUR 49.90)."""
    body = payload("woocommerce_order_processing")
    body["date_modified_gmt"] = "2026-06-20T08:15:04"
    body["refunds"] = [{"id": 1301, "reason": "broken lid", "total": "-49.90"}]
    return body


def refund_receipt() -> Receipt:
    return Receipt.objects.get(kind=Receipt.Kind.REFUND, external_id="1301")


def returns() -> list[Order]:
    return list(Order.objects.filter(returns_order__isnull=False))


# --------------------------------------------------------------------------- returns


def test_a_partial_refund_becomes_a_return_of_its_quantity(tree, woo_rest, woo_api, post_woo):
    assert post_woo("order.created", payload("woocommerce_order_processing")).status_code == 200

    with time_machine.travel(REFUND_DAY, tick=False):
        response = post_woo("order.updated", order_with_refund())

    assert response.status_code == 200, response.content
    order = Order.objects.get(returns_order__isnull=True)
    [refund] = returns()
    assert [result["status"] for result in response.json()["results"]] == [
        "processed",
        "processed",
    ]
    assert response.json()["results"][1]["order"] == refund.number
    assert order.status == Order.Status.PARTLY_RETURNED
    assert [(line.sku, line.quantity) for line in refund.lines.all()] == [("SHAKE-1", 1)]
    assert refund.idempotency_key == "shop:wellness-woo:1287:refund:1301"
    assert refund.paid_at.isoformat() == "2026-06-20T08:15:03+00:00"  # date_created_gmt
    assert "broken lid" in refund.reason
    assert volumes(tree["D"]) == customer_volume(ORDER_PV - 1250, ORDER_CV - 1000)
    assert volumes(tree["R"]) == group_volume(ORDER_PV - 1250, ORDER_CV - 1000)
    [(path, authorization)] = woo_api.requests
    assert path == REFUND_PATH
    assert authorization == "Basic " + base64.b64encode(
        f"{CONSUMER_KEY}:{CONSUMER_SECRET}".encode()
    ).decode("ascii")
    receipt = refund_receipt()
    assert (receipt.status, receipt.order) == (Receipt.Status.PROCESSED, refund)
    lookup = RefundLookup.objects.get()
    assert (lookup.status, lookup.attempts) == (RefundLookup.Status.DONE, 1)


def test_the_same_webhook_twice_returns_once(tree, woo_rest, woo_api, post_woo):
    post_woo("order.created", payload("woocommerce_order_processing"))

    with time_machine.travel(REFUND_DAY, tick=False):
        first = post_woo("order.updated", order_with_refund())
        again = post_woo("order.updated", order_with_refund())
        # a later update of the order lists the same refund again
        later = order_with_refund()
        later["status"] = "completed"
        third = post_woo("order.updated", later)

    assert first.status_code == again.status_code == third.status_code == 200
    assert first.json() == again.json() == third.json()
    assert len(returns()) == 1
    assert len(woo_api.requests) == 1
    assert refund_receipt().deliveries == 3
    assert RefundLookup.objects.count() == 1
    assert volumes(tree["D"]) == customer_volume(ORDER_PV - 1250, ORDER_CV - 1000)


def test_a_shop_that_fails_is_asked_again_later_and_then_returns_once(
    tree, woo_rest, woo_api, post_woo
):
    post_woo("order.created", payload("woocommerce_order_processing"))
    woo_api.failures = 2

    with time_machine.travel(REFUND_DAY, tick=False):
        response = post_woo("order.updated", order_with_refund())
        lookup = RefundLookup.objects.get()
        # not due yet: nothing is asked
        assert look_up_woocommerce_refund.call(lookup.pk)["status"] == "nothing to do"

    assert response.json()["results"][1]["status"] == "pending"
    receipt = refund_receipt()
    assert receipt.status == Receipt.Status.PENDING
    assert "503" in receipt.message
    lookup.refresh_from_db()
    assert (lookup.status, lookup.attempts) == (RefundLookup.Status.PENDING, 1)
    assert lookup.next_attempt_at == REFUND_DAY + timedelta(minutes=1)
    assert "503" in lookup.last_error
    assert not returns()
    assert len(woo_api.requests) == 1

    with time_machine.travel(REFUND_DAY + timedelta(minutes=1), tick=False):
        assert look_up_woocommerce_refund.call(lookup.pk)["status"] == "pending"
    with time_machine.travel(REFUND_DAY + timedelta(minutes=6), tick=False):
        assert look_up_woocommerce_refund.call(lookup.pk)["status"] == "done"
        assert look_up_woocommerce_refund.call(lookup.pk)["status"] == "nothing to do"
        post_woo("order.updated", order_with_refund())

    assert len(woo_api.requests) == 3
    [refund] = returns()
    assert [(line.sku, line.quantity) for line in refund.lines.all()] == [("SHAKE-1", 1)]
    assert refund_receipt().status == Receipt.Status.PROCESSED
    lookup.refresh_from_db()
    assert (lookup.status, lookup.attempts, lookup.last_error) == (
        RefundLookup.Status.DONE,
        3,
        "",
    )
    assert volumes(tree["D"]) == customer_volume(ORDER_PV - 1250, ORDER_CV - 1000)


def test_each_attempt_enqueues_the_next_before_it_asks_the_shop(tree, woo_rest, woo_api, post_woo):
    """With a backend that defers (as the database backend does), the task that makes the
    next attempt exists before the request, so a worker that dies mid-request loses nothing."""
    post_woo("order.created", payload("woocommerce_order_processing"))
    woo_api.failures = 1
    dummy = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}

    with override_settings(TASKS=dummy), time_machine.travel(REFUND_DAY, tick=False):
        post_woo("order.updated", order_with_refund())
        lookup = RefundLookup.objects.get()
        [first] = default_task_backend.results
        assert (first.args, first.task.run_after) == ([lookup.pk], None)
        assert not woo_api.requests  # only enqueued

        first.task.call(*first.args)  # the worker runs it; the shop fails
        [_first, follow_up] = default_task_backend.results
        assert follow_up.task.run_after == REFUND_DAY + timedelta(minutes=1)

    with override_settings(TASKS=dummy), time_machine.travel(follow_up.task.run_after):
        assert follow_up.task.call(*follow_up.args)["status"] == "done"

    assert len(returns()) == 1


def test_a_shop_that_never_answers_is_left_to_staff(tree, woo_rest, woo_api, post_woo, caplog):
    post_woo("order.created", payload("woocommerce_order_processing"))
    woo_api.failures = 1000
    caplog.set_level(logging.DEBUG)

    with time_machine.travel(REFUND_DAY, tick=False):
        post_woo("order.updated", order_with_refund())
    lookup = RefundLookup.objects.get()
    at = REFUND_DAY
    while True:
        lookup.refresh_from_db()
        if lookup.status != RefundLookup.Status.PENDING:
            break
        at = lookup.next_attempt_at
        with time_machine.travel(at, tick=False):
            look_up_woocommerce_refund.call(lookup.pk)

    assert at >= REFUND_DAY + LOOKUP_GIVE_UP_AFTER
    assert lookup.status == RefundLookup.Status.GIVEN_UP
    assert lookup.attempts == len(woo_api.requests) > 5
    receipt = refund_receipt()
    assert receipt.status == Receipt.Status.REFUSED
    assert "console" in receipt.message
    assert "503" in receipt.message
    assert not returns()
    assert Order.objects.get().status == Order.Status.PAID
    # the consumer secret is never written anywhere
    assert CONSUMER_SECRET not in receipt.message + lookup.last_error + caplog.text


def test_a_refund_naming_a_line_the_order_lacks_writes_nothing(tree, woo_rest, woo_api, post_woo):
    post_woo("order.created", payload("woocommerce_order_processing"))
    document = woo_api.refunds[REFUND_PATH]
    document["line_items"][0]["meta_data"][0]["value"] = "999"

    with time_machine.travel(REFUND_DAY, tick=False):
        response = post_woo("order.updated", order_with_refund())

    assert response.json()["results"][1]["status"] == "refused"
    receipt = refund_receipt()
    assert "999" in receipt.message
    assert "console" in receipt.message
    assert RefundLookup.objects.get().status == RefundLookup.Status.GIVEN_UP
    assert not returns()
    assert volumes(tree["D"]) == customer_volume(ORDER_PV, ORDER_CV)


def test_a_refund_of_money_only_is_ignored(tree, woo_rest, woo_api, post_woo):
    post_woo("order.created", payload("woocommerce_order_processing"))
    document = woo_api.refunds[REFUND_PATH]
    document["line_items"][0]["quantity"] = 0  # money back on the line, the goods kept

    with time_machine.travel(REFUND_DAY, tick=False):
        response = post_woo("order.updated", order_with_refund())

    assert response.json()["results"][1]["status"] == "ignored"
    assert refund_receipt().status == Receipt.Status.IGNORED
    assert RefundLookup.objects.get().status == RefundLookup.Status.DONE
    assert not returns()
    assert volumes(tree["D"]) == customer_volume(ORDER_PV, ORDER_CV)


def test_without_a_rest_key_a_partial_refund_is_a_notice_for_staff(tree, woo, woo_api, post_woo):
    post_woo("order.created", payload("woocommerce_order_processing"))

    with time_machine.travel(REFUND_DAY, tick=False):
        response = post_woo("order.updated", order_with_refund())

    assert response.json()["results"][1]["status"] == "refused"
    receipt = refund_receipt()
    assert receipt.status == Receipt.Status.REFUSED
    assert "console" in receipt.message
    assert "REST API key" in receipt.message
    assert not RefundLookup.objects.exists()
    assert not woo_api.requests
    assert not returns()


def test_the_shop_api_is_reached_only_through_the_destination_guard(
    tree, woo_rest, woo_api, post_woo
):
    post_woo("order.created", payload("woocommerce_order_processing"))

    with (
        override_settings(WEBHOOK_PRIVATE_DESTINATIONS=False),
        time_machine.travel(REFUND_DAY, tick=False),
    ):
        post_woo("order.updated", order_with_refund())

    assert not woo_api.requests
    lookup = RefundLookup.objects.get()
    assert lookup.status == RefundLookup.Status.PENDING
    assert "not a public internet address" in lookup.last_error


# --------------------------------------------------------------------------- reading


def test_the_refund_resource_names_the_order_lines_it_refunds():
    document = payload("woocommerce_refund")
    second = json.loads(json.dumps(document["line_items"][0]))
    second["quantity"] = -1.0
    second["meta_data"] = [{"id": 7, "key": "_refunded_item_id", "value": 413}]
    document["line_items"].append(second)

    refund = read_woocommerce_refund(document, "1287", "1301")

    assert refund.lines == (("412", 1), ("413", 1))
    assert refund.refunded_at.isoformat() == "2026-06-20T08:15:03+00:00"
    assert isinstance(read_woocommerce_refund({"id": 1301, **NOTHING}, "1287", "1301"), Ignored)


# --------------------------------------------------------------------------- staff


def _form_data(shop: Shop, **changes: str) -> dict[str, Any]:
    data = {
        "kind": shop.kind,
        "slug": shop.slug,
        "name": shop.name,
        "currency": shop.currency,
        "default_referrer": shop.default_referrer_id,
        "active": "on",
        "woo_base_url": "",
        "woo_consumer_key": "",
        "new_webhook_secret": "",
        "new_woo_consumer_secret": "",
    }
    return {**data, **changes}


def test_staff_set_the_rest_key_once_and_never_see_the_secret_again(woo, admin_client):
    form = ShopForm(
        data=_form_data(
            woo,
            woo_base_url="https://shop.example.com",
            woo_consumer_key=CONSUMER_KEY,
            new_woo_consumer_secret=CONSUMER_SECRET,
        ),
        instance=woo,
    )
    assert form.is_valid(), form.errors
    form.save()
    woo.refresh_from_db()
    assert woo.has_woo_rest
    assert woo.woo_consumer_secret == CONSUMER_SECRET

    page = admin_client.get(f"/admin/shops/shop/{woo.pk}/change/")
    assert page.status_code == 200
    assert CONSUMER_SECRET.encode() not in page.content
    assert b"****" + CONSUMER_SECRET[-4:].encode() in page.content

    # saving again without typing the secret keeps it; emptying the key removes both
    kept = ShopForm(
        data=_form_data(
            woo, woo_base_url="https://shop.example.com", woo_consumer_key=CONSUMER_KEY
        ),
        instance=woo,
    )
    assert kept.is_valid(), kept.errors
    kept.save()
    woo.refresh_from_db()
    assert woo.woo_consumer_secret == CONSUMER_SECRET
    removed = ShopForm(data=_form_data(woo), instance=woo)
    assert removed.is_valid(), removed.errors
    removed.save()
    woo.refresh_from_db()
    assert (woo.woo_consumer_key, woo.woo_consumer_secret, woo.has_woo_rest) == ("", "", False)


def test_the_rest_address_must_be_https(woo):
    form = ShopForm(
        data=_form_data(
            woo,
            woo_base_url="http://shop.example.com",
            woo_consumer_key=CONSUMER_KEY,
            new_woo_consumer_secret=CONSUMER_SECRET,
        ),
        instance=woo,
    )

    assert not form.is_valid()
    assert "woo_base_url" in form.errors


# --------------------------------------------------------------------------- concurrency


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_of_a_partial_refund_return_it_once(tree, woo_rest, woo_api):
    from django.db import connection

    from downline.shops.actions import do_receive_event
    from downline.shops.payloads import read_woocommerce

    [placed] = read_woocommerce("order.created", payload("woocommerce_order_processing"))
    do_receive_event(woo_rest, placed, topic="order.created")
    [_order, event] = read_woocommerce("order.updated", order_with_refund())
    deliveries = 4
    start = threading.Barrier(deliveries)
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            start.wait()
            do_receive_event(woo_rest, event, topic="order.updated")
        except BaseException as error:  # asserted below
            errors.append(error)
        finally:
            connection.close()

    with time_machine.travel(REFUND_DAY, tick=False):
        threads = [threading.Thread(target=deliver) for _ in range(deliveries)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

    assert errors == []
    assert len(returns()) == 1
    assert len(woo_api.requests) == 1
    receipt = refund_receipt()
    assert (receipt.status, receipt.deliveries) == (Receipt.Status.PROCESSED, deliveries)


def test_attempts_that_never_finish_end_too(tree, woo_rest, woo_api, post_woo):
    """A lookup whose attempts keep dying (no attempt reports back) is given up one backoff
    step after the deadline, instead of being tried for ever."""
    post_woo("order.created", payload("woocommerce_order_processing"))
    woo_api.failures = 1
    with time_machine.travel(REFUND_DAY, tick=False):
        post_woo("order.updated", order_with_refund())
    lookup = RefundLookup.objects.get()

    with time_machine.travel(REFUND_DAY + timedelta(days=2), tick=False):
        assert look_up_woocommerce_refund.call(lookup.pk)["status"] == "nothing to do"

    lookup.refresh_from_db()
    assert lookup.status == RefundLookup.Status.GIVEN_UP
    assert len(woo_api.requests) == 1
    receipt = refund_receipt()
    assert receipt.status == Receipt.Status.REFUSED
    assert "503" in receipt.message
    assert not returns()
