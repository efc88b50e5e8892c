"""Reading Shopify and WooCommerce order webhooks into plain events.

Each reader takes the webhook topic and the decoded JSON body and returns the events the
body means: an order to place (``ShopOrder``), a refund to turn into a return (``ShopRefund``),
a cancellation (``ShopCancellation``), a WooCommerce partial refund whose lines are still to be
read from the shop (``PartialRefund``), something for staff to handle by hand (``StaffNotice``)
or nothing to do (``Ignored``). ``read_woocommerce_refund`` reads the refund resource of
WooCommerce's REST API into a ``ShopRefund``. A body that lacks a field the event needs is
refused with a ``ShopError`` naming the field path (``line_items[2].quantity``) and the shop
order.

Field names follow the shops' documented formats: Shopify's ``Order`` and ``Refund`` webhook
resources (``line_items[].sku``, ``note_attributes[]``, ``refund_line_items[].line_item_id``)
and WooCommerce's REST API v3 ``order`` resource (``line_items[].sku``, ``meta_data[]``,
``date_paid_gmt``, ``billing.email``) and ``order refund`` resource (``line_items[].quantity``,
negative, and ``line_items[].meta_data[]`` key ``_refunded_item_id``, ``date_created_gmt``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.utils.translation import gettext as _

from .errors import ShopError

REFERRAL_KEYS = ("downline_ref", "_downline_ref")
"""Names of the order attribute (Shopify ``note_attributes``) or meta field (WooCommerce
``meta_data``) that carries the referring distributor's member id."""


@dataclass(frozen=True)
class ShopLine:
    line_id: str
    sku: str
    quantity: int
    title: str


@dataclass(frozen=True)
class ShopOrder:
    """A paid shop order. ``referrer`` is the member id from the referral attribute, or ""."""

    external_id: str
    number: str
    email: str
    name: str
    country: str
    referrer: str
    currency: str
    paid_at: datetime
    lines: tuple[ShopLine, ...]


@dataclass(frozen=True)
class ShopRefund:
    """A refund of order ``order_id``: ``lines`` are (shop line id, quantity) pairs; ``None``
    refunds everything not yet returned."""

    external_id: str
    order_id: str
    refunded_at: datetime
    lines: tuple[tuple[str, int], ...] | None
    reason: str


@dataclass(frozen=True)
class ShopCancellation:
    order_id: str
    cancelled_at: datetime
    reason: str


@dataclass(frozen=True)
class StaffNotice:
    """Something the shop did that Downline cannot map by itself; recorded for staff."""

    kind: str
    external_id: str
    message: str


@dataclass(frozen=True)
class PartialRefund:
    """A WooCommerce partial refund as the order resource lists it (``refunds[]``: id, reason,
    total), without its lines: they are read from the shop's REST API when the shop has
    credentials, else the refund is a ``StaffNotice``."""

    order_id: str
    refund_id: str
    total: str
    reason: str


@dataclass(frozen=True)
class Ignored:
    reason: str


ShopEvent = ShopOrder | ShopRefund | ShopCancellation | StaffNotice | PartialRefund | Ignored


# --------------------------------------------------------------------------- Shopify

SHOPIFY_TOPICS = ("orders/create", "orders/paid", "orders/cancelled", "refunds/create")


