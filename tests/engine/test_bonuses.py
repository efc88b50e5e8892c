"""Every bonus kind on small networks, each expected number worked out by hand from
docs/plan-language.md (amounts in cents, volumes in hundredths)."""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest

from downline.engine import EngineState, PlanInputError, compute_period

from .cases import Member, Order, build_inputs, compute, line_tuples, plan_of

EUR = "name: case\ncurrency: EUR\n"


def test_personal_bonus_rounds_each_line_half_up_away_from_zero():
    plan = plan_of(
        EUR + "bonuses:\n  - {name: retail, kind: personal, volume: amount, rate: 12.5%}\n"
    )
    members = [Member("A"), Member("B", "A"), Member("C", "A", status="suspended")]
    orders = [
        Order("O1", "A", amount=1001),  # own 10.01
        Order("O2", "A", amount=300, customer="K"),  # a retail customer's 3.00
        Order("O3", "B", amount=-100),  # a return of 1.00
        Order("O4", "C", amount=5000),  # suspended: earns nothing
    ]
    inputs, result = compute(plan, members, orders)
    assert line_tuples(plan, inputs, result) == [
        # 13.01 × 12.5% = 1.62625 → 1.63
        ("retail", "A", "A", None, 0, 1301, F(1, 8), 163, 163),
        # −1.00 × 12.5% = −0.125 → −0.13 (halves away from zero)
        ("retail", "B", "B", None, 0, -100, F(1, 8), -13, -13),
    ]


UNILEVEL_CHAIN = [Member("A"), Member("B", "A"), Member("C", "B"), Member("D", "C")]
# A and C are active (PV 60), B is not; D's order carries the CV
UNILEVEL_ORDERS = [
    Order("OA", "A", pv=6000),
    Order("OC", "C", pv=6000),
    Order("OD", "D", cv=10000),
]


def unilevel_plan(options: str) -> str:
    return (
        EUR
        + "activity: {pv_at_least: 50}\nbonuses:\n"
        + "  - {name: uni, kind: unilevel, levels: [10%, 5%, 4%]"
        + options
        + "}\n"
    )


def test_unilevel_without_compression_leaves_an_inactive_level_unpaid():
    plan = plan_of(unilevel_plan(""))
    inputs, result = compute(plan, UNILEVEL_CHAIN, UNILEVEL_ORDERS)
    assert line_tuples(plan, inputs, result) == [
        ("uni", "A", "C", "OC", 2, 0, F(1, 20), 0, 0),  # a zero-volume order still walks
        ("uni", "A", "D", "OD", 3, 10000, F(1, 25), 400, 400),  # B's level 2 is not paid
        ("uni", "C", "D", "OD", 1, 10000, F(1, 10), 1000, 1000),
    ]
    walk = result.details.walks["uni"]
    assert walk.counts.missed.tolist() == [0, 2, 0, 0]  # B: level 1 of OC, level 2 of OD


def test_unilevel_with_compression_skips_the_inactive_upline():
    plan = plan_of(unilevel_plan(", compression: true"))
    inputs, result = compute(plan, UNILEVEL_CHAIN, UNILEVEL_ORDERS)
    assert line_tuples(plan, inputs, result) == [
        ("uni", "A", "C", "OC", 1, 0, F(1, 10), 0, 0),
        ("uni", "A", "D", "OD", 2, 10000, F(1, 20), 500, 500),
        ("uni", "C", "D", "OD", 1, 10000, F(1, 10), 1000, 1000),
    ]
    # both lines paid to A went past B
    assert result.details.walks["uni"].counts.missed.tolist() == [0, 2, 0, 0]
    assert inputs.sponsor.tolist() == [-1, 0, 1, 2]  # the stored tree is untouched


def test_unilevel_depth_by_rank_stops_the_pay_but_not_the_walk():
    plan = plan_of(unilevel_plan(", compression: true, depth_by_rank: {Member: 1}"))
    inputs, result = compute(plan, UNILEVEL_CHAIN, UNILEVEL_ORDERS)
    assert line_tuples(plan, inputs, result) == [
        ("uni", "A", "C", "OC", 1, 0, F(1, 10), 0, 0),
        ("uni", "C", "D", "OD", 1, 10000, F(1, 10), 1000, 1000),
    ]
    counts = result.details.walks["uni"].counts
    assert counts.missed.tolist() == [0, 1, 0, 0]  # OD's level 2 was not written
    assert counts.beyond_depth.tolist() == [1, 0, 0, 0]  # A's rank pays one level only


def test_unilevel_per_distributor_pays_one_line_per_distributor_volume():
    plan = plan_of(unilevel_plan(", per: distributor"))
    inputs, result = compute(plan, UNILEVEL_CHAIN, UNILEVEL_ORDERS)
    assert line_tuples(plan, inputs, result) == [
        ("uni", "A", "D", None, 3, 10000, F(1, 25), 400, 400),
        ("uni", "C", "D", None, 1, 10000, F(1, 10), 1000, 1000),
    ]


