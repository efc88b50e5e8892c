"""Placing an ordinary order on PostgreSQL in two round trips (plus ``BEGIN`` and ``COMMIT``).

``actions.do_place_order`` asks this module first. It does exactly what the general path does,
with the same locks in the same order, only with fewer statements:

1. three statements, sent together, read under the locks:
   the network lock shared (``genealogy.locks``: structure changes wait for the order and the
   order for them, so the credited member it reads is the one that stands when it commits),
   the buyer with their sponsor, the period of ``paid_at`` by its code ``FOR KEY SHARE``
   (``periods.locks``: a close waits for the order, an order during a close reads the new
   status), the products with their price in the currency, the order already written with the
   idempotency key (if any), and the order's id from its sequence with whether its number
   ``DL`` + id is taken by an imported order (then the next free ``-2``, ``-3`` … is chosen,
   as ``actions._assign_generated_number`` does);
2. one statement with data-modifying CTEs that inserts the order, its lines, its
   ``VolumeChange`` row, its
   ``order.paid`` event and any companion rows the caller adds (the API's audit row). The
   order's insert is ``ON CONFLICT DO NOTHING``: when its number or idempotency key is taken
   (a concurrent call with the same key committed first), nothing at all is inserted.

Whenever the fast path meets anything but the plain case it writes nothing and returns
``None``, and the caller runs the general path in the same transaction, which then gives the
precise refusal or the rare outcome: a new period to create, a closed period, a terminated
buyer, a customer without an eligible sponsor, an unknown, inactive or unpriced product, a
number given by the caller, an idempotency key used before (or committed meanwhile by a
concurrent call), totals beyond ``core.limits``. So every rule keeps one implementation, in
``actions``; this module only recognises when all of them pass.

Nothing is cached between orders: products, prices, the period and the buyer are read in the
same round trip as the locks, so a price change, a deactivation or a close takes effect for
the next order exactly as on the general path.

Why the network lock stays: since orders append a ``VolumeChange`` instead of walking the
upline chains, the lock no longer guards a chain walk; it still orders the order against
structure changes, so the member credited (a customer's sponsor) and the status checks are the
ones standing when the order commits, and it keeps the lock order of ``volumes`` (network,
then period) that moves and closes rely on. Taken in the same round trip, it costs nothing.

The statements are sent as prepared statements (PostgreSQL parses and plans each shape once
per connection; planning was most of the server's time per order). Behind a connection pooler
in transaction mode (PgBouncer before 1.21) prepared statements do not work; run without one,
or with one that supports them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import psycopg
from django.conf import settings
from django.db import connection, models
from django.db.models import Model
from django.utils import timezone

from downline import money
from downline.calendar import code_for_day, local_day
from downline.core import events as outbox
from downline.core.limits import MAX_QUANTITY, MAX_VOLUME, money_in_limits
from downline.core.models import Event
from downline.genealogy.locks import NETWORK_LOCK_KEY
from downline.genealogy.models import Distributor
from downline.periods.models import Period

from .models import Order, OrderLine, Product, ProductKind, ProductPrice, VolumeChange
from .rules import is_count, order_kind

GENERATED_NUMBER_PREFIX = "DL"  # numbers generated for orders: DL + id, 8 digits at least
Companions = Callable[[str], Sequence[Model]]
"""Given the new order's number, unsaved rows to insert with the order (only if it is)."""


@dataclass
class PlacedOrder:
    """An order as written (or found by its idempotency key), with its lines in line order."""

    order: Order
    lines: list[OrderLine]
    created: bool


@dataclass(frozen=True)
class ItemRequest:
    """One requested line: a product by primary key or by SKU, and a quantity."""

    product_id: int | None
    sku: str | None
    quantity: int


_sequence_name: str | None = None


def applies(number: str | None) -> bool:
    """Whether the fast path can be tried: PostgreSQL, and the number left to be generated."""
    return connection.vendor == "postgresql" and number is None


