"""The plan lab in real Chromium (Playwright), on a phone-sized screen: a finance staff member
signs in with a one-time code, starts a small simulation of a stored plan version compared
with a pasted plan, and reads its key figures and the embedded report. Screenshots of a
failing test are kept in ``var/test-screenshots/``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import Group

from downline.accounts.actions import do_create_user
from downline.compensation.plans import do_create_plan_version
from downline.simulation.models import SimulationRun

ROOT = Path(__file__).resolve().parents[2]
PLAN = ROOT / "plans" / "kitchen-sink.yaml"
COMPARE = ROOT / "plans" / "unilevel.yaml"
PASSWORD = "a-long-secret-phrase"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def one_process(settings):
    settings.DOWNLINE_SIMULATION_PROCESSES = 1


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def _finance_sign_in(page, live_server) -> None:
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = do_create_user("fiona", password=PASSWORD, email="fiona@example.com", staff=True)
    user.groups.add(Group.objects.get_or_create(name="finance")[0])  # flushed between tests
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("E-mail or username").fill("fiona")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/accounts/two-factor/**")
    code = TOTP(device.bin_key, device.step, device.t0, device.digits).token()
    page.get_by_label("Six-digit code from your authenticator app").fill(f"{code:06d}")
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(lambda url: "two-factor" not in url)


def test_staff_start_a_small_simulation_and_read_its_result(page, live_server):
    version = do_create_plan_version(PLAN.read_text(encoding="utf-8"), note="launch candidate")
    _finance_sign_in(page, live_server)

    page.goto(f"{live_server.url}/console/plan-lab/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Plan lab")
    expect(page.get_by_text("No simulation yet.")).to_be_visible()
    page.get_by_label("Plan version", exact=True).select_option(
        label=f"{version.name} v{version.number}"
    )
    page.get_by_label("Or paste a plan to compare with (YAML)").fill(
        COMPARE.read_text(encoding="utf-8")
    )
    page.get_by_label("Months", exact=True).fill("4")
    page.get_by_label("Distributors at the start").fill("20")
    page.get_by_label("Replicas", exact=True).fill("2")
    page.get_by_label("Seed", exact=True).fill("11")
    page.get_by_role("button", name="Start the simulation").click()

    run = SimulationRun.objects.get()
    page.wait_for_url(f"**/console/plan-lab/{run.pk}/")
    expect(page.locator("#simulation-status")).to_have_text("done")
    expect(page.get_by_role("heading", name="Key figures")).to_be_visible()
    table = page.locator("#key-figures")
    labels = [plan["label"] for plan in run.metrics["plans"]]
    for label in labels:
        expect(table.locator("thead")).to_contain_text(label)
    participants = run.metrics["plans"][0]["income"]["participants"]["mean"]
    row = table.get_by_role("row", name="Participants")
    expect(row.get_by_role("cell").first).to_contain_text(f"{participants:,}")

    # the offline report, embedded: its ECharts draw inside the sandboxed frame
    page.locator("iframe.report-frame").scroll_into_view_if_needed()
    frame = page.frame_locator("iframe.report-frame")
    expect(frame.locator("h1")).to_have_text("Plan simulation")
    expect(frame.locator("body")).to_contain_text(run.metrics["plans"][0]["name"])
    expect(frame.locator("canvas").first).to_be_attached(timeout=15_000)

    page.get_by_role("link", name="Plan lab").first.click()
    expect(page.locator("#simulation-runs")).to_contain_text(f"#{run.pk}")
    expect(page.locator("#simulation-runs")).to_contain_text("done")
    assert page.js_errors == []
