"""The deterministic growth model reproduces payouts computed by hand.

Plan ``hand-plan.yaml`` (EUR, active = PV ≥ 50): ``personal`` 10% of own CV (customers'
included), ``unilevel`` 10% / 5% of each order's CV up the enrollment tree, ``fast_start`` 20%
of the CV of a distributor's own orders in their first 30 days (join day = day 0) to the sponsor.

Parameters ``hand-params.yaml`` (deterministic, everyone a consumer): basket PV 100 / CV 80 /
100.00 EUR ordered every month (probability 1); starter kit PV 50 / CV 40 / 60.00 EUR on the
join day; 1 recruit per active distributor per month; 0.5 new customers per distributor per
month (a credit of 0.5 pays out every second month); customers buy PV 50 / CV 30 every month;
nobody leaves; every day drawn is the first day of the month (or the join day).

Month 0 (2027-01): distributors 0, 1, 2 (1 and 2 sponsored by 0) join on Jan 1, each buys a
kit (CV 40) and a first order (CV 80); customer credits reach 0.5: no customer yet.

* personal: 3 × 10% × 120 = 36.00
* unilevel: 0 gets 10% of 1's and 2's orders: 2 × (4.00 + 8.00) = 24.00
* fast start: 0 gets 20% of 1's and 2's orders (day 0): 2 × (8.00 + 16.00) = 48.00
* paid 108.00; every order is a kit or a first order, so all 108.00 is recruiting-linked.
  CV 360: payout ratio 0.3.

Month 1 (2027-02): 0, 1, 2 were active and recruit one each: 3 (under 0), 4 (under 1),
5 (under 2) join on Feb 1 with a kit and a first order. 0, 1, 2 order again (CV 80, not
linked) and each gets a customer (credit 1.0) who buys CV 30 on Feb 1. Newcomers' customer
credits are 0.5: none.

* personal: 0, 1, 2: 10% × (80 + 30) = 11.00 each; 3, 4, 5: 10% × 120 = 12.00 each: 69.00
* unilevel: 0 gets level 1 of 1's and 2's orders (8.00 + 3.00 each) and of 3's (4.00 + 8.00),
  level 2 of 4's and 5's (2.00 + 4.00 each): 46.00; 1 and 2 get level 1 of 4's and 5's:
  12.00 each; total 70.00
* fast start: only 3, 4, 5 are within 30 days (0, 1, 2 are at day 31): 24.00 each to their
  sponsors: 72.00
* paid 211.00 on CV 690 (0.305797).
* recruiting-linked: unilevel lines of 3's, 4's and 5's kits and first orders
  (12.00 + 6.00 + 6.00 to 0, 12.00 to 1, 12.00 to 2 = 48.00), all of fast start (72.00), and
  the personal lines of 3, 4, 5 whose whole CV is linked (36.00; 0, 1, 2's CV has no linked
  order): 156.00.

Over both months: 0 earned 84.00 + 81.00 = 165.00; 1 and 2 12.00 + 47.00 = 59.00; 3, 4, 5
12.00; total 319.00. Sorted: 12, 12, 12, 59, 59, 165: median (rank 3) 12.00, mean 319 / 6 =
53.17, p90 and p99 (rank 6) 165.00, top 1% (1 person) 165 / 319, Gini
(−5·12 − 3·12 − 1·12 + 1·59 + 3·59 + 5·165) / (6 · 319) = 953 / 1914.
Own purchases: 0, 1, 2: 60 + 100 + 100 = 260.00; 3, 4, 5: 160.00. Net: −95, −201, −201,
−148 × 3: all below zero; p10 −201.00, median −148.00, mean −941 / 6 = −156.83, p90 −95.00.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

from downline.simulation.cli import simulate_main

HERE = Path(__file__).resolve().parent


def run_hand(out: Path, *extra: str) -> dict:
    code = simulate_main(
        [
            "--plan",
            str(HERE / "hand-plan.yaml"),
            "--params",
            str(HERE / "hand-params.yaml"),
            "--months",
            "2",
            "--start-distributors",
            "3",
            "--replicas",
            "1",
            "--processes",
            "1",
            "--out",
            str(out),
            *extra,
        ]
    )
    assert code == 0
    return json.loads((out / "metrics.json").read_text())


def mean(band: dict) -> object:
    assert band["p10"] == band["mean"] == band["p90"]  # one deterministic replica
    return band["mean"]


def test_deterministic_model_pays_what_the_hand_computation_says(tmp_path):
    metrics = run_hand(tmp_path / "out")
    plan = metrics["plans"][0]
    assert plan["paid"]["mean"] == [108_00, 211_00]
    assert plan["linked"]["mean"] == [108_00, 156_00]
    assert plan["payout_ratio_cv"]["mean"] == [0.3, round(211 / 690, 6)]
    assert {bonus["name"]: mean(bonus["total"]) for bonus in plan["bonuses"]} == {
        "personal": 36_00 + 69_00,
        "unilevel": 24_00 + 70_00,
        "fast_start": 48_00 + 72_00,
    }
    assert mean(plan["totals"]["commissions"]) == 319_00
    assert mean(plan["totals"]["linked_share"]) == round(264 / 319, 6)

    network = metrics["network"]
    assert network["registered"]["mean"] == [3, 6]
    assert network["joined"]["mean"] == [3, 3]
    assert network["new_customers"]["mean"] == [0, 3]
    assert network["customer_cv"]["mean"] == [0, 3 * 30_00]
    assert network["internal_cv"]["mean"] == [3 * 120_00, 3 * 80_00 + 3 * 120_00]
    assert network["linked_cv"]["mean"] == [3 * 120_00, 3 * 120_00]


def test_deterministic_income_distribution_matches_the_hand_computation(tmp_path):
    plan = run_hand(tmp_path / "out")["plans"][0]
    income = {key: mean(band) for key, band in plan["income"].items()}
    assert income == {
        "participants": 6,
        "nothing_share": 0.0,
        "median": 12_00,
        "mean": 53_17,
        "p90": 165_00,
        "p99": 165_00,
        "top_1pct_share": round(165 / 319, 6),
        "gini": round(float(Fraction(953, 1914)), 6),
    }
    net = {key: mean(band) for key, band in plan["net_of_purchases"].items()}
    assert net == {
        "participants": 6,
        "negative_share": 1.0,
        "p10": -201_00,
        "median": -148_00,
        "mean": -156_83,
        "p90": -95_00,
    }


def test_compared_plans_see_the_same_deterministic_network(tmp_path):
    """The hand plan compared with itself: both columns carry the hand-computed figures."""
    metrics = run_hand(tmp_path / "out", "--compare", str(HERE / "hand-plan.yaml"))
    first, second = metrics["plans"]
    assert first["paid"]["mean"] == second["paid"]["mean"] == [108_00, 211_00]
    assert [plan["label"] for plan in metrics["plans"]] == ["hand-plan (A)", "hand-plan (B)"]
