"""Writes of the orders app: products and prices, orders, returns, cancellations and autoships.

Every ``do_*`` function validates first, runs in one transaction and raises ``OrderError``,
``ProductError`` or ``AutoshipError`` (all ``DownlineError``) with a sentence naming the order,
product or member and the reason; on an error nothing is written.

Volume rules (recorded with ``volumes.append_volume_change`` in the same transaction as the order
and folded into the uplines' rows by ``volumes.fold_volume_changes``; readers see them at once):

* A paid order adds its PV/CV to the credited distributor's ``pv``/``cv`` (and to
  ``customer_pv``/``customer_cv`` when a retail customer bought it) and to the group volumes of
  every enrollment and every placement upline, in the period that contains its paid time
  (company time zone).
* A return subtracts the returned lines' PV/CV the same way, in the period of the refund time:
  volume comes off in the period the return is processed, and closed periods never change.
  A return of an order whose own period is already closed (``after_close``) moves no volume:
  the closed period keeps it, and the commissions it produced are clawed back instead
  (the ``core.hooks.RETURN_AFTER_CLOSE`` hook, handled by ``compensation.clawbacks``, in the
  same transaction).
* A cancellation (a paid order, no returns, its period still open) subtracts the whole order in
  the order's own period.

Lines copy SKU, name, unit price, unit PV and unit CV when the order is written, so catalogue
changes never alter past orders.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from downline.accounts.models import User
from downline.calendar import local_day
from downline.core import events as outbox
from downline.core import hooks
from downline.core.errors import DownlineError
from downline.core.ids import is_valid_id
from downline.core.limits import check_money, check_quantity, check_volume
from downline.genealogy.locks import hold_network_shared
from downline.genealogy.models import Distributor
from downline.periods.actions import do_ensure_period_for
from downline.periods.locks import lock_period_for_writing
from downline.periods.models import Period

from . import fast_place
from .errors import AutoshipError, OrderError, ProductError
from .fast_place import Companions, ItemRequest, PlacedOrder
from .models import (
    Autoship,
    AutoshipItem,
    AutoshipRun,
    Order,
    OrderLine,
    PeriodVolume,
    Product,
    ProductKind,
    ProductPrice,
)
from .rules import (
    first_autoship_date,
    is_count,
    is_currency_code,
    next_autoship_date,
    order_kind,
)
from .selectors import VOLUME_FIELDS, VolumeDifference, compare_period_volumes, returned_quantities
from .volumes import VolumeDelta, append_volume_change

logger = logging.getLogger(__name__)

LANGUAGES = ("en", "ru", "pl", "de")
GENERATED_NUMBER_PREFIX = fast_place.GENERATED_NUMBER_PREFIX
_NUMBER_LENGTH = Order._meta.get_field("number").max_length
_KEY_LENGTH = Order._meta.get_field("idempotency_key").max_length

LineRequest = tuple[Product, int]


# --- products -----------------------------------------------------------------------------


@transaction.atomic
def do_create_product(
    sku: str,
    names: Mapping[str, str],
    kind: str = ProductKind.PRODUCT,
    pv: int = 0,
    cv: int = 0,
    prices: Mapping[str, int] | None = None,
    *,
    active: bool = True,
    actor: User | None = None,
) -> Product:
    """Create a product. ``names`` maps ``en`` (required) and optionally ``ru``/``pl``/``de`` to
    the name in that language; ``pv``/``cv`` are hundredths per unit; ``prices`` maps a currency
    code to the unit price in minor units."""
    sku = _clean_sku(sku)
    if Product.objects.filter(sku=sku).exists():
        raise ProductError(_("A product with SKU %(sku)s exists already.") % {"sku": sku})
    product = Product(
        sku=sku,
        kind=_clean_kind(kind, sku),
        pv=_clean_volume(pv, "PV", sku),
        cv=_clean_volume(cv, "CV", sku),
        active=bool(active),
        updated_by=actor,
    )
    _apply_names(product, names)
    if not product.name_en:
        raise ProductError(_("Product %(sku)s needs an English name.") % {"sku": sku})
    product.save()
    for currency, amount in (prices or {}).items():
        _set_price(product, currency, amount)
    return product


@transaction.atomic
def do_update_product(
    product: Product,
    *,
    sku: str | None = None,
    names: Mapping[str, str] | None = None,
    kind: str | None = None,
    pv: int | None = None,
    cv: int | None = None,
    active: bool | None = None,
    actor: User | None = None,
) -> Product:
    """Change the given fields of ``product`` (``None`` keeps a field). Past orders keep the
    SKU, name, price and volumes they were written with."""
    locked = Product.objects.select_for_update().get(pk=product.pk)
    if sku is not None:
        new_sku = _clean_sku(sku)
        if new_sku != locked.sku and Product.objects.filter(sku=new_sku).exists():
            raise ProductError(_("A product with SKU %(sku)s exists already.") % {"sku": new_sku})
        locked.sku = new_sku
    if kind is not None:
        locked.kind = _clean_kind(kind, locked.sku)
    if pv is not None:
        locked.pv = _clean_volume(pv, "PV", locked.sku)
    if cv is not None:
        locked.cv = _clean_volume(cv, "CV", locked.sku)
    if active is not None:
        locked.active = bool(active)
    if names is not None:
        _apply_names(locked, names)
        if not locked.name_en:
            raise ProductError(_("Product %(sku)s needs an English name.") % {"sku": locked.sku})
    locked.updated_by = actor
    locked.save()
    return locked


@transaction.atomic
def do_set_price(
    product: Product, currency: str, amount: int, *, actor: User | None = None
) -> ProductPrice:
    """Set the unit price of ``product`` in ``currency`` (minor units), adding or replacing it."""
    price = _set_price(product, currency, amount)
    Product.objects.filter(pk=product.pk).update(updated_by=actor, updated_at=timezone.now())
    return price


@transaction.atomic
def do_remove_price(product: Product, currency: str, *, actor: User | None = None) -> None:
    """Stop selling ``product`` in ``currency``."""
    deleted, _rows = ProductPrice.objects.filter(product=product, currency=currency).delete()
    if not deleted:
        raise ProductError(
            _("Product %(sku)s has no price in %(currency)s.")
            % {"sku": product.sku, "currency": currency}
        )
    Product.objects.filter(pk=product.pk).update(updated_by=actor, updated_at=timezone.now())


def _set_price(product: Product, currency: str, amount: int) -> ProductPrice:
    if not is_currency_code(currency):
        raise ProductError(
            _("Product %(sku)s: %(currency)r is not a currency code such as EUR.")
            % {"sku": product.sku, "currency": currency}
        )
    if not is_count(amount):
        raise ProductError(
            _(
                "Product %(sku)s: the %(currency)s price must be a whole number of minor units "
                "(cents) of at least 0, not %(amount)r."
            )
            % {"sku": product.sku, "currency": currency, "amount": amount}
        )
    check_money(
        amount,
        currency,
        field="price",
        label=_("Product %(sku)s: the %(currency)s price")
        % {"sku": product.sku, "currency": currency},
        error=ProductError,
    )
    price, _created = ProductPrice.objects.update_or_create(
        product=product, currency=currency, defaults={"amount": amount}
    )
    return price


def _clean_sku(sku: object) -> str:
    text = sku.strip() if isinstance(sku, str) else ""
    if not text or len(text) > Product._meta.get_field("sku").max_length:
        raise ProductError(_("%(sku)r is not a valid SKU (1 to 64 characters).") % {"sku": sku})
    return text


def _clean_kind(kind: str, sku: str) -> str:
    if kind not in ProductKind.values:
        raise ProductError(
            _("Product %(sku)s: kind %(kind)r is not one of %(kinds)s.")
            % {"sku": sku, "kind": kind, "kinds": ", ".join(ProductKind.values)}
        )
    return kind


def _clean_volume(value: object, label: str, sku: str) -> int:
    if not is_count(value):
        raise ProductError(
            _(
                "Product %(sku)s: %(label)s must be a whole number of hundredths of at least 0 "
                "(12.50 is 1250), not %(value)r."
            )
            % {"sku": sku, "label": label, "value": value}
        )
    return check_volume(
        int(value),
        field=label.lower(),
        label=_("Product %(sku)s: %(label)s") % {"sku": sku, "label": label},
        error=ProductError,
    )


def _apply_names(product: Product, names: Mapping[str, str]) -> None:
    unknown = sorted(set(names) - set(LANGUAGES))
    if unknown:
        raise ProductError(
            _("Product %(sku)s: names can be given in %(languages)s, not in %(unknown)s.")
            % {"sku": product.sku, "languages": ", ".join(LANGUAGES), "unknown": ", ".join(unknown)}
        )
    limit = Product._meta.get_field("name_en").max_length
    for language, name in names.items():
        text = (name or "").strip()
        if len(text) > limit:
            raise ProductError(
                _("Product %(sku)s: the %(language)s name is longer than %(limit)s characters.")
                % {"sku": product.sku, "language": language, "limit": limit}
            )
        setattr(product, f"name_{language}", text)


# --- orders -------------------------------------------------------------------------------


@transaction.atomic
def do_place_order(
    buyer: Distributor,
    lines: Sequence[LineRequest],
    currency: str,
    *,
    paid_at: datetime | None = None,
    number: str | None = None,
    idempotency_key: str | None = None,
    actor: User | None = None,
    autoship: Autoship | None = None,
) -> Order:
    """Write a paid order of ``buyer`` and move the live volumes of its period.

    ``lines`` are ``(product, quantity)`` pairs priced in ``currency``. A retail-customer buyer's
    order is credited to their sponsor (``is_customer_order``). The order belongs to the period
    that contains ``paid_at`` (default: now) in the company time zone. ``number`` defaults to a
    generated ``DL00000042``. When ``idempotency_key`` was used before by the same buyer, the
    order written then is returned and nothing new is written. The kind follows
    ``rules.order_kind``.
    """
    return _place(
        buyer,
        lines,
        currency,
        paid_at=paid_at,
        number=number,
        idempotency_key=idempotency_key,
        actor=actor,
        autoship=autoship,
        companions=None,
    ).order


@transaction.atomic
def do_place_order_with_outcome(
    buyer: Distributor,
    lines: Sequence[LineRequest],
    currency: str,
    *,
    paid_at: datetime | None = None,
    number: str | None = None,
    idempotency_key: str | None = None,
    actor: User | None = None,
    autoship: Autoship | None = None,
    companions: Companions | None = None,
) -> PlacedOrder:
    """``do_place_order``, telling whether the order was written now (``created``) or found by
    its idempotency key, with its lines. ``companions(number)`` gives unsaved rows (an audit
    record) written in the same transaction, only when the order is written now.

    On PostgreSQL a plain order takes the fast path (``fast_place``: two round trips, the same
    locks and rules); anything else, and every refusal, goes the general way.
    """
    return _place(
        buyer,
        lines,
        currency,
        paid_at=paid_at,
        number=number,
        idempotency_key=idempotency_key,
        actor=actor,
        autoship=autoship,
        companions=companions,
    )


def _place(
    buyer: Distributor,
    lines: Sequence[LineRequest],
    currency: str,
    *,
    paid_at: datetime | None,
    number: str | None,
    idempotency_key: str | None,
    actor: User | None,
    autoship: Autoship | None,
    companions: Companions | None,
) -> PlacedOrder:
    """The fast path when it applies, else the general one (inside the caller's atomic)."""
    if idempotency_key is not None:
        _check_key(idempotency_key)
    if fast_place.applies(number) and _plain_lines(lines):
        instant = paid_at or timezone.now()
        if isinstance(instant, datetime) and not timezone.is_naive(instant):
            placed = fast_place.place(
                buyer_id=buyer.pk,
                items=[ItemRequest(product.pk, None, quantity) for product, quantity in lines],
                currency=currency,
                paid_at=instant,
                idempotency_key=idempotency_key,
                actor_id=actor.pk if actor is not None else None,
                autoship_id=autoship.pk if autoship is not None else None,
                companions=companions,
            )
            if placed is not None:
                return placed
    return _place_order_general(
        buyer,
        lines,
        currency,
        paid_at=paid_at,
        number=number,
        idempotency_key=idempotency_key,
        actor=actor,
        autoship=autoship,
        companions=companions,
    )


def do_place_order_by_reference(
    buyer_member_id: str,
    items: Sequence[tuple[str, int]],
    currency: str,
    *,
    paid_at: datetime | None = None,
    idempotency_key: str | None = None,
    actor: User | None = None,
    companions: Companions | None = None,
) -> PlacedOrder | None:
    """Place an order of the member ``buyer_member_id`` for ``(sku, quantity)`` items on the
    fast path (PostgreSQL, plain order; see ``fast_place``), looking the member and the
    products up in the same round trip as the locks. ``None`` when the fast path does not
    apply: nothing was written, and the caller resolves the member and products itself and
    calls ``do_place_order_with_outcome``, which words any refusal. Inside the caller's
    ``transaction.atomic``."""
    if not fast_place.applies(None) or not connection.in_atomic_block:
        return None
    if idempotency_key is not None:
        _check_key(idempotency_key)
    instant = paid_at or timezone.now()
    if not isinstance(instant, datetime) or timezone.is_naive(instant):
        return None
    return fast_place.place(
        buyer_member_id=buyer_member_id,
        items=[ItemRequest(None, sku, quantity) for sku, quantity in items],
        currency=currency,
        paid_at=instant,
        idempotency_key=idempotency_key,
        actor_id=actor.pk if actor is not None else None,
        companions=companions,
    )


def _plain_lines(lines: object) -> bool:
    """Every line is a ``(Product, quantity)`` pair (else the general path words the refusal)."""
    if not isinstance(lines, list | tuple):
        return False
    for line in lines:
        if not isinstance(line, tuple | list) or len(line) != 2:
            return False
        if not isinstance(line[0], Product) or line[0].pk is None:
            return False
    return True


def _place_order_general(
    buyer: Distributor,
    lines: Sequence[LineRequest],
    currency: str,
    *,
    paid_at: datetime | None,
    number: str | None,
    idempotency_key: str | None,
    actor: User | None,
    autoship: Autoship | None,
    companions: Companions | None,
) -> PlacedOrder:
    """The general way of ``do_place_order_with_outcome``: ORM statements, every refusal."""
    if idempotency_key is not None:
        existing = Order.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return _found(_order_for_key(existing, buyer))
    hold_network_shared()  # before any period or volume lock (see ``volumes``)
    buyer = Distributor.objects.get(pk=buyer.pk)
    credited = _credited_member(buyer)
    if not is_currency_code(currency):
        raise OrderError(
            _("Order of member %(member)s: %(currency)r is not a currency code such as EUR.")
            % {"member": buyer.member_id, "currency": currency}
        )
    if not lines:
        raise OrderError(
            _("An order needs at least one line; the order of member %(member)s has none.")
            % {"member": buyer.member_id}
        )
    order_lines = _priced_lines(lines, currency, buyer)
    _check_totals(order_lines, currency, buyer)
    paid_at = _aware(
        paid_at or timezone.now(),
        _("Order of member %(member)s: the payment time must be a date and time with a time zone.")
        % {"member": buyer.member_id},
    )
    if number is not None:
        number = _clean_new_number(number)
    period = _open_period(
        do_ensure_period_for(paid_at).pk,
        _(
            "Period %(period)s is closed; the order of member %(member)s paid at %(paid)s "
            "cannot be placed in it."
        ),
        member=buyer.member_id,
        paid=paid_at.isoformat(),
    )
    kind = order_kind(line.product.kind for line in order_lines)
    if autoship is not None and kind != ProductKind.STARTER_KIT:
        kind = ProductKind.AUTOSHIP
    order = Order(
        number=number or _provisional_number(),
        buyer=buyer,
        distributor=credited,
        is_customer_order=buyer.is_customer,
        kind=kind,
        status=Order.Status.PAID,
        currency=currency,
        amount=sum(line.amount for line in order_lines),
        pv=sum(line.pv for line in order_lines),
        cv=sum(line.cv for line in order_lines),
        paid_at=paid_at,
        period=period,
        autoship=autoship,
        idempotency_key=idempotency_key,
        created_by=actor,
    )
    try:
        with transaction.atomic():
            order.save(force_insert=True)
    except IntegrityError:
        if idempotency_key is not None:
            existing = Order.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:  # a concurrent call with the same key won
                return _found(_order_for_key(existing, buyer))
        if number is not None and Order.objects.filter(number=number).exists():
            raise OrderError(_("Order %(order)s exists already.") % {"order": number}) from None
        raise
    if number is None:
        _assign_generated_number(order)
    for line in order_lines:
        line.order = order
    OrderLine.objects.bulk_create(order_lines)
    _move_volumes(order, sign=1, period_id=period.pk)
    outbox.record_event(outbox.ORDER_PAID, fast_place.paid_payload(order), member_id=credited.pk)
    for row in companions(order.number) if companions is not None else ():
        row.save(force_insert=True)
    return PlacedOrder(order=order, lines=order_lines, created=True)


def _found(order: Order) -> PlacedOrder:
    """An order found by its idempotency key: nothing written now."""
    return PlacedOrder(order=order, lines=list(order.lines.order_by("pk")), created=False)


@transaction.atomic
def do_return_order(
    order: Order,
    lines: Mapping[OrderLine, int] | None = None,
    *,
    refunded_at: datetime | None = None,
    reason: str,
    actor: User | None = None,
    idempotency_key: str | None = None,
) -> Order:
    """Return ``lines`` (``{order_line: quantity}``; ``None`` returns everything not yet
    returned) of ``order`` and subtract their volume in the period of ``refunded_at``.

    The return is an ``Order`` with ``returns_order`` set, status ``refunded`` and positive
    totals, numbered ``<number>-R<n>``; its lines point at the returned lines. The original
    becomes ``returned`` when nothing is left, else ``partly_returned``.
    """
    if idempotency_key is not None:
        _check_key(idempotency_key)
        existing = Order.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            if existing.returns_order_id != order.pk:
                raise OrderError(
                    _(
                        "Idempotency key %(key)s was already used for order %(other)s, which is "
                        "not a return of order %(order)s."
                    )
                    % {"key": idempotency_key, "other": existing.number, "order": order.number}
                )
            return existing
    hold_network_shared()
    original = Order.objects.select_for_update().select_related("buyer").get(pk=order.pk)
    reason = _required_reason(reason, original)
    if original.is_return:
        raise OrderError(
            _("Order %(order)s is itself a return and cannot be returned.")
            % {"order": original.number}
        )
    if original.status == Order.Status.CANCELLED:
        raise OrderError(
            _("Order %(order)s is cancelled; there is nothing to return.")
            % {"order": original.number}
        )
    original_lines = {line.pk: line for line in original.lines.all()}
    returned = returned_quantities(original)
    left = {pk: line.quantity - returned.get(pk, 0) for pk, line in original_lines.items()}
    requested = _requested_quantities(original, original_lines, left, lines)
    refunded_at = _aware(
        refunded_at or timezone.now(),
        _("Return of order %(order)s: the refund time must be a date and time with a time zone.")
        % {"order": original.number},
    )
    if refunded_at < original.paid_at:
        raise OrderError(
            _("Order %(order)s cannot be refunded at %(refunded)s, before it was paid (%(paid)s).")
            % {
                "order": original.number,
                "refunded": refunded_at.isoformat(),
                "paid": original.paid_at.isoformat(),
            }
        )
    period = _open_period(
        do_ensure_period_for(refunded_at).pk,
        _(
            "Period %(period)s is closed; a return of order %(order)s refunded at %(refunded)s "
            "cannot be written into it."
        ),
        order=original.number,
        refunded=refunded_at.isoformat(),
    )
    return_lines = [
        OrderLine(
            product_id=original_lines[pk].product_id,
            sku=original_lines[pk].sku,
            description=original_lines[pk].description,
            quantity=quantity,
            unit_price=original_lines[pk].unit_price,
            unit_pv=original_lines[pk].unit_pv,
            unit_cv=original_lines[pk].unit_cv,
            returns_line_id=pk,
        )
        for pk, quantity in requested.items()
    ]
    sequence = original.returns.count() + 1
    number = f"{original.number}-R{sequence}"
    generated = len(number) > _NUMBER_LENGTH or Order.objects.filter(number=number).exists()
    original_period = Period.objects.get(pk=original.period_id)
    after_close = not original_period.is_open
    refund = Order.objects.create(
        number=_provisional_number() if generated else number,
        buyer=original.buyer,
        distributor_id=original.distributor_id,
        is_customer_order=original.is_customer_order,
        kind=original.kind,
        status=Order.Status.REFUNDED,
        returns_order=original,
        after_close=after_close,
        currency=original.currency,
        amount=sum(line.amount for line in return_lines),
        pv=sum(line.pv for line in return_lines),
        cv=sum(line.cv for line in return_lines),
        paid_at=refunded_at,
        period=period,
        idempotency_key=idempotency_key,
        reason=reason,
        created_by=actor,
    )
    if generated:
        _assign_generated_number(refund)
    for line in return_lines:
        line.order = refund
    OrderLine.objects.bulk_create(return_lines)
    everything_returned = all(left[pk] == requested.get(pk, 0) for pk in original_lines)
    original.status = Order.Status.RETURNED if everything_returned else Order.Status.PARTLY_RETURNED
    original.save(update_fields=["status"])
    outbox.record_event(
        outbox.ORDER_RETURNED,
        {
            "order": original.number,
            "return": refund.number,
            "member": Distributor.objects.values_list("member_id", flat=True).get(
                pk=original.distributor_id
            ),
            "buyer": original.buyer.member_id,
            "status": original.status,
            "after_close": after_close,
            "currency": refund.currency,
            "amount": refund.amount,
            "pv": refund.pv,
            "cv": refund.cv,
            "period": period.code,
            "refunded_at": refunded_at.isoformat(),
        },
        member_id=original.distributor_id,
    )
    if after_close:
        hooks.RETURN_AFTER_CLOSE.fire(refund=refund)  # compensation claws back, in this transaction
    else:
        _move_volumes(refund, sign=-1, period_id=period.pk)
    return refund


@transaction.atomic
def do_cancel_order(order: Order, *, reason: str, actor: User | None = None) -> Order:
    """Cancel a paid order that has no returns while its period is open; its volume is taken
    back in that period."""
    hold_network_shared()
    locked = Order.objects.select_for_update().get(pk=order.pk)
    reason = _required_reason(reason, locked)
    if locked.is_return:
        raise OrderError(
            _("Order %(order)s is a return; a return cannot be cancelled.")
            % {"order": locked.number}
        )
    if locked.status == Order.Status.CANCELLED:
        raise OrderError(_("Order %(order)s is cancelled already.") % {"order": locked.number})
    if locked.status != Order.Status.PAID:
        raise OrderError(
            _("Order %(order)s has returns and cannot be cancelled; return the rest instead.")
            % {"order": locked.number}
        )
    _open_period(
        locked.period_id,
        _("Period %(period)s of order %(order)s is closed; the order cannot be cancelled."),
        order=locked.number,
    )
    locked.status = Order.Status.CANCELLED
    locked.cancelled_at = timezone.now()
    locked.cancelled_by = actor
    locked.reason = reason
    locked.save(update_fields=["status", "cancelled_at", "cancelled_by", "reason"])
    _move_volumes(locked, sign=-1, period_id=locked.period_id)
    return locked


def _move_volumes(order: Order, *, sign: int, period_id: int) -> None:
    """Add (``sign`` 1) or subtract (-1) ``order``'s volume for its credited distributor: one
    ``VolumeChange`` row, which no other order waits for (see ``volumes``)."""
    if not order.pv and not order.cv:
        return
    delta = VolumeDelta(
        pv=order.pv,
        cv=order.cv,
        customer_pv=order.pv if order.is_customer_order else 0,
        customer_cv=order.cv if order.is_customer_order else 0,
    )
    append_volume_change(
        period_id=period_id,
        distributor_id=order.distributor_id,
        delta=delta if sign > 0 else delta.negated(),
    )


def _credited_member(buyer: Distributor) -> Distributor:
    """The distributor an order of ``buyer`` is credited to; refuses terminated members."""
    if buyer.status == Distributor.Status.TERMINATED:
        raise OrderError(
            _("Member %(member)s is terminated and cannot place orders.")
            % {"member": buyer.member_id}
        )
    if not buyer.is_customer:
        return buyer
    sponsor = Distributor.objects.filter(pk=buyer.sponsor_id).first()
    if sponsor is None or sponsor.is_customer:
        raise OrderError(
            _("Retail customer %(member)s has no sponsoring distributor to credit the order to.")
            % {"member": buyer.member_id}
        )
    if sponsor.status == Distributor.Status.TERMINATED:
        raise OrderError(
            _(
                "The sponsor %(sponsor)s of retail customer %(member)s is terminated; move the "
                "customer to another sponsor before they order."
            )
            % {"sponsor": sponsor.member_id, "member": buyer.member_id}
        )
    return sponsor


def _priced_lines(
    lines: Sequence[LineRequest], currency: str, buyer: Distributor
) -> list[OrderLine]:
    """Order lines with SKU, name, price and volumes copied from the products, checked to be on
    sale and priced in ``currency``."""
    product_ids = set()
    for index, line in enumerate(lines, start=1):
        product, quantity = _unpack_line(line, index, buyer)
        if not is_count(quantity, 1):
            raise OrderError(
                _(
                    "Order of member %(member)s, line %(line)s (%(sku)s): the quantity must be a "
                    "whole number of at least 1, not %(quantity)r."
                )
                % {
                    "member": buyer.member_id,
                    "line": index,
                    "sku": product.sku,
                    "quantity": quantity,
                }
            )
        check_quantity(
            quantity,
            field="quantity",
            label=_("Order of member %(member)s, line %(line)s (%(sku)s): the quantity")
            % {"member": buyer.member_id, "line": index, "sku": product.sku},
            error=OrderError,
        )
        product_ids.add(product.pk)
    products = Product.objects.in_bulk(product_ids)
    prices = dict(
        ProductPrice.objects.filter(product_id__in=product_ids, currency=currency).values_list(
            "product_id", "amount"
        )
    )
    priced = []
    for index, (requested, quantity) in enumerate(lines, start=1):
        product = products.get(requested.pk)
        if product is None:
            raise OrderError(
                _("Order of member %(member)s, line %(line)s: product %(sku)s does not exist.")
                % {"member": buyer.member_id, "line": index, "sku": requested.sku}
            )
        if not product.active:
            raise OrderError(
                _("Order of member %(member)s, line %(line)s: product %(sku)s is not on sale.")
                % {"member": buyer.member_id, "line": index, "sku": product.sku}
            )
        if product.pk not in prices:
            raise OrderError(
                _(
                    "Order of member %(member)s, line %(line)s: product %(sku)s has no price in "
                    "%(currency)s."
                )
                % {
                    "member": buyer.member_id,
                    "line": index,
                    "sku": product.sku,
                    "currency": currency,
                }
            )
        priced.append(
            OrderLine(
                product=product,
                sku=product.sku,
                description=product.name_en,
                quantity=quantity,
                unit_price=prices[product.pk],
                unit_pv=product.pv,
                unit_cv=product.cv,
            )
        )
    return priced


def _check_totals(order_lines: list[OrderLine], currency: str, buyer: Distributor) -> None:
    """An order's amount, PV and CV stay within ``core.limits`` (one operation)."""
    names = {"member": buyer.member_id}
    check_money(
        sum(line.amount for line in order_lines),
        currency,
        field="amount",
        label=_("Order of member %(member)s: the amount") % names,
        error=OrderError,
    )
    for field_name, label in (("pv", "PV"), ("cv", "CV")):
        check_volume(
            sum(getattr(line, field_name) for line in order_lines),
            field=field_name,
            label=_("Order of member %(member)s: the %(label)s") % {**names, "label": label},
            error=OrderError,
        )


def _unpack_line(line: object, index: int, buyer: Distributor) -> tuple[Product, object]:
    try:
        product, quantity = line  # type: ignore[misc]
    except (TypeError, ValueError):
        product = quantity = None
    if not isinstance(product, Product):
        raise OrderError(
            _("Order of member %(member)s, line %(line)s: write a line as (product, quantity).")
            % {"member": buyer.member_id, "line": index}
        )
    return product, quantity


def _requested_quantities(
    original: Order,
    original_lines: dict[int, OrderLine],
    left: dict[int, int],
    lines: Mapping[OrderLine, int] | None,
) -> dict[int, int]:
    """Line id → quantity to return, checked against what is left of each line."""
    if lines is None:
        requested = {pk: quantity for pk, quantity in left.items() if quantity > 0}
        if not requested:
            raise OrderError(
                _("Order %(order)s has been returned in full already; nothing is left to return.")
                % {"order": original.number}
            )
        return requested
    if not lines:
        raise OrderError(
            _("Name at least one line of order %(order)s to return.") % {"order": original.number}
        )
    requested: dict[int, int] = {}
    for line, quantity in lines.items():
        line_id = line.pk if isinstance(line, OrderLine) else line
        if line_id not in original_lines:
            raise OrderError(
                _("Line %(line)s is not a line of order %(order)s.")
                % {"line": line_id, "order": original.number}
            )
        sku = original_lines[line_id].sku
        if not is_count(quantity, 1):
            raise OrderError(
                _(
                    "Order %(order)s, line %(sku)s: the quantity to return must be a whole number "
                    "of at least 1, not %(quantity)r."
                )
                % {"order": original.number, "sku": sku, "quantity": quantity}
            )
        requested[line_id] = requested.get(line_id, 0) + quantity
        if requested[line_id] > left[line_id]:
            raise OrderError(
                _(
                    "Order %(order)s, line %(sku)s: %(asked)s asked to be returned but only "
                    "%(left)s of %(bought)s are left."
                )
                % {
                    "order": original.number,
                    "sku": sku,
                    "asked": requested[line_id],
                    "left": left[line_id],
                    "bought": original_lines[line_id].quantity,
                }
            )
    return requested


def _open_period(period_id: int, refusal: str, **names: object) -> Period:
    """Period ``period_id`` locked against a close (see ``periods.locks``). A closed period is
    refused with ``refusal % {"period": code, **names}``."""
    locked = lock_period_for_writing(period_id)
    if locked.status != Period.Status.OPEN:
        raise OrderError(refusal % {"period": locked.code, **names})
    return locked


def _aware(instant: object, refusal: str) -> datetime:
    """``instant`` if it is a time-zone-aware ``datetime``; else ``OrderError(refusal)``."""
    if not isinstance(instant, datetime) or timezone.is_naive(instant):
        raise OrderError(refusal)
    return instant


def _required_reason(reason: object, order: Order) -> str:
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise OrderError(
            _("Give a reason for the return or cancellation of order %(order)s.")
            % {"order": order.number}
        )
    return text


def _check_key(key: object) -> None:
    if not isinstance(key, str) or not key.strip() or len(key) > _KEY_LENGTH:
        raise OrderError(
            _("%(key)r is not a valid idempotency key (1 to %(limit)s characters).")
            % {"key": key, "limit": _KEY_LENGTH}
        )


def _order_for_key(existing: Order, buyer: Distributor) -> Order:
    if existing.buyer_id != buyer.pk:
        raise OrderError(
            _("Idempotency key %(key)s was already used for order %(order)s of another member.")
            % {"key": existing.idempotency_key, "order": existing.number}
        )
    return existing


def _clean_new_number(number: object) -> str:
    text = number.strip() if isinstance(number, str) else ""
    if not is_valid_id(text):  # the id alphabet of downline.core.ids (docs/csv-format.md)
        raise OrderError(
            _(
                "%(number)r is not a valid order number: 1 to %(limit)s characters, letters "
                "A-Z or a-z, digits, '.', '_' or '-', starting with a letter or a digit."
            )
            % {"number": number, "limit": _NUMBER_LENGTH}
        )
    if Order.objects.filter(number=text).exists():
        raise OrderError(_("Order %(order)s exists already.") % {"order": text})
    return text


def _provisional_number() -> str:
    """A unique number an order holds until ``_assign_generated_number`` replaces it."""
    return f"provisional-{uuid.uuid4().hex}"


def _assign_generated_number(order: Order) -> None:
    """Number ``order`` ``DL`` + its id (8 digits); a suffix avoids an imported number."""
    base = f"{GENERATED_NUMBER_PREFIX}{order.pk:08d}"
    candidate, suffix = base, 1
    while Order.objects.filter(number=candidate).exists():
        suffix += 1
        candidate = f"{base}-{suffix}"
    Order.objects.filter(pk=order.pk).update(number=candidate)
    order.number = candidate


# --- autoships ----------------------------------------------------------------------------


@transaction.atomic
def do_create_autoship(
    distributor: Distributor,
    day_of_month: int,
    items: Sequence[LineRequest],
    currency: str,
    *,
    starts_on: date | None = None,
    actor: User | None = None,
) -> Autoship:
    """A standing order of ``items`` placed every month on ``day_of_month`` (1..28), first on
    the first such day on or after ``starts_on`` (default: today, company time)."""
    member = Distributor.objects.get(pk=distributor.pk)
    if member.status == Distributor.Status.TERMINATED:
        raise AutoshipError(
            _("Member %(member)s is terminated and cannot start an autoship.")
            % {"member": member.member_id}
        )
    if not is_count(day_of_month, 1) or day_of_month > 28:
        raise AutoshipError(
            _("Autoship of member %(member)s: the day of the month must be 1 to 28, not %(day)r.")
            % {"member": member.member_id, "day": day_of_month}
        )
    if not is_currency_code(currency):
        raise AutoshipError(
            _("Autoship of member %(member)s: %(currency)r is not a currency code such as EUR.")
            % {"member": member.member_id, "currency": currency}
        )
    if not items:
        raise AutoshipError(
            _("An autoship needs at least one item; the autoship of member %(member)s has none.")
            % {"member": member.member_id}
        )
    try:
        lines = _priced_lines(items, currency, member)
        _check_totals(lines, currency, member)
    except OrderError as error:
        raise AutoshipError(error.message, field=error.field) from None
    starts_on = starts_on or local_day(timezone.now(), settings.DOWNLINE_TIME_ZONE)
    autoship = Autoship.objects.create(
        distributor=member,
        day_of_month=day_of_month,
        currency=currency,
        next_run_on=first_autoship_date(day_of_month, starts_on),
        created_by=actor,
    )
    AutoshipItem.objects.bulk_create(
        AutoshipItem(autoship=autoship, product=line.product, quantity=line.quantity)
        for line in lines
    )
    return autoship


@transaction.atomic
def do_cancel_autoship(autoship: Autoship, *, actor: User | None = None) -> Autoship:
    """Stop an autoship; orders it placed stay as they are."""
    locked = Autoship.objects.select_for_update().select_related("distributor").get(pk=autoship.pk)
    if not locked.active:
        raise AutoshipError(
            _("The autoship %(autoship)s of member %(member)s is cancelled already.")
            % {"autoship": locked.pk, "member": locked.distributor.member_id}
        )
    locked.active = False
    locked.cancelled_at = timezone.now()
    locked.cancelled_by = actor
    locked.save(update_fields=["active", "cancelled_at", "cancelled_by"])
    return locked


@transaction.atomic
def do_place_autoship_order(
    autoship: Autoship, on_date: date, *, paid_at: datetime | None = None
) -> Order | None:
    """Place the order of ``autoship`` if it is active and due on or before ``on_date``.

    The order's idempotency key is ``autoship:<id>:<due date>``, so the same due date never
    orders twice; ``next_run_on`` then moves on (``rules.next_autoship_date``). Returns ``None``
    when the autoship is not due.
    """
    locked = Autoship.objects.select_for_update().select_related("distributor").get(pk=autoship.pk)
    if not locked.active or locked.next_run_on > on_date:
        return None
    due = locked.next_run_on
    items = [(item.product, item.quantity) for item in locked.items.select_related("product")]
    order = do_place_order(
        locked.distributor,
        items,
        locked.currency,
        paid_at=paid_at,
        idempotency_key=f"autoship:{locked.pk}:{due.isoformat()}",
        autoship=locked,
    )
    locked.last_run_on = on_date
    locked.next_run_on = next_autoship_date(due, locked.day_of_month, on_date)
    locked.save(update_fields=["last_run_on", "next_run_on"])
    _record_autoship_run(locked.pk, due, order=order)
    return order


@dataclass
class AutoshipRunSummary:
    """What one run of the due autoships did: orders placed and autoships that failed."""

    on_date: date
    ordered: list[str] = field(default_factory=list)  # order numbers
    failed: dict[int, str] = field(default_factory=dict)  # autoship id → reason

    def as_json(self) -> dict[str, object]:
        return {
            "on_date": self.on_date.isoformat(),
            "ordered": self.ordered,
            "failed": {str(pk): reason for pk, reason in self.failed.items()},
        }


def do_run_due_autoships(on_date: date, *, paid_at: datetime | None = None) -> AutoshipRunSummary:
    """Place the order of every active autoship due on or before ``on_date``, each in its own
    transaction. A refused autoship (product off sale, terminated member, …) is recorded as a
    failed ``AutoshipRun`` with the reason and stays due, so the next run tries it again; the
    other autoships go on."""
    summary = AutoshipRunSummary(on_date=on_date)
    due = Autoship.objects.filter(active=True, next_run_on__lte=on_date).order_by("id")
    for autoship in due.select_related("distributor"):
        try:
            order = do_place_autoship_order(autoship, on_date, paid_at=paid_at)
        except DownlineError as error:
            summary.failed[autoship.pk] = error.message
        except Exception as error:
            logger.exception("Autoship %s failed", autoship.pk)
            summary.failed[autoship.pk] = f"{type(error).__name__}: {error}"
        else:
            if order is not None:
                summary.ordered.append(order.number)
            continue
        _record_autoship_run(autoship.pk, autoship.next_run_on, error=summary.failed[autoship.pk])
    return summary


def _record_autoship_run(
    autoship_id: int, due_on: date, *, order: Order | None = None, error: str = ""
) -> None:
    """Upsert the ``AutoshipRun`` of (autoship, due date), counting the attempts."""
    values = {
        "outcome": AutoshipRun.Outcome.ORDERED if order else AutoshipRun.Outcome.FAILED,
        "order": order,
        "error": error,
        "last_attempt_at": timezone.now(),
    }
    with transaction.atomic():
        updated = AutoshipRun.objects.filter(autoship_id=autoship_id, due_on=due_on).update(
            attempts=F("attempts") + 1, **values
        )
        if not updated:
            AutoshipRun.objects.create(autoship_id=autoship_id, due_on=due_on, **values)


# --- integrity ----------------------------------------------------------------------------


@transaction.atomic
def do_fix_period_volumes(period: Period, *, actor: User | None = None) -> list[VolumeDifference]:
    """Overwrite the live volumes of open ``period`` that differ from a recomputation from the
    orders; returns the differences found. Orders into the period and structure changes wait
    while this runs."""
    hold_network_shared()
    locked = Period.objects.select_for_update().get(pk=period.pk)
    if locked.status != Period.Status.OPEN:
        raise OrderError(
            _("Period %(period)s is closed; its volumes are final and are not changed.")
            % {"period": locked.code}
        )
    differences = compare_period_volumes(locked)
    for difference in differences:
        PeriodVolume.objects.update_or_create(
            period=locked,
            distributor_id=difference.distributor_id,
            defaults=dict(zip(VOLUME_FIELDS, difference.expected, strict=True)),
        )
    if differences:
        logger.warning(
            "Fixed the volumes of %s members in period %s (by %s)",
            len(differences),
            locked.code,
            actor,
        )
    return differences
