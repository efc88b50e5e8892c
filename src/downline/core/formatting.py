"""The one formatter of money, volumes, numbers and dates for people, and its parsers.

Rules:

* **Exact.** Money is an integer count of the currency's minor unit (2 decimals for most
  currencies, 0 for JPY, 3 for KWD: ``downline.money.minor_units``); PV/CV and other points are
  integer hundredths. A value is turned into an exact ``Decimal`` from those integers
  (``Decimal(minor).scaleb(-places)``), never through a float, and always shown with exactly
  the unit's decimals.
* **In the reader's locale, through Babel.** Separators, digit grouping, the currency symbol and
  its place follow CLDR: 1854500 minor units of EUR are ``€18,545.00`` in English,
  ``18.545,00 €`` in German, ``18 545,00 €`` in Russian and Polish (Babel's group separator there
  is a no-break space, U+00A0). Where a currency symbol made of letters touches a digit
  (``PLN199.00``), a no-break space is put between them (CLDR's currency spacing).
* **Whose locale.** Each function takes ``locale=`` (a language code such as ``"de"`` or
  ``"pt-br"``, or a Babel locale); without it, the active Django language
  (``translation.get_language()``) is used, or ``downline.i18n.current_language()`` where Django
  is not set up (command line, simulation reports). ``en`` means **en_GB**: the company works in
  Europe (EUR, SEPA, Europe/Berlin), en_GB writes numbers and money exactly as en_US does and
  dates day-first like the other three languages (``6 Dec 2026``). ``ru``, ``pl``, ``de`` are
  Russia, Poland and Germany; a code Babel does not know falls back to en_GB.
* **Machine-readable text is locale-neutral.** CSV files, payout files and the values of input
  fields use :func:`format_amount` / :func:`format_volume_amount` (``"49.90"``: a dot decimal, no
  grouping, no symbol), never the functions above.
* **Parsing what people type** (:func:`parse_money`, :func:`parse_volume`,
  :func:`parse_number`): surrounding spaces, a leading minus (``-`` or ``−``), and for money the
  currency's code or its symbol are allowed. Spaces (also no-break and thin spaces) are
  always digit-group separators. When both ``.`` and ``,`` occur, the last one is the decimal
  separator and the other groups digits (``18.545,00`` and ``18,545.00`` are both 18545).
  When only one of them occurs it is the decimal separator if it occurs once (``12,5``,
  ``49.90``, ``18 545,00``) and a group separator if it occurs more than once
  (``1.234.567``). A single separator followed by exactly three digits and nothing else, such as
  ``18.545`` or ``1,000``, is **refused as ambiguous** (a thousands separator to a German,
  a decimal point to an English reader) unless the unit has three decimals; digit groups after
  the first must have three digits. Nothing is rounded: more decimals than the unit has is an
  error. Every refusal is a ``ValueError`` whose message names the text and the reason.
"""

from __future__ import annotations

import re
from datetime import date, datetime, tzinfo
from decimal import Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from babel.numbers import NumberPattern, get_currency_symbol, parse_pattern

from downline.money import format_decimal, minor_units, parse_decimal

VOLUME_PLACES = 2
DEFAULT_LOCALE = "en_GB"
# Django language code → the Babel locale its readers expect.
LOCALES = {"en": "en_GB", "ru": "ru_RU", "pl": "pl_PL", "de": "de_DE"}
NBSP = "\u00a0"
_SPACES = " \u00a0\u202f\u2009"
_MINUS = "-\u2212"

type LocaleLike = str | Locale | None


# --------------------------------------------------------------------------- the locale


def _active_language() -> str | None:
    """The language of the request being answered, or of the command line."""
    from django.conf import settings

    if settings.configured:
        from django.utils import translation

        return translation.get_language()
    from downline.i18n import current_language

    return current_language()


@lru_cache(maxsize=64)
def _locale_of(code: str) -> Locale:
    language = code.replace("-", "_")
    mapped = LOCALES.get(language.lower(), language)
    try:
        return Locale.parse(mapped)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(DEFAULT_LOCALE)


def babel_locale(locale: LocaleLike = None) -> Locale:
    """The Babel locale for ``locale`` (a language code, a ``Locale`` or ``None`` for the
    active language): ``"en"`` → en_GB, ``"de"`` → de_DE, ``"de-at"`` → de_AT."""
    if isinstance(locale, Locale):
        return locale
    return _locale_of(locale or _active_language() or "en")


# --------------------------------------------------------------------------- numbers for people


def _exact(units: int, places: int) -> Decimal:
    """``units`` counts of ``10**-places`` as an exact decimal with ``places`` digits."""
    return Decimal(int(units)).scaleb(-places)


