"""The one set of limits on the amounts, volumes and quantities that enter Downline.

Every amount of money, PV/CV and quantity that comes in through a console form, the command
line, a ``do_*`` action or a CSV file is checked against these numbers and refused with the field
named; nothing larger reaches the database. The numbers are far beyond any real business and far
below what a 64-bit integer holds, so sums of many of them stay exact:

* :data:`MAX_MONEY_MAJOR_UNITS` — one operation (an adjustment, a price, an order's amount, a
  payout minimum, an amount of an imported order) moves at most ten billion of the currency's
  major unit: 10,000,000,000.00 EUR is 10¹² cents, 10¹⁰ yen, 10¹³ fils (KWD). A 64-bit integer
  holds 9.2 × 10¹⁸, so about 900,000 such operations still sum without overflow.
* :data:`MAX_VOLUME` — PV or CV of one product unit, one order or one imported row: at most
  10,000,000.00 (10⁹ hundredths). A period's group volume overflows only after 9 × 10⁹ such
  orders.
* :data:`MAX_QUANTITY` — units of one product on one order or autoship line: at most 99,999.
  With the two limits above, a line's amount and volume still fit in 64 bits.
* :data:`MAX_BALANCE` — the stored balance of any ledger account stays within ±10¹⁷ minor units
  (``ledger.posting.post`` refuses a transaction that would move one beyond it), so a balance
  never overflows, and neither does SQLite turn it into a float (its integers overflow into
  floating point silently).

Checks raise the caller's error class (a :class:`~downline.core.errors.DownlineError`) with
``field`` set, so a form shows the message at the field and the command line prints it.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from downline.core.errors import DownlineError
from downline.money import (
    MAX_BALANCE,
    MAX_MONEY_MAJOR_UNITS,
    MAX_QUANTITY,
    MAX_VOLUME,
    format_decimal,
    minor_units,
)

__all__ = ["MAX_BALANCE", "MAX_MONEY_MAJOR_UNITS", "MAX_QUANTITY", "MAX_VOLUME"]
VOLUME_PLACES = 2


class LimitError(DownlineError):
    """A number beyond the documented limits."""


def max_money(currency: str) -> int:
    """The largest amount of one operation in ``currency``, in its minor units."""
    return MAX_MONEY_MAJOR_UNITS * 10 ** minor_units(currency)


def money_in_limits(amount: int, currency: str) -> bool:
    """``-max_money(currency) ≤ amount ≤ max_money(currency)``."""
    return abs(amount) <= max_money(currency)


def money_limit_message(label: str, currency: str) -> str:
    """The refusal of an amount beyond the limit, naming the field by ``label``."""
    return _(
        "%(label)s: at most %(limit)s %(currency)s in one operation (the largest amount Downline "
        "accepts)."
    ) % {
        "label": label,
        "limit": format_decimal(max_money(currency), minor_units(currency)),
        "currency": currency,
    }


def volume_limit_message(label: str) -> str:
    """The refusal of a PV/CV beyond :data:`MAX_VOLUME`, naming the field by ``label``."""
    return _("%(label)s: at most %(limit)s (the largest volume Downline accepts).") % {
        "label": label,
        "limit": format_decimal(MAX_VOLUME, VOLUME_PLACES),
    }


def quantity_limit_message(label: str) -> str:
    """The refusal of a quantity beyond :data:`MAX_QUANTITY`, naming the field by ``label``."""
    return _("%(label)s: at most %(limit)s units on one line.") % {
        "label": label,
        "limit": MAX_QUANTITY,
    }


def check_money(
    amount: int,
    currency: str,
    *,
    field: str,
    label: str,
    error: type[DownlineError] = LimitError,
) -> int:
    """``amount`` (minor units of ``currency``) if within :func:`max_money` either way, else
    ``error`` naming ``field``."""
    if not money_in_limits(amount, currency):
        raise error(money_limit_message(label, currency), field=field)
    return amount


def check_volume(
    value: int, *, field: str, label: str, error: type[DownlineError] = LimitError
) -> int:
    """``value`` (hundredths) if its size is at most :data:`MAX_VOLUME`, else ``error``."""
    if abs(value) > MAX_VOLUME:
        raise error(volume_limit_message(label), field=field)
    return value


def check_quantity(
    value: int, *, field: str, label: str, error: type[DownlineError] = LimitError
) -> int:
    """``value`` if at most :data:`MAX_QUANTITY`, else ``error``."""
    if value > MAX_QUANTITY:
        raise error(quantity_limit_message(label), field=field)
    return value
