"""Exact value types of the plan language: rates, volumes and money, parsed from text.

* A **rate** is written ``"10%"`` (any number of decimals, 0% to 100%) or ``"10 per unit"`` (a
  multiplier: 10 of the plan's currency per unit of volume). It is kept as an exact fraction.
* A **volume** (PV, CV, turnover thresholds) is a number with at most two decimals, kept as
  integer hundredths.
* A **money** amount is a number in the plan's currency, kept as an exact decimal and turned
  into minor units once the currency is known.

YAML numbers reach these parsers as their exact text (see ``yaml_source``), never as floats.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

from downline.i18n import gettext as _
from downline.money import parse_decimal

_NUMBER = r"\d+(?:\.\d+)?"
_PERCENT = re.compile(rf"^({_NUMBER})\s*%$")
_PER_UNIT = re.compile(rf"^({_NUMBER})\s+per\s+unit$")


@dataclass(frozen=True)
class Rate:
    """An exact rate; ``text`` is how the plan wrote it (shown in explanations)."""

    value: Fraction
    text: str

    def __str__(self) -> str:
        return self.text

    @classmethod
    def percent(cls, value: Fraction) -> Rate:
        return cls(value, format_percent(value))


def format_percent(value: Fraction) -> str:
    """``Fraction(1, 40)`` → ``"2.5%"``; non-terminating fractions keep six decimals."""
    hundred = value * 100
    if hundred.denominator == 1:
        return f"{hundred.numerator}%"
    text = f"{Decimal(hundred.numerator) / Decimal(hundred.denominator):.6f}".rstrip("0")
    return f"{text}%"


def parse_rate(value: Any) -> Rate:
    if isinstance(value, Rate):
        return value
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(_('write a rate as a percentage such as "10%" or as "10 per unit"'))
    text = str(value).strip()
    if match := _PERCENT.match(text):
        fraction = Fraction(match[1]) / 100
        if fraction > 1:
            raise ValueError(_("rate must be between 0% and 100%"))
        return Rate(fraction, text.replace(" ", ""))
    if match := _PER_UNIT.match(text):
        return Rate(Fraction(match[1]), f"{match[1]} per unit")
    if isinstance(value, int) or re.fullmatch(_NUMBER, text):
        raise ValueError(
            _('write rates with a percent sign ("%(text)s%%") or as "%(text)s per unit"')
            % {"text": text}
        )
    if text.startswith("-"):
        raise ValueError(_("rate must be between 0% and 100%"))
    raise ValueError(
        _('%(value)r is not a rate; write a percentage such as "10%%"') % {"value": text}
    )


def parse_volume(value: Any) -> int:
    """A non-negative number with at most two decimals, as integer hundredths."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(_("write a volume as a number such as 50 or 12.5"))
    try:
        hundredths = parse_decimal(str(value).strip(), 2)
    except ValueError as error:
        raise ValueError(
            _("%(value)r is not a volume with at most two decimals") % {"value": value}
        ) from error
    if hundredths < 0:
        raise ValueError(_("a volume cannot be negative"))
    return hundredths


def parse_money(value: Any) -> Decimal:
    """A non-negative amount of the plan's currency, exact (minor units are checked later)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(_("write an amount as a number such as 100 or 99.90"))
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation as error:
        raise ValueError(_("%(value)r is not an amount") % {"value": value}) from error
    if not amount.is_finite() or amount < 0:
        raise ValueError(_("an amount cannot be negative"))
    return amount


def format_volume(hundredths: int) -> str:
    whole, cents = divmod(abs(hundredths), 100)
    sign = "-" if hundredths < 0 else ""
    return f"{sign}{whole}" if cents == 0 else f"{sign}{whole}.{cents:02d}"


RateField = Annotated[
    Rate,
    BeforeValidator(parse_rate),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\d+(\.\d+)?\s*%$|^\d+(\.\d+)?\s+per\s+unit$",
            "description": 'A percentage such as "10%" (0% to 100%) or a multiplier "10 per unit".',
        }
    ),
]
PercentField = Annotated[
    Rate,
    BeforeValidator(parse_rate),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\d+(\.\d+)?\s*%$",
            "description": 'A percentage such as "70%" (above 0%, at most 100%).',
        }
    ),
]
VolumeField = Annotated[
    int,
    BeforeValidator(parse_volume),
    PlainSerializer(format_volume, return_type=str),
    WithJsonSchema(
        {
            "anyOf": [{"type": "integer", "minimum": 0}, {"type": "number", "minimum": 0}],
            "description": "A volume with at most two decimals.",
        }
    ),
]
MoneyField = Annotated[
    Decimal,
    BeforeValidator(parse_money),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(
        {
            "anyOf": [{"type": "integer", "minimum": 0}, {"type": "number", "minimum": 0}],
            "description": "An amount of the plan's currency.",
        }
    ),
]
