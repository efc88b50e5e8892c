"""Small rules of the orders app, kept apart from the actions that apply them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from downline import money

from .models import ProductKind


def order_kind(line_kinds: Iterable[str]) -> str:
    """The kind of an order, from the kinds of the products on its lines.

    * any starter-kit line makes it a ``starter_kit`` order (an enrollment order);
    * otherwise any ``product`` line makes it a ``product`` order;
    * otherwise any ``autoship`` line makes it an ``autoship`` order;
    * an order of fees only is a ``fee`` order.

    An order placed by an autoship is an ``autoship`` order unless it holds a starter kit
    (``do_place_order`` applies that on top of this rule).
    """
    kinds = set(line_kinds)
    for kind in (ProductKind.STARTER_KIT, ProductKind.PRODUCT, ProductKind.AUTOSHIP):
        if kind in kinds:
            return kind
    return ProductKind.FEE


def is_currency_code(value: object) -> bool:
    """Three upper-case letters (ISO 4217 style, e.g. ``EUR``)."""
    return isinstance(value, str) and money.is_currency_code(value)


def is_count(value: object, minimum: int = 0) -> bool:
    """An ``int`` (not a bool, not a float) of at least ``minimum``."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def add_month(day: date) -> date:
    """The same day of the month in the next month; ``day.day`` must be 1..28."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return day.replace(year=year, month=month)


def first_autoship_date(day_of_month: int, starting: date) -> date:
    """The first date on or after ``starting`` that falls on ``day_of_month`` (1..28)."""
    candidate = starting.replace(day=day_of_month)
    return candidate if candidate >= starting else add_month(candidate)


def next_autoship_date(due: date, day_of_month: int, on_date: date) -> date:
    """The date after an autoship order due on ``due`` was placed by the run of ``on_date``.

    The same day of the next month, moved on by whole months while it is not after ``on_date``:
    an autoship that was not run for a while orders once, not once per missed month.
    """
    candidate = add_month(due.replace(day=day_of_month))
    while candidate <= on_date:
        candidate = add_month(candidate)
    return candidate