@pytest.mark.parametrize(
    ("earner", "expected"), [("active", [("A", 200)]), ("eligible", [("A", 200), ("B", 100)])]
)
def test_matrix_pays_placement_ancestors_that_pass_the_earner_rule(earner, expected):
    plan = plan_of(
        EUR
        + "network: {placement: matrix, width: 2}\nactivity: {pv_at_least: 50}\nbonuses:\n"
        + f"  - {{name: matrix, kind: matrix, earner: {earner}, levels: [1%, 2%]}}\n"
    )
    members = [
        Member("A"),
        Member("B", "A", "A", position=1),
        Member("C", "A", "B", position=1),
    ]
    orders = [Order("OA", "A", pv=6000), Order("OC", "C", cv=10000)]
    inputs, result = compute(plan, members, orders)
    got = [(line[1], line[8]) for line in line_tuples(plan, inputs, result)]
    assert got == expected


def test_fast_start_pays_own_orders_of_the_first_days_only():
    plan = plan_of(
        EUR + "bonuses:\n  - {name: fs, kind: fast_start, days: 30, levels: [20%, 10%]}\n"
    )
    members = [
        Member("A", joined="2026-01-01"),
        Member("B", "A", joined="2026-10-01"),
        Member("C", "B", joined="2026-10-01"),
    ]
    orders = [
        Order("OB", "B", cv=1000, day="2026-10-01"),
        Order("OC1", "C", cv=10000, day="2026-10-30"),  # day 29: inside
        Order("OC2", "C", cv=5000, day="2026-10-31"),  # day 30: outside
        Order("OK", "C", cv=7000, day="2026-10-05", customer="K"),  # a customer's order
    ]
    inputs, result = compute(plan, members, orders)
    assert line_tuples(plan, inputs, result) == [
        ("fs", "A", "B", "OB", 1, 1000, F(1, 5), 200, 200),
        ("fs", "A", "C", "OC1", 2, 10000, F(1, 10), 1000, 1000),
        ("fs", "B", "C", "OC1", 1, 10000, F(1, 5), 2000, 2000),
    ]


BINARY_MEMBERS = [
    Member("A"),
    Member("L", "A", "A", position=1),
    Member("R", "A", "A", position=2),
    Member("LL", "L", "L", position=1),
]
BINARY_ORDERS = [
    Order("OA", "A", pv=10000, cv=10000),  # A's own order counts in neither leg
    Order("OL", "L", cv=20000),
    Order("OLL", "LL", cv=30000),
    Order("OR", "R", cv=15000),
]


def binary_plan(options: str) -> str:
    return (
        EUR
        + "network: {placement: binary}\nactivity: {pv_at_least: 50}\nbonuses:\n"
        + "  - {name: bin, kind: binary, carry_cap: 300"
        + options
        + "}\n"
    )


def carry_in(plan, left: list[int], right: list[int]) -> EngineState:
    state = EngineState.fresh(4)
    state.carry["bin"] = (np.array(left, dtype=np.int64), np.array(right, dtype=np.int64))
    return state


def test_binary_weak_leg_with_carry_pay_cap_and_carry_cap():
    plan = plan_of(binary_plan(", rate: 10%, cap_per_period: 20"))
    state = carry_in(plan, [0, 0, 0, 0], [10000, 0, 0, 0])
    inputs, result = compute(plan, BINARY_MEMBERS, BINARY_ORDERS, state)
    # A: left 500.00 (L and LL), right 100.00 carried + 150.00 = 250.00; 10% of 250 = 25.00,
    # cut to 20.00; the left keeps 250.00 (under the 300 carry cap), the right nothing
    assert line_tuples(plan, inputs, result) == [
        ("bin", "A", None, None, 0, 25000, F(1, 10), 2500, 2000),
    ]
    left, right = result.state.carry["bin"]
    # L is inactive: both its legs are flushed
    assert left.tolist() == [25000, 0, 0, 0]
    assert right.tolist() == [0, 0, 0, 0]
    assert result.carry_left.tolist() == left.tolist()


def test_binary_without_flush_keeps_an_inactive_distributors_legs_up_to_the_carry_cap():
    plan = plan_of(binary_plan(", rate: 10%, flush_inactive: false"))
    _inputs, result = compute(plan, BINARY_MEMBERS, BINARY_ORDERS)
    left, right = result.state.carry["bin"]
    assert left.tolist() == [30000, 30000, 0, 0]  # A: 500 − 150 capped at 300; L: LL's 300
    assert right.tolist() == [0, 0, 0, 0]