@lru_cache(maxsize=256)
def _pattern(locale: Locale, kind: str, places: int) -> NumberPattern:
    """The locale's standard decimal or currency pattern with exactly ``places`` decimals."""
    base = (
        locale.currency_formats["standard"] if kind == "currency" else locale.decimal_formats[None]
    )
    pattern = parse_pattern(base.pattern)
    pattern.frac_prec = (places, places)
    return pattern


def format_fixed(units: int, places: int, *, locale: LocaleLike = None) -> str:
    """The integer ``units`` of ``10**-places`` as a number in the reader's locale, grouped,
    with exactly ``places`` decimals: ``format_fixed(1854500, 2, locale="de")`` is
    ``"18.545,00"``."""
    where = babel_locale(locale)
    return _pattern(where, "decimal", places).apply(_exact(units, places), where)


def format_number(value: int | Decimal, places: int = 0, *, locale: LocaleLike = None) -> str:
    """A count or an exact decimal, grouped, with ``places`` decimals (a ``Decimal`` is rounded
    half-even to them by Babel; an ``int`` is taken as a whole number)."""
    where = babel_locale(locale)
    return _pattern(where, "decimal", places).apply(Decimal(value), where)


def _currency_spacing(text: str, symbol: str) -> str:
    """CLDR's currency spacing: a no-break space between a letter of the symbol and a digit."""
    if not symbol or symbol not in text:
        return text
    at = text.index(symbol)
    after = text[at + len(symbol) : at + len(symbol) + 1]
    before = text[at - 1 : at] if at else ""
    if symbol[-1].isalpha() and after.isdigit():
        text = text[: at + len(symbol)] + NBSP + text[at + len(symbol) :]
    if symbol[0].isalpha() and before.isdigit():
        text = text[:at] + NBSP + text[at:]
    return text


def format_money(
    minor: int, currency: str, *, places: int | None = None, locale: LocaleLike = None
) -> str:
    """``minor`` units of ``currency`` with its symbol, as the reader writes money:
    4990 EUR is ``"€49.90"`` (en), ``"49,90 €"`` (de, ru, pl); 500 JPY is ``"JP¥500"`` (en).
    ``places`` overrides the currency's decimals (a plan's point currency, e.g. ``TUPS`` with
    0 decimals, is shown with its code)."""
    code = currency.upper()
    places = minor_units(code) if places is None else places
    where = babel_locale(locale)
    text = _pattern(where, "currency", places).apply(
        _exact(minor, places), where, currency=code, currency_digits=False
    )
    return _currency_spacing(text, get_currency_symbol(code, where))


def format_money_number(
    minor: int, currency: str, *, places: int | None = None, locale: LocaleLike = None
) -> str:
    """The money as a number alone in the reader's locale (for a column whose heading names
    the currency): 1854500 EUR is ``"18.545,00"`` in German."""
    digits = minor_units(currency.upper()) if places is None else places
    return format_fixed(minor, digits, locale=locale)


def format_volume(hundredths: int, unit: str = "PV", *, locale: LocaleLike = None) -> str:
    """``"1,250.50 PV"`` (en) or ``"1.250,50 PV"`` (de) for 125050 hundredths; ``unit`` is any
    label (``CV``, ``GV``) or empty for the number alone."""
    text = format_fixed(hundredths, VOLUME_PLACES, locale=locale)
    return f"{text}{NBSP}{unit}" if unit else text


# --------------------------------------------------------------------------- dates


def _zone(zone: tzinfo | None) -> tzinfo | None:
    if zone is not None:
        return zone
    from django.conf import settings

    if settings.configured:
        from django.utils import timezone

        return timezone.get_current_timezone()
    return None


def format_date(
    value: date | datetime, format: str = "medium", *, locale: LocaleLike = None
) -> str:
    """A day in the reader's locale: ``6 Dec 2026`` (en), ``06.12.2026`` (de), ``6 дек. 2026 г.``
    (ru), ``6 gru 2026`` (pl); ``format`` is ``short``, ``medium``, ``long`` or a CLDR pattern.
    An aware datetime is first turned into the current time zone's day."""
    if isinstance(value, datetime):
        zone = _zone(None)
        if value.tzinfo is not None and zone is not None:
            value = value.astimezone(zone)
        value = value.date()
    return babel_dates.format_date(value, format, locale=babel_locale(locale))


def format_datetime(
    value: datetime, format: str = "short", *, locale: LocaleLike = None, zone: tzinfo | None = None
) -> str:
    """A moment in the reader's locale and the current time zone (or ``zone``):
    ``06/12/2026, 14:05`` (en), ``06.12.26, 14:05`` (de)."""
    return babel_dates.format_datetime(
        value, format, tzinfo=_zone(zone), locale=babel_locale(locale)
    )


# --------------------------------------------------------------------------- machine-readable