def read_shopify(topic: str, body: Mapping[str, Any]) -> list[ShopEvent]:
    """The events of a Shopify webhook with ``X-Shopify-Topic`` ``topic``.

    ``orders/paid`` places the order; ``orders/create`` too when its ``financial_status`` is
    ``paid`` (else it waits for ``orders/paid``); ``refunds/create`` returns the refunded line
    quantities; ``orders/cancelled`` cancels the order. Other topics are ignored.
    """
    if topic not in SHOPIFY_TOPICS:
        return [Ignored(_("Topic %(topic)s is not handled.") % {"topic": topic})]
    if topic == "refunds/create":
        return [_shopify_refund(body)]
    order_id = _id(body, "id", "")
    if topic == "orders/cancelled":
        return [
            ShopCancellation(
                order_id=order_id,
                cancelled_at=_instant(body, ("cancelled_at", "updated_at"), order_id),
                reason=_("Cancelled in the shop (%(reason)s).")
                % {"reason": _text(body.get("cancel_reason")) or "-"},
            )
        ]
    if topic == "orders/create" and body.get("financial_status") != "paid":
        return [
            Ignored(
                _("Shop order %(order)s is not paid yet (%(status)s); it is placed when paid.")
                % {"order": order_id, "status": _text(body.get("financial_status")) or "-"}
            )
        ]
    customer = _mapping(body.get("customer"))
    billing = _mapping(body.get("billing_address"))
    first = _text(customer.get("first_name")) or _text(billing.get("first_name"))
    last = _text(customer.get("last_name")) or _text(billing.get("last_name"))
    attributes = {
        _text(item.get("name")): _text(item.get("value"))
        for item in _list(body, "note_attributes", order_id, required=False)
        if isinstance(item, Mapping)
    }
    return [
        ShopOrder(
            external_id=order_id,
            number=_text(body.get("name")) or order_id,
            email=_text(body.get("email"))
            or _text(body.get("contact_email"))
            or _text(customer.get("email")),
            name=f"{first} {last}".strip(),
            country=_text(billing.get("country_code")),
            referrer=_referral(attributes),
            currency=_required_text(body, "currency", order_id),
            paid_at=_instant(body, ("processed_at", "created_at"), order_id),
            lines=_lines(body, order_id, quantity_key="quantity"),
        )
    ]


def _shopify_refund(body: Mapping[str, Any]) -> ShopEvent:
    refund_id = _id(body, "id", "")
    order_id = _id(body, "order_id", refund_id)
    lines = []
    for index, item in enumerate(_list(body, "refund_line_items", order_id, required=False)):
        where = f"refund_line_items[{index}]"
        item = _mapping_at(item, where, order_id)
        quantity = _count(item.get("quantity"), f"{where}.quantity", order_id)
        line_id = item.get("line_item_id")
        if line_id is None:
            line_id = _mapping(item.get("line_item")).get("id")
        if line_id is None:
            raise _missing(f"{where}.line_item_id", order_id)
        if quantity:
            lines.append((str(line_id), quantity))
    if not lines:
        return Ignored(
            _("Refund %(refund)s of shop order %(order)s returns no goods (money only).")
            % {"refund": refund_id, "order": order_id}
        )
    return ShopRefund(
        external_id=refund_id,
        order_id=order_id,
        refunded_at=_instant(body, ("processed_at", "created_at"), order_id),
        lines=tuple(lines),
        reason=_("Refunded in the shop (refund %(refund)s).") % {"refund": refund_id}
        + (f" {_text(body.get('note'))}" if _text(body.get("note")) else ""),
    )


# --------------------------------------------------------------------------- WooCommerce

WOOCOMMERCE_TOPICS = ("order.created", "order.updated")
WOOCOMMERCE_PAID = ("processing", "completed")


