"""An order moves a distributor on a live board open in another browser (real Chromium)."""

from __future__ import annotations

import time

import pytest

from downline.contests.actions import do_publish_contest, do_upload_contest
from downline.orders.actions import do_place_order

from .conftest import CONTEST, PASSWORD, at

pytestmark = pytest.mark.django_db(transaction=True)


def _sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("E-mail or username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/dashboard/")


def test_an_order_moves_a_distributor_on_a_board_open_elsewhere(new_page, live_server, team):
    from playwright.sync_api import expect

    contest = do_publish_contest(do_upload_contest(CONTEST))
    do_place_order(team.cust_a1, [(team.product, 2)], "EUR", paid_at=at(2026, 3, 2))
    alice, dave = new_page(), new_page()
    _sign_in(alice, live_server, "alice")
    _sign_in(dave, live_server, "dave")
    alice.goto(f"{live_server.url}/contests/{contest.slug}/")
    dave.goto(f"{live_server.url}/contests/{contest.slug}/")
    first = alice.locator("#board-top tbody tr").first
    expect(first).to_contain_text("Alice Adams")
    expect(dave.locator("#trip-tracker")).to_contain_text("You are not on the board yet.")

    # the order, placed through the orders action while both pages stay open
    placed = time.monotonic()
    do_place_order(team.cust_d, [(team.product, 3)], "EUR", paid_at=at(2026, 3, 15))
    expect(first).to_contain_text("Dave Dodd", timeout=10_000)
    latency = time.monotonic() - placed
    expect(dave.locator("#trip-tracker")).to_contain_text("Your position: 1", timeout=10_000)
    expect(alice.locator("#board-around tr.you")).to_contain_text("2")
    assert latency < 10, latency
    print(f"order → board latency {latency:.1f} s")
    assert alice.js_errors == []
    assert dave.js_errors == []
