"""Money, volumes, numbers and dates in the reader's locale through the one formatter
(``downline.core.formatting``, Babel), machine-readable text that stays locale-neutral, the
parsers that read what a German, Russian, Polish or English reader types, and a statement page
in German."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from downline.core.formatting import (
    babel_locale,
    format_amount,
    format_date,
    format_datetime,
    format_money,
    format_number,
    format_volume,
    format_volume_amount,
    parse_money,
    parse_volume,
)

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "€18,545.00"),
        ("de", f"18.545,00{NBSP}€"),
        ("ru", f"18{NBSP}545,00{NBSP}€"),
        ("pl", f"18{NBSP}545,00{NBSP}€"),
    ],
)
def test_money_follows_the_locale(language, text):
    assert format_money(1854500, "EUR", locale=language) == text
    with translation.override(language):  # the active language is the default
        assert format_money(1854500, "EUR") == text


@pytest.mark.parametrize(
    ("minor", "currency", "language", "text"),
    [
        (-4990, "EUR", "en", "-€49.90"),
        (5, "EUR", "de", f"0,05{NBSP}€"),
        (19900, "PLN", "pl", f"199,00{NBSP}zł"),
        (19900, "PLN", "en", f"PLN{NBSP}199.00"),  # a letter symbol is spaced from the digits
        (500, "JPY", "en", "JP¥500"),  # no decimals
        (1234567, "KWD", "de", f"1.234,567{NBSP}KWD"),  # three decimals
        (123456789012345678, "EUR", "en", "€1,234,567,890,123,456.78"),  # exact, no float
    ],
)
def test_money_has_the_currency_decimals_exactly(minor, currency, language, text):
    assert format_money(minor, currency, locale=language) == text


def test_a_point_currency_keeps_its_own_decimals():
    assert format_money(1250, "TUPS", places=0, locale="en") == f"TUPS{NBSP}1,250"


def test_volumes_numbers_and_dates_follow_the_locale():
    assert format_volume(1854550, locale="en") == f"18,545.50{NBSP}PV"
    assert format_volume(1854550, "CV", locale="de") == f"18.545,50{NBSP}CV"
    assert format_volume(1854550, "", locale="ru") == f"18{NBSP}545,50"
    assert format_number(18545, locale="pl") == f"18{NBSP}545"
    assert format_number(18545, locale="de") == "18.545"
    day = date(2026, 12, 6)
    assert format_date(day, locale="en") == "6 Dec 2026"  # en is en_GB: day first
    assert format_date(day, locale="de") == "06.12.2026"
    assert format_date(day, locale="pl") == "6 gru 2026"
    assert format_date(day, "short", locale="ru") == "06.12.2026"
    moment = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)
    with translation.override("de"), timezone.override("Europe/Berlin"):
        # the current time zone decides the day
        assert format_datetime(moment) == "07.12.26, 00:30"
        assert format_date(moment) == "07.12.2026"
    assert babel_locale("en").territory == "GB"
    assert str(babel_locale("xx")) == "en_GB"


def test_machine_readable_text_is_locale_neutral():
    with translation.override("de"):
        assert format_amount(1854500, "EUR") == "18545.00"
        assert format_amount(-5, "KWD") == "-0.005"
        assert format_volume_amount(1250) == "12.50"


@pytest.mark.parametrize(
    ("text", "minor"),
    [
        ("18.545,00", 1854500),  # German
        ("18 545,00", 1854500),  # Russian, Polish (a plain space)
        (f"18{NBSP}545,00{NBSP}€", 1854500),  # what the page shows, pasted back
        ("18,545.00", 1854500),  # English
        ("€18,545.00", 1854500),
        ("EUR 49.90", 4990),
        ("49,90", 4990),
        ("12,5", 1250),
        ("  7 ", 700),
        ("1.234.567", 123456700),
        ("-49,90 €", -4990),
        ("−12,5", -1250),
    ],
)
def test_parse_money_reads_what_each_reader_types(text, minor):
    assert parse_money(text, "EUR") == minor


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("18.545", "ambiguous"),  # 18545 to a German, 18.545 to an English reader
        ("1,000", "ambiguous"),
        ("12,345", "ambiguous"),
        ("1.23,45", "three digits"),
        ("12,345.6.7", "more than one decimal separator"),
        ("49,999", "ambiguous"),
        ("49,9999", "at most 2 decimals"),
        ("12.", "ends with a separator"),
        ("abc", "write digits"),
        ("", "write digits"),
    ],
)
def test_parse_money_refuses_ambiguous_or_malformed_text_with_the_reason(text, reason):
    with pytest.raises(ValueError, match=reason) as refused:
        parse_money(text, "EUR")
    assert repr(text) in str(refused.value)


def test_three_decimal_currencies_and_volumes():
    assert parse_money("1.234", "KWD") == 1234  # three decimals: the point is decimal
    assert parse_money("1.234,567", "KWD") == 1234567
    assert parse_volume("12,5") == 1250
    assert parse_volume("1 250,5") == 125050
    with pytest.raises(ValueError, match="at most 2 decimals"):
        parse_volume("0,1234")


def test_a_statement_in_german_has_german_money(client, settled):
    client.force_login(settled.team.alice_user)
    client.cookies["django_language"] = "de"
    text = client.get(reverse("web:statement", args=["2026-08"])).text
    assert f'id="statement-total">4,00{NBSP}€<' in text
    unilevel = text.split('id="bonus-unilevel"')[1].split('id="clawbacks-heading"')[0]
    assert ">40,00<" in unilevel  # the base of Carol's line
    assert f"2,00{NBSP}€" in unilevel
    with translation.override("de"), timezone.override(ZoneInfo("Europe/Berlin")):
        finished = format_datetime(settled.august.finished_at)
    # the run's time as a German date and time (dd.mm.yy, hh:mm), in the company's time zone
    assert finished in text