def place(
    *,
    buyer_id: int | None = None,
    buyer_member_id: str | None = None,
    items: Sequence[ItemRequest],
    currency: str,
    paid_at: datetime,
    idempotency_key: str | None,
    actor_id: int | None,
    autoship_id: int | None = None,
    companions: Companions | None = None,
) -> PlacedOrder | None:
    """Write the order in two round trips (module docstring), or ``None``: nothing written,
    the general path decides. Must run inside ``transaction.atomic``; ``paid_at`` is aware."""
    if not _plain_request(items, currency):
        return None
    code = code_for_day(
        local_day(paid_at, settings.DOWNLINE_TIME_ZONE), settings.DOWNLINE_PERIOD_KIND
    )
    read = _read(
        buyer_id=buyer_id,
        buyer_member_id=buyer_member_id,
        items=items,
        currency=currency,
        period_code=code,
        idempotency_key=idempotency_key,
    )
    if read is None:
        return None
    buyer, credited, period, products, prices, order_id, number_taken = read
    lines = _lines(items, products, prices)
    if lines is None:
        return None
    amount = sum(line.amount for line in lines)
    pv = sum(line.pv for line in lines)
    cv = sum(line.cv for line in lines)
    if not money_in_limits(amount, currency) or pv > MAX_VOLUME or cv > MAX_VOLUME:
        return None
    kind = order_kind(line.product.kind for line in lines)
    if autoship_id is not None and kind != ProductKind.STARTER_KIT:
        kind = ProductKind.AUTOSHIP
    order = Order(
        id=order_id,
        number=_generated_number(order_id, number_taken),
        buyer=buyer,
        distributor=credited,
        is_customer_order=buyer.is_customer,
        kind=kind,
        status=Order.Status.PAID,
        currency=currency,
        amount=amount,
        pv=pv,
        cv=cv,
        paid_at=paid_at,
        period=period,
        autoship_id=autoship_id,
        idempotency_key=idempotency_key,
        created_by_id=actor_id,
    )
    extra = list(companions(order.number)) if companions is not None else []
    if not _write(order, lines, extra):
        return None
    order._state.adding = False
    order._state.db = connection.alias
    for line in lines:
        line._state.adding = False
        line._state.db = connection.alias
    return PlacedOrder(order=order, lines=lines, created=True)


def _generated_number(order_id: int, taken: bool) -> str:
    """``DL`` + the id (8 digits at least); when an imported order holds that number, the first
    free one of ``-2``, ``-3``, … after it (as ``actions._assign_generated_number``)."""
    base = f"{GENERATED_NUMBER_PREFIX}{order_id:08d}"
    candidate, suffix = base, 1
    while taken:
        suffix += 1
        candidate = f"{base}-{suffix}"
        taken = Order.objects.filter(number=candidate).exists()
    return candidate


def _plain_request(items: Sequence[ItemRequest], currency: str) -> bool:
    """The request itself is well formed (else the general path words the refusal)."""
    if not isinstance(currency, str) or not money.is_currency_code(currency) or not items:
        return False
    return all(is_count(item.quantity, 1) and item.quantity <= MAX_QUANTITY for item in items)


def _run(statements: list[tuple[str, list[object]]]) -> list[list[tuple]]:
    """Send ``statements`` in one round trip (psycopg pipeline mode), each as a prepared
    statement (PostgreSQL plans each shape once per connection); their rows, in order. In the
    caller's transaction (psycopg sends its ``BEGIN`` in the same round trip)."""
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        # Django turns automatic preparing off; a large threshold keeps it off for every other
        # statement and lets the explicit ``prepare=True`` below take effect
        raw.prepare_threshold = 2**31 - 1
    with connection.wrap_database_errors:
        cursors = []
        with raw.pipeline():
            for sql, params in statements:
                cursor = psycopg.Cursor(raw)
                cursor.execute(sql, params, prepare=True)
                cursors.append(cursor)
        rows = [cursor.fetchall() for cursor in cursors]
        for cursor in cursors:
            cursor.close()
    return rows


def _sequence() -> str:
    global _sequence_name
    if _sequence_name is None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [Order._meta.db_table])
            _sequence_name = cursor.fetchone()[0]
    return _sequence_name


# in the model's field order (``Model.from_db`` with some fields takes the values in that order)
_BUYER_FIELDS = tuple(
    field.attname
    for field in Distributor._meta.concrete_fields
    if field.attname in {"id", "member_id", "kind", "status", "sponsor_id"}
)


