"""Stairstep exactly as specified (issue 12 §1), worked out by hand, on the engine and the oracle.

* The differential is floored at zero for the member's **whole** difference
  ``bracket(d) × PGCV(d) − Σ bracket(c) × PGCV(c)``, not line by line: a return in the member's
  own volume (or a leg with a negative group CV) lowers what they are due.
* The royalty reaches each broken-away **child** by default; ``reaches: first_generation`` pays
  the first broken-away member of each leg, however deep.

Volumes are in hundredths (``1000_00`` is 1,000.00 CV), money in cents.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction as F

import pytest

from downline.engine import compute_period as engine_compute
from downline.engine.inputs import PeriodResult
from downline.engine.plan import Plan, load_plan_text

from . import oracle
from .cases import Member, Order, build_inputs, line_tuples

UK = """name: stairstep
currency: EUR
bonuses:
  - name: stairstep
    kind: stairstep
    brackets:
      - {pgv: 200, rate: 3%}
      - {pgv: 600, rate: 6%}
      - {pgv: 1200, rate: 9%}
      - {pgv: 2400, rate: 12%}
      - {pgv: 4000, rate: 15%}
      - {pgv: 7000, rate: 18%}
      - {pgv: 10000, rate: 21%}
    breakaway_at: 10000
    royalty: 4%
    royalty_requires: 21%
