"""Operator screens render for a superuser; products are edited through the actions, and
orders, autoships, volumes and periods are read-only (autoships are created and cancelled in the
console: ``tests/web/test_console_operations.py``)."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from downline.core.scheduler import enqueue_due_jobs
from downline.orders.actions import do_create_autoship, do_place_order, do_return_order
from downline.orders.models import Autoship, Order, PeriodVolume, Product
from downline.orders.volumes import fold_volume_changes

from .conftest import at


@pytest.fixture
def orders(tree, shake, kit):
    order = do_place_order(tree["C"], [(shake, 2), (kit, 1)], "EUR", paid_at=at(2025, 5, 5))
    do_place_order(tree["K"], [(shake, 1)], "PLN", paid_at=at(2025, 5, 6))
    do_return_order(
        order, {order.lines.get(sku="KIT-1"): 1}, refunded_at=at(2025, 5, 7), reason="Damaged"
    )
    do_create_autoship(tree["C"], 15, [(shake, 1)], "EUR", starts_on=date(2025, 5, 1))
    enqueue_due_jobs(at(2025, 5, 1, 10, 0))
    fold_volume_changes()  # what the worker's folder does within a second
    return order


@pytest.mark.parametrize(
    "url",
    [
        "admin:orders_product_changelist",
        "admin:orders_product_add",
        "admin:orders_order_changelist",
        "admin:orders_autoship_changelist",
        "admin:orders_periodvolume_changelist",
        "admin:periods_period_changelist",
        "admin:core_scheduledrun_changelist",
    ],
)
def test_list_and_add_pages_render(admin_client, orders, url):
    response = admin_client.get(reverse(url))
    assert response.status_code == 200


def test_change_pages_render_with_readable_money_and_volumes(admin_client, orders, shake):
    order_page = admin_client.get(reverse("admin:orders_order_change", args=[orders.pk]))
    assert order_page.status_code == 200
    assert "€198.80" in order_page.text  # 2 × 49.90 + 99.00
    assert "75.00\u00a0PV" in order_page.text
    assert "€49.90" in order_page.text  # a line's unit price

    for url, pk in [
        ("admin:orders_product_change", shake.pk),
        ("admin:orders_autoship_change", Autoship.objects.get().pk),
        ("admin:orders_periodvolume_change", PeriodVolume.objects.first().pk),
        ("admin:periods_period_change", orders.period_id),
    ]:
        assert admin_client.get(reverse(url, args=[pk])).status_code == 200


def test_the_order_list_filters_and_searches(admin_client, orders, tree):
    url = reverse("admin:orders_order_changelist")
    listing = admin_client.get(url)
    assert "€198.80" in listing.text
    assert "PLN\u00a0199.00" in listing.text
    customer = admin_client.get(url, {"is_customer_order__exact": "1"})
    assert list(customer.context["cl"].result_list) == list(
        Order.objects.filter(is_customer_order=True)
    )
    searched = admin_client.get(url, {"q": "K"})
    assert {o.buyer.member_id for o in searched.context["cl"].result_list} == {"K"}
    returns = admin_client.get(url, {"status__exact": "refunded"})
    assert [o.returns_order_id for o in returns.context["cl"].result_list] == [orders.pk]


def test_the_volume_list_searches_by_member_id(admin_client, orders, tree):
    response = admin_client.get(reverse("admin:orders_periodvolume_changelist"), {"q": "R"})
    rows = list(response.context["cl"].result_list)
    assert [row.distributor.member_id for row in rows] == ["R"]
    assert "37.50\u00a0PV" in response.text  # R's group PV: 2 shakes + kit − kit + customer shake


def test_a_product_added_in_the_admin_is_created_by_the_action(admin_client, admin_user):
    response = admin_client.post(
        reverse("admin:orders_product_add"),
        {
            "sku": "TEA-1",
            "kind": "product",
            "active": "on",
            "name_en": "Green tea",
            "name_ru": "",
            "name_pl": "",
            "name_de": "Grüner Tee",
            "pv_points": "12,5",
            "cv_points": "10",
            "prices-TOTAL_FORMS": "1",
            "prices-INITIAL_FORMS": "0",
            "prices-MIN_NUM_FORMS": "0",
            "prices-MAX_NUM_FORMS": "1000",
            "prices-0-currency": "eur",
            "prices-0-price": "19.90",
        },
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    product = Product.objects.get(sku="TEA-1")
    assert (product.pv, product.cv, product.name_de, product.updated_by) == (
        1250,
        1000,
        "Grüner Tee",
        admin_user,
    )
    assert list(product.prices.values_list("currency", "amount")) == [("EUR", 1990)]


def test_a_price_with_too_many_decimals_is_shown_as_a_form_error(admin_client):
    response = admin_client.post(
        reverse("admin:orders_product_add"),
        {
            "sku": "TEA-2",
            "kind": "product",
            "active": "on",
            "name_en": "Tea",
            "pv_points": "1",
            "cv_points": "1",
            "prices-TOTAL_FORMS": "1",
            "prices-INITIAL_FORMS": "0",
            "prices-MIN_NUM_FORMS": "0",
            "prices-MAX_NUM_FORMS": "1000",
            "prices-0-currency": "JPY",
            "prices-0-price": "10.5",
        },
    )
    assert response.status_code == 200
    assert "Enter a price in JPY with at most 0 decimals." in response.text
    assert not Product.objects.filter(sku="TEA-2").exists()


def test_autoships_cannot_be_added_or_cancelled_in_the_admin(admin_client, orders):
    autoship = Autoship.objects.get()
    assert admin_client.get(reverse("admin:orders_autoship_add")).status_code == 403
    admin_client.post(
        reverse("admin:orders_autoship_changelist"),
        {"action": "cancel_autoships", "_selected_action": [autoship.pk]},
    )
    autoship.refresh_from_db()
    assert autoship.active


def test_prices_changed_in_the_admin_go_through_the_price_actions(admin_client, shake):
    eur, pln = shake.prices.order_by("currency")
    response = admin_client.post(
        reverse("admin:orders_product_change", args=[shake.pk]),
        {
            "sku": "SHAKE-1",
            "kind": "product",
            "active": "on",
            "name_en": "Protein shake",
            "name_ru": "",
            "name_pl": "",
            "name_de": "",
            "pv_points": "13",
            "cv_points": "10.00",
            "prices-TOTAL_FORMS": "3",
            "prices-INITIAL_FORMS": "2",
            "prices-MIN_NUM_FORMS": "0",
            "prices-MAX_NUM_FORMS": "1000",
            "prices-0-id": eur.pk,
            "prices-0-product": shake.pk,
            "prices-0-currency": "EUR",
            "prices-0-price": "54.90",
            "prices-1-id": pln.pk,
            "prices-1-product": shake.pk,
            "prices-1-currency": "PLN",
            "prices-1-price": "199.00",
            "prices-1-DELETE": "on",
            "prices-2-product": shake.pk,
            "prices-2-currency": "USD",
            "prices-2-price": "59",
        },
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    shake.refresh_from_db()
    assert shake.pv == 1300
    assert dict(shake.prices.values_list("currency", "amount")) == {"EUR": 5490, "USD": 5900}
