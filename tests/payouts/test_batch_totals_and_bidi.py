"""Batch totals and hidden characters in payout files (issue 11, finding 14): the batch list
showed the totals a batch was drafted with after payouts failed; a right-to-left override
(U+202E) in an account holder went into the payout files. A batch's count and total are its
pending and paid payouts; invisible control characters are refused in payout details and never
written to a file."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from downline.payouts.actions import (
    do_approve_payout_batch,
    do_cancel_payout_batch,
    do_create_payout_batch,
    do_export_payout_batch,
    do_mark_batch_paid,
    do_mark_payout_failed,
)
from downline.payouts.details import (
    PayoutDetailsError,
    clean_payout_details,
    do_seed_payout_details,
)
from downline.payouts.files import without_controls
from downline.payouts.instructions import Debtor
from downline.payouts.models import PayoutBatch, PayoutProfile

from .conftest import GOOD_IBAN, OTHER_IBAN, credit

T0 = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
RLO = "\u202e"
HIDDEN = (RLO, "\u202d", "\u2066", "\u200b", "\u200e", "\x07")
DEBTOR = Debtor("Downline GmbH", "DE02120300000000202051", "BYLADEM1001")


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def payable(members):
    """ANNA (50.00 EUR) and BEN (30.00 EUR) with confirmed bank details past cooling-off."""
    credit(members.anna, 5000)
    credit(members.ben, 3000, reference="T2")
    before = T0 - timedelta(days=30)
    do_seed_payout_details(
        [
            (members.anna, "Anna Adler", GOOD_IBAN, "", "T-1", before),
            (members.ben, "Ben Brandt", OTHER_IBAN, "", "T-2", before),
        ]
    )
    return members


def _console(client, user):
    from django.contrib.auth.models import Group
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user.groups.add(Group.objects.get(name="finance"))
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    client.force_login(user)
    code = TOTP(device.bin_key, device.step, device.t0, device.digits).token()
    assert client.post(reverse("web:two_factor"), {"code": f"{code:06d}"}).status_code == 302
    return client


def _figures(batch: PayoutBatch) -> tuple[int, int]:
    batch.refresh_from_db()
    return batch.count, batch.total


def test_a_failed_payout_leaves_the_batch_totals_at_once(payable, client):
    members = payable
    batch = do_create_payout_batch("EUR", minimum=100, actor=members.maker)
    assert _figures(batch) == (2, 8000)
    do_approve_payout_batch(batch, actor=members.checker)
    ben = batch.payouts.get(distributor=members.ben)
    do_mark_payout_failed(ben, reason="account closed", actor=members.checker)
    assert _figures(batch) == (1, 5000)
    do_mark_batch_paid(batch, actor=members.checker)
    assert _figures(batch) == (1, 5000)

    page = _console(client, members.maker).get(reverse("web:console_payouts"))
    assert page.status_code == 200
    row = page.text.split(f"#{batch.pk}</a>", 1)[1].split("</tr>", 1)[0]
    assert 'class="num">1</td>' in row
    assert "50.00" in row
    assert "80.00" not in row
    listing = io.StringIO()
    call_command("payouts", "list", "--user", "checker", stdout=listing)
    assert "50.00 EUR" in listing.getvalue()
    assert "80.00" not in listing.getvalue()


def test_a_cancelled_batch_pays_nothing(payable):
    batch = do_create_payout_batch("EUR", minimum=100, actor=payable.maker)
    do_cancel_payout_batch(batch, actor=payable.checker)
    assert _figures(batch) == (0, 0)


def test_hidden_characters_in_an_account_holder_are_refused_with_the_character_named():
    with pytest.raises(PayoutDetailsError) as refused:
        clean_payout_details(f"Anna {RLO}relda", GOOD_IBAN, "", "T-1")
    assert "U+202E" in refused.value.errors["account_holder"]


def test_hidden_characters_stored_earlier_never_reach_a_payout_file(payable):
    members = payable
    legacy = f"Anna{HIDDEN[3]} {RLO}relda{HIDDEN[2]}A{HIDDEN[5]}"
    PayoutProfile.objects.filter(distributor=members.anna).update(account_holder=legacy)
    batch = do_create_payout_batch("EUR", minimum=100, actor=members.maker)
    assert batch.payouts.get(distributor=members.anna).account_holder == "Anna reldaA"
    # a payout drawn before the rule still holds the characters: the file writers drop them
    batch.payouts.filter(distributor=members.anna).update(account_holder=legacy)
    do_approve_payout_batch(batch, actor=members.checker)
    for file_format in ("csv", "sepa"):
        content = do_export_payout_batch(
            batch,
            file_format=file_format,
            debtor=DEBTOR,
            execution_date=date(2026, 6, 16),
            actor=members.checker,
        ).decode("utf-8")
        assert not any(character in content for character in HIDDEN), file_format
        assert "Anna reldaA" in content


def test_without_controls_keeps_every_visible_letter():
    assert without_controls(f"Łódź{RLO} Müller\u200b-Щукина\tΠαπα") == "Łódź Müller-Щукина Παπα"
