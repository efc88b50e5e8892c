"""The plan lab simulates a certificate requirement: ``certification`` says who holds the
certificates the plans require.

Deterministic growth of tests/simulation/hand-params.yaml (see test_simulation_hand.py): rows
0, 1, 2 in month 0 (1 and 2 under 0), 3, 4, 5 in month 1 (under 0, 1, 2). Each row's
certification number is ``frac((row + 1) × φ)``: 0.618, 0.236, 0.854, 0.472, 0.090, 0.708, so
with ``share: 0.5`` rows 1, 3 and 4 are certified.

Unilevel of hand-plan.yaml without a requirement: month 0 row 0 gets 24.00; month 1 row 0 gets
46.00, rows 1 and 2 get 12.00 each (70.00). With ``requires: {certificate: compliance-basics}``
and share 0.5: month 0 nothing (row 0 is not certified); month 1 only row 1's 12.00.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from downline.engine.plan import load_plan_text
from downline.simulation.draws import Chance
from downline.simulation.network import GrowingNetwork
from downline.simulation.params import ParamsError, params_from_text
from downline.simulation.replica import ReplicaTask, run_replica

HAND = Path(__file__).resolve().parents[1] / "simulation"
PLAN = (HAND / "hand-plan.yaml").read_text(encoding="utf-8")
CERTIFIED = PLAN.replace(
    "per: order, levels: [10%, 5%]}",
    "per: order, levels: [10%, 5%], requires: {certificate: compliance-basics}}",
)
UNILEVEL = 1  # the bonus's index in the plan


def unilevel_paid(share: str, plan_text: str = CERTIFIED) -> list[int]:
    params = params_from_text(
        (HAND / "hand-params.yaml").read_text(encoding="utf-8")
        + f"certification: {{share: {share}}}\n"
    )
    plan = load_plan_text(plan_text).plan
    task = ReplicaTask(
        plans=(plan,), params=params, months=2, start_distributors=3, seed_sequence=None
    )
    record = run_replica(task)
    return [month[UNILEVEL] for month in record["plans"][0]["bonus_paid"]]


def test_without_a_requirement_the_share_changes_nothing():
    assert unilevel_paid("0.5", PLAN) == [2400, 7000]


@pytest.mark.parametrize(
    ("share", "paid"), [("1", [2400, 7000]), ("0.5", [0, 1200]), ("0", [0, 0])]
)
def test_the_share_certified_decides_who_is_paid(share, paid):
    assert unilevel_paid(share) == paid


def test_two_plans_side_by_side_see_the_same_network():
    params = params_from_text(
        (HAND / "hand-params.yaml").read_text(encoding="utf-8") + "certification: {share: 0.5}\n"
    )
    plans = (load_plan_text(PLAN).plan, load_plan_text(CERTIFIED).plan)
    task = ReplicaTask(
        plans=plans, params=params, months=2, start_distributors=3, seed_sequence=None
    )
    record = run_replica(task)
    paid = [[month[UNILEVEL] for month in plan["bonus_paid"]] for plan in record["plans"]]
    assert paid == [[2400, 7000], [0, 1200]]


def test_certified_by_rank_uses_last_months_paid_as_rank():
    params = params_from_text("deterministic: true\ncertification: {by_rank: [0, 1]}\n")
    network = GrowingNetwork(params, 4, Chance(None))
    network.certificate_keys = ("compliance-basics",)
    network.month(0)
    # rank 0 → share 0, rank 1 or higher → share 1
    assert network.certified(np.array([0, 1, 2, 0], dtype=np.int16)).tolist() == [
        False,
        True,
        True,
        False,
    ]
    assert network.certified(None).tolist() == [False] * 4


def test_random_growth_certifies_about_the_share():
    params = params_from_text("certification: {share: 0.3}\n")
    network = GrowingNetwork(params, 2000, Chance(np.random.default_rng(5)))
    network.certificate_keys = ("compliance-basics",)
    month = network.month(0)
    held = month.inputs.certificates["compliance-basics"]
    assert 0.25 < held.mean() < 0.35


def test_a_wrong_share_is_reported_with_its_line():
    with pytest.raises(ParamsError, match=r"params:1: certification.share: must be at most 1"):
        params_from_text("certification: {share: 1.5}\n", source="params")