"""

IMPLEMENTATIONS = [
    pytest.param(engine_compute, id="engine"),
    pytest.param(oracle.compute_period, id="oracle"),
]

Compute = Callable[..., PeriodResult]


def plan_of(reaches: str | None = None) -> Plan:
    text = UK if reaches is None else UK + f"    reaches: {reaches}\n"
    return load_plan_text(text, source="stairstep.yaml").plan


def run(compute: Compute, plan: Plan, members: list[Member], orders: list[Order]):
    inputs = build_inputs(members, orders)
    result = compute(plan, inputs, None)
    earned = {inputs.ids[d]: int(result.earned[d]) for d in range(inputs.n)}
    return line_tuples(plan, inputs, result), earned


ROOT_AND_TWO_CHILDREN = [Member("A"), Member("B", "A"), Member("C", "A")]


@pytest.mark.parametrize("compute", IMPLEMENTATIONS)
def test_a_return_in_the_members_own_volume_lowers_the_difference(compute):
    """The issue's example: A's September order of 100 CV is returned in October; B orders
    1,000 and C 300. A's group volume is 1,200 (9%), B's 1,000 (6%), C's 300 (3%): A is due
    9% × 1,200 − 6% × 1,000 − 3% × 300 = 39.00, not 48.00 (the −9.00 own line dropped)."""
    orders = [
        Order("RA", "A", pv=-100_00, cv=-100_00),  # the return of a September order
        Order("OB", "B", pv=1000_00, cv=1000_00),
        Order("OC", "C", pv=300_00, cv=300_00),
    ]
    lines, earned = run(compute, plan_of(), ROOT_AND_TWO_CHILDREN, orders)
    assert lines == [
        ("stairstep", "A", "A", None, 0, -100_00, F(9, 100), -9_00, -9_00),
        ("stairstep", "A", "B", None, 1, 1000_00, F(3, 100), 30_00, 30_00),
        ("stairstep", "A", "C", None, 1, 300_00, F(6, 100), 18_00, 18_00),
        ("stairstep", "B", "B", None, 0, 1000_00, F(6, 100), 60_00, 60_00),
        ("stairstep", "C", "C", None, 0, 300_00, F(3, 100), 9_00, 9_00),
    ]
    assert earned == {"A": 39_00, "B": 60_00, "C": 9_00}


@pytest.mark.parametrize("compute", IMPLEMENTATIONS)
def test_a_negative_difference_is_floored_at_zero_by_one_floor_line(compute):
    """A returns 300 (own CV −300), B buys 1,000: A's group is 700 (6%), B's 1,000 (6%).
    The difference 6% × 700 − 6% × 1,000 = −18.00 is floored: the −18.00 own line stays and a
    floor line of +18.00 (level 3, no base, no rate) brings A to exactly 0."""
    orders = [Order("RA", "A", pv=-300_00, cv=-300_00), Order("OB", "B", pv=1000_00, cv=1000_00)]
    lines, earned = run(compute, plan_of(), ROOT_AND_TWO_CHILDREN, orders)
    assert lines == [
        ("stairstep", "A", "A", None, 0, -300_00, F(6, 100), -18_00, -18_00),
        ("stairstep", "A", "A", None, 3, 0, None, 18_00, 18_00),
        ("stairstep", "B", "B", None, 0, 1000_00, F(6, 100), 60_00, 60_00),
    ]
    assert earned == {"A": 0, "B": 60_00, "C": 0}


@pytest.mark.parametrize("compute", IMPLEMENTATIONS)
def test_a_child_above_its_parents_bracket_gives_a_negative_differential(compute):
    """A returns 500 and B buys 1,000: A's group is 500 (3%) below B's 1,000 (6%). The whole
    difference 3% × 500 − 6% × 1,000 = −45.00 is the own line −15.00 plus the differential
    (3% − 6%) × 1,000 = −30.00, floored by a +45.00 line."""
    orders = [Order("RA", "A", pv=-500_00, cv=-500_00), Order("OB", "B", pv=1000_00, cv=1000_00)]
    lines, earned = run(compute, plan_of(), ROOT_AND_TWO_CHILDREN, orders)
    assert lines == [
        ("stairstep", "A", "A", None, 0, -500_00, F(3, 100), -15_00, -15_00),
        ("stairstep", "A", "A", None, 3, 0, None, 45_00, 45_00),
        ("stairstep", "A", "B", None, 1, 1000_00, F(-3, 100), -30_00, -30_00),
        ("stairstep", "B", "B", None, 0, 1000_00, F(6, 100), 60_00, 60_00),
    ]
    assert earned["A"] == 0


@pytest.mark.parametrize("compute", IMPLEMENTATIONS)
def test_a_leg_with_negative_group_volume_counts_against_the_member(compute):
    """A buys 1,000; B returns 100 (B's bracket 0%). A's group is 900 (6%):
    6% × 900 = 54.00 = own 60.00 + differential 6% × −100 = −6.00."""
    orders = [Order("OA", "A", pv=1000_00, cv=1000_00), Order("RB", "B", pv=-100_00, cv=-100_00)]
    lines, earned = run(compute, plan_of(), ROOT_AND_TWO_CHILDREN, orders)
    assert lines == [
        ("stairstep", "A", "A", None, 0, 1000_00, F(6, 100), 60_00, 60_00),
        ("stairstep", "A", "B", None, 1, -100_00, F(6, 100), -6_00, -6_00),
    ]
    assert earned == {"A": 54_00, "B": 0, "C": 0}


CHAIN = [Member("A"), Member("B", "A"), Member("C", "B")]
CHAIN_ORDERS = [
    Order("OA", "A", pv=10000_00, cv=100_00),
    Order("OB", "B", pv=100_00, cv=100_00),
    Order("OC", "C", pv=10000_00, cv=1000_00),
]


@pytest.mark.parametrize("reaches", [None, "children"])
@pytest.mark.parametrize("compute", IMPLEMENTATIONS)
def test_the_royalty_reaches_broken_away_children_only(compute, reaches):
    """The issue's chain A→B→C: C (PGV 10,000) breaks away, B (100) does not, A (10,100) is at
    21%. A is due 21% × 100 + 21% × 100 = 42.00; C is A's grandchild, so no royalty (by default
    and with ``reaches: children``)."""
    lines, earned = run(compute, plan_of(reaches), CHAIN, CHAIN_ORDERS)
    assert lines == [
        ("stairstep", "A", "A", None, 0, 100_00, F(21, 100), 21_00, 21_00),
        ("stairstep", "A", "B", None, 1, 100_00, F(21, 100), 21_00, 21_00),
        ("stairstep", "C", "C", None, 0, 1000_00, F(21, 100), 210_00, 210_00),
    ]
    assert earned == {"A": 42_00, "B": 0, "C": 210_00}


@pytest.mark.parametrize("compute", IMPLEMENTATIONS)
def test_first_generation_reaches_the_first_breakaway_below_a_child_who_did_not(compute):
    """The same chain with ``reaches: first_generation``: A also earns 4% of C's 1,000 = 40.00,
    82.00 in all."""
    lines, earned = run(compute, plan_of("first_generation"), CHAIN, CHAIN_ORDERS)
    assert ("stairstep", "A", "C", None, 2, 1000_00, F(4, 100), 40_00, 40_00) in lines
    assert earned == {"A": 82_00, "B": 0, "C": 210_00}


@pytest.mark.parametrize("compute", IMPLEMENTATIONS)
def test_first_generation_stops_at_the_first_breakaway_of_the_leg(compute):
    """A→B→C→D with C and D broken away: first_generation pays A on C, not on D (C is between);
    C is D's parent and earns its royalty."""
    members = [*CHAIN, Member("D", "C")]
    orders = [*CHAIN_ORDERS, Order("OD", "D", pv=10000_00, cv=500_00)]
    lines, _earned = run(compute, plan_of("first_generation"), members, orders)
    royalties = [(line[1], line[2], line[8]) for line in lines if line[4] == 2]
    assert royalties == [("A", "C", 40_00), ("C", "D", 20_00)]


def test_reaches_is_checked_when_the_plan_is_loaded():
    from downline.engine.plan import PlanError

    with pytest.raises(PlanError, match="reaches"):
        plan_of("everyone")