def _read(
    *,
    buyer_id: int | None,
    buyer_member_id: str | None,
    items: Sequence[ItemRequest],
    currency: str,
    period_code: str,
    idempotency_key: str | None,
):
    """Statement batch 1 (module docstring); ``None`` when the order is not a plain one."""
    members = Distributor._meta.db_table
    orders = Order._meta.db_table
    buyer_columns = ", ".join(f"b.{name}" for name in _BUYER_FIELDS)
    sponsor_columns = ", ".join(f"s.{name}" for name in _BUYER_FIELDS)
    period_fields = [field.attname for field in Period._meta.concrete_fields]
    period_columns = ", ".join(f"p.{field.column}" for field in Period._meta.concrete_fields)
    product_fields = [field.attname for field in Product._meta.concrete_fields]
    product_columns = ", ".join(f"p.{field.column}" for field in Product._meta.concrete_fields)
    by_sku = any(item.product_id is None for item in items)
    wanted = sorted({item.sku if by_sku else item.product_id for item in items})
    buyer_match = "b.member_id = %s" if buyer_id is None else "b.id = %s"
    # one row: the period (locked), the buyer and their sponsor, the order's id with whether
    # its number DL + id (8 digits at least) is taken by an imported order, and the order
    # already written with the idempotency key
    order_sql = (
        f"WITH n AS MATERIALIZED (SELECT nextval(%s) AS id) "
        f"SELECT {period_columns}, {buyer_columns}, {sponsor_columns}, n.id, "
        f"EXISTS (SELECT 1 FROM {orders} o WHERE o.number = '{GENERATED_NUMBER_PREFIX}' || "
        "CASE WHEN n.id >= 100000000 THEN n.id::text ELSE lpad(n.id::text, 8, '0') END), "
        f"(SELECT o.id FROM {orders} o WHERE o.idempotency_key = %s) "
        f"FROM {Period._meta.db_table} p CROSS JOIN n JOIN {members} b ON {buyer_match} "
        f"LEFT JOIN {members} s ON s.id = b.sponsor_id WHERE p.code = %s FOR KEY SHARE OF p"
    )
    products_sql = (
        f"SELECT {product_columns}, pp.amount FROM {Product._meta.db_table} p "
        f"LEFT JOIN {ProductPrice._meta.db_table} pp ON pp.product_id = p.id "
        f"AND pp.currency = %s WHERE p.{'sku' if by_sku else 'id'} = ANY(%s)"
    )
    buyer_key = buyer_id if buyer_id is not None else buyer_member_id
    _lock, order_rows, product_rows = _run(
        [
            # a statement of its own: the reads below take their snapshot after the lock
            ("SELECT pg_advisory_xact_lock_shared(%s)", [NETWORK_LOCK_KEY]),
            (order_sql, [_sequence(), idempotency_key, buyer_key, period_code]),
            (products_sql, [currency, wanted]),
        ]
    )
    if len(order_rows) != 1:
        return None  # no such member, or the period is new
    row = order_rows[0]
    width, at = len(_BUYER_FIELDS), len(period_fields)
    order_id, number_taken, used_by = row[at + 2 * width :]
    if used_by is not None:
        return None  # the key was used before: the general path returns that order or refuses
    buyer = Distributor.from_db(connection.alias, _BUYER_FIELDS, row[at : at + width])
    if buyer.status == Distributor.Status.TERMINATED:
        return None
    credited = buyer
    if buyer.is_customer:
        if row[at + width] is None:
            return None
        sponsor = row[at + width : at + 2 * width]
        credited = Distributor.from_db(connection.alias, _BUYER_FIELDS, sponsor)
        if credited.is_customer or credited.status == Distributor.Status.TERMINATED:
            return None
    period = Period.from_db(connection.alias, period_fields, row[:at])
    if period.status != Period.Status.OPEN:
        return None
    products: dict[object, Product] = {}
    prices: dict[int, int] = {}
    for row in product_rows:
        product = Product.from_db(connection.alias, product_fields, row[:-1])
        products[product.sku if by_sku else product.pk] = product
        if row[-1] is not None:
            prices[product.pk] = int(row[-1])
    if by_sku and any(item.sku is None for item in items):
        return None
    return buyer, credited, period, products, prices, int(order_id), bool(number_taken)


def _lines(
    items: Sequence[ItemRequest], products: dict[object, Product], prices: dict[int, int]
) -> list[OrderLine] | None:
    """The order lines, copied from the products as ``actions._priced_lines`` does; ``None``
    when a product is missing, off sale or has no price in the currency."""
    lines = []
    for item in items:
        product = products.get(item.product_id if item.product_id is not None else item.sku)
        if product is None or not product.active or product.pk not in prices:
            return None
        if item.product_id is not None and item.sku is not None and item.sku != product.sku:
            return None
        lines.append(
            OrderLine(
                product=product,
                sku=product.sku,
                description=product.name_en,
                quantity=item.quantity,
                unit_price=prices[product.pk],
                unit_pv=product.pv,
                unit_cv=product.cv,
            )
        )
    return lines


@functools.cache
def _insert_plan(model: type[Model], skip: tuple[str, ...]) -> tuple[str, tuple, tuple[str, ...]]:
    """For inserting ``model`` rows without the fields ``skip``: the quoted column list, the
    fields, and the types to cast ``SELECT`` values to (text for character columns, so an
    over-long value is refused by the column, not cut by the cast). Fixed per process."""
    quote = connection.ops.quote_name
    fields = tuple(field for field in model._meta.concrete_fields if field.attname not in skip)
    types = []
    for field in fields:
        kind = field.db_type(connection) or "text"
        types.append("text" if kind.startswith("varchar") else kind)
    return ", ".join(quote(field.column) for field in fields), fields, tuple(types)


