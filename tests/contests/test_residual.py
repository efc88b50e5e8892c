"""The leaders' residual-income view against the stored commission lines of final runs."""

from __future__ import annotations

import pytest

from downline.compensation.models import LineBlock, Run
from downline.contests.residual import cv_basis_points, residual_income
from downline.orders.actions import do_place_order

from .conftest import PLAN, at


@pytest.fixture
def runs(team):
    from downline.compensation.plans import do_activate_plan_version, do_create_plan_version
    from downline.compensation.runs import do_run_final
    from downline.periods.actions import do_ensure_period

    version = do_create_plan_version(PLAN.read_text(encoding="utf-8"), note="contest tests")
    do_activate_plan_version(version, do_ensure_period("2026-01"))
    # January: ALICE's customer, ALICE herself, BOB and CAROL buy
    do_place_order(team.cust_a1, [(team.product, 2)], "EUR", paid_at=at(2026, 1, 10))
    do_place_order(team.alice, [(team.product, 1)], "EUR", paid_at=at(2026, 1, 11))
    do_place_order(team.bob, [(team.product, 2)], "EUR", paid_at=at(2026, 1, 12))
    do_place_order(team.carol, [(team.product, 4)], "EUR", paid_at=at(2026, 1, 13))
    january = do_run_final(do_ensure_period("2026-01"))
    # February: only CAROL buys
    do_place_order(team.carol, [(team.product, 1)], "EUR", paid_at=at(2026, 2, 13))
    february = do_run_final(do_ensure_period("2026-02"))
    return january, february


def test_sums_match_the_stored_lines(team, runs):
    residual = residual_income(team.alice)
    assert [p.code for p in residual.periods] == ["2026-01", "2026-02"]
    for period, run in zip(residual.periods, runs, strict=True):
        block = LineBlock.objects.filter(run=run, recipient=team.alice).first()
        assert period.total == (block.amount if block else 0)
        assert period.own + period.customers + period.team == period.total
        assert sum(period.by_level.values()) == period.team == sum(period.by_leg.values())
    january = residual.periods[0]
    assert january.own > 0
    assert january.customers > 0
    assert january.team > 0
    assert set(january.by_leg) == {team.bob.pk}  # BOB's leg carries CAROL's volume too
    assert residual.legs[0]["member_id"] == "BOB"
    assert residual.legs[0]["share_bp"] == 10_000
    assert residual.total == sum(
        LineBlock.objects.filter(run__in=runs, recipient=team.alice).values_list(
            "amount", flat=True
        )
    )
    assert residual.cv_bp == cv_basis_points([p.total for p in residual.periods])


def test_coefficient_of_variation_is_exact():
    assert cv_basis_points([100, 100, 100]) == 0
    assert cv_basis_points([0, 200]) == 10_000  # σ = 100, μ = 100
    assert cv_basis_points([]) is None
    assert cv_basis_points([0, 0]) is None


def test_page_shows_only_the_members_own_figures(team, runs, alice_client, client):
    page = alice_client.get("/income/residual/").content.decode()
    assert "2026-01" in page
    assert "Bob Brown" in page
    assert Run.objects.filter(kind="final").count() == 2
    client.force_login(team.dave_user)
    dave = client.get("/income/residual/").content.decode()
    assert "Bob Brown" not in dave
    assert "No team income yet." in dave
