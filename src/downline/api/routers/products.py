"""``/products``: the catalogue with its prices (read only)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import get_language
from ninja import Query, Router

from downline.orders.models import Product

from ..auth import need
from ..pagination import DEFAULT_LIMIT, MAX_LIMIT, page
from ..schemas import ProductOut, ProductPage
from .visibility import not_found

router = Router()
LANGUAGES = ("en", "ru", "pl", "de")


def product_dict(product: Product) -> dict:
    """A product with its name in the request's language, all names, and every price."""
    language = (get_language() or "en")[:2]
    return {
        "sku": product.sku,
        "name": product.name_in(language if language in LANGUAGES else "en"),
        "names": {code: getattr(product, f"name_{code}") for code in LANGUAGES},
        "kind": product.kind,
        "pv": product.pv,
        "cv": product.cv,
        "active": product.active,
        "prices": [
            {"currency": price.currency, "amount": price.amount}
            for price in sorted(product.prices.all(), key=lambda p: p.currency)
        ],
    }


@router.get("", response=ProductPage, summary="List products")
def list_products(
    request: HttpRequest,
    cursor: str | None = None,
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    active: bool | None = None,
    kind: str | None = Query(None, max_length=12),
):
    need(request, "products:read")
    rows = Product.objects.prefetch_related("prices")
    if active is not None:
        rows = rows.filter(active=active)
    if kind:
        rows = rows.filter(kind=kind)
    return page(rows, cursor=cursor, limit=limit, render=product_dict)


@router.get("/{sku}", response=ProductOut, summary="Read a product")
def get_product(request: HttpRequest, sku: str):
    need(request, "products:read")
    product = Product.objects.prefetch_related("prices").filter(sku=sku).first()
    if product is None:
        raise not_found(sku)
    return product_dict(product)