_PLAIN_FIELDS = (
    models.BigAutoField,
    models.BigIntegerField,
    models.BooleanField,
    models.CharField,
    models.ForeignKey,
    models.IntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.SmallIntegerField,
    models.TextField,
)


@functools.cache
def _is_plain(field: models.Field) -> bool:
    """Whether the attribute goes to the database as it is (psycopg adapts ints, strings,
    booleans, ``None`` and aware datetimes itself); others go through Django's preparation."""
    if type(field) in _PLAIN_FIELDS:
        return True
    return type(field) is models.DateTimeField and not (field.auto_now or field.auto_now_add)


def _values(instance: Model, fields: tuple) -> list[object]:
    """The database values of ``fields`` of ``instance`` for an insert (``auto_now_add`` set,
    as ``save`` sets it)."""
    return [
        getattr(instance, field.attname)
        if _is_plain(field)
        else field.get_db_prep_save(field.pre_save(instance, True), connection)
        for field in fields
    ]


def _select_from_order(
    instance: Model, params: list[object], *, skip: tuple[str, ...] = ("id",)
) -> tuple[str, str]:
    """(column list, ``SELECT … FROM o``) inserting ``instance`` once the order is in."""
    columns, fields, types = _insert_plan(type(instance), skip)
    params.extend(_values(instance, fields))
    selected = ", ".join(f"CAST(%s AS {kind})" for kind in types)
    return columns, f"SELECT {selected} FROM o"


def paid_payload(order: Order) -> dict[str, object]:
    """The ``order.paid`` event's payload (docs/webhooks.md), the same on both paths."""
    return {
        "order": order.number,
        "member": order.distributor.member_id,
        "buyer": order.buyer.member_id,
        "customer_order": order.is_customer_order,
        "kind": order.kind,
        "currency": order.currency,
        "amount": order.amount,
        "pv": order.pv,
        "cv": order.cv,
        "period": order.period.code,
        "paid_at": order.paid_at.isoformat(),
    }


def _event(order: Order) -> Event:
    return Event(
        kind=outbox.ORDER_PAID,
        occurred_at=timezone.now(),
        member_id=order.distributor_id,
        payload=paid_payload(order),
    )


def _write(order: Order, lines: list[OrderLine], companions: list[Model]) -> bool:
    """Statement 2 (module docstring): ``False`` when the order's number or key was taken and
    nothing was inserted. Sets the primary keys of ``lines``."""
    quote = connection.ops.quote_name
    params: list[object] = []
    order_columns, order_fields, _types = _insert_plan(Order, ())
    order_values = _values(order, order_fields)
    params.extend(order_values)
    ctes = [
        f"o AS (INSERT INTO {quote(Order._meta.db_table)} ({order_columns}) "
        f"VALUES ({', '.join(['%s'] * len(order_values))}) ON CONFLICT DO NOTHING RETURNING id)"
    ]
    line_columns, line_fields, line_types = _insert_plan(OrderLine, ("id", "order_id"))
    row = "(" + ", ".join(f"CAST(%s AS {kind})" for kind in line_types) + ")"
    for line in lines:
        params.extend(_values(line, line_fields))
    ctes.append(
        f"l AS (INSERT INTO {quote(OrderLine._meta.db_table)} ({quote('order_id')}, "
        f"{line_columns}) SELECT o.id, v.* FROM o CROSS JOIN (VALUES "
        f"{', '.join([row] * len(lines))}) AS v RETURNING id)"
    )
    inserts: list[tuple[type[Model], Model, tuple[str, ...]]] = []
    if order.pv or order.cv:
        change = VolumeChange(
            period_id=order.period_id,
            distributor_id=order.distributor_id,
            pv=order.pv,
            cv=order.cv,
            customer_pv=order.pv if order.is_customer_order else 0,
            customer_cv=order.cv if order.is_customer_order else 0,
        )
        inserts.append((VolumeChange, change, ("id",)))
    inserts.append((Event, _event(order), ("id", "tx")))
    inserts.extend((type(row), row, ("id",)) for row in companions)
    for index, (model, row, skip) in enumerate(inserts):
        columns, select = _select_from_order(row, params, skip=skip)
        if model is Event:
            columns += f", {quote('tx')}"
            select = select.replace(" FROM o", ", pg_current_xact_id()::text::bigint FROM o")
        ctes.append(f"c{index} AS (INSERT INTO {quote(model._meta.db_table)} ({columns}) {select})")
    sql = (
        "WITH "
        + ",\n".join(ctes)
        + "\nSELECT (SELECT id FROM o), ARRAY(SELECT id FROM l ORDER BY id)"
    )
    ((inserted, line_ids),) = _run([(sql, params)])[0]
    if inserted is None:
        return False
    for line, line_id in zip(lines, sorted(line_ids), strict=True):
        line.pk = line_id
        line.order = order
    return True
