"""Fixtures for the shop adapter tests: a small network, a catalogue, one Shopify and one
WooCommerce shop, the fixture payloads, and a poster that sends a raw JSON body to a shop's
webhook URL with the headers the shop itself would send (signature computed from the body)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine

from downline.genealogy.models import Distributor
from downline.orders.actions import do_create_product
from downline.orders.models import Product, ProductKind
from downline.shops.actions import do_create_shop, do_map_sku
from downline.shops.models import Shop, ShopKind
from downline.shops.signatures import sign

PAYLOADS = Path(__file__).resolve().parent / "payloads"
SHOPIFY_SECRET = "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"
WOO_SECRET = "wc-webhook-secret-9Zq!7x"
# the fixture orders are paid on 2026-06-15 at 11:58:40 UTC; the clock stands a little later
ORDER_DAY = datetime(2026, 6, 15, 12, 30, tzinfo=UTC)
REFUND_DAY = datetime(2026, 6, 20, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(ORDER_DAY, tick=False):
        yield


Network = dict[str, Distributor]


@pytest.fixture
def tree(db) -> Network:
    """R ─ A ─ D, distributors sponsored and placed in a line (D refers the buyers of the
    fixture payloads), written straight into the rows like ``tests/orders``' network."""
    network: Network = {}
    parent = None
    for member_id in ("R", "A", "D"):
        network[member_id] = parent = Distributor.objects.create(
            member_id=member_id,
            name=f"Member {member_id}",
            sponsor=parent,
            placement_parent=parent,
            placement_position=1 if parent else None,
            joined_on=date(2024, 1, 1),
        )
    return network


@pytest.fixture
def catalogue(db) -> dict[str, Product]:
    """SHAKE-1: 12.50 PV, 10.00 CV, EUR 49.90; KIT-1: 50.00 PV, 25.00 CV, EUR 99.00."""
    return {
        "SHAKE-1": do_create_product(
            "SHAKE-1", {"en": "Protein shake"}, pv=1250, cv=1000, prices={"EUR": 4990}
        ),
        "KIT-1": do_create_product(
            "KIT-1",
            {"en": "Starter kit"},
            ProductKind.STARTER_KIT,
            pv=5000,
            cv=2500,
            prices={"EUR": 9900},
        ),
    }


def _shop(kind: str, slug: str, secret: str, tree: Network, catalogue) -> Shop:
    shop = do_create_shop(
        kind=kind,
        slug=slug,
        name=slug.title(),
        webhook_secret=secret,
        currency="EUR",
        default_referrer=tree["R"],
    )
    # the shops sell the kit as WS-STARTER; SHAKE-1 keeps its SKU (no mapping needed)
    do_map_sku(shop, "WS-STARTER", catalogue["KIT-1"])
    return shop


@pytest.fixture
def shopify(tree, catalogue) -> Shop:
    return _shop(ShopKind.SHOPIFY, "wellness-demo", SHOPIFY_SECRET, tree, catalogue)


@pytest.fixture
def woo(tree, catalogue) -> Shop:
    return _shop(ShopKind.WOOCOMMERCE, "wellness-woo", WOO_SECRET, tree, catalogue)


def payload(name: str) -> dict[str, Any]:
    """A fresh copy of ``tests/shops/payloads/<name>.json``."""
    return json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))


Poster = Callable[..., Any]


@pytest.fixture
def post_shopify(client) -> Poster:
    """POST a Shopify webhook: ``post_shopify(topic, body)``; ``secret`` or ``signature``
    override the signing."""

    def post(
        topic: str,
        body: dict[str, Any] | bytes,
        *,
        secret: str = SHOPIFY_SECRET,
        signature: str | None = None,
        slug: str = "wellness-demo",
    ):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {
            "X-Shopify-Topic": topic,
            "X-Shopify-Shop-Domain": "wellness-demo.myshopify.com",
            "X-Shopify-API-Version": "2025-07",
            "X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
            "X-Shopify-Hmac-Sha256": signature if signature is not None else sign(secret, raw),
        }
        return client.post(
            f"/shops/shopify/{slug}/", raw, content_type="application/json", headers=headers
        )

    return post


@pytest.fixture
def post_woo(client) -> Poster:
    """POST a WooCommerce webhook: ``post_woo(topic, body)``."""

    def post(
        topic: str,
        body: dict[str, Any] | bytes,
        *,
        secret: str = WOO_SECRET,
        signature: str | None = None,
    ):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        resource, _dot, event = topic.partition(".")
        headers = {
            "X-WC-Webhook-Source": "https://shop.example.com/",
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Resource": resource,
            "X-WC-Webhook-Event": event,
            "X-WC-Webhook-ID": "17",
            "X-WC-Webhook-Delivery-ID": "0b5f3c1e9a",
            "X-WC-Webhook-Signature": signature if signature is not None else sign(secret, raw),
        }
        return client.post(
            "/shops/woocommerce/wellness-woo/",
            raw,
            content_type="application/json",
            headers=headers,
        )

    return post
