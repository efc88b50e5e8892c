"""Writes of the shop adapters: shop orders become orders, refunds returns, cancellations
cancellations, each exactly once.

Rules:

* Every line's SKU names a product: the shop's ``SkuMapping`` for that SKU, else the product
  with the same SKU. One unknown SKU refuses the whole order, naming the line; nothing is
  written but a ``refused`` receipt for staff, and the next delivery is tried again.
* The order is in the shop's currency, priced and credited from Downline's catalogue
  (``orders.actions.do_place_order``, idempotency key ``shop:<shop>:<order id>``, paid at the
  shop's payment time).
* The buyer is the member (distributor or retail customer) with the order's e-mail address;
  else a new retail customer enrolled under the referring distributor: the active distributor
  whose member id the order carries in ``downline_ref``, else the shop's default referrer.
* A refund returns its lines' quantities (``do_return_order``, key
  ``shop:<shop>:<order id>:refund:<refund id>``); a cancellation of a paid order cancels it
  while it has no returns and its period is open, else returns what is left.
* Each shop object has one ``Receipt`` (unique per shop, kind and id). Work and receipt are
  written in one transaction; the receipt row is inserted first, so a concurrent redelivery
  waits for it and then finds it processed.
* A WooCommerce partial refund (listed without its lines) of a shop with REST credentials gets
  a ``pending`` receipt and a ``RefundLookup`` in one transaction with the task that reads it
  (``tasks.look_up_woocommerce_refund``). An attempt reads the refund from the shop
  (``woocommerce.fetch_refund``) and returns its lines through ``_refund``, like a Shopify
  refund (same idempotency key). A shop that does not answer is asked again after
  ``LOOKUP_BACKOFF`` (the last step repeats) until ``LOOKUP_GIVE_UP_AFTER`` has passed since the
  refund was first seen; then, or when the answer is refused (a line the order lacks, a closed
  period), nothing is written and the receipt is ``refused`` with the notice for staff. Without
  credentials the refund is such a notice at once. A refund first seen as a notice stays one
  (staff may have returned it by hand).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from downline.core.errors import DownlineError
from downline.genealogy.actions import do_enroll
from downline.genealogy.models import Distributor
from downline.genealogy.rules import company_today
from downline.orders.actions import do_cancel_order, do_place_order, do_return_order
from downline.orders.models import Order, OrderLine, Product
from downline.orders.rules import is_currency_code

from .errors import ShopError
from .models import Receipt, RefundLookup, Shop, SkuMapping
from .payloads import (
    Ignored,
    PartialRefund,
    ShopCancellation,
    ShopEvent,
    ShopOrder,
    ShopRefund,
    StaffNotice,
    read_woocommerce_refund,
)
from .woocommerce import RestUnavailable, fetch_refund

logger = logging.getLogger(__name__)

CUSTOMER_ID_PREFIX = "S"
LOOKUP_BACKOFF: tuple[timedelta, ...] = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=3),
    timedelta(hours=6),
)
"""Wait after the n-th attempt to read a refund (each also the lease of the attempt, so it
must exceed ``woocommerce.TIMEOUT`` by far)."""
LOOKUP_GIVE_UP_AFTER = timedelta(hours=24)


@dataclass(frozen=True)
class Outcome:
    """What one event came to: ``processed``, ``ignored`` or ``refused``, with the order
    number written (or found) and a sentence for the log."""

    status: str
    order: str = ""
    message: str = ""


def do_receive_event(shop: Shop, event: ShopEvent, *, topic: str) -> Outcome:
    """Apply one event read from a webhook of ``shop``; a refusal raises ``ShopError`` after
    recording it on the receipt for staff."""
    if isinstance(event, Ignored):
        return Outcome(Receipt.Status.IGNORED, message=event.reason)
    if isinstance(event, StaffNotice):
        return _record_notice(shop, event, topic=topic)
    if isinstance(event, PartialRefund):
        return _record_partial_refund(shop, event, topic=topic)
    if isinstance(event, ShopOrder):
        kind, external_id = Receipt.Kind.ORDER, event.external_id
    elif isinstance(event, ShopRefund):
        kind, external_id = Receipt.Kind.REFUND, event.external_id
    else:
        kind, external_id = Receipt.Kind.CANCELLATION, event.order_id
    try:
        with transaction.atomic():
            receipt = _claim(shop, kind, external_id, topic)
            if receipt.status in (Receipt.Status.PROCESSED, Receipt.Status.IGNORED):
                receipt.save(update_fields=["deliveries", "topic", "last_received_at"])
                return _outcome(receipt)
            if isinstance(event, ShopOrder):
                _place(shop, event, receipt)
            elif isinstance(event, ShopRefund):
                _refund(shop, event, receipt)
            else:
                _cancel(shop, event, receipt)
            receipt.save()
            return _outcome(receipt)
    except (DownlineError, ValidationError) as error:
        message = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        _record_refusal(shop, kind, external_id, topic, message)
        if isinstance(error, ShopError):
            raise
        field = getattr(error, "field", None)
        raise ShopError(message, code=error.code or "invalid", field=field) from error


# --------------------------------------------------------------------------- orders


def _place(shop: Shop, event: ShopOrder, receipt: Receipt) -> None:
    """Place ``event`` as an order; the receipt records it and its line ids."""
    if event.currency.upper() != shop.currency:
        raise ShopError(
            _("Shop order %(order)s is in %(currency)s; shop %(shop)s sells in %(expected)s.")
            % {
                "order": event.number,
                "currency": event.currency,
                "shop": shop.slug,
                "expected": shop.currency,
            },
            field="currency",
        )
    products = products_for_lines(shop, event)
    buyer = _buyer(shop, event)
    order = do_place_order(
        buyer,
        [(products[line.sku], line.quantity) for line in event.lines],
        shop.currency,
        paid_at=event.paid_at,
        idempotency_key=f"shop:{shop.slug}:{event.external_id}",
    )
    order_lines = list(order.lines.order_by("id").values_list("id", flat=True))
    receipt.status = Receipt.Status.PROCESSED
    receipt.order = order
    receipt.line_ids = {
        line.line_id: line_pk for line, line_pk in zip(event.lines, order_lines, strict=True)
    }
    receipt.message = _("Shop order %(number)s placed as order %(order)s for %(buyer)s.") % {
        "number": event.number,
        "order": order.number,
        "buyer": buyer.member_id,
    }


def products_for_lines(shop: Shop, event: ShopOrder) -> dict[str, Product]:
    """Shop SKU → product for every line of ``event``: the shop's mapping, else the product
    with the same SKU. The first line whose SKU names no product refuses the order."""
    skus = {line.sku for line in event.lines if line.sku}
    mapped = {
        mapping.shop_sku: mapping.product
        for mapping in SkuMapping.objects.filter(shop=shop, shop_sku__in=skus).select_related(
            "product"
        )
    }
    same = Product.objects.in_bulk(skus - set(mapped), field_name="sku")
    products = {**same, **mapped}
    for index, line in enumerate(event.lines):
        if line.sku not in products:
            raise ShopError(
                _(
                    "Shop order %(order)s, line %(line)s (%(title)s): SKU %(sku)s names no "
                    "product; add the product or a SKU mapping for shop %(shop)s. Nothing was "
                    "written."
                )
                % {
                    "order": event.number,
                    "line": index + 1,
                    "title": line.title or line.line_id,
                    "sku": line.sku or _("(none)"),
                    "shop": shop.slug,
                },
                code="unknown_sku",
                field=f"line_items[{index}].sku",
            )
    return products


def _buyer(shop: Shop, event: ShopOrder) -> Distributor:
    """The member with the order's e-mail address, else a new retail customer under the
    referring distributor."""
    if not event.email:
        raise ShopError(
            _("Shop order %(order)s has no e-mail address to find or create its buyer.")
            % {"order": event.number},
            field="email",
        )
    member = Distributor.objects.filter(email__iexact=event.email).order_by("id").first()
    if member is not None:
        return member
    referrer = _referrer(shop, event.referrer)
    return do_enroll(
        member_id=_new_customer_id(),
        sponsor=referrer,
        joined_on=company_today(),
        kind=Distributor.Kind.CUSTOMER,
        name=event.name[: Distributor._meta.get_field("name").max_length],
        email=event.email.lower(),
        country=event.country if len(event.country) == 2 else "",
        currency=shop.currency,
        reason=_("Bought in shop %(shop)s (order %(order)s).")
        % {"shop": shop.slug, "order": event.number},
    )


def _referrer(shop: Shop, member_id: str) -> Distributor:
    """The active distributor named by ``member_id`` (case-insensitive), else the shop's
    default referrer (an unknown or inactive referral code is not the buyer's fault)."""
    if member_id:
        found = Distributor.objects.filter(
            member_id__iexact=member_id,
            kind=Distributor.Kind.DISTRIBUTOR,
            status=Distributor.Status.ACTIVE,
        ).first()
        if found is not None:
            return found
    return shop.default_referrer


def _new_customer_id() -> str:
    """``S`` and ten random digits, not yet taken."""
    while True:
        candidate = f"{CUSTOMER_ID_PREFIX}{secrets.randbelow(10**10):010d}"
        if not Distributor.objects.filter(member_id=candidate).exists():
            return candidate


# --------------------------------------------------------------------------- refunds


def _refund(shop: Shop, event: ShopRefund, receipt: Receipt) -> None:
    """Return the refunded quantities of the order the refund belongs to."""
    placed = _placed_order(shop, event.order_id, what=_("refund %s") % event.external_id)
    order = Order.objects.get(pk=placed.order_id)
    if order.status == Order.Status.RETURNED or (
        order.status == Order.Status.CANCELLED and event.lines is None
    ):
        _ignore(receipt, order, _("Order %(order)s has nothing left to return."))
        return
    if order.status == Order.Status.CANCELLED:
        _ignore(receipt, order, _("Order %(order)s is cancelled already."))
        return
    lines = None
    if event.lines is not None:
        lines = {}
        for line_id, quantity in event.lines:
            if line_id not in placed.line_ids:
                raise ShopError(
                    _("Refund %(refund)s names line %(line)s, which shop order %(order)s lacks.")
                    % {"refund": event.external_id, "line": line_id, "order": event.order_id},
                    field="refund_line_items",
                )
            line = OrderLine(pk=placed.line_ids[line_id])
            lines[line] = lines.get(line, 0) + quantity
    refund = do_return_order(
        order,
        lines,
        refunded_at=max(event.refunded_at, order.paid_at),
        reason=event.reason,
        idempotency_key=f"shop:{shop.slug}:{event.order_id}:refund:{event.external_id}",
    )
    receipt.status = Receipt.Status.PROCESSED
    receipt.order = refund
    receipt.message = _("Refund %(refund)s written as return %(return)s of order %(order)s.") % {
        "refund": event.external_id,
        "return": refund.number,
        "order": order.number,
    }


def _cancel(shop: Shop, event: ShopCancellation, receipt: Receipt) -> None:
    """Cancel the order while it has no returns and its period is open; else return what is
    left of it. An order never placed, or with nothing left, is ignored."""
    placed = Receipt.objects.filter(
        shop=shop,
        kind=Receipt.Kind.ORDER,
        external_id=event.order_id,
        status=Receipt.Status.PROCESSED,
    ).first()
    if placed is None:
        receipt.status = Receipt.Status.IGNORED
        receipt.message = _("Shop order %(order)s was never placed; nothing to cancel.") % {
            "order": event.order_id
        }
        return
    order = Order.objects.select_related("period").get(pk=placed.order_id)
    if order.status in (Order.Status.CANCELLED, Order.Status.RETURNED):
        _ignore(receipt, order, _("Order %(order)s has nothing left to cancel."))
        return
    if order.status == Order.Status.PAID and order.period.is_open:
        cancelled = do_cancel_order(order, reason=event.reason)
        receipt.order = cancelled
        receipt.message = _("Order %(order)s cancelled.") % {"order": order.number}
    else:
        refund = do_return_order(
            order,
            None,
            refunded_at=max(event.cancelled_at, order.paid_at),
            reason=event.reason,
            idempotency_key=f"shop:{shop.slug}:{event.order_id}:cancel",
        )
        receipt.order = refund
        receipt.message = _("Order %(order)s returned in full as %(return)s.") % {
            "order": order.number,
            "return": refund.number,
        }
    receipt.status = Receipt.Status.PROCESSED


def _placed_order(shop: Shop, order_id: str, *, what: str) -> Receipt:
    placed = Receipt.objects.filter(
        shop=shop,
        kind=Receipt.Kind.ORDER,
        external_id=order_id,
        status=Receipt.Status.PROCESSED,
    ).first()
    if placed is None or placed.order_id is None:
        raise ShopError(
            _("%(what)s: shop order %(order)s of shop %(shop)s was never placed in Downline.")
            % {"what": what.capitalize(), "order": order_id, "shop": shop.slug},
            code="unknown_order",
        )
    return placed


def _ignore(receipt: Receipt, order: Order, message: str) -> None:
    receipt.status = Receipt.Status.IGNORED
    receipt.order = order
    receipt.message = message % {"order": order.number}


# --------------------------------------------------------------------------- WooCommerce refunds


def _notice_message(event: PartialRefund | RefundLookup, why: str = "") -> str:
    """The notice for staff about a partial refund Downline does not return by itself."""
    if isinstance(event, PartialRefund):
        order_id, refund_id, total = event.order_id, event.refund_id, event.total
    else:
        order_id, refund_id, total = (
            event.order_external_id,
            event.refund_external_id,
            event.refund_total,
        )
    values = {"order": order_id, "refund": refund_id, "total": total or "-", "why": why}
    if why:
        return (
            _(
                "Shop order %(order)s has a partial refund %(refund)s (%(total)s) that Downline "
                "could not return by itself: %(why)s Return its lines in the console."
            )
            % values
        )
    return (
        _(
            "Shop order %(order)s has a partial refund %(refund)s (%(total)s); WooCommerce does "
            "not say which lines it returns, so return them in the console. Configure the "
            "shop's WooCommerce REST API key (store address, consumer key and secret) and "
            "Downline returns such refunds by itself."
        )
        % values
    )


def _record_partial_refund(shop: Shop, event: PartialRefund, *, topic: str) -> Outcome:
    """A partial refund listed in a WooCommerce order: a notice for staff when the shop has no
    REST credentials; else, the first time, a ``pending`` receipt and a lookup whose task is
    enqueued in the same transaction. A redelivery only counts."""
    if not shop.has_woo_rest:
        notice = StaffNotice(
            kind=Receipt.Kind.REFUND,
            external_id=event.refund_id,
            message=_notice_message(event),
        )
        return _record_notice(shop, notice, topic=topic)
    from .tasks import look_up_woocommerce_refund  # the task module imports this one

    with transaction.atomic():
        receipt = _claim(shop, Receipt.Kind.REFUND, event.refund_id, topic)
        if receipt.deliveries > 1:  # seen before: a lookup, or a notice from before the key
            receipt.save(update_fields=["deliveries", "topic", "last_received_at"])
            return _outcome(receipt)
        receipt.status = Receipt.Status.PENDING
        receipt.message = _(
            "Reading the lines of refund %(refund)s of shop order %(order)s from the shop; "
            "its return follows by itself (do not return it by hand)."
        ) % {"refund": event.refund_id, "order": event.order_id}
        receipt.save()
        now = timezone.now()
        lookup = RefundLookup.objects.create(
            shop=shop,
            receipt=receipt,
            order_external_id=event.order_id,
            refund_external_id=event.refund_id,
            refund_total=event.total[:40],
            created_at=now,
            next_attempt_at=now,
        )
        look_up_woocommerce_refund.enqueue(lookup.pk)
    receipt.refresh_from_db()
    return _outcome(receipt)


def lookup_backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th attempt (1-based; the last step repeats)."""
    return LOOKUP_BACKOFF[min(max(attempts, 1), len(LOOKUP_BACKOFF)) - 1]


@dataclass(frozen=True)
class LookupAttempt:
    """One attempt taken: the lookup, its number, and when the next one is due (the lease)."""

    lookup_id: int
    number: int
    next_attempt_at: datetime


def do_take_refund_lookup(lookup_id: int, now: datetime | None = None) -> LookupAttempt | None:
    """Take the next attempt of lookup ``lookup_id`` when it is pending and due: count it and
    set the next attempt ``lookup_backoff(attempts)`` later (the caller enqueues the task for
    that moment in the same transaction). ``None`` when there is nothing to do now. A lookup
    still pending one last backoff step after ``LOOKUP_GIVE_UP_AFTER`` (its attempts never
    finished) is given up here."""
    now = now or timezone.now()
    with transaction.atomic():
        lookup = RefundLookup.objects.select_for_update().filter(pk=lookup_id).first()
        if lookup is None or lookup.status != RefundLookup.Status.PENDING:
            return None
        if lookup.next_attempt_at is not None and lookup.next_attempt_at > now:
            return None  # another attempt holds it, or a later task will make it
        if now >= lookup.created_at + LOOKUP_GIVE_UP_AFTER + LOOKUP_BACKOFF[-1]:
            # the attempts since the deadline never finished (their worker died, or they
            # crashed): stop here rather than try for ever
            receipt = Receipt.objects.select_for_update().get(pk=lookup.receipt_id)
            why = lookup.last_error or _("The attempts to read it did not finish.")
            _give_up(lookup, receipt, why, now)
            return None
        lookup.attempts += 1
        lookup.next_attempt_at = now + lookup_backoff(lookup.attempts)
        lookup.save(update_fields=["attempts", "next_attempt_at"])
        return LookupAttempt(lookup.pk, lookup.attempts, lookup.next_attempt_at)


def do_make_refund_lookup(attempt: LookupAttempt, now: datetime | None = None) -> str:
    """Make ``attempt``: read the refund from the shop and return its lines (or ignore a
    refund of money only). Returns the lookup's status afterwards (``superseded`` when a later
    attempt took it meanwhile). No transaction is held during the request."""
    lookup = RefundLookup.objects.select_related("shop").get(pk=attempt.lookup_id)
    shop = lookup.shop
    order_id, refund_id = lookup.order_external_id, lookup.refund_external_id
    try:
        if not shop.has_woo_rest:
            raise RestUnavailable(
                _("Shop %(shop)s has no WooCommerce REST API key.") % {"shop": shop.slug}
            )
        event = read_woocommerce_refund(
            fetch_refund(shop, order_id, refund_id), order_id, refund_id
        )
    except RestUnavailable as error:
        return _lookup_failed(attempt, str(error), now or timezone.now())
    except ShopError as error:
        return _lookup_refused(attempt, str(error), now or timezone.now())
    with transaction.atomic():
        lookup = _current(attempt)
        if lookup is None:
            return "superseded"
        receipt = Receipt.objects.select_for_update().get(pk=lookup.receipt_id)
        if isinstance(event, Ignored):
            receipt.status = Receipt.Status.IGNORED
            receipt.message = event.reason
        else:
            try:
                with transaction.atomic():
                    _refund(shop, event, receipt)
            except (DownlineError, ValidationError) as error:
                message = (
                    " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
                )
                receipt.refresh_from_db()
                return _give_up(lookup, receipt, message, now or timezone.now())
        receipt.save()
        lookup.status = RefundLookup.Status.DONE
        lookup.next_attempt_at = None
        lookup.finished_at = now or timezone.now()
        lookup.last_error = ""
        lookup.save()
        return lookup.status


def _current(attempt: LookupAttempt) -> RefundLookup | None:
    """The lookup, locked, if ``attempt`` is still its latest attempt and it is pending."""
    lookup = RefundLookup.objects.select_for_update().get(pk=attempt.lookup_id)
    if lookup.status != RefundLookup.Status.PENDING or lookup.attempts != attempt.number:
        return None
    return lookup


def _lookup_failed(attempt: LookupAttempt, error: str, at: datetime) -> str:
    """The shop gave no usable answer: try again at the time set when the attempt was taken,
    or give up once ``LOOKUP_GIVE_UP_AFTER`` has passed since the refund was first seen."""
    logger.warning(
        "WooCommerce refund lookup %s, attempt %s: %s", attempt.lookup_id, attempt.number, error
    )
    with transaction.atomic():
        lookup = _current(attempt)
        if lookup is None:
            return "superseded"
        receipt = Receipt.objects.select_for_update().get(pk=lookup.receipt_id)
        if at >= lookup.created_at + LOOKUP_GIVE_UP_AFTER:
            return _give_up(lookup, receipt, error, at)
        lookup.last_error = error
        lookup.save(update_fields=["last_error"])
        receipt.message = _(
            "Reading the lines of refund %(refund)s of shop order %(order)s from the shop: "
            "attempt %(attempt)s failed (%(error)s); the next one is due at %(next)s."
        ) % {
            "refund": lookup.refund_external_id,
            "order": lookup.order_external_id,
            "attempt": lookup.attempts,
            "error": error,
            "next": lookup.next_attempt_at.isoformat() if lookup.next_attempt_at else "-",
        }
        receipt.save(update_fields=["message"])
        return lookup.status


def _lookup_refused(attempt: LookupAttempt, error: str, at: datetime) -> str:
    with transaction.atomic():
        lookup = _current(attempt)
        if lookup is None:
            return "superseded"
        receipt = Receipt.objects.select_for_update().get(pk=lookup.receipt_id)
        return _give_up(lookup, receipt, error, at)


def _give_up(lookup: RefundLookup, receipt: Receipt, error: str, at: datetime) -> str:
    """Leave the refund to staff: nothing is written but the notice on its receipt."""
    lookup.status = RefundLookup.Status.GIVEN_UP
    lookup.next_attempt_at = None
    lookup.finished_at = at
    lookup.last_error = error
    lookup.save()
    receipt.status = Receipt.Status.REFUSED
    receipt.order = None
    receipt.message = _notice_message(lookup, why=error)
    receipt.save()
    return lookup.status


# --------------------------------------------------------------------------- receipts


def _claim(shop: Shop, kind: str, external_id: str, topic: str) -> Receipt:
    """The receipt of ``(shop, kind, external_id)``, locked: inserted now (status
    ``refused`` until the work succeeds, in the same transaction), or the existing one with
    one more delivery counted. A concurrent insert waits on the unique index."""
    try:
        with transaction.atomic():
            return Receipt.objects.create(
                shop=shop,
                kind=kind,
                external_id=external_id,
                topic=topic,
                status=Receipt.Status.REFUSED,
            )
    except IntegrityError:
        receipt = Receipt.objects.select_for_update().get(
            shop=shop, kind=kind, external_id=external_id
        )
        receipt.deliveries += 1
        receipt.topic = topic
        return receipt


@transaction.atomic
def _record_refusal(shop: Shop, kind: str, external_id: str, topic: str, message: str) -> None:
    """Keep a refusal for staff (after the refused work was rolled back)."""
    receipt, created = Receipt.objects.select_for_update().get_or_create(
        shop=shop,
        kind=kind,
        external_id=external_id,
        defaults={"topic": topic, "status": Receipt.Status.REFUSED, "message": message},
    )
    if not created:
        receipt.deliveries += 1
        receipt.topic = topic
        receipt.status = Receipt.Status.REFUSED
        receipt.message = message
        receipt.save()


@transaction.atomic
def _record_notice(shop: Shop, notice: StaffNotice, *, topic: str) -> Outcome:
    receipt, created = Receipt.objects.get_or_create(
        shop=shop,
        kind=notice.kind,
        external_id=notice.external_id,
        defaults={"topic": topic, "status": Receipt.Status.REFUSED, "message": notice.message},
    )
    if not created:
        Receipt.objects.filter(pk=receipt.pk).update(deliveries=receipt.deliveries + 1)
    return Outcome(receipt.status, message=receipt.message)


def _outcome(receipt: Receipt) -> Outcome:
    number = ""
    if receipt.order_id is not None:
        number = Order.objects.filter(pk=receipt.order_id).values_list("number", flat=True).get()
    return Outcome(receipt.status, order=number, message=receipt.message)


def do_create_shop(
    *,
    kind: str,
    slug: str,
    name: str,
    webhook_secret: str,
    currency: str,
    default_referrer: Distributor,
) -> Shop:
    """Register a shop; its referrer must be a distributor (retail customers sponsor nobody)."""
    if default_referrer.is_customer:
        raise ShopError(
            _("The default referrer of shop %(shop)s must be a distributor, not %(member)s.")
            % {"shop": slug, "member": default_referrer.member_id},
            field="default_referrer",
        )
    if not is_currency_code(currency.upper()):
        raise ShopError(
            _("Shop %(shop)s: %(currency)r is not a currency code such as EUR.")
            % {"shop": slug, "currency": currency},
            field="currency",
        )
    if not webhook_secret.strip():
        raise ShopError(
            _("Shop %(shop)s needs a webhook secret.") % {"shop": slug}, field="webhook_secret"
        )
    shop = Shop(
        kind=kind,
        slug=slug,
        name=name,
        webhook_secret=webhook_secret,
        currency=currency.upper(),
        default_referrer=default_referrer,
    )
    shop.full_clean()
    shop.save()
    return shop


def do_map_sku(shop: Shop, shop_sku: str, product: Product) -> SkuMapping:
    """Let ``shop_sku`` of ``shop`` name ``product`` (replacing an earlier mapping)."""
    mapping, _created = SkuMapping.objects.update_or_create(
        shop=shop, shop_sku=shop_sku.strip(), defaults={"product": product}
    )
    return mapping
