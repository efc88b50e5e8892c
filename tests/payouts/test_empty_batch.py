"""A payout batch that would pay nobody is refused (action, console and command line), with a
message that says why; nothing is written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from downline.ledger.models import Transaction
from downline.payouts.actions import PayoutError, do_create_payout_batch
from downline.payouts.details import do_seed_payout_details
from downline.payouts.models import PayoutBatch, PayoutHold

from .conftest import GOOD_IBAN, credit

T0 = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def test_a_batch_of_held_members_only_is_refused_and_nothing_is_written(members):
    credit(members.anna, 5000)
    credit(members.ben, 4000, reference="T2")
    do_seed_payout_details([(members.ben, "Ben Brandt", GOOD_IBAN, "", "T", T0)])
    transactions = Transaction.objects.count()
    with pytest.raises(PayoutError) as caught:
        do_create_payout_batch("EUR", minimum=100, actor=members.maker)
    message = caught.value.message
    assert message.startswith("No batch was drafted: every member who could be paid in EUR is held")
    assert f"{PayoutHold.Reason.MISSING_BANK_DETAILS.label}: 1" in message
    assert f"{PayoutHold.Reason.COOLING_OFF.label}: 1" in message
    assert not PayoutBatch.objects.exists()
    assert not PayoutHold.objects.exists()
    assert Transaction.objects.count() == transactions


def test_a_batch_with_no_wallet_over_the_minimum_is_refused(members):
    credit(members.anna, 50)
    with pytest.raises(PayoutError, match=r"no wallet in EUR holds at least 20\.00"):
        do_create_payout_batch("EUR", minimum=2000, actor=members.maker)
    assert not PayoutBatch.objects.exists()


def test_a_batch_pays_once_somebody_can_be_paid(members, frozen):
    credit(members.anna, 5000)
    do_seed_payout_details(
        [(members.anna, "Anna Adler", GOOD_IBAN, "", "T", T0 - timedelta(days=8))]
    )
    batch = do_create_payout_batch("EUR", minimum=100, actor=members.maker)
    assert (batch.count, batch.total) == (1, 5000)


def test_the_command_line_refuses_an_empty_batch(members):
    with pytest.raises(CommandError, match="No batch was drafted"):
        call_command("payouts", "create", "--minimum", "1.00", "--user", "maker")
    assert not PayoutBatch.objects.exists()


def test_the_console_refuses_an_empty_batch_with_the_reason(client, members):
    from django.contrib.auth.models import Group
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    credit(members.anna, 5000)
    members.maker.groups.add(Group.objects.get(name="finance"))
    device = TOTPDevice.objects.create(user=members.maker, name="app", confirmed=True)
    client.force_login(members.maker)
    code = TOTP(device.bin_key, device.step, device.t0, device.digits).token()
    assert client.post(reverse("web:two_factor"), {"code": f"{code:06d}"}).status_code == 302
    response = client.post(reverse("web:console_payouts"), {"currency": "EUR", "minimum": "1.00"})
    assert response.status_code == 400
    assert "No batch was drafted" in response.text
    assert "missing or invalid bank details: 1" in response.text
    assert not PayoutBatch.objects.exists()