def read_woocommerce(topic: str, body: Mapping[str, Any]) -> list[ShopEvent]:
    """The events of a WooCommerce webhook with ``X-WC-Webhook-Topic`` ``topic``.

    An order (``order.created``/``order.updated``) whose ``status`` is ``processing`` or
    ``completed`` is placed; ``refunded`` returns everything not yet returned; ``cancelled``
    cancels it. WooCommerce's order resource lists partial refunds (``refunds[]``) without
    their lines, so each is a ``PartialRefund``: its lines are read from the shop's REST API
    (``read_woocommerce_refund``) when the shop has credentials, else it is recorded for staff
    to return by hand. Other statuses and topics are ignored.
    """
    if topic not in WOOCOMMERCE_TOPICS:
        return [Ignored(_("Topic %(topic)s is not handled.") % {"topic": topic})]
    order_id = _id(body, "id", "")
    status = _text(body.get("status"))
    modified = ("date_modified_gmt", "date_created_gmt")
    if status == "refunded":
        return [
            ShopRefund(
                external_id=f"{order_id}-full",
                order_id=order_id,
                refunded_at=_instant(body, modified, order_id, naive_is_utc=True),
                lines=None,
                reason=_("Refunded in full in the shop."),
            )
        ]
    if status == "cancelled":
        return [
            ShopCancellation(
                order_id=order_id,
                cancelled_at=_instant(body, modified, order_id, naive_is_utc=True),
                reason=_("Cancelled in the shop."),
            )
        ]
    if status not in WOOCOMMERCE_PAID:
        return [
            Ignored(
                _("Shop order %(order)s has status %(status)s; it is placed when paid.")
                % {"order": order_id, "status": status or "-"}
            )
        ]
    billing = _mapping(body.get("billing"))
    meta = {
        _text(item.get("key")): _text(item.get("value"))
        for item in _list(body, "meta_data", order_id, required=False)
        if isinstance(item, Mapping)
    }
    events: list[ShopEvent] = [
        ShopOrder(
            external_id=order_id,
            number=_text(body.get("number")) or order_id,
            email=_text(billing.get("email")),
            name=f"{_text(billing.get('first_name'))} {_text(billing.get('last_name'))}".strip(),
            country=_text(billing.get("country")),
            referrer=_referral(meta),
            currency=_required_text(body, "currency", order_id),
            paid_at=_instant(
                body,
                ("date_paid_gmt", "date_completed_gmt", "date_created_gmt"),
                order_id,
                naive_is_utc=True,
            ),
            lines=_lines(body, order_id, quantity_key="quantity"),
        )
    ]
    for index, refund in enumerate(_list(body, "refunds", order_id, required=False)):
        refund = _mapping_at(refund, f"refunds[{index}]", order_id)
        refund_id = _id(refund, "id", order_id, where=f"refunds[{index}].")
        events.append(
            PartialRefund(
                order_id=order_id,
                refund_id=refund_id,
                total=_text(refund.get("total")),
                reason=_text(refund.get("reason")),
            )
        )
    return events


REFUNDED_ITEM_KEY = "_refunded_item_id"
"""The meta key WooCommerce (``wc_create_refund``) gives each line of a refund: the id of the
order line it refunds."""


def read_woocommerce_refund(
    body: Mapping[str, Any], order_id: str, refund_id: str
) -> ShopRefund | Ignored:
    """The return a WooCommerce refund resource (``GET /wp-json/wc/v3/orders/<order>/refunds/
    <refund>``) means.

    Each ``line_items[]`` entry is a copy of the refunded order line with a negative
    ``quantity`` (the refunded quantity, 0 when only money was refunded on it) and the order
    line's id in ``meta_data[]`` key ``_refunded_item_id``. The refund is dated by
    ``date_created_gmt`` (UTC). A refund without refunded quantities (money only: shipping,
    goodwill) is ignored.
    """
    if _id(body, "id", order_id) != refund_id:
        raise ShopError(
            _("The shop answered refund %(other)s when asked for refund %(refund)s.")
            % {"other": _text(body.get("id")), "refund": refund_id},
            field="id",
        )
    lines = []
    for index, item in enumerate(_list(body, "line_items", order_id, required=False)):
        where = f"line_items[{index}]"
        item = _mapping_at(item, where, order_id)
        quantity = _refund_count(item.get("quantity"), f"{where}.quantity", order_id)
        if not quantity:
            continue
        line_id = ""
        for meta in _list(item, "meta_data", order_id, required=False):
            if isinstance(meta, Mapping) and _text(meta.get("key")) == REFUNDED_ITEM_KEY:
                line_id = _text(meta.get("value"))
        if not line_id:
            raise _missing(f"{where}.meta_data.{REFUNDED_ITEM_KEY}", order_id)
        lines.append((line_id, quantity))
    if not lines:
        return Ignored(
            _("Refund %(refund)s of shop order %(order)s returns no goods (money only).")
            % {"refund": refund_id, "order": order_id}
        )
    reason = _text(body.get("reason"))
    return ShopRefund(
        external_id=refund_id,
        order_id=order_id,
        refunded_at=_instant(body, ("date_created_gmt",), order_id, naive_is_utc=True),
        lines=tuple(lines),
        reason=_("Refunded in the shop (refund %(refund)s).") % {"refund": refund_id}
        + (f" {reason}" if reason else ""),
    )