def test_binary_cycles_carry_the_unpaired_volume():
    plan = plan_of(binary_plan(", cycles: {left: 100, right: 100, pays: 5}"))
    state = carry_in(plan, [0, 0, 0, 0], [10000, 0, 0, 0])
    inputs, result = compute(plan, BINARY_MEMBERS, BINARY_ORDERS, state)
    # left 500, right 250: 2 cycles of 100:100 pay 2 × 5.00
    assert line_tuples(plan, inputs, result) == [("bin", "A", None, None, 0, 2, F(5), 1000, 1000)]
    left, right = result.state.carry["bin"]
    assert left.tolist()[0] == 30000
    assert right.tolist()[0] == 5000


def test_stairstep_differential_breakaway_and_first_generation_royalty():
    plan = plan_of(
        EUR
        + """bonuses:
  - name: stairstep
    kind: stairstep
    brackets: [{pgv: 100, rate: 5%}, {pgv: 500, rate: 10%}, {pgv: 1000, rate: 20%}]
    breakaway_at: 1000
    royalty: 4%
    royalty_requires: 20%
    reaches: first_generation
"""
    )
    members = [Member("A"), Member("B", "A"), Member("C", "B"), Member("D", "C"), Member("E", "A")]
    volume = {"A": 50000, "B": 30000, "C": 10000, "D": 120000, "E": 60000}
    orders = [Order(f"O{m}", m, pv=v, cv=v) for m, v in volume.items()]
    inputs, result = compute(plan, members, orders)
    # PGV: D 1,200 (breaks away, 20%); C 100 (5%); B 400 (5%); E 600 (10%); A 1,500 (20%)
    assert line_tuples(plan, inputs, result) == [
        ("stairstep", "A", "A", None, 0, 50000, F(1, 5), 10000, 10000),
        ("stairstep", "A", "B", None, 1, 40000, F(3, 20), 6000, 6000),  # 20% − 5% of 400
        ("stairstep", "A", "D", None, 2, 120000, F(1, 25), 4800, 4800),  # royalty on D, below C
        ("stairstep", "A", "E", None, 1, 60000, F(1, 10), 6000, 6000),  # 20% − 10% of 600
        ("stairstep", "B", "B", None, 0, 30000, F(1, 20), 1500, 1500),
        ("stairstep", "C", "C", None, 0, 10000, F(1, 20), 500, 500),
        ("stairstep", "D", "D", None, 0, 120000, F(1, 5), 24000, 24000),
        ("stairstep", "E", "E", None, 0, 60000, F(1, 10), 6000, 6000),
    ]


def test_generation_counts_generations_by_qualifying_members():
    plan = plan_of(
        EUR
        + """ranks:
  - name: Member
  - {name: Leader, pv: 100}
bonuses:
  - {name: gen, kind: generation, rank: Leader, generations: [10%, 5%]}
"""
    )
    members = [Member("A"), Member("B", "A"), Member("C", "B"), Member("D", "C"), Member("E", "D")]
    orders = [
        Order("OA", "A", pv=10000),
        Order("OC", "C", pv=10000, cv=2000),
        Order("OD", "D", pv=10000, cv=5000),
        Order("OE", "E", cv=10000),
    ]
    inputs, result = compute(plan, members, orders)
    # Leaders: A, C, D. E's order: D is generation 1, C generation 2, A would be 3.
    # D's order: D itself qualifies, so C is generation 2. C's order: A is generation 2.
    assert line_tuples(plan, inputs, result) == [
        ("gen", "A", "C", "OC", 2, 2000, F(1, 20), 100, 100),
        ("gen", "C", "D", "OD", 2, 5000, F(1, 20), 250, 250),
        ("gen", "C", "E", "OE", 2, 10000, F(1, 20), 500, 500),
        ("gen", "D", "E", "OE", 1, 10000, F(1, 10), 1000, 1000),
    ]


def test_matching_sees_earnings_after_the_per_distributor_cap():
    plan = plan_of(
        EUR
        + """network: {placement: binary}
bonuses:
  - {name: bin, kind: binary, rate: 10%, earner: eligible}
  - {name: match, kind: matching, of: [bin], levels: [50%], earner: eligible}
caps:
  - {bonuses: [bin], max: 10}
"""
    )
    members = [
        Member("A"),
        Member("B", "A", "A", position=1),
        Member("BL", "B", "B", position=1),
        Member("BR", "B", "B", position=2),
    ]
    orders = [Order("O1", "BL", cv=30000), Order("O2", "BR", cv=20000)]
    inputs, result = compute(plan, members, orders)
    assert line_tuples(plan, inputs, result) == [
        ("bin", "B", None, None, 0, 20000, F(1, 10), 2000, 1000),  # 20.00 capped at 10.00
        ("match", "A", "B", None, 1, 1000, F(1, 2), 500, 500),  # half of the capped 10.00
    ]


