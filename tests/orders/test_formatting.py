"""Readable money and volumes (``downline.core.formatting``), in English (en_GB) here; the
other locales are in tests/web/test_locale_formatting.py."""

from __future__ import annotations

import pytest

from downline.core.formatting import (
    format_amount,
    format_money,
    format_volume,
    parse_money,
    parse_volume,
)


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (4990, "EUR", "€49.90"),
        (5, "EUR", "€0.05"),
        (-4990, "EUR", "-€49.90"),
        (500, "JPY", "JP¥500"),
        (1234, "KWD", "KWD\u00a01.234"),
        (123456789012345678, "PLN", "PLN\u00a01,234,567,890,123,456.78"),
    ],
)
def test_money_is_written_exactly(minor, currency, text):
    assert format_money(minor, currency) == text
    assert parse_money(format_amount(minor, currency), currency) == minor


@pytest.mark.parametrize(
    ("hundredths", "unit", "text"),
    [
        (1250, "PV", "12.50\u00a0PV"),
        (1, "CV", "0.01\u00a0CV"),
        (-75, "PV", "-0.75\u00a0PV"),
        (100, "", "1.00"),
        (123456, "", "1,234.56"),
    ],
)
def test_volumes_are_written_in_points_with_two_decimals(hundredths, unit, text):
    assert format_volume(hundredths, unit) == text


@pytest.mark.parametrize(("text", "hundredths"), [("12.5", 1250), (" 12,50 ", 1250), ("3", 300)])
def test_volumes_typed_in_a_form_are_parsed_without_rounding(text, hundredths):
    assert parse_volume(text) == hundredths


@pytest.mark.parametrize("text", ["12.505", "1e3", "twelve", ""])
def test_a_volume_with_too_many_decimals_or_no_number_is_refused(text):
    with pytest.raises(ValueError, match="decimal"):
        parse_volume(text)
