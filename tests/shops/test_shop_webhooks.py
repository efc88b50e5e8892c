"""Shop order webhooks (Shopify and WooCommerce) through the real URL: signatures, orders with
their lines and live volumes, retail customers under the referrer, unknown SKUs refused as a
whole, redeliveries, refunds and cancellations."""

from __future__ import annotations

import time_machine

from downline.genealogy.models import Distributor
from downline.orders.models import Order
from downline.orders.selectors import VolumeRow, member_period_volumes
from downline.periods.models import Period
from downline.shops.actions import do_map_sku
from downline.shops.models import Receipt

from .conftest import REFUND_DAY, SHOPIFY_SECRET, payload

# 2 shakes (2 × 12.50 PV, 2 × 10.00 CV) and a kit (50.00 PV, 25.00 CV), EUR 2 × 49.90 + 99.00
ORDER_PV, ORDER_CV, ORDER_AMOUNT = 7500, 4500, 19880


def volumes(member: Distributor) -> VolumeRow:
    return member_period_volumes(member, Period.objects.get(code="2026-06"))


def customer_volume(pv: int, cv: int) -> VolumeRow:
    """The row of a distributor whose retail customer bought ``pv``/``cv``."""
    return VolumeRow(
        pv=pv,
        cv=cv,
        customer_pv=pv,
        customer_cv=cv,
        group_pv=pv,
        group_cv=cv,
        placement_group_pv=pv,
        placement_group_cv=cv,
    )


def group_volume(pv: int, cv: int) -> VolumeRow:
    return VolumeRow(group_pv=pv, group_cv=cv, placement_group_pv=pv, placement_group_cv=cv)


# --------------------------------------------------------------------------- signatures


def test_a_shopify_order_with_a_bad_signature_is_refused_with_a_problem(shopify, post_shopify):
    for response in (
        post_shopify("orders/paid", payload("shopify_order_paid"), secret="not-the-secret"),
        post_shopify("orders/paid", payload("shopify_order_paid"), signature=""),
    ):
        assert response.status_code == 401
        assert response["Content-Type"] == "application/problem+json"
        problem = response.json()
        assert problem["status"] == 401
        assert problem["field"] == "X-Shopify-Hmac-Sha256"
        assert "wellness-demo" in problem["detail"]
    assert not Order.objects.exists()
    assert not Receipt.objects.exists()


def test_a_body_changed_after_signing_is_refused(shopify, post_shopify):
    from downline.shops.signatures import sign

    body = payload("shopify_order_paid")
    signature = sign(SHOPIFY_SECRET, repr(body).encode())
    response = post_shopify("orders/paid", body, signature=signature)

    assert response.status_code == 401
    assert not Order.objects.exists()


def test_a_woocommerce_order_with_a_bad_signature_is_refused(woo, post_woo):
    response = post_woo("order.created", payload("woocommerce_order_processing"), secret="guess")

    assert response.status_code == 401
    assert response.json()["field"] == "X-WC-Webhook-Signature"
    assert not Order.objects.exists()


def test_an_unknown_shop_is_a_404_problem(shopify, post_shopify):
    response = post_shopify("orders/paid", payload("shopify_order_paid"), slug="other-shop")

    assert response.status_code == 404
    assert response.json()["title"] == "Unknown shop"


# --------------------------------------------------------------------------- orders


def test_a_paid_shopify_order_becomes_an_order_of_a_new_customer_under_the_referrer(
    tree, shopify, post_shopify
):
    response = post_shopify("orders/paid", payload("shopify_order_paid"))

    assert response.status_code == 200, response.content
    [result] = response.json()["results"]
    assert result["status"] == "processed"
    order = Order.objects.get()
    assert result["order"] == order.number
    assert order.idempotency_key == "shop:wellness-demo:5870132658314"
    assert order.paid_at.isoformat() == "2026-06-15T11:58:40+00:00"
    assert (order.currency, order.amount, order.pv, order.cv) == (
        "EUR",
        ORDER_AMOUNT,
        ORDER_PV,
        ORDER_CV,
    )
    assert [(line.sku, line.quantity) for line in order.lines.order_by("id")] == [
        ("SHAKE-1", 2),
        ("KIT-1", 1),  # the shop's WS-STARTER through its SKU mapping
    ]
    buyer = order.buyer
    assert buyer.kind == Distributor.Kind.CUSTOMER
    assert (buyer.email, buyer.name, buyer.country) == (
        "lena.vogel@example.org",
        "Lena Vogel",
        "DE",
    )
    assert buyer.sponsor == tree["D"]  # downline_ref in the note attributes
    assert order.distributor == tree["D"]
    assert order.is_customer_order
    assert volumes(tree["D"]) == customer_volume(ORDER_PV, ORDER_CV)
    assert volumes(tree["A"]) == group_volume(ORDER_PV, ORDER_CV)
    assert volumes(tree["R"]) == group_volume(ORDER_PV, ORDER_CV)


