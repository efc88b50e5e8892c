"""Payout details in real Chromium (Playwright): a distributor enters bank details, confirms
them from the e-mail link, waits out the cooling-off, and a batch drafted by one staff member and
approved, exported and marked paid by another pays her (and a member whose details were seeded
long ago). The clock runs from a fixed instant and is moved past the cooling-off; screenshots of
a failing test are kept in ``var/test-screenshots/``.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core import mail

from downline.accounts.actions import do_create_user
from downline.genealogy.actions import do_enroll
from downline.ledger.actions import do_adjust_balance
from downline.payouts.details import do_seed_payout_details
from downline.payouts.models import PayoutBatch, PayoutProfile

PASSWORD = "a-long-secret-phrase"
T0 = datetime(2026, 4, 14, 8, 0, tzinfo=UTC)  # 10:00 in Berlin (CEST)
JOINED = datetime(2026, 1, 5, 12, tzinfo=UTC)
LINK = re.compile(r"https?://\S+/accounts/payout-details/confirm/[^/\s]+/")

pytestmark = pytest.mark.django_db(transaction=True)


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=True) as traveller:
        yield traveller


@pytest.fixture
def network(settings, clock):
    """ROOT ─ SARA ─ NINA; Sara (login ``sara``) has 150.00 EUR in her wallet and no bank
    details; Nina has 75.00 EUR and details seeded 60 days ago."""
    settings.DOWNLINE_PLACEMENT = "binary"
    sara_user = do_create_user("sara", password=PASSWORD, email="sara@example.com")
    root = do_enroll(
        member_id="ROOT", sponsor=None, joined_on=date(2026, 1, 5), name="Rosa", effective_at=JOINED
    )
    sara = do_enroll(
        member_id="SARA",
        sponsor=root,
        joined_on=date(2026, 1, 5),
        name="Sara Sponsor",
        email="sara@example.com",
        user=sara_user,
        effective_at=JOINED,
    )
    nina = do_enroll(
        member_id="NINA", sponsor=sara, joined_on=date(2026, 1, 5), name="Nina Novak",
        effective_at=JOINED,
    )  # fmt: skip
    for member, amount in ((sara, 15000), (nina, 7500)):
        do_adjust_balance(
            member, amount, currency="EUR", reason="bonus", reference=member.member_id, actor=None
        )
    do_seed_payout_details(
        [(nina, "Nina Novak", "PL61109010140000071219812874", "", "PL-7", T0 - timedelta(days=60))]
    )
    return {"sara": sara, "nina": nina}


def _sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("E-mail or username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _staff(username: str):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = do_create_user(username, password=PASSWORD, email=f"{username}@example.com", staff=True)
    user.groups.add(Group.objects.get_or_create(name="finance")[0])
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def _staff_sign_in(page, live_server, device) -> None:
    from django_otp.oath import TOTP

    _sign_in(page, live_server, device.user.username)
    page.wait_for_url("**/accounts/two-factor/**")
    code = TOTP(device.bin_key, device.step, device.t0, device.digits).token()
    page.get_by_label("Six-digit code from your authenticator app").fill(f"{code:06d}")
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/console/")


def test_a_distributor_enters_bank_details_and_a_batch_pays_her(
    new_page, live_server, network, clock
):
    page = new_page()
    _sign_in(page, live_server, "sara")
    page.wait_for_url("**/dashboard/")
    page.goto(f"{live_server.url}/accounts/profile/")
    page.get_by_role("link", name="Payout details (bank account and tax id)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Payout details")
    expect(page.locator("#payout-details-missing")).to_be_visible()

    # a typing error is named at its field, and nothing is sent
    page.get_by_label("Account holder").fill("Sara Sponsor")
    page.get_by_label("IBAN").fill("DE89 3704 0044 0532 0130 01")
    page.get_by_label("BIC").fill("COBADEFFXXX")
    page.get_by_label("Tax id").fill("DE 123/456")
    page.get_by_role("button", name="Send confirmation link").click()
    expect(page.locator("#id_iban_error")).to_contain_text("check digits do not match")
    assert mail.outbox == []

    page.get_by_label("IBAN").fill("DE89 3704 0044 0532 0130 00")
    page.get_by_role("button", name="Send confirmation link").click()
    expect(page.locator("#pending-change")).to_contain_text("sara@example.com")
    assert not PayoutProfile.objects.filter(distributor=network["sara"]).exists()

    (message,) = mail.outbox
    assert message.to == ["sara@example.com"]
    link = LINK.search(message.body)[0]
    page.goto(link)
    page.get_by_role("button", name="Confirm these details").click()
    expect(page.locator(".message-success")).to_contain_text(
        "Your new payout details are confirmed"
    )
    expect(page.locator("#current-iban")).to_have_text("**** 3000")
    expect(page.locator("#cooling-off")).to_contain_text("payouts resume on")
    expect(page.locator("#pending-change")).to_have_count(0)

    # a batch drafted during the cooling-off holds Sara with the reason, and pays Nina
    maker, checker = _staff("fiona"), _staff("frank")
    console = new_page(1280, 900)
    _staff_sign_in(console, live_server, maker)
    console.goto(f"{live_server.url}/console/payouts/")
    console.get_by_label("Currency").fill("EUR")
    console.get_by_label("Minimum payout").fill("1.00")
    console.get_by_role("button", name="Draft the batch").click()
    expect(console.locator("#batch-status")).to_have_text("draft")
    expect(console.locator("main")).to_contain_text("payouts resume on 2026-04-21 10:00")
    early = PayoutBatch.objects.get()
    assert [(p.distributor.member_id, p.amount) for p in early.payouts.all()] == [("NINA", 7500)]
    console.get_by_role("button", name="Cancel the draft").click()
    expect(console.locator("#batch-status")).to_have_text("cancelled")

    # eight days later (everyone signs in anew) the cooling-off is over: the batch pays both
    clock.shift(timedelta(days=8))
    console = new_page(1280, 900)
    _staff_sign_in(console, live_server, maker)
    console.goto(f"{live_server.url}/console/payouts/")
    console.get_by_label("Currency").fill("EUR")
    console.get_by_label("Minimum payout").fill("1.00")
    console.get_by_role("button", name="Draft the batch").click()
    expect(console.locator("#batch-status")).to_have_text("draft")
    batch = PayoutBatch.objects.exclude(pk=early.pk).get()
    assert sorted((p.distributor.member_id, p.amount) for p in batch.payouts.all()) == [
        ("NINA", 7500),
        ("SARA", 15000),
    ]
    assert not batch.holds.exists()

    other = new_page(1280, 900)
    _staff_sign_in(other, live_server, checker)
    other.goto(f"{live_server.url}/console/payouts/{batch.pk}/")
    other.get_by_role("button", name="Approve").click()
    expect(other.locator("#batch-status")).to_have_text("approved")
    with other.expect_download() as download:
        other.get_by_label("Execution date").fill("2026-04-24")
        other.get_by_role("button", name="Download").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    sara_rows = [row for row in rows if "DE89370400440532013000" in row]
    assert len(sara_rows) == 1
    assert "150.00" in sara_rows[0]
    other.goto(f"{live_server.url}/console/payouts/{batch.pk}/")
    other.get_by_role("button", name="Mark paid").click()
    expect(other.locator("#batch-status")).to_have_text("paid")

    # Sara sees the payout on her earnings page
    page = new_page()
    _sign_in(page, live_server, "sara")
    page.wait_for_url("**/dashboard/")
    page.goto(f"{live_server.url}/earnings/")
    expect(page.locator("#net-EUR")).to_have_text("0.00")
    payouts = page.locator("section[aria-labelledby=payouts-heading]")
    expect(payouts).to_contain_text(f"#{batch.pk}")
    expect(payouts).to_contain_text("150.00")
