"""Earnings and the company console in real Chromium (Playwright): a distributor reads a
statement and its trace; staff run a preview and a final of a period and draft a payout batch,
which a second staff member approves. Screenshots of a failing test are kept in
``var/test-screenshots/``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.contrib.auth.models import Group

from downline.accounts.actions import do_create_user
from downline.compensation.plans import do_activate_plan_version, do_create_plan_version
from downline.compensation.runs import do_run_final
from downline.genealogy.actions import do_enroll
from downline.orders.actions import do_create_product, do_place_order
from downline.payouts.models import PayoutBatch, PayoutProfile
from downline.periods.actions import do_ensure_period
from downline.periods.models import Period

ROOT = Path(__file__).resolve().parents[2]
PLAN = ROOT / "tests" / "team_network.yaml"
PASSWORD = "a-long-secret-phrase"
JOINED = datetime(2026, 1, 5, 12, tzinfo=UTC)

pytestmark = pytest.mark.django_db(transaction=True)


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


@pytest.fixture
def network(settings):
    """ROOT ─ SARA ─ NINA; the web test plan from August; Nina buys 2 teas in August."""
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
        user=sara_user,
        placement_parent=root,
        position=1,
        effective_at=JOINED,
    )
    nina = do_enroll(
        member_id="NINA",
        sponsor=sara,
        joined_on=date(2026, 1, 5),
        name="Nina Novak",
        effective_at=JOINED,
    )
    tea = do_create_product("TEA-1", {"en": "Green tea"}, pv=2500, cv=2000, prices={"EUR": 3990})
    version = do_create_plan_version(PLAN.read_text(encoding="utf-8"), note="e2e")
    do_activate_plan_version(version, do_ensure_period("2026-08"))
    order = do_place_order(nina, [(tea, 2)], "EUR", paid_at=datetime(2026, 8, 10, 12, tzinfo=UTC))
    return {"sara": sara, "nina": nina, "tea": tea, "order": order}


def _sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("E-mail or username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _staff(username: str, role: str):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = do_create_user(username, password=PASSWORD, email=f"{username}@example.com", staff=True)
    user.groups.add(Group.objects.get_or_create(name=role)[0])  # flushed between browser tests
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def _staff_sign_in(page, live_server, device) -> None:
    from django_otp.oath import TOTP

    _sign_in(page, live_server, device.user.username)
    page.wait_for_url("**/accounts/two-factor/**")
    code = TOTP(device.bin_key, device.step, device.t0, device.digits).token()
    page.get_by_label("Six-digit code from your authenticator app").fill(f"{code:06d}")
    page.get_by_role("button", name="Confirm").click()


def test_a_distributor_reads_a_statement_and_its_trace(new_page, live_server, network):
    do_run_final(do_ensure_period("2026-08"))
    page = new_page()
    _sign_in(page, live_server, "sara")
    page.wait_for_url(f"{live_server.url}/dashboard/")
    # Nina reached Leader in August: a team event on Sara's dashboard
    expect(page.locator(".events")).to_contain_text("Nina Novak (NINA) reached Leader in 2026-08.")
    page.get_by_role("link", name="Earnings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your earnings")
    page.get_by_role("link", name="2026-08").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Statement 2026-08")
    # unilevel: 10 % of Nina's 40.00 CV = 4.00, from her order
    unilevel = page.locator("#bonus-unilevel")
    expect(unilevel).to_contain_text("Nina Novak")
    expect(unilevel).to_contain_text(network["order"].number)
    expect(unilevel).to_contain_text("4.00")
    expect(page.locator("#statement-total")).to_have_text("€4.00")
    # the trace: Sara had no PV of her own, so Leader was missing 20.00 PV
    trace = page.locator("#trace")
    expect(trace.locator("tr.unmet").first).to_contain_text("Personal volume (PV)")
    expect(trace.locator("tr.unmet").first).to_contain_text("20.00")
    expect(page.locator("#next-rank")).to_contain_text("Next rank: Leader.")
    # lines are folded by level and by source until opened; the source links to the member
    level = unilevel.locator("details.level").first
    expect(level.get_by_role("link", name="Nina Novak")).to_be_hidden()
    level.locator("summary").first.click()
    level.locator("details.source summary").first.click()
    level.get_by_role("link", name="Nina Novak").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Nina Novak")
    with page.expect_download() as download:
        page.goto(f"{live_server.url}/earnings/")
        page.get_by_role("link", name="CSV").click()
    assert download.value.suggested_filename == "statement-SARA-2026-08.csv"


def test_staff_run_a_preview_and_a_final_and_pay_out_with_a_second_approver(
    new_page, live_server, network
):
    PayoutProfile.objects.create(
        distributor=network["sara"],
        account_holder="Sara Sponsor",
        iban="DE89370400440532013000",
        bic="COBADEFFXXX",
        tax_id="DE1",
    )
    maker, checker = _staff("fiona", "finance"), _staff("frank", "finance")
    page = new_page(1280, 900)
    _staff_sign_in(page, live_server, maker)
    page.goto(f"{live_server.url}/console/periods/")
    august = Period.objects.get(code="2026-08")

    page.get_by_label("Period").select_option(str(august.pk))
    page.get_by_label("Kind of run").select_option("preview")
    page.get_by_role("button", name="Start").click()
    expect(page.locator("#job-status")).to_have_text("done")
    page.locator("#job-run-link").click()
    expect(page.locator("#run-total")).to_have_text(
        "110.00 EUR"
    )  # Sara 4, Root 2 + 2, Nina 2 + 100
    expect(page.locator("main")).to_contain_text("No final run to compare with yet.")

    page.goto(f"{live_server.url}/console/periods/")
    page.get_by_label("Period").select_option(str(august.pk))
    page.get_by_label("Kind of run").select_option("final")
    page.get_by_role("button", name="Start").click()
    expect(page.locator("#job-status")).to_have_text("done")
    expect(page.locator("#job-progress li")).to_have_count(6)
    august.refresh_from_db()
    assert not august.is_open

    page.get_by_role("link", name="Payouts").click()
    page.get_by_label("Currency").fill("EUR")
    page.get_by_label("Minimum payout").fill("1.00")
    page.get_by_role("button", name="Draft the batch").click()
    expect(page.locator("#batch-status")).to_have_text("draft")
    expect(page.locator("main")).to_contain_text("Another staff member must approve this batch.")
    batch = PayoutBatch.objects.get()

    other = new_page(1280, 900)
    _staff_sign_in(other, live_server, checker)
    other.goto(f"{live_server.url}/console/payouts/{batch.pk}/")
    other.get_by_role("button", name="Approve").click()
    expect(other.locator("#batch-status")).to_have_text("approved")
    with other.expect_download() as download:
        other.get_by_label("Execution date").fill("2026-12-01")
        other.get_by_role("button", name="Download").click()
    assert download.value.suggested_filename == f"payout-batch-{batch.pk}.csv"
    other.goto(f"{live_server.url}/console/payouts/{batch.pk}/")
    other.get_by_role("button", name="Mark paid").click()
    expect(other.locator("#batch-status")).to_have_text("paid")