# --------------------------------------------------------------------------- fields


def _refund_count(value: object, field: str, order_id: str) -> int:
    """A refund line's quantity: WooCommerce stores it negative (``-2`` refunds two); a
    whole-valued float (``-2.0``) is accepted, a fraction is refused."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ShopError(
            _("Shop order %(order)s: %(field)s must be a whole number, not %(value)r.")
            % {"order": order_id or "?", "field": field, "value": value},
            field=field,
        )
    return abs(value)


def _referral(attributes: Mapping[str, str]) -> str:
    for key in REFERRAL_KEYS:
        if attributes.get(key):
            return attributes[key]
    return ""


def _lines(body: Mapping[str, Any], order_id: str, *, quantity_key: str) -> tuple[ShopLine, ...]:
    items = _list(body, "line_items", order_id, required=True)
    if not items:
        raise ShopError(
            _("Shop order %(order)s has no line_items.") % {"order": order_id},
            field="line_items",
        )
    lines = []
    for index, item in enumerate(items):
        where = f"line_items[{index}]"
        item = _mapping_at(item, where, order_id)
        quantity = _count(item.get(quantity_key), f"{where}.{quantity_key}", order_id)
        lines.append(
            ShopLine(
                line_id=_id(item, "id", order_id, where=f"{where}."),
                sku=_text(item.get("sku")),
                quantity=quantity,
                title=_text(item.get("title")) or _text(item.get("name")),
            )
        )
    return tuple(lines)


def _text(value: object) -> str:
    if value is None or isinstance(value, (dict, list)):
        return ""
    return str(value).strip()


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _mapping_at(value: object, where: str, order_id: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ShopError(
            _("Shop order %(order)s: %(field)s must be an object.")
            % {"order": order_id, "field": where},
            field=where,
        )
    return value


def _list(body: Mapping[str, Any], key: str, order_id: str, *, required: bool) -> list[Any]:
    value = body.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list):
        raise ShopError(
            _("Shop order %(order)s: %(field)s must be a list.")
            % {"order": order_id or "?", "field": key},
            field=key,
        )
    return value


def _missing(field: str, order_id: str) -> ShopError:
    return ShopError(
        _("Shop order %(order)s: %(field)s is missing.")
        % {"order": order_id or "?", "field": field},
        field=field,
    )


def _id(body: Mapping[str, Any], key: str, order_id: str, *, where: str = "") -> str:
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip():
        raise _missing(f"{where}{key}", order_id)
    return str(value).strip()


def _required_text(body: Mapping[str, Any], key: str, order_id: str) -> str:
    text = _text(body.get(key))
    if not text:
        raise _missing(key, order_id)
    return text


def _count(value: object, field: str, order_id: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ShopError(
            _(
                "Shop order %(order)s: %(field)s must be a whole number of at least 0, not %(value)r."
            )
            % {"order": order_id or "?", "field": field, "value": value},
            field=field,
        )
    return value


def _instant(
    body: Mapping[str, Any], keys: tuple[str, ...], order_id: str, *, naive_is_utc: bool = False
) -> datetime:
    """The first of ``keys`` that holds an ISO 8601 time; WooCommerce's ``*_gmt`` fields carry
    no offset and are UTC (``naive_is_utc``)."""
    for key in keys:
        text = _text(body.get(key))
        if not text:
            continue
        try:
            instant = datetime.fromisoformat(text)
        except ValueError:
            raise ShopError(
                _("Shop order %(order)s: %(field)s is not an ISO 8601 time: %(value)r.")
                % {"order": order_id or "?", "field": key, "value": text},
                field=key,
            ) from None
        if instant.tzinfo is None:
            if not naive_is_utc:
                raise ShopError(
                    _("Shop order %(order)s: %(field)s has no time zone offset: %(value)r.")
                    % {"order": order_id or "?", "field": key, "value": text},
                    field=key,
                )
            instant = instant.replace(tzinfo=UTC)
        return instant
    raise _missing(keys[0], order_id)
