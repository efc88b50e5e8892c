"""IBAN and BIC checks: published examples pass, each kind of mistake gets its own message."""

from __future__ import annotations

import pytest
from payout_samples import GERMAN_IBAN, POLISH_IBAN, PUBLISHED_IBANS

from downline.payouts.bank_details import (
    BBAN_FORMATS,
    bic_problem,
    iban_length,
    iban_problem,
    mask_iban,
    normalize_iban,
)


def _with_check_digits(country: str, bban: str) -> str:
    """An IBAN whose check digits are computed here (ISO 7064: 98 - n mod 97)."""
    digits = "".join(str(int(character, 36)) for character in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


@pytest.mark.parametrize("iban", PUBLISHED_IBANS)
def test_published_example_ibans_are_valid(iban):
    assert iban_problem(iban) is None


@pytest.mark.parametrize(
    "written",
    ["DE89 3704 0044 0532 0130 00", "de89370400440532013000", " DE89\u00a03704\t0044 0532 013000 "],
)
def test_an_iban_is_read_without_spaces_and_in_upper_case(written):
    assert normalize_iban(written) == GERMAN_IBAN
    assert iban_problem(written) is None


@pytest.mark.parametrize(
    ("country", "length"),
    [("DE", 22), ("GB", 22), ("PL", 28), ("FR", 27), ("NO", 15), ("MT", 31), ("BE", 16)],
)
def test_lengths_follow_the_iban_registry(country, length):
    assert iban_length(country) == length


def test_every_sepa_country_has_a_format():
    for country in ("AT", "BE", "DE", "ES", "FR", "IT", "NL", "PL", "PT", "SE", "CH", "GB"):
        assert country in BBAN_FORMATS


def test_one_mistyped_digit_is_caught_by_the_check_digits():
    wrong = GERMAN_IBAN[:-1] + "1"
    assert "check digits do not match" in iban_problem(wrong)


@pytest.mark.parametrize("iban", PUBLISHED_IBANS)
def test_every_swap_of_two_neighbouring_characters_is_caught(iban):
    for position in range(4, len(iban) - 1):
        first, second = iban[position], iban[position + 1]
        if first == second:
            continue
        swapped = iban[:position] + second + first + iban[position + 2 :]
        assert iban_problem(swapped) is not None, swapped


def test_a_wrong_length_names_the_country_and_both_lengths():
    problem = iban_problem(GERMAN_IBAN + "0")
    assert "DE" in problem
    assert "22" in problem
    assert "23" in problem


def test_an_unknown_country_is_named():
    assert "XX is not a country that uses IBANs" in iban_problem("XX89370400440532013000")


def test_a_character_that_is_not_a_letter_or_digit_is_named():
    assert "'-'" in iban_problem("DE89-3704-0044-0532-0130-00")


def test_letters_where_the_country_has_digits_are_refused_even_with_valid_check_digits():
    iban = _with_check_digits("DE", "37040044053201300A")
    assert iban[2:4].isdigit()
    problem = iban_problem(iban)
    assert problem is not None
    assert "18 digits" not in problem  # the structure is told part by part
    assert "8 digits, 10 digits" in problem


def test_check_digits_computed_independently_agree_with_the_checker():
    assert _with_check_digits("DE", "370400440532013000") == GERMAN_IBAN
    assert _with_check_digits("PL", POLISH_IBAN[4:]) == POLISH_IBAN


def test_an_empty_iban_is_refused():
    assert iban_problem("   ") == "The IBAN is empty."


@pytest.mark.parametrize("bic", ["DEUTDEFF", "DEUTDEFF500", "NWBKGB2L", "BREXPLPW", "cobadeffxxx"])
def test_valid_bics(bic):
    assert bic_problem(bic) is None


@pytest.mark.parametrize(
    ("bic", "expected"),
    [
        ("DEUTDEF", "8 or 11 characters; this one has 7"),
        ("DEUTDEFF5", "8 or 11 characters; this one has 9"),
        ("DEUT12FF", "country code and must be letters, not '12'"),
        ("DEUT_EFF", "contains '_'"),
        ("", "The BIC is empty."),
    ],
)
def test_invalid_bics_say_what_is_wrong(bic, expected):
    assert expected in bic_problem(bic)


def test_a_masked_iban_shows_country_check_digits_and_last_four_only():
    masked = mask_iban("DE89 3704 0044 0532 0130 00")
    assert masked == "DE89 **** 3000"
    assert "0532" not in masked
