"""The same shop order delivered several times at once on PostgreSQL: one order, one customer."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from downline.genealogy.models import Distributor
from downline.orders.models import Order
from downline.shops.actions import do_receive_event
from downline.shops.models import Receipt
from downline.shops.payloads import read_shopify

from .conftest import payload

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
DELIVERIES = 4


def test_concurrent_redeliveries_write_one_order_and_one_customer(shopify):
    [event] = read_shopify("orders/paid", payload("shopify_order_paid"))
    start = threading.Barrier(DELIVERIES)
    numbers: list[str] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            start.wait()
            numbers.append(do_receive_event(shopify, event, topic="orders/paid").order)
        except BaseException as error:  # asserted below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(DELIVERIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    order = Order.objects.get()
    assert numbers == [order.number] * DELIVERIES
    assert Distributor.objects.filter(kind=Distributor.Kind.CUSTOMER).count() == 1
    assert Receipt.objects.get().deliveries == DELIVERIES
