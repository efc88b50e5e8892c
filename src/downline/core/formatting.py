"""Readable money and volumes for screens, and their inverse for forms. Pure functions.

Built on ``downline.money`` (exact integer arithmetic): money is an integer count of the
currency's minor unit (2 decimals for most currencies, 0 for JPY, 3 for KWD), PV/CV and other
points are integer hundredths. ``format_money(4990, "EUR")`` is ``"EUR 49.90"`` and
``format_volume(1250)`` is ``"12.50 PV"``. The parsers accept what people type in a form
(surrounding spaces, a decimal comma as in ``12,50``), at most as many decimals as the unit has,
and never round.
"""

from __future__ import annotations

from downline.money import format_decimal, minor_units, parse_decimal

VOLUME_PLACES = 2


def format_money(minor: int, currency: str) -> str:
    """``"EUR 49.90"`` for 4990 minor units of EUR; ``"JPY 500"`` for 500 of JPY."""
    code = currency.upper()
    return f"{code} {format_decimal(int(minor), minor_units(code))}"


def format_volume(hundredths: int, unit: str = "PV") -> str:
    """``"12.50 PV"`` for 1250 hundredths; ``unit`` is any label (``CV``, ``GV``) or empty."""
    text = format_decimal(int(hundredths), VOLUME_PLACES)
    return f"{text} {unit}" if unit else text


def format_amount(minor: int, currency: str) -> str:
    """The number alone, for an input field: ``"49.90"`` for 4990 minor units of EUR."""
    return format_decimal(int(minor), minor_units(currency.upper()))


def parse_money(text: str, currency: str) -> int:
    """Minor units of ``currency`` typed as ``text``: ``parse_money("49,90", "EUR")`` is 4990.
    Raises ``ValueError`` with the reason."""
    return parse_decimal(_normalized(text), minor_units(currency.upper()))


def parse_volume(text: str) -> int:
    """Hundredths typed as ``text``: ``parse_volume("12.5")`` is 1250. Raises ``ValueError``."""
    return parse_decimal(_normalized(text), VOLUME_PLACES)


def _normalized(text: str) -> str:
    return str(text).strip().replace(",", ".")
