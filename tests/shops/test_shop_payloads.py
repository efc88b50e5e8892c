"""Reading the shops' payloads: the events they mean, and refusals that name the field."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from downline.shops.errors import ShopError
from downline.shops.payloads import (
    Ignored,
    ShopCancellation,
    ShopOrder,
    ShopRefund,
    read_shopify,
    read_woocommerce,
)

from .conftest import payload


def test_a_shopify_order_reads_lines_buyer_referral_and_payment_time():
    [order] = read_shopify("orders/paid", payload("shopify_order_paid"))

    assert isinstance(order, ShopOrder)
    assert (order.external_id, order.number, order.currency) == ("5870132658314", "#1042", "EUR")
    assert (order.email, order.name, order.country, order.referrer) == (
        "lena.vogel@example.org",
        "Lena Vogel",
        "DE",
        "D",
    )
    assert order.paid_at == datetime(2026, 6, 15, 11, 58, 40, tzinfo=UTC)
    assert [(line.line_id, line.sku, line.quantity) for line in order.lines] == [
        ("14861592764554", "SHAKE-1", 2),
        ("14861592797322", "WS-STARTER", 1),
    ]


def test_a_woocommerce_order_reads_the_gmt_payment_time_as_utc():
    [order] = read_woocommerce("order.created", payload("woocommerce_order_processing"))

    assert order.paid_at == datetime(2026, 6, 15, 11, 58, 40, tzinfo=UTC)
    assert (order.email, order.referrer, order.country) == ("jan.nowak@example.com", "D", "PL")
    assert [(line.sku, line.quantity) for line in order.lines] == [
        ("SHAKE-1", 2),
        ("WS-STARTER", 1),
    ]


def test_a_shopify_refund_names_shop_lines_and_skips_unreturned_ones():
    body = payload("shopify_refund_create")
    body["refund_line_items"].append({"id": 1, "line_item_id": 14861592797322, "quantity": 0})

    [refund] = read_shopify("refunds/create", body)

    assert isinstance(refund, ShopRefund)
    assert refund.lines == (("14861592764554", 1),)
    assert refund.order_id == "5870132658314"


def test_a_money_only_refund_and_an_unpaid_order_are_ignored():
    body = payload("shopify_refund_create")
    body["refund_line_items"] = []
    unpaid = payload("shopify_order_paid")
    unpaid["financial_status"] = "pending"

    assert isinstance(read_shopify("refunds/create", body)[0], Ignored)
    assert isinstance(read_shopify("orders/create", unpaid)[0], Ignored)
    assert isinstance(read_shopify("products/update", unpaid)[0], Ignored)


def test_woocommerce_statuses_refunded_and_cancelled():
    body = payload("woocommerce_order_processing")
    body["status"] = "cancelled"
    assert isinstance(read_woocommerce("order.updated", body)[0], ShopCancellation)
    body["status"] = "refunded"
    [refund] = read_woocommerce("order.updated", body)
    assert refund.lines is None
    assert refund.external_id == "1287-full"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda body: body["line_items"][1].update(quantity="two"), "line_items[1].quantity"),
        (lambda body: body["line_items"][0].pop("id"), "line_items[0].id"),
        (lambda body: body.update(line_items=[]), "line_items"),
        (lambda body: body.pop("currency"), "currency"),
        (lambda body: body.update(processed_at="yesterday"), "processed_at"),
    ],
)
def test_a_broken_shopify_order_is_refused_naming_the_field(change, field):
    body = payload("shopify_order_paid")
    change(body)

    with pytest.raises(ShopError) as refused:
        read_shopify("orders/paid", body)

    assert refused.value.field == field
    assert field in refused.value.message
    assert "5870132658314" in refused.value.message
