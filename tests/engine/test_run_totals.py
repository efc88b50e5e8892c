"""The identity of ``run.json`` (docs/plan-language.md, "Outputs"): the exact value of every
line = paid + rounding remainder + pool breakage + cap breakage, to the fraction of a minor unit,
in every run — also when no one holds a pool share (the whole pool is breakage) and when a
stairstep floor line tops a negative difference up to zero."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

from hypothesis import HealthCheck, given, settings

from downline.calc.cli import calc_main
from downline.engine import compute_period
from downline.engine.plan import Plan
from downline.engine.summary import PeriodSummary, summarize

from .cases import Member, Order, build_inputs, plan_of
from .strategies import Scenario, scenarios

PROPERTY = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def identity_gap(summary: PeriodSummary) -> Fraction:
    """Σ exact − (paid + rounding remainder + pool breakage + cap breakage); 0 when it holds."""
    exact = sum((bonus.exact for bonus in summary.bonuses), Fraction(0))
    accounted = (
        summary.paid
        + summary.rounding_remainder
        + sum(summary.pool_breakage.values(), Fraction(0))
        + summary.cap_breakage
    )
    return exact - accounted


@PROPERTY
@given(scenarios())
def test_the_run_identity_holds_in_every_run(scenario: Scenario):
    try:
        result = compute_period(scenario.plan, scenario.inputs, scenario.state)
    except ValueError:
        return  # a rejected period writes no run.json
    assert identity_gap(summarize(scenario.plan, scenario.inputs, result)) == 0


@settings(PROPERTY, max_examples=80)
@given(scenarios(kinds=("pool", "stairstep", "personal")))
def test_the_run_identity_holds_with_pools_and_stairstep_floors(scenario: Scenario):
    try:
        result = compute_period(scenario.plan, scenario.inputs, scenario.state)
    except ValueError:
        return
    assert identity_gap(summarize(scenario.plan, scenario.inputs, result)) == 0


POOL_NOBODY_QUALIFIES = """name: pool
currency: EUR
ranks:
  - name: Member
  - {name: Gold, pv: 1000}
bonuses:
  - {name: retail, kind: personal, rate: 12.5%}
  - {name: gold, kind: pool, share: 1%, of: cv, shares: {Gold: 1}}
"""


def nobody_gold() -> tuple[Plan, list[Member], list[Order]]:
    plan = plan_of(POOL_NOBODY_QUALIFIES)
    members = [Member("A"), Member("B", "A")]
    orders = [Order("OA", "A", pv=100_00, cv=333_33), Order("OB", "B", pv=50_00, cv=100_01)]
    return plan, members, orders


def test_a_pool_no_one_qualifies_for_is_all_breakage_and_the_identity_holds():
    """1% of 433.34 CV = 4.3334 EUR (433.34 cents) is the pool; no Gold, so nothing is paid and all of it is
    breakage; the pool's exact value is the pool."""
    plan, members, orders = nobody_gold()
    inputs = build_inputs(members, orders)
    summary = summarize(plan, inputs, compute_period(plan, inputs))
    pool = summary.bonuses[1]
    assert (pool.lines, pool.paid, pool.exact) == (0, 0, Fraction(43334, 100))
    assert summary.pool_breakage == {"gold": Fraction(43334, 100)}
    assert identity_gap(summary) == 0


def test_run_json_adds_up_when_no_one_qualifies_for_the_pool(tmp_path: Path):
    (tmp_path / "plan.yaml").write_text(POOL_NOBODY_QUALIFIES, encoding="utf-8")
    (tmp_path / "distributors.csv").write_text(
        "id,sponsor_id,placement_id,placement_position,joined_on,status,kind\n"
        "A,,,,2026-01-01,active,distributor\n"
        "B,A,,,2026-01-01,active,distributor\n",
        encoding="utf-8",
    )
    (tmp_path / "orders.csv").write_text(
        "id,distributor_id,paid_at,pv,cv,amount,currency,kind,returns_order_id\n"
        "OA,A,2026-10-02T10:00:00Z,100,333.33,100.00,EUR,product,\n"
        "OB,B,2026-10-03T10:00:00Z,50,100.01,50.00,EUR,product,\n",
        encoding="utf-8",
    )
    code = calc_main(
        [
            "--plan",
            str(tmp_path / "plan.yaml"),
            "--distributors",
            str(tmp_path / "distributors.csv"),
            "--orders",
            str(tmp_path / "orders.csv"),
            "--period",
            "2026-10",
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert code == 0
    document = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    assert document["bonuses"]["gold"]["exact"] == "4.333400"
    assert document["pool_breakage"] == {"gold": "4.333400"}
    exact = sum(Fraction(bonus["exact"]) for bonus in document["bonuses"].values())
    accounted = (
        Fraction(document["paid"])
        + Fraction(document["rounding_remainder"])
        + sum(Fraction(value) for value in document["pool_breakage"].values())
        + Fraction(document["cap_breakage"])
    )
    assert exact == accounted