def format_amount(minor: int, currency: str) -> str:
    """The number alone, **locale-neutral**, for CSV files, payout files and the value of an
    input field: ``"49.90"`` for 4990 minor units of EUR, ``"-1234.50"`` (dot, no grouping)."""
    return format_decimal(int(minor), minor_units(currency.upper()))


def format_volume_amount(hundredths: int) -> str:
    """A volume, **locale-neutral**, for CSV files and input fields: ``"12.50"`` for 1250."""
    return format_decimal(int(hundredths), VOLUME_PLACES)


# --------------------------------------------------------------------------- parsing


def _translated(message: str) -> str:
    from django.conf import settings

    if settings.configured:
        from django.utils.translation import gettext

        return gettext(message)
    from downline.i18n import gettext as plain_gettext

    return plain_gettext(message)


def _refuse(text: str, reason: str) -> ValueError:
    return ValueError(
        _translated("%(text)r is not a number: %(reason)s") % {"text": text, "reason": reason}
    )


_GROUPED = re.compile(r"^\d{1,3}(?:G\d{3})*$")


def _canonical(text: str, places: int) -> str:
    """``text`` as ``-1234.5`` (what ``parse_decimal`` reads), by the rules of the module."""
    original = text
    body = text.strip()
    sign = ""
    if body[:1] and body[0] in _MINUS:
        sign, body = "-", body[1:].lstrip(_SPACES)
    for space in _SPACES:
        body = body.replace(space, " ")
    if not body or not re.fullmatch(r"[0-9 .,]+", body) or not body[0].isdigit():
        raise _refuse(original, _translated("write digits, with a comma or a point for decimals"))
    if not body[-1].isdigit():
        raise _refuse(original, _translated("it ends with a separator"))
    marks = [c for c in body if c in ".,"]
    decimal_mark, group_mark = _marks(original, body, marks, places)
    whole, _, fraction = body.partition(decimal_mark) if decimal_mark else (body, "", "")
    whole = whole.replace(" ", "G")
    if group_mark:
        whole = whole.replace(group_mark, "G")
    if "G" in whole and not _GROUPED.match(whole):
        raise _refuse(original, _translated("digit groups after the first must have three digits"))
    return f"{sign}{whole.replace('G', '')}" + (f".{fraction}" if decimal_mark else "")


def _marks(original: str, body: str, marks: list[str], places: int) -> tuple[str, str]:
    """(decimal separator, group separator) of ``body``; either may be empty."""
    kinds = set(marks)
    if len(kinds) == 2:
        decimal_mark = marks[-1]
        if marks.count(decimal_mark) > 1:
            raise _refuse(original, _translated("it has more than one decimal separator"))
        if body.rindex(decimal_mark) < max(body.rfind(m) for m in kinds if m != decimal_mark):
            raise _refuse(original, _translated("it has more than one decimal separator"))
        return decimal_mark, next(m for m in kinds if m != decimal_mark)
    if not kinds:
        return "", ""
    mark = marks[0]
    if len(marks) > 1:
        return "", mark
    after = body.split(mark)[1]
    if " " not in body and len(after) == 3 and places < 3:
        raise _refuse(
            original,
            _translated(
                "it is ambiguous (a thousands separator or a decimal point?); write it without "
                "the separator or with all decimals, e.g. 18545 or 18545,00"
            ),
        )
    return mark, ""


def parse_number(text: str, places: int) -> int:
    """``text`` as an integer count of ``10**-places`` by the module's rules:
    ``parse_number("18.545,5", 2)`` is 1854550. Raises ``ValueError`` with the reason."""
    canonical = _canonical(str(text), places)
    try:
        return parse_decimal(canonical, places)
    except ValueError:
        raise _refuse(
            str(text), _translated("at most %(places)d decimals are allowed") % {"places": places}
        ) from None


def _without_currency(text: str, code: str) -> str:
    """``text`` without the currency's code or its symbol in en, ru, pl or de at either end."""
    body = str(text).strip()
    marks = {code, code.lower()} | {get_currency_symbol(code, babel_locale(c)) for c in LOCALES}
    for mark in sorted(marks, key=len, reverse=True):
        for minus in ("", *_MINUS):
            if body.startswith(minus + mark):
                return minus + body[len(minus + mark) :].strip(_SPACES)
        if body.endswith(mark):
            return body[: -len(mark)].strip(_SPACES)
    return body


def parse_money(text: str, currency: str) -> int:
    """Minor units of ``currency`` typed as ``text``: ``"49,90"``, ``"18.545,00 €"``,
    ``"EUR 18,545.00"`` and ``"18 545,00"`` are all read exactly. Raises ``ValueError``."""
    code = currency.upper()
    return parse_number(_without_currency(text, code), minor_units(code))


def parse_volume(text: str) -> int:
    """Hundredths typed as ``text``: ``parse_volume("12,5")`` is 1250. Raises ``ValueError``."""
    return parse_number(str(text), VOLUME_PLACES)
