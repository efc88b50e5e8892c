"""``/orders``: read, place (``orders.actions.do_place_order``), cancel (``do_cancel_order``)
and return (``do_return_order``). Live volumes move in the same transaction as the order.

``Idempotency-Key`` (header, 1–64 characters) on ``POST /orders`` and on a return is the
action's idempotency key: the same key again returns the order written the first time (200
instead of 201) and writes nothing; the same key for another buyer is refused (409).
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Header, Query, Router, Status

from downline.genealogy.models import Distributor
from downline.orders.actions import (
    do_cancel_order,
    do_place_order_by_reference,
    do_place_order_with_outcome,
    do_return_order,
)
from downline.orders.fast_place import PlacedOrder
from downline.orders.models import Order, Product

from .. import audit
from ..auth import actor, need, viewer
from ..errors import ApiProblem, utc_instant
from ..pagination import DEFAULT_LIMIT, MAX_LIMIT, page, selected_fields
from ..schemas import ORDER_FIELDS, CancelIn, OrderIn, OrderOut, OrderPage, ReturnIn
from .visibility import not_found

router = Router()
KEY_HEADER = Header(
    None,
    alias="Idempotency-Key",
    min_length=1,
    max_length=64,
    description="the same key again returns the first order and writes nothing",
)


def visible_orders(member: Distributor | None) -> QuerySet[Order]:
    """All orders for an integration key; a distributor's own and their retail customers'."""
    rows = Order.objects.select_related(
        "buyer", "distributor", "returns_order", "period"
    ).prefetch_related("lines")
    if member is None:
        return rows
    return rows.filter(
        Q(buyer=member) | Q(buyer__sponsor=member, buyer__kind=Distributor.Kind.CUSTOMER)
    )


def order_summary(order: Order) -> dict:
    """An order without its lines (for lists whose ``fields=`` leave the lines out)."""
    return {
        "number": order.number,
        "buyer": order.buyer.member_id,
        "credited_to": order.distributor.member_id,
        "is_customer_order": order.is_customer_order,
        "kind": order.kind,
        "status": order.status,
        "returns_order": order.returns_order.number if order.returns_order_id else None,
        "currency": order.currency,
        "amount": order.amount,
        "pv": order.pv,
        "cv": order.cv,
        "paid_at": order.paid_at,
        "period": order.period.code,
    }


def order_dict(order: Order) -> dict:
    """An order with its lines (ids, for returns)."""
    lines = [
        {
            "id": line.pk,
            "sku": line.sku,
            "description": line.description,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "unit_pv": line.unit_pv,
            "unit_cv": line.unit_cv,
        }
        for line in sorted(order.lines.all(), key=lambda line: line.pk)
    ]
    return {**order_summary(order), "lines": lines}


def _fresh(order: Order) -> dict:
    return order_dict(visible_orders(None).get(pk=order.pk))


def _order_or_404(request: HttpRequest, number: str) -> Order:
    order = visible_orders(viewer(request)).filter(number=number).first()
    if order is None:
        raise not_found(_("order %(number)s") % {"number": number})
    return order


@router.get("", response=OrderPage, exclude_unset=True, summary="List orders")
def list_orders(
    request: HttpRequest,
    cursor: str | None = None,
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    buyer: str | None = Query(None, description="member id of the buyer"),
    status: str | None = Query(
        None, pattern="^(paid|cancelled|returned|partly_returned|refunded)$"
    ),
    period: str | None = Query(None, max_length=16, description="period code, e.g. 2026-10"),
    paid_from: datetime | None = None,
    paid_to: datetime | None = None,
    fields: str | None = Query(None, description="comma-separated fields to keep"),
):
    """Orders the caller may see, oldest first."""
    need(request, "orders:read")
    chosen = selected_fields(fields, ORDER_FIELDS)
    rows = visible_orders(viewer(request))
    if buyer:
        rows = rows.filter(buyer__member_id=buyer)
    if status:
        rows = rows.filter(status=status)
    if period:
        rows = rows.filter(period__code=period)
    if paid_from:
        rows = rows.filter(paid_at__gte=utc_instant(paid_from, "query.paid_from"))
    if paid_to:
        rows = rows.filter(paid_at__lt=utc_instant(paid_to, "query.paid_to"))
    render = order_dict
    if chosen is not None and "lines" not in chosen:
        rows = rows.prefetch_related(None)
        render = order_summary
    return page(rows, cursor=cursor, limit=limit, render=render, fields=chosen)


@router.get("/{number}", response=OrderOut, summary="Read an order")
def get_order(request: HttpRequest, number: str):
    need(request, "orders:read")
    return order_dict(_order_or_404(request, number))


def _products(payload: OrderIn) -> list[tuple[Product, int]]:
    """The order's lines as (product, quantity); an unknown SKU is named by its line."""
    skus = {line.sku for line in payload.lines}
    found = {product.sku: product for product in Product.objects.filter(sku__in=skus)}
    lines, errors = [], []
    for index, line in enumerate(payload.lines):
        product = found.get(line.sku)
        if product is None:
            errors.append(
                (f"body.lines.{index}.sku", _("There is no product %(sku)s.") % {"sku": line.sku})
            )
        else:
            lines.append((product, line.quantity))
    if errors:
        raise ApiProblem(422, errors[0][1], errors=errors)
    return lines