def test_without_a_valid_referral_the_customer_joins_under_the_shops_default(
    tree, shopify, post_shopify
):
    body = payload("shopify_order_paid")
    body["note_attributes"] = [{"name": "downline_ref", "value": "NOBODY-7"}]
    assert post_shopify("orders/paid", body).status_code == 200

    buyer = Order.objects.get().buyer
    assert buyer.sponsor == tree["R"]
    assert volumes(tree["R"]) == customer_volume(ORDER_PV, ORDER_CV)


def test_a_woocommerce_order_of_a_member_is_theirs(tree, woo, post_woo):
    Distributor.objects.filter(pk=tree["A"].pk).update(email="Jan.Nowak@example.com")

    response = post_woo("order.created", payload("woocommerce_order_processing"))

    assert response.status_code == 200, response.content
    order = Order.objects.get()
    assert order.buyer == tree["A"]
    assert not order.is_customer_order
    assert order.idempotency_key == "shop:wellness-woo:1287"
    assert order.paid_at.isoformat() == "2026-06-15T11:58:40+00:00"
    assert Distributor.objects.count() == 3  # nobody new
    assert volumes(tree["A"]) == VolumeRow(
        pv=ORDER_PV,
        cv=ORDER_CV,
        group_pv=ORDER_PV,
        group_cv=ORDER_CV,
        placement_group_pv=ORDER_PV,
        placement_group_cv=ORDER_CV,
    )


def test_a_woocommerce_order_waiting_for_payment_is_not_placed(woo, post_woo):
    body = payload("woocommerce_order_processing")
    body["status"] = "pending"

    response = post_woo("order.created", body)

    assert response.status_code == 200
    assert response.json()["results"][0]["status"] == "ignored"
    assert not Order.objects.exists()


def test_an_unknown_sku_refuses_the_whole_order_and_is_kept_for_staff(
    tree, catalogue, shopify, post_shopify
):
    body = payload("shopify_order_paid")
    body["line_items"][1]["sku"] = "WS-TEA-9"

    response = post_shopify("orders/paid", body)

    assert response.status_code == 422
    problem = response.json()
    assert problem["field"] == "line_items[1].sku"
    assert "line 2" in problem["detail"]
    assert "WS-TEA-9" in problem["detail"]
    assert not Order.objects.exists()
    assert not Distributor.objects.filter(kind=Distributor.Kind.CUSTOMER).exists()
    receipt = Receipt.objects.get()
    assert receipt.status == Receipt.Status.REFUSED
    assert "WS-TEA-9" in receipt.message

    # staff maps the SKU; the shop's next delivery goes through
    do_map_sku(shopify, "WS-TEA-9", catalogue["KIT-1"])
    assert post_shopify("orders/paid", body).status_code == 200
    receipt.refresh_from_db()
    assert (receipt.status, receipt.deliveries) == (Receipt.Status.PROCESSED, 2)
    assert Order.objects.get().pv == ORDER_PV


def test_an_order_in_another_currency_is_refused(shopify, post_shopify):
    body = payload("shopify_order_paid")
    body["currency"] = "USD"

    response = post_shopify("orders/paid", body)

    assert response.status_code == 422
    assert response.json()["field"] == "currency"
    assert not Order.objects.exists()


def test_a_redelivered_webhook_writes_nothing_twice(tree, shopify, post_shopify):
    first = post_shopify("orders/paid", payload("shopify_order_paid"))
    # Shopify sends orders/create as well when the order is paid at checkout
    again = post_shopify("orders/paid", payload("shopify_order_paid"))
    created = post_shopify("orders/create", payload("shopify_order_paid"))

    assert first.status_code == again.status_code == created.status_code == 200
    assert first.json() == again.json() == created.json()
    assert Order.objects.count() == 1
    assert Distributor.objects.filter(kind=Distributor.Kind.CUSTOMER).count() == 1
    assert Receipt.objects.get().deliveries == 3
    assert volumes(tree["D"]) == customer_volume(ORDER_PV, ORDER_CV)


# --------------------------------------------------------------------------- refunds


def test_a_shopify_refund_returns_its_lines_once(tree, shopify, post_shopify):
    post_shopify("orders/paid", payload("shopify_order_paid"))

    with time_machine.travel(REFUND_DAY, tick=False):
        first = post_shopify("refunds/create", payload("shopify_refund_create"))
        again = post_shopify("refunds/create", payload("shopify_refund_create"))

    assert first.status_code == again.status_code == 200, first.content
    assert first.json() == again.json()
    order = Order.objects.get(returns_order__isnull=True)
    refund = Order.objects.get(returns_order=order)
    assert order.status == Order.Status.PARTLY_RETURNED
    assert [(line.sku, line.quantity) for line in refund.lines.all()] == [("SHAKE-1", 1)]
    assert refund.paid_at.isoformat() == "2026-06-20T08:15:03+00:00"
    assert refund.idempotency_key == "shop:wellness-demo:5870132658314:refund:931267264650"
    assert volumes(tree["D"]) == customer_volume(ORDER_PV - 1250, ORDER_CV - 1000)
    assert volumes(tree["R"]) == group_volume(ORDER_PV - 1250, ORDER_CV - 1000)


