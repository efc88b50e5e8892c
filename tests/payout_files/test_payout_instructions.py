"""Payout records refuse bad data when they are built, naming the payout and the field."""

from __future__ import annotations

from datetime import datetime

import pytest
from payout_samples import GERMAN_IBAN, batch, instruction

from downline.payouts.instructions import (
    Debtor,
    PayoutFileError,
    identifier_problem,
    make_idempotency_key,
)


def test_bank_details_are_stored_normalised():
    record = instruction(iban="de89 3704 0044 0532 0130 00", bic="cobadeff xxx")
    assert record.iban == GERMAN_IBAN
    assert record.bic == "COBADEFFXXX"


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"amount": 0}, "amount", "greater than zero"),
        ({"amount": -500}, "amount", "greater than zero"),
        ({"amount": 12.5}, "amount", "integer"),
        ({"amount": True}, "amount", "integer"),
        ({"currency": "euro"}, "currency", "currency code"),
        ({"iban": "DE89370400440532013001"}, "iban", "check digits"),
        ({"bic": "DEUT"}, "bic", "8 or 11"),
        ({"name": "  "}, "name", "empty"),
        ({"idempotency_key": "P1/B7"}, "idempotency_key", "letters A-Z"),
        ({"idempotency_key": "P1-" + "X" * 33}, "idempotency_key", "36 characters"),
        ({"idempotency_key": "-P1"}, "idempotency_key", "start and end"),
    ],
)
def test_a_bad_instruction_is_refused_naming_payout_and_field(changes, field, words):
    with pytest.raises(PayoutFileError) as refused:
        instruction(payout_id=42, **changes)
    assert refused.value.field == field
    assert "Payout 42" in refused.value.message
    assert field in refused.value.message
    assert words in refused.value.message


def test_a_payout_without_bic_is_allowed_for_iban_only_transfers():
    assert instruction(bic="").bic == ""


def test_the_paying_account_is_checked():
    with pytest.raises(PayoutFileError, match="paying account, iban"):
        Debtor(name="Downline", iban="DE00370400440532013000", bic="COBADEFFXXX")
    with pytest.raises(PayoutFileError, match="paying account, bic"):
        Debtor(name="Downline", iban=GERMAN_IBAN, bic="")


def test_a_batch_needs_an_aware_creation_time():
    with pytest.raises(PayoutFileError, match="time zone"):
        batch(created_at=datetime(2026, 11, 2, 9, 30))  # noqa: DTZ001 - the mistake under test


def test_a_batch_needs_payouts():
    with pytest.raises(PayoutFileError, match="has no payouts"):
        batch(instructions=())


def test_two_payouts_cannot_share_an_idempotency_key():
    first = instruction(1, idempotency_key="P1-B7")
    second = instruction(2, idempotency_key="P1-B7")
    with pytest.raises(PayoutFileError, match="payouts 1 and 2 share the idempotency key P1-B7"):
        batch(first, second)


def test_a_payout_cannot_be_listed_twice():
    with pytest.raises(PayoutFileError, match="lists payout 1 twice"):
        batch(instruction(1), instruction(1, idempotency_key="P1-B7-again"))


def test_a_batch_id_follows_the_identifier_format():
    with pytest.raises(PayoutFileError, match="Batch id"):
        batch(batch_id="2026/10")


def test_the_recommended_idempotency_key_names_payout_and_batch_and_fits_sepa():
    key = make_idempotency_key(123456, "PB-2026-10-7")
    assert key == "P123456-PB-2026-10-7"
    assert identifier_problem(key) is None
    assert make_idempotency_key(123456, "PB-2026-10-8") != key


def test_an_idempotency_key_that_would_be_too_long_is_refused():
    with pytest.raises(PayoutFileError, match="Payout 1234567890"):
        make_idempotency_key(1234567890, "B" * 30)


def test_batch_totals_are_per_currency():
    totals = batch(
        instruction(1, amount=1_00),
        instruction(2, amount=2_50),
        instruction(3, amount=700, currency="JPY"),
    ).total
    assert totals == {"EUR": 3_50, "JPY": 700}


def test_the_paying_accounts_country_is_a_two_letter_code():
    with pytest.raises(PayoutFileError, match="'DEU' is not a two-letter country code"):
        Debtor(name="Downline", iban=GERMAN_IBAN, bic="COBADEFFXXX", country="DEU")
