"""Exact money and volume arithmetic on integers (pure Python, no Django).

Money is an integer count of the currency's minor unit; PV and CV are integer hundredths. Text
is parsed digit by digit, never through a float. The one rounding rule of the platform is
``round_half_up``: the exact quotient rounded to the nearest integer, halves away from zero.
"""

from __future__ import annotations

import re

# ISO 4217 minor units for the currencies a company is likely to use; others default to 2.
ZERO_DECIMAL_CURRENCIES = frozenset(
    {
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "ISK",
        "JPY",
        "KMF",
        "KRW",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    }
)
THREE_DECIMAL_CURRENCIES = frozenset({"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})
# The limits on what enters Downline (explained in ``downline.core.limits``, which checks them);
# kept here, free of Django, so the engine-side readers (``downline.dataset``) use the same numbers.
MAX_MONEY_MAJOR_UNITS = 10**10
"""The largest amount of one operation, in major units of its currency (10,000,000,000.00)."""
MAX_VOLUME = 10**9
"""The largest PV or CV of a product unit, an order or an imported row, in hundredths."""
MAX_QUANTITY = 99_999
"""The largest quantity of one order or autoship line."""
MAX_BALANCE = 10**17
"""The largest absolute balance of a ledger account, in minor units."""
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_DECIMAL = re.compile(r"^(-?)(\d+)(?:\.(\d+))?$")


def is_currency_code(code: str) -> bool:
    return bool(_CURRENCY.match(code))


def minor_units(currency: str) -> int:
    """Number of decimal places of ``currency``'s minor unit (EUR 2, JPY 0, KWD 3)."""
    if currency in ZERO_DECIMAL_CURRENCIES:
        return 0
    if currency in THREE_DECIMAL_CURRENCIES:
        return 3
    return 2


def parse_decimal(text: str, places: int) -> int:
    """``"12.5"`` with ``places=2`` → ``1250``. Raises ``ValueError`` with a reason.

    Accepts an optional minus sign, digits and at most ``places`` decimals; nothing else
    (no exponent, no thousands separator, no spaces).
    """
    match = _DECIMAL.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a decimal number like 12.50")
    sign, whole, fraction = match.groups()
    fraction = fraction or ""
    if len(fraction) > places:
        raise ValueError(f"{text!r} has more than {places} decimal places")
    value = int(whole) * 10**places + (int(fraction.ljust(places, "0")) if places else 0)
    return -value if sign else value


def format_decimal(value: int, places: int) -> str:
    """``1250`` with ``places=2`` → ``"12.50"``; the inverse of :func:`parse_decimal`."""
    if places == 0:
        return str(value)
    sign = "-" if value < 0 else ""
    whole, fraction = divmod(abs(value), 10**places)
    return f"{sign}{whole}.{fraction:0{places}d}"


def round_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded to the nearest integer, halves away from zero."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    magnitude = (2 * abs(numerator) + denominator) // (2 * denominator)
    return magnitude if numerator >= 0 else -magnitude
