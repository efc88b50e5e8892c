"""Numbers of compliance reports as text in the reader's language.

Shares are exact fractions until here: a share is rounded half up to one decimal of a percent, a
ratio to two decimals. Money is integer minor units, shown by ``core.formatting.format_money``
(the one money formatter). Separators and digit grouping follow the active language through
``core.formatting`` (Babel).
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from django.utils import translation

from downline.core.formatting import format_money, format_number
from downline.money import round_half_up

DASH = "–"


def _number(value: Decimal, places: int) -> str:
    return format_number(value, places)


def _rounded(value: Fraction, places: int) -> Decimal:
    scaled = round_half_up(value.numerator * 10**places, value.denominator)
    return Decimal(scaled).scaleb(-places)


def percent(value: Fraction | None, places: int = 1) -> str:
    """``Fraction(1, 8)`` → ``"12.5%"`` (English), ``"12,5 %"`` (German, Polish, Russian)."""
    if value is None:
        return DASH
    number = _number(_rounded(value * 100, places), places)
    return f"{number}%" if translation.get_language() in (None, "en") else f"{number}\u00a0%"


def ratio(value: Fraction | None, places: int = 2) -> str:
    """``Fraction(3, 2)`` → ``"1.50×"``."""
    if value is None:
        return DASH
    return f"{_number(_rounded(value, places), places)}×"


def points(value: Fraction | None, places: int = 1) -> str:
    """A difference of two shares in percentage points: ``Fraction(1, 50)`` → ``"+2.0 pp"``."""
    if value is None:
        return DASH
    text = _number(_rounded(value * 100, places), places)
    return f"+{text} pp" if value > 0 else f"{text} pp"


def money(minor: int | None, currency: str, digits: int) -> str:
    """``123456`` EUR with 2 digits → ``"€1,234.56"`` (English), ``"1.234,56 €"`` (German);
    none is a dash."""
    if minor is None:
        return DASH
    return format_money(int(minor), currency, places=digits)


def count(value: int | None) -> str:
    if value is None:
        return DASH
    return _number(Decimal(int(value)), 0)