@router.post("", response={200: OrderOut, 201: OrderOut}, summary="Place an order")
def place_order(request: HttpRequest, payload: OrderIn, idempotency_key: str | None = KEY_HEADER):
    """Place a paid order of ``buyer``; its volumes move at once in the open period. 201 when
    written now, 200 when the ``Idempotency-Key`` was used before (the first order, unchanged)."""
    need(request, "orders:write")
    key = idempotency_key.strip() if idempotency_key else None
    paid_at = utc_instant(payload.paid_at, "body.paid_at")
    currency = payload.currency.upper()
    audit_row = audit.companion(request, "orders.place", 201)
    with transaction.atomic():
        placed = None
        if payload.number is None:
            # PostgreSQL, a plain order: member and products are read with the locks, the
            # order and its audit row written in one statement (orders.fast_place)
            placed = do_place_order_by_reference(
                payload.buyer,
                [(line.sku, line.quantity) for line in payload.lines],
                currency,
                paid_at=paid_at,
                idempotency_key=key,
                actor=actor(request),
                companions=audit_row,
            )
        if placed is None:
            buyer = Distributor.objects.filter(member_id=payload.buyer).first()
            if buyer is None:
                message = _("There is no member %(id)s.") % {"id": payload.buyer}
                raise ApiProblem(422, message, errors=[("body.buyer", message)])
            placed = do_place_order_with_outcome(
                buyer,
                _products(payload),
                currency,
                paid_at=paid_at,
                number=payload.number,
                idempotency_key=key,
                actor=actor(request),
                companions=audit_row,
            )
    if not placed.created:
        return Status(200, _fresh(placed.order))
    return Status(201, _written(placed))


def _written(placed: PlacedOrder) -> dict:
    """The answer for an order written now, built from what was written (no re-read)."""
    order = placed.order
    lines = [
        {
            "id": line.pk,
            "sku": line.sku,
            "description": line.description,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "unit_pv": line.unit_pv,
            "unit_cv": line.unit_cv,
        }
        for line in sorted(placed.lines, key=lambda line: line.pk)
    ]
    return {**order_summary(order), "lines": lines}


@router.post("/{number}/cancel", response=OrderOut, summary="Cancel an order")
def cancel_order(request: HttpRequest, number: str, payload: CancelIn):
    """Cancel a paid order without returns while its period is open; its volume goes back."""
    need(request, "orders:write")
    order = _order_or_404(request, number)
    with transaction.atomic():
        do_cancel_order(order, reason=payload.reason, actor=actor(request))
        audit.record(request, "orders.cancel", order.number)
    return _fresh(order)


@router.post(
    "/{number}/returns", response={200: OrderOut, 201: OrderOut}, summary="Return an order"
)
def return_order(
    request: HttpRequest,
    number: str,
    payload: ReturnIn,
    idempotency_key: str | None = KEY_HEADER,
):
    """Return the given lines (or everything not yet returned); the answer is the return
    order. Volume is taken back in the period of ``refunded_at`` (default now); after the close
    of the order's period the return becomes a clawback."""
    need(request, "orders:write")
    order = _order_or_404(request, number)
    lines = None
    if payload.lines is not None:
        by_id = {line.pk: line for line in order.lines.all()}
        lines = {}
        for index, item in enumerate(payload.lines):
            line = by_id.get(item.line_id)
            if line is None:
                message = _("Order %(number)s has no line %(line)s.") % {
                    "number": number,
                    "line": item.line_id,
                }
                raise ApiProblem(422, message, errors=[(f"body.lines.{index}.line_id", message)])
            lines[line] = lines.get(line, 0) + item.quantity
    key = idempotency_key.strip() if idempotency_key else None
    seen = key is not None and Order.objects.filter(idempotency_key=key).exists()
    with transaction.atomic():
        returned = do_return_order(
            order,
            lines,
            refunded_at=utc_instant(payload.refunded_at, "body.refunded_at"),
            reason=payload.reason,
            actor=actor(request),
            idempotency_key=key,
        )
        if not seen:
            audit.record(request, "orders.return", returned.number, 201)
    return Status(200 if seen else 201, _fresh(returned))