def test_a_refund_of_an_order_never_placed_is_refused(shopify, post_shopify):
    response = post_shopify("refunds/create", payload("shopify_refund_create"))

    assert response.status_code == 422
    assert "5870132658314" in response.json()["detail"]
    assert Receipt.objects.get().status == Receipt.Status.REFUSED


def test_a_refund_naming_a_line_the_order_lacks_is_refused(tree, shopify, post_shopify):
    post_shopify("orders/paid", payload("shopify_order_paid"))
    body = payload("shopify_refund_create")
    body["refund_line_items"][0]["line_item_id"] = 99

    with time_machine.travel(REFUND_DAY, tick=False):
        response = post_shopify("refunds/create", body)

    assert response.status_code == 422
    assert "line 99" in response.json()["detail"]
    assert Order.objects.get().status == Order.Status.PAID
    assert volumes(tree["D"]) == customer_volume(ORDER_PV, ORDER_CV)


def test_a_woocommerce_order_refunded_in_full_takes_all_its_volume_back(tree, woo, post_woo):
    post_woo("order.created", payload("woocommerce_order_processing"))
    body = payload("woocommerce_order_processing")
    body["status"] = "refunded"
    body["date_modified_gmt"] = "2026-06-19T07:00:00"
    body["refunds"] = [{"id": 1301, "reason": "", "total": "-203.60"}]

    with time_machine.travel(REFUND_DAY, tick=False):
        response = post_woo("order.updated", body)
        again = post_woo("order.updated", body)

    assert response.status_code == again.status_code == 200, response.content
    order = Order.objects.get(returns_order__isnull=True)
    assert order.status == Order.Status.RETURNED
    assert Order.objects.filter(returns_order=order).count() == 1
    assert volumes(tree["D"]) == customer_volume(0, 0)
    assert volumes(tree["R"]) == group_volume(0, 0)


def test_a_woocommerce_partial_refund_is_kept_for_staff(tree, woo, post_woo):
    body = payload("woocommerce_order_processing")
    body["refunds"] = [{"id": 1301, "reason": "broken lid", "total": "-49.90"}]

    response = post_woo("order.updated", body)

    assert response.status_code == 200
    assert [result["status"] for result in response.json()["results"]] == [
        "processed",
        "refused",
    ]
    notice = Receipt.objects.get(kind=Receipt.Kind.REFUND)
    assert notice.external_id == "1301"
    assert "console" in notice.message
    assert not Order.objects.filter(returns_order__isnull=False).exists()


# --------------------------------------------------------------------------- cancellations


def test_a_cancelled_shopify_order_is_cancelled_with_its_volume(tree, shopify, post_shopify):
    post_shopify("orders/paid", payload("shopify_order_paid"))
    body = payload("shopify_order_paid")
    body["cancelled_at"] = "2026-06-15T14:20:00+02:00"
    body["cancel_reason"] = "customer"

    response = post_shopify("orders/cancelled", body)
    again = post_shopify("orders/cancelled", body)

    assert response.status_code == again.status_code == 200, response.content
    order = Order.objects.get()
    assert order.status == Order.Status.CANCELLED
    assert "customer" in order.reason
    assert volumes(tree["D"]) == customer_volume(0, 0)


def test_a_cancellation_after_a_refund_returns_the_rest(tree, shopify, post_shopify):
    post_shopify("orders/paid", payload("shopify_order_paid"))
    body = payload("shopify_order_paid")
    body["cancelled_at"] = "2026-06-20T11:00:00+02:00"

    with time_machine.travel(REFUND_DAY, tick=False):
        post_shopify("refunds/create", payload("shopify_refund_create"))
        response = post_shopify("orders/cancelled", body)

    assert response.status_code == 200, response.content
    order = Order.objects.get(returns_order__isnull=True)
    assert order.status == Order.Status.RETURNED
    assert order.returns.count() == 2
    assert volumes(tree["D"]) == customer_volume(0, 0)


def test_woocommerce_checks_a_new_webhook_url_with_an_unsigned_ping(woo, client):
    response = client.post(
        "/shops/woocommerce/wellness-woo/",
        "webhook_id=17",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert not Receipt.objects.exists()


# --------------------------------------------------------------------------- staff


def test_staff_see_shops_and_refused_receipts_in_the_admin(admin_client, shopify, post_shopify):
    body = payload("shopify_order_paid")
    body["line_items"][0]["sku"] = "WS-UNKNOWN"
    post_shopify("orders/paid", body)

    shops = admin_client.get("/admin/shops/shop/")
    receipts = admin_client.get("/admin/shops/receipt/")
    receipt = admin_client.get(f"/admin/shops/receipt/{Receipt.objects.get().pk}/change/")

    assert shops.status_code == 200
    assert b"wellness-demo" in shops.content
    assert receipts.status_code == 200
    assert b"5870132658314" in receipts.content
    assert receipt.status_code == 200
    assert b"WS-UNKNOWN" in receipt.content