POOL = """ranks:
  - name: Member
  - {name: Gold, pv: 100}
bonuses:
  - {name: pool, kind: pool, share: 10%, shares: {Gold: 1}, rounding: ROUNDING}
"""


@pytest.mark.parametrize(
    ("rounding", "amounts"),
    [("floor_per_share", [333, 333, 333]), ("largest_remainder", [334, 333, 333])],
)
def test_pool_rounding(rounding, amounts):
    plan = plan_of(EUR + POOL.replace("ROUNDING", rounding))
    members = [Member("A"), Member("B", "A"), Member("C", "A"), Member("D", "A")]
    orders = [
        Order("OA", "A", pv=10000, cv=10001),
        Order("OB", "B", pv=10000),
        Order("OC", "C", pv=10000),
    ]
    inputs, result = compute(plan, members, orders)
    # pool = 10% of 100.01 = 10.001 EUR = 1000.1 cents, three shares of 333.36…;
    # largest remainder hands the one cent left to the first of three equal remainders
    assert line_tuples(plan, inputs, result) == [
        ("pool", m, None, None, 0, 1000, F(1, 3), a, a) for m, a in zip("ABC", amounts, strict=True)
    ]
    pool, breakage = result.details.pools["pool"]
    assert pool == F(10001, 10)
    assert breakage == pool - sum(amounts)


def test_company_cap_scales_by_largest_remainder_and_ties_go_to_the_earlier_line():
    plan = plan_of(
        EUR
        + """bonuses:
  - {name: p, kind: personal, rate: 100%}
company_cap: {share: 33.3334%, of: cv}
"""
    )
    members = [Member("A"), Member("B", "A"), Member("C", "A")]
    orders = [Order(f"O{m}", m, cv=100) for m in "ABC"]
    inputs, result = compute(plan, members, orders)
    # limit ⌊33.3334% × 3.00⌋ = 1.00: each line 100 × 100 / 300 = 33.33…, one cent left over
    assert [(line[1], line[7], line[8]) for line in line_tuples(plan, inputs, result)] == [
        ("A", 100, 34),
        ("B", 100, 33),
        ("C", 100, 33),
    ]


def test_company_cap_ties_across_bonuses_follow_the_plan_order():
    plan = plan_of(
        EUR
        + """bonuses:
  - {name: first, kind: personal, rate: 50%}
  - {name: second, kind: personal, rate: 50%}
company_cap: {share: 33.3334%, of: cv}
"""
    )
    inputs, result = compute(plan, [Member("A")], [Order("O", "A", cv=100)])
    # lines of 50 and 50 scaled to ⌊33.3334% × 1.00⌋ = 33: 16.5 each, the cent to the first bonus
    assert [(line[0], line[8]) for line in line_tuples(plan, inputs, result)] == [
        ("first", 17),
        ("second", 16),
    ]


def test_per_distributor_cap_scales_that_distributors_lines_to_the_maximum():
    plan = plan_of(
        EUR
        + """bonuses:
  - {name: first, kind: personal, rate: 100%}
  - {name: second, kind: personal, rate: 100%}
caps:
  - {bonuses: [first, second], max: 1.01}
"""
    )
    inputs, result = compute(
        plan, [Member("A"), Member("B", "A")], [Order("OA", "A", cv=100), Order("OB", "B", cv=50)]
    )
    # A: 1.00 + 1.00 capped to 1.01: 0.505 each, the cent to the earlier line; B is under the cap
    assert [(line[0], line[1], line[7], line[8]) for line in line_tuples(plan, inputs, result)] == [
        ("first", "A", 100, 51),
        ("first", "B", 50, 50),
        ("second", "A", 100, 50),
        ("second", "B", 50, 50),
    ]


def test_a_plan_using_amount_rejects_an_order_in_another_currency_naming_it():
    plan = plan_of(
        EUR + "bonuses:\n  - {name: retail, kind: personal, volume: amount, rate: 10%}\n"
    )
    inputs = build_inputs(
        [Member("A")],
        [Order("O1", "A", amount=100), Order("O2", "A", amount=100, in_plan_currency=False)],
    )
    with pytest.raises(PlanInputError, match="order O2 is not in the plan's currency EUR"):
        compute_period(plan, inputs)


def test_a_plan_not_using_amount_accepts_orders_in_any_currency():
    plan = plan_of(EUR + "bonuses:\n  - {name: retail, kind: personal, volume: cv, rate: 10%}\n")
    inputs = build_inputs([Member("A")], [Order("O1", "A", cv=1000, in_plan_currency=False)])
    assert compute_period(plan, inputs).earned.tolist() == [100]
