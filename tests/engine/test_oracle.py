"""The oracle on small cases computed by hand (docs/plan-language.md; the worked examples of
shared/reference/plan-math.md that fit the specification).

Volumes are written in hundredths (``120_000`` is 1,200.00 CV), money in cents.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from downline.dataset.certificates import certificates_from_text, held_on
from downline.dataset.csv_io import network_from_text, orders_from_text
from downline.dataset.period import period_inputs
from downline.dataset.tables import PlacementShape
from downline.engine.inputs import EngineState
from downline.engine.plan import load_plan
from downline.money import format_decimal, parse_decimal

from .oracle import compute_period
from .strategies import Member, Order, build_inputs, plan_from

EUR = "EUR"


def lines_of(result, plan, inputs) -> list[tuple]:
    """(bonus, recipient, source, order, level, amount) of every line, in canonical order."""
    lines = result.lines
    ids = inputs.ids
    out = []
    for k in range(len(lines)):
        source = int(lines.source[k])
        order = int(lines.source_order[k])
        out.append(
            (
                plan.bonuses[int(lines.bonus[k])].name,
                ids[int(lines.recipient[k])],
                ids[source] if source >= 0 else None,
                inputs.order_ids[order] if order >= 0 else None,
                int(lines.level[k]),
                int(lines.amount[k]),
            )
        )
    return out


def line_detail(result, k: int) -> tuple[int, Fraction | None, int, int]:
    """(base, rate, amount before cap, amount) of line ``k``."""
    lines = result.lines
    rate = (
        None if lines.rate_den[k] == 0 else Fraction(int(lines.rate_num[k]), int(lines.rate_den[k]))
    )
    return int(lines.base[k]), rate, int(lines.amount_before_cap[k]), int(lines.amount[k])


def ids_of(inputs, values) -> dict[str, int]:
    return {inputs.ids[d]: int(values[d]) for d in range(inputs.n)}


# --- binary ---------------------------------------------------------------------------------------

BINARY_TREE = [
    Member("A"),
    Member("B", sponsor="A", placement="A", position=1),
    Member("C", sponsor="A", placement="A", position=2),
]


def binary_plan(**options) -> dict:
    bonus = {"name": "binary", "kind": "binary", "rate": "10%", **options}
    return {
        "name": "binary",
        "currency": EUR,
        "network": {"placement": "binary"},
        "activity": {"pv_at_least": 50},
        "bonuses": [bonus],
    }


def week(left_cv: int, right_cv: int, *, a_active: bool = True) -> list[Order]:
    orders = [Order("OB", "B", cv=left_cv), Order("OC", "C", cv=right_cv)]
    if a_active:
        orders.append(Order("OA", "A", pv=50_00, cv=1_000_000))  # own CV counts in neither leg
    return orders


def test_binary_weeks_with_carry_and_flush():
    """plan-math §3.2: 1,200/800 → 80, carry 400/0; +300/+900 → 70, carry 0/200; inactive →
    flushed to 0/0."""
    plan = plan_from(binary_plan())
    inputs = build_inputs(BINARY_TREE, week(120_000, 80_000))
    first = compute_period(plan, inputs)
    assert lines_of(first, plan, inputs) == [("binary", "A", None, None, 0, 80_00)]
    assert line_detail(first, 0) == (80_000, Fraction(1, 10), 80_00, 80_00)
    assert (int(first.carry_left[0]), int(first.carry_right[0])) == (40_000, 0)
    assert first.carry_left[1:].tolist() == [0, 0]  # B and C are inactive: flushed

    inputs = build_inputs(BINARY_TREE, week(30_000, 90_000))
    second = compute_period(plan, inputs, first.state)
    assert lines_of(second, plan, inputs) == [("binary", "A", None, None, 0, 70_00)]
    assert line_detail(second, 0)[0] == 70_000
    assert (int(second.carry_left[0]), int(second.carry_right[0])) == (0, 20_000)

    inputs = build_inputs(BINARY_TREE, week(10_000, 5_000, a_active=False))
    third = compute_period(plan, inputs, second.state)
    assert lines_of(third, plan, inputs) == []
    assert (int(third.carry_left[0]), int(third.carry_right[0])) == (0, 0)
    assert third.state.carry["binary"][0].tolist() == [0, 0, 0]


def test_binary_without_flush_keeps_the_legs_of_an_inactive_distributor():
    plan = plan_from(binary_plan(flush_inactive=False, carry_cap=100))
    inputs = build_inputs(BINARY_TREE, week(30_000, 5_000, a_active=False))
    result = compute_period(plan, inputs)
    assert lines_of(result, plan, inputs) == []
    assert (int(result.carry_left[0]), int(result.carry_right[0])) == (10_000, 5_000)


def test_binary_pay_cap_consumes_the_volume_and_carry_cap_limits_the_strong_leg():
    """plan-math §3.4: 12,000/15,000 at 10%, cap 1,000, carry cap 2,000 → paid 1,000 (1,200
    before the cap), carry 0/2,000."""
    plan = plan_from(binary_plan(cap_per_period=1000, carry_cap=2000))
    inputs = build_inputs(BINARY_TREE, week(1_200_000, 1_500_000))
    result = compute_period(plan, inputs)
    assert line_detail(result, 0) == (1_200_000, Fraction(1, 10), 1_200_00, 1_000_00)
    assert int(result.earned[0]) == 1_000_00
    assert (int(result.carry_left[0]), int(result.carry_right[0])) == (0, 200_000)


def test_binary_negative_leg_counts_as_zero_with_the_carry():
    plan = plan_from(binary_plan())
    members = [*BINARY_TREE]
    orders = [
        Order("OA", "A", pv=50_00),
        Order("R1", "B", cv=-30_000),  # a return of an earlier period's order
        Order("OC", "C", cv=50_000),
    ]
    inputs = build_inputs(members, orders)
    previous = compute_period(plan, build_inputs(members, week(0, 0))).state
    previous.carry["binary"] = (
        previous.carry["binary"][0] + [10_000, 0, 0],
        previous.carry["binary"][1],
    )
    result = compute_period(plan, inputs, previous)
    # L = max(0, 100 − 300) = 0, R = 500 → nothing paired, no line; carries 0 / 500
    assert lines_of(result, plan, inputs) == []
    assert (int(result.carry_left[0]), int(result.carry_right[0])) == (0, 50_000)


@pytest.mark.parametrize(
    ("left", "right", "legs", "cycles", "carry"),
    [
        (300_00, 300_00, (120_000, 80_000), 2, (60_000, 20_000)),  # 300:300, 1,200/800
        (400_00, 200_00, (100_000, 45_000), 2, (20_000, 5_000)),  # 1:2, 1,000/450
    ],
)
def test_binary_cycles(left, right, legs, cycles, carry):
    """plan-math §3.3: n = min(⌊L/left⌋, ⌊R/right⌋); the sub-cycle remainder carries too."""
    plan = plan_from(
        {
            **binary_plan(),
            "bonuses": [
                {
                    "name": "binary",
                    "kind": "binary",
                    "cycles": {"left": left // 100, "right": right // 100, "pays": "7.50"},
                }
            ],
        }
    )
    inputs = build_inputs(BINARY_TREE, week(*legs))
    result = compute_period(plan, inputs)
    assert line_detail(result, 0) == (cycles, Fraction(15, 2), cycles * 750, cycles * 750)
    assert (int(result.carry_left[0]), int(result.carry_right[0])) == carry


# --- unilevel, matrix -------------------------------------------------------------------------------

CHAIN = [
    Member("A"),
    Member("B", sponsor="A"),
    Member("C", sponsor="B"),
    Member("D", sponsor="C"),
    Member("E", sponsor="D"),
]


@pytest.mark.parametrize(
    ("compression", "expected"),
    [
        (False, [("B", 3, 5_00), ("D", 1, 10_00)]),
        (True, [("A", 3, 5_00), ("B", 2, 5_00), ("D", 1, 10_00)]),
    ],
)
def test_unilevel_compression(compression, expected):
    """plan-math §2.1: E → D → C → B → A, C inactive, 10/5/5%: without compression D 10, B 5
    (level 3), total 15; with compression D 10, B 5, A 5, total 20."""
    plan = plan_from(
        {
            "name": "u",
            "currency": EUR,
            "activity": {"pv_at_least": 50},
            "bonuses": [
                {
                    "name": "unilevel",
                    "kind": "unilevel",
                    "levels": ["10%", "5%", "5%"],
                    "compression": compression,
                }
            ],
        }
    )
    orders = [Order("O1", "E", cv=100_00)] + [Order(f"P{m}", m, pv=50_00) for m in ("A", "B", "D")]
    inputs = build_inputs(CHAIN, orders)
    result = compute_period(plan, inputs)
    lines = lines_of(result, plan, inputs)
    got = [(r, level, amount) for _b, r, s, o, level, amount in lines if o == "O1"]
    assert got == expected
    # the activity orders carry no CV: their walks write lines of 0
    assert {amount for *_x, o, _l, amount in lines if o != "O1"} == {0}


def test_unilevel_depth_by_rank_and_per_distributor():
    """Depth by paid-as rank (unlisted rank: depth 0); per distributor: one walk per member with
    a non-zero period volume, own and customers' orders together."""
    plan = plan_from(
        {
            "name": "u",
            "currency": EUR,
            "ranks": [{"name": "Member"}, {"name": "Bronze", "pv": 100}],
            "bonuses": [
                {
                    "name": "unilevel",
                    "kind": "unilevel",
                    "per": "distributor",
                    "levels": ["10%", "5%", "4%"],
                    "depth_by_rank": {"Bronze": 3},
                }
            ],
        }
    )
    orders = [
        Order("O1", "E", cv=60_00),
        Order("O2", "E", cv=40_00, customer="K1"),
        Order("O3", "B", pv=100_00),
        Order("O4", "C", pv=100_00),
    ]
    inputs = build_inputs(CHAIN, orders)
    result = compute_period(plan, inputs)
    # E's CV 100: D (Member, depth 0) not paid, C level 2 → 5.00, B level 3 → 4.00
    assert lines_of(result, plan, inputs) == [
        ("unilevel", "B", "E", None, 3, 4_00),
        ("unilevel", "C", "E", None, 2, 5_00),
    ]


def test_matrix_pays_placement_ancestors_and_skips_inactive_levels():
    plan = plan_from(
        {
            "name": "m",
            "currency": EUR,
            "network": {"placement": "matrix", "width": 2},
            "activity": {"pv_at_least": 50},
            "bonuses": [{"name": "matrix", "kind": "matrix", "levels": ["1%", "2%", "3%"]}],
        }
    )
    members = [
        Member("A"),
        Member("B", sponsor="A", position=1),
        Member("C", sponsor="A", placement="B", position=1),  # spilled under B
        Member("D", sponsor="C", position=2),
    ]
    orders = [Order("O1", "D", cv=1000_00), Order("PA", "A", pv=50_00), Order("PC", "C", pv=50_00)]
    inputs = build_inputs(members, orders)
    result = compute_period(plan, inputs)
    # D's placement ancestors: C (1%, active), B (2%, inactive: not paid), A (3%)
    assert [line for line in lines_of(result, plan, inputs) if line[3] == "O1"] == [
        ("matrix", "A", "D", "O1", 3, 30_00),
        ("matrix", "C", "D", "O1", 1, 10_00),
    ]


# --- fast start ---------------------------------------------------------------------------------

FAST_CHAIN = [
    Member("A"),
    Member("B", sponsor="A"),
    Member("C", sponsor="B"),
    Member("N", sponsor="C", joined="2026-10-01"),
]


def fast_start_plan() -> dict:
    return {
        "name": "fs",
        "currency": EUR,
        "activity": {"pv_at_least": 50},
        "bonuses": [
            {"name": "fast_start", "kind": "fast_start", "days": 30, "levels": ["20%", "10%", "5%"]}
        ],
    }


@pytest.mark.parametrize(
    ("active", "expected"),
    [
        (("A", "B", "C"), [("A", 3, 7_50), ("B", 2, 15_00), ("C", 1, 30_00)]),
        (("A", "B"), [("A", 3, 7_50), ("B", 2, 15_00)]),  # unqualified enroller: nothing rolls up
    ],
)
def test_fast_start(active, expected):
    """plan-math §6.4: CV 150 on day 10 → 30 / 15 / 7.50; unqualified enroller → 0 / 15 / 7.50.
    Orders outside the first 30 days and customers' orders pay nothing."""
    plan = plan_from(fast_start_plan())
    orders = [
        Order("O1", "N", cv=150_00, day="2026-10-11"),  # day 10
        Order("O2", "N", cv=100_00, day="2026-10-31"),  # day 30: outside
        Order("O3", "N", cv=100_00, day="2026-10-12", customer="K"),  # a customer's order
    ] + [Order(f"P{m}", m, pv=50_00) for m in active]
    inputs = build_inputs(FAST_CHAIN, orders)
    result = compute_period(plan, inputs)
    got = [(r, level, amount) for _b, r, s, o, level, amount in lines_of(result, plan, inputs)]
    assert got == expected
    assert {o for *_x, o, _l, _a in lines_of(result, plan, inputs)} == {"O1"}


def test_fast_start_return_follows_its_own_day():
    plan = plan_from(fast_start_plan())
    orders = [
        Order("O1", "N", cv=150_00, day="2026-10-11"),
        Order("R1", "N", cv=-150_00, day="2026-10-12"),
        *[Order(f"P{m}", m, pv=50_00) for m in ("A", "B", "C")],
    ]
    inputs = build_inputs(FAST_CHAIN, orders)
    result = compute_period(plan, inputs)
    assert [line[3:] for line in lines_of(result, plan, inputs) if line[1] == "C"] == [
        ("O1", 1, 30_00),
        ("R1", 1, -30_00),
    ]
    assert int(result.earned[2]) == 0


# --- stairstep ----------------------------------------------------------------------------------

UK_BRACKETS = [
    {"pgv": 200, "rate": "3%"},
    {"pgv": 600, "rate": "6%"},
    {"pgv": 1200, "rate": "9%"},
    {"pgv": 2400, "rate": "12%"},
    {"pgv": 4000, "rate": "15%"},
    {"pgv": 7000, "rate": "18%"},
    {"pgv": 10000, "rate": "21%"},
]


def stairstep_plan() -> dict:
    return {
        "name": "stairstep",
        "currency": EUR,
        "bonuses": [
            {
                "name": "stairstep",
                "kind": "stairstep",
                "brackets": UK_BRACKETS,
                "breakaway_at": 10000,
                "royalty": "4%",
                "royalty_requires": "21%",
            }
        ],
    }


def test_stairstep_differential():
    """plan-math §5: B 1,000 PV / 2,500 BV → 6% → 150; A 500 PV / 1,250 BV, group 1,500 → 9%:
    9% × 1,250 + 3% × 2,500 = 187.50."""
    plan = plan_from(stairstep_plan())
    members = [Member("A"), Member("B", sponsor="A")]
    orders = [Order("OA", "A", pv=500_00, cv=1250_00), Order("OB", "B", pv=1000_00, cv=2500_00)]
    inputs = build_inputs(members, orders)
    result = compute_period(plan, inputs)
    assert lines_of(result, plan, inputs) == [
        ("stairstep", "A", "A", None, 0, 112_50),
        ("stairstep", "A", "B", None, 1, 75_00),
        ("stairstep", "B", "B", None, 0, 150_00),
    ]
    assert line_detail(result, 1) == (2500_00, Fraction(3, 100), 75_00, 75_00)
    assert ids_of(inputs, result.earned) == {"A": 187_50, "B": 150_00}


def test_stairstep_breakaway_and_first_generation_royalty():
    """A breakaway group leaves its parent's PGV; a 21% parent earns 4% of the group CV of each
    first-generation breakaway (25,000 BV → 1,000), not of breakaways below it."""
    plan = plan_from(stairstep_plan())
    members = [
        Member("A"),
        Member("C", sponsor="A"),
        Member("D", sponsor="C"),
        Member("F", sponsor="A"),
    ]
    orders = [
        Order("OA", "A", pv=10000_00, cv=100_00),
        Order("OC", "C", pv=10000_00, cv=25000_00),
        Order("OD", "D", pv=12000_00, cv=30000_00),
        Order("OF", "F", pv=100_00, cv=100_00),
    ]
    inputs = build_inputs(members, orders)
    result = compute_period(plan, inputs)
    assert lines_of(result, plan, inputs) == [
        ("stairstep", "A", "A", None, 0, 21_00),  # A's PGV 10,100 → 21% of own CV 100
        ("stairstep", "A", "C", None, 2, 1000_00),  # royalty on C's 25,000
        ("stairstep", "A", "F", None, 1, 21_00),  # F below 200 PGV: 0%; 21% of 100
        ("stairstep", "C", "C", None, 0, 5250_00),
        ("stairstep", "C", "D", None, 2, 1200_00),  # C's own breakaway D
        ("stairstep", "D", "D", None, 0, 6300_00),
    ]


def test_stairstep_no_royalty_below_the_required_bracket():
    plan = plan_from(stairstep_plan())
    members = [Member("A"), Member("C", sponsor="A")]
    orders = [Order("OA", "A", pv=7000_00, cv=100_00), Order("OC", "C", pv=10000_00, cv=100_00)]
    inputs = build_inputs(members, orders)
    result = compute_period(plan, inputs)
    assert [line for line in lines_of(result, plan, inputs) if line[1] == "A"] == [
        ("stairstep", "A", "A", None, 0, 18_00)
    ]


# --- ranks -----------------------------------------------------------------------------------------


def rank_plan(ranks: list[dict], **extra) -> dict:
    return {
        "name": "ranks",
        "currency": EUR,
        "activity": {"pv_at_least": 50},
        "ranks": [{"name": "Member"}, *ranks],
        "bonuses": [{"name": "retail", "kind": "personal", "rate": "10%"}],
        **extra,
    }


MAX_LEG_TREE = [
    Member("A"),
    Member("B", sponsor="A"),
    Member("C", sponsor="A"),
    Member("D", sponsor="B"),
]


@pytest.mark.parametrize(("c_pv", "rank", "qv"), [(200_00, 0, 950_00), (600_00, 1, 1350_00)])
def test_max_leg_rule(c_pv, rank, qv):
    """plan-math §1.4: A 150 PV, leg B 1,000, leg C 200, need 1,200 with 50% per leg (600):
    150 + 600 + 200 = 950 → not Silver although GV is 1,350. With C at 600: 1,350 → Silver."""
    plan = plan_from(
        rank_plan(
            [{"name": "Silver", "qualifying_volume": {"at_least": 1200, "max_leg_share": "50%"}}]
        )
    )
    orders = [
        Order("OA", "A", pv=150_00),
        Order("OB", "B", pv=300_00),
        Order("OD", "D", pv=700_00),
        Order("OC", "C", pv=c_pv),
    ]
    inputs = build_inputs(MAX_LEG_TREE, orders)
    result = compute_period(plan, inputs)
    assert int(result.gv[0]) == 150_00 + 1000_00 + c_pv
    assert int(result.qualified_rank[0]) == rank
    assert int(result.paid_as_rank[0]) == rank
    assert int(result.qualifying_volume[0]) == qv


def test_own_pv_capped_and_fractional_leg_cap():
    """max_leg_share 33.33% of 1,000.01 gives an exact cap of 333.303333…; the reported QV is
    rounded down to the hundredth."""
    plan = plan_from(
        rank_plan(
            [
                {
                    "name": "Silver",
                    "qualifying_volume": {
                        "at_least": "1000.01",
                        "max_leg_share": "33.33%",
                        "own_pv": "capped",
                    },
                }
            ]
        )
    )
    orders = [Order("OA", "A", pv=500_00), Order("OB", "B", pv=1000_00), Order("OC", "C", pv=1_00)]
    inputs = build_inputs(MAX_LEG_TREE, orders)
    result = compute_period(plan, inputs)
    cap = Fraction(3333, 10000) * 100001  # hundredths
    exact = cap + cap + 100
    assert int(result.qualifying_volume[0]) == exact.numerator // exact.denominator
    assert int(result.paid_as_rank[0]) == 0


def test_legs_look_at_paid_as_ranks_anywhere_in_the_leg():
    """Silver needs two legs holding a Bronze or higher somewhere in the leg; decided bottom-up."""
    plan = plan_from(
        rank_plan(
            [
                {"name": "Bronze", "pv": 100},
                {"name": "Silver", "legs": {"count": 2, "rank": "Bronze"}},
            ]
        )
    )
    orders = [Order("OD", "D", pv=100_00), Order("OC", "C", pv=100_00)]
    inputs = build_inputs(MAX_LEG_TREE, orders)
    result = compute_period(plan, inputs)
    assert ids_of(inputs, result.paid_as_rank) == {"A": 2, "B": 0, "C": 1, "D": 1}
    # with only one leg holding a Bronze, A stays Member
    inputs = build_inputs(MAX_LEG_TREE, orders[:1])
    assert ids_of(inputs, compute_period(plan, inputs).paid_as_rank)["A"] == 0


def test_head_counts_and_customers():
    plan = plan_from(
        rank_plan(
            [
                {"name": "Bronze", "personally_enrolled": 3},
                {"name": "Silver", "personally_enrolled_active": 2},
                {"name": "Gold", "customers": 2},
            ]
        )
    )
    members = [
        Member("A"),
        Member("B", sponsor="A"),
        Member("C", sponsor="A", status="suspended"),
        Member("D", sponsor="A", status="terminated"),
        Member("E", sponsor="A", joined="2026-11-02"),  # joins after the period
    ]
    orders = [
        Order("OB", "B", pv=50_00),
        Order("OC", "C", pv=50_00),
        Order("K1", "A", amount=10_00, customer="k1"),
        Order("K2", "A", amount=10_00, customer="k2"),
        Order("K2R", "A", amount=-10_00, customer="k2"),  # net 0: does not count
        Order("K3", "A", amount=10_00, customer="k3", in_plan_currency=False),
    ]
    inputs = build_inputs(members, orders)
    result = compute_period(plan, inputs)
    # enrolled present and not terminated: B, C → 2 < 3; active enrolled: B only (C suspended)
    # customers with a positive net amount: k1 only
    assert int(result.qualified_rank[0]) == 0
    orders.append(Order("K4", "A", amount=1, customer="k4"))
    inputs = build_inputs(members, orders)
    assert int(compute_period(plan, inputs).qualified_rank[0]) == 3


def test_ineligible_members_hold_the_first_rank_earn_nothing_and_their_volume_counts():
    plan = plan_from(rank_plan([{"name": "Bronze", "gv": 100}]))
    members = [Member("A"), Member("B", sponsor="A", status="suspended")]
    inputs = build_inputs(members, [Order("OB", "B", pv=100_00, cv=100_00)])
    result = compute_period(plan, inputs)
    assert result.active.tolist() == [False, False]
    assert result.paid_as_rank.tolist() == [1, 0]
    assert result.gv.tolist() == [100_00, 100_00]
    assert lines_of(result, plan, inputs) == []


def test_grace_keeps_the_previous_paid_as_rank_for_a_period():
    plan = plan_from(rank_plan([{"name": "Silver", "pv": 100}], rank_rules={"grace_periods": 1}))
    members = [Member("A")]
    silver = compute_period(plan, build_inputs(members, [Order("O", "A", pv=100_00)]))
    assert (int(silver.paid_as_rank[0]), int(silver.state.grace_used[0])) == (1, 0)
    short = build_inputs(members, [Order("O", "A", pv=60_00)])
    graced = compute_period(plan, short, silver.state)
    assert int(graced.qualified_rank[0]) == 0
    assert (int(graced.paid_as_rank[0]), int(graced.state.grace_used[0])) == (1, 1)
    assert int(graced.highest_rank[0]) == 1
    ended = compute_period(plan, short, graced.state)
    assert (int(ended.paid_as_rank[0]), int(ended.state.grace_used[0])) == (0, 0)
    assert int(ended.highest_rank[0]) == 1


# --- rank advancement, generation, matching, pool ------------------------------------------------------


def test_rank_advancement_pays_each_rank_once_ever():
    plan = plan_from(
        rank_plan(
            [{"name": "Silver", "pv": 100}, {"name": "Gold", "pv": 200}],
            bonuses=[
                {
                    "name": "advancement",
                    "kind": "rank_advancement",
                    "amounts": {"Silver": 100, "Gold": 500},
                }
            ],
        )
    )
    members = [Member("A")]
    gold = build_inputs(members, [Order("O", "A", pv=200_00)])
    first = compute_period(plan, gold)
    assert lines_of(first, plan, gold) == [
        ("advancement", "A", "A", None, 1, 100_00),
        ("advancement", "A", "A", None, 2, 500_00),
    ]
    assert line_detail(first, 0) == (0, None, 100_00, 100_00)
    assert first.state.awarded["advancement"].tolist() == [2]
    silver = build_inputs(members, [Order("O", "A", pv=100_00)])
    second = compute_period(plan, silver, first.state)
    third = compute_period(plan, gold, second.state)
    assert len(second.lines) == 0
    assert len(third.lines) == 0


def test_generation_bonus_counts_generations_by_rank():
    plan = plan_from(
        rank_plan(
            [{"name": "Gold", "pv": 100}],
            activity=None,
            bonuses=[
                {
                    "name": "generation",
                    "kind": "generation",
                    "rank": "Gold",
                    "generations": ["3%", "2%"],
                }
            ],
        )
    )
    plan_data_members = [
        Member("A"),
        Member("B", sponsor="A"),
        Member("C", sponsor="B"),
        Member("G", sponsor="C"),
        Member("D", sponsor="G"),
        Member("X", sponsor="D"),
    ]
    orders = [
        Order("OX", "X", cv=100_00),
        *[Order(f"P{m}", m, pv=100_00) for m in ("A", "C", "G")],
    ]
    inputs = build_inputs(plan_data_members, orders)
    result = compute_period(plan, inputs)
    # X's order: G is generation 1 (3%), C generation 2 (2%), A would be generation 3: none
    assert [line for line in lines_of(result, plan, inputs) if line[3] == "OX"] == [
        ("generation", "C", "X", "OX", 2, 2_00),
        ("generation", "G", "X", "OX", 1, 3_00),
    ]


def test_kuvera_matching_24():
    """plan-math §3.5: Joe matches 3% over two generations of 100, 100, 200, 200, 200 → 24."""
    plan = plan_from(
        {
            "name": "kuvera",
            "currency": "USD",
            "bonuses": [
                {"name": "earnings", "kind": "personal", "rate": "100%"},
                {
                    "name": "matching",
                    "kind": "matching",
                    "of": ["earnings"],
                    "levels": ["3%", "3%"],
                },
            ],
        }
    )
    members = [
        Member("Joe"),
        Member("Mary", sponsor="Joe"),
        Member("Susan", sponsor="Joe"),
        Member("Larry", sponsor="Mary"),
        Member("Sharon", sponsor="Mary"),
        Member("Steve", sponsor="Susan"),
    ]
    earn = {"Mary": 100, "Susan": 100, "Larry": 200, "Sharon": 200, "Steve": 200}
    inputs = build_inputs(members, [Order(f"O{m}", m, cv=v * 100) for m, v in earn.items()])
    result = compute_period(plan, inputs)
    joe = [
        line
        for line in lines_of(result, plan, inputs)
        if line[0] == "matching" and line[1] == "Joe"
    ]
    assert [(s, level, amount) for _b, _r, s, _o, level, amount in joe] == [
        ("Mary", 1, 3_00),
        ("Susan", 1, 3_00),
        ("Larry", 2, 6_00),
        ("Sharon", 2, 6_00),
        ("Steve", 2, 6_00),
    ]
    assert int(result.earned[0]) == 24_00
    # the base of a matching line is the money earned (cents)
    k = next(
        k for k, line in enumerate(lines_of(result, plan, inputs)) if line[1:3] == ("Joe", "Mary")
    )
    assert line_detail(result, k) == (100_00, Fraction(3, 100), 3_00, 3_00)


def pool_plan(rounding: str) -> dict:
    return {
        "name": "pool",
        "currency": EUR,
        "ranks": [
            {"name": "Member"},
            {"name": "Silver", "pv": 10},
            {"name": "Gold", "pv": 20},
            {"name": "Diamond", "pv": 30},
        ],
        "bonuses": [
            {
                "name": "pool",
                "kind": "pool",
                "share": "1%",
                "shares": {"Silver": 1, "Gold": 2, "Diamond": 3},
                "rounding": rounding,
            }
        ],
    }


def test_pool_shares_3_2_1():
    """plan-math §6.6: 1% of 12,000,000 CV = 120,000 shared 3/2/1 → 60,000 / 40,000 / 20,000."""
    plan = plan_from(pool_plan("largest_remainder"))
    members = [
        Member("R"),
        Member("A", sponsor="R"),
        Member("B", sponsor="R"),
        Member("C", sponsor="R"),
    ]
    orders = [
        Order("O", "R", cv=12_000_000_00),
        Order("OA", "A", pv=30_00),
        Order("OB", "B", pv=20_00),
        Order("OC", "C", pv=10_00),
    ]
    inputs = build_inputs(members, orders)
    result = compute_period(plan, inputs)
    assert lines_of(result, plan, inputs) == [
        ("pool", "A", None, None, 0, 60_000_00),
        ("pool", "B", None, None, 0, 40_000_00),
        ("pool", "C", None, None, 0, 20_000_00),
    ]
    assert line_detail(result, 0) == (120_000_00, Fraction(1, 2), 60_000_00, 60_000_00)
    assert line_detail(result, 2)[1] == Fraction(1, 6)


@pytest.mark.parametrize(
    ("rounding", "amounts"),
    [("largest_remainder", [3_34, 3_33, 3_33]), ("floor_per_share", [3_33, 3_33, 3_33])],
)
def test_pool_rounding(rounding, amounts):
    """10.00 among three equal shares: largest remainder gives the cent left over to the first
    line in canonical order; floor per share leaves it as breakage."""
    plan = plan_from(pool_plan(rounding))
    members = [
        Member("R"),
        Member("A", sponsor="R"),
        Member("B", sponsor="R"),
        Member("C", sponsor="R"),
    ]
    orders = [Order("O", "R", cv=1000_00)] + [Order(f"O{m}", m, pv=10_00) for m in "ABC"]
    inputs = build_inputs(members, orders)
    result = compute_period(plan, inputs)
    assert [line[5] for line in lines_of(result, plan, inputs)] == amounts
    assert int(result.lines.base[0]) == 10_00


# --- caps, rounding, currency ---------------------------------------------------------------------


def personal_plan(**extra) -> dict:
    return {
        "name": "p",
        "currency": EUR,
        "bonuses": [{"name": "personal", "kind": "personal", "rate": "100%"}],
        **extra,
    }


STAR = [Member("R"), Member("A", sponsor="R"), Member("B", sponsor="R"), Member("C", sponsor="R")]


def test_company_cap_75000_to_60000():
    """plan-math §8–11: 45,000 / 22,500 / 7,500 (75,000) with a cap of 60,000 → 36,000 / 18,000 /
    6,000, each line keeping its amount before the cap."""
    plan = plan_from(personal_plan(company_cap={"share": "80%"}))
    orders = [
        Order("OA", "A", cv=45_000_00),
        Order("OB", "B", cv=22_500_00),
        Order("OC", "C", cv=7_500_00),
    ]
    inputs = build_inputs(STAR, orders)
    result = compute_period(plan, inputs)
    assert [line[5] for line in lines_of(result, plan, inputs)] == [36_000_00, 18_000_00, 6_000_00]
    assert result.lines.amount_before_cap.tolist() == [45_000_00, 22_500_00, 7_500_00]


def test_company_cap_largest_remainder_ties_go_in_canonical_order():
    """Three lines of 1.00, limit ⌊66.67% × 3.00⌋ = 2.00: 0.6667 each → 67, 67, 66."""
    plan = plan_from(personal_plan(company_cap={"share": "66.67%"}))
    orders = [Order(f"O{m}", m, cv=1_00) for m in "CBA"]
    inputs = build_inputs(STAR, orders)
    result = compute_period(plan, inputs)
    assert [line[1:2] + line[5:] for line in lines_of(result, plan, inputs)] == [
        ("A", 67),
        ("B", 67),
        ("C", 66),
    ]


def test_company_cap_limited_to_some_bonuses():
    plan = plan_from(
        {
            "name": "p",
            "currency": EUR,
            "bonuses": [
                {"name": "personal", "kind": "personal", "rate": "100%"},
                {"name": "extra", "kind": "personal", "rate": "50%"},
            ],
            "company_cap": {"share": "10%", "bonuses": ["extra"]},
        }
    )
    inputs = build_inputs(STAR, [Order("OA", "A", cv=100_00)])
    result = compute_period(plan, inputs)
    assert [line[5] for line in lines_of(result, plan, inputs)] == [100_00, 10_00]


def test_distributor_cap_scales_by_largest_remainder_and_matching_sees_the_capped_amount():
    plan = plan_from(
        {
            "name": "p",
            "currency": EUR,
            "bonuses": [
                {"name": "personal", "kind": "personal", "rate": "8%"},
                {"name": "unilevel", "kind": "unilevel", "levels": ["6%"]},
                {
                    "name": "matching",
                    "kind": "matching",
                    "of": ["personal", "unilevel"],
                    "levels": ["10%"],
                },
            ],
            "caps": [{"bonuses": ["personal", "unilevel"], "max": 10}],
        }
    )
    members = [Member("R"), Member("A", sponsor="R"), Member("B", sponsor="A")]
    orders = [Order("OA", "A", cv=100_00), Order("OB", "B", cv=100_00)]
    inputs = build_inputs(members, orders)
    result = compute_period(plan, inputs)
    # A: personal 8.00 + unilevel 6.00 = 14.00 > 10.00: 571.43 → 571, 428.57 → 429 (larger
    # remainder); R matches 10% of A's capped 10.00
    a_lines = [line for line in lines_of(result, plan, inputs) if line[1] == "A"]
    assert a_lines == [
        ("personal", "A", "A", None, 0, 5_71),
        ("unilevel", "A", "B", "OB", 1, 4_29),
        ("matching", "A", "B", None, 1, 80),  # 10% of B's 8.00
    ]
    assert result.lines.amount_before_cap.tolist()[:2] == [8_00, 8_00]  # personal A, B
    r_lines = [line for line in lines_of(result, plan, inputs) if line[1] == "R"]
    assert r_lines == [
        ("unilevel", "R", "A", "OA", 1, 6_00),
        ("matching", "R", "A", None, 1, 1_00),  # 10% of A's capped 10.00
    ]


def test_every_line_rounds_half_up_once():
    """10% of 0.05 is half a cent: 1 cent; a return of it is −1 cent (halves away from zero)."""
    plan = plan_from(
        {
            "name": "u",
            "currency": EUR,
            "bonuses": [{"name": "unilevel", "kind": "unilevel", "levels": ["10%"]}],
        }
    )
    members = [Member("A"), Member("B", sponsor="A")]
    orders = [Order("O1", "B", cv=5), Order("R1", "B", cv=-5), Order("O0", "B", cv=0)]
    inputs = build_inputs(members, orders)
    result = compute_period(plan, inputs)
    # a zero-volume order still walks (amount 0)
    assert lines_of(result, plan, inputs) == [
        ("unilevel", "A", "B", "O1", 1, 1),
        ("unilevel", "A", "B", "R1", 1, -1),
        ("unilevel", "A", "B", "O0", 1, 0),
    ]
    assert int(result.earned[0]) == 0


def test_minor_units_and_per_unit_rates():
    """A line on a volume is base × rate currency units: JPY has no minor unit, KWD three."""
    for currency, expected in (("JPY", 25), ("KWD", 25_000)):
        plan = plan_from(
            {
                "name": "p",
                "currency": currency,
                "bonuses": [{"name": "personal", "kind": "personal", "rate": "0.5 per unit"}],
            }
        )
        inputs = build_inputs([Member("A")], [Order("O", "A", cv=50_00)])
        assert lines_of(compute_period(plan, inputs), plan, inputs) == [
            ("personal", "A", "A", None, 0, expected)
        ]


def test_personal_volume_with_and_without_customers():
    for include, expected in ((True, 15_00), (False, 10_00)):
        plan = plan_from(
            {
                "name": "p",
                "currency": EUR,
                "volumes": {"include_customers": include},
                "bonuses": [
                    {"name": "retail", "kind": "personal", "volume": "amount", "rate": "10%"}
                ],
            }
        )
        orders = [Order("O1", "A", amount=100_00), Order("O2", "A", amount=50_00, customer="K")]
        inputs = build_inputs([Member("A")], orders)
        result = compute_period(plan, inputs)
        assert lines_of(result, plan, inputs) == [("retail", "A", "A", None, 0, expected)]


def test_amount_with_an_order_in_another_currency_is_rejected():
    plan = plan_from(
        {
            "name": "p",
            "currency": EUR,
            "bonuses": [{"name": "retail", "kind": "personal", "volume": "amount", "rate": "10%"}],
        }
    )
    inputs = build_inputs(
        [Member("A")], [Order("USD1", "A", amount=100_00, in_plan_currency=False)]
    )
    with pytest.raises(ValueError, match="USD1"):
        compute_period(plan, inputs)
    # a plan that reads only CV takes the order's volumes
    cv_plan = plan_from(personal_plan())
    inputs = build_inputs([Member("A")], [Order("USD1", "A", cv=10_00, in_plan_currency=False)])
    assert int(compute_period(cv_plan, inputs).earned[0]) == 10_00


def test_lines_come_in_canonical_order_and_rows_follow_the_input():
    """Rows are positions in the input: a member listed before their sponsor still works."""
    plan = plan_from(
        {
            "name": "u",
            "currency": EUR,
            "bonuses": [
                {"name": "unilevel", "kind": "unilevel", "levels": ["10%", "5%"]},
                {"name": "personal", "kind": "personal", "rate": "1%"},
            ],
        }
    )
    members = [Member("C", sponsor="B"), Member("B", sponsor="A"), Member("A")]
    orders = [Order("O1", "C", cv=100_00), Order("O2", "B", cv=100_00), Order("O3", "C", cv=100_00)]
    inputs = build_inputs(members, orders)
    result = compute_period(plan, inputs)
    assert lines_of(result, plan, inputs) == [
        ("unilevel", "B", "C", "O1", 1, 10_00),
        ("unilevel", "B", "C", "O3", 1, 10_00),
        ("unilevel", "A", "C", "O1", 2, 5_00),
        ("unilevel", "A", "B", "O2", 1, 10_00),
        ("unilevel", "A", "C", "O3", 2, 5_00),
        ("personal", "C", "C", None, 0, 2_00),
        ("personal", "B", "B", None, 0, 1_00),
    ]
    assert result.gv.tolist() == [0, 0, 0]


# --- the golden cases of plans/*.yaml -----------------------------------------------------------------

PLANS = Path(__file__).resolve().parents[2] / "plans"
LINE_COLUMNS = (
    "recipient_id",
    "bonus",
    "source_id",
    "source_order_id",
    "level",
    "base",
    "rate",
    "amount",
    "currency",
    "amount_before_cap",
)


def golden_state(plan, inputs, data: dict | None) -> EngineState | None:
    """The ``state`` of a golden case (state.json form) as engine state."""
    if not data:
        return None
    state = EngineState.fresh(inputs.n)
    row = {member_id: d for d, member_id in enumerate(inputs.ids)}
    for member_id, entry in data.get("distributors", {}).items():
        d = row[member_id]
        if "highest_rank" in entry:
            state.highest_rank[d] = plan.rank_index(entry["highest_rank"])
        if "paid_as_rank" in entry:
            state.paid_as_rank[d] = plan.rank_index(entry["paid_as_rank"])
        state.grace_used[d] = int(entry.get("grace_used", 0))
        for name, (left, right) in entry.get("carry", {}).items():
            carry = state.carry_of(name, inputs.n)
            carry[0][d], carry[1][d] = parse_decimal(left, 2), parse_decimal(right, 2)
            state.carry[name] = carry
        for name, rank in entry.get("awarded", {}).items():
            awarded = state.awarded_of(name, inputs.n)
            awarded[d] = plan.rank_index(rank)
            state.awarded[name] = awarded
    return state


def state_document(plan, inputs, state: EngineState) -> dict:
    """The distributors part of state.json: per id only what differs from a newcomer."""
    names = [rank.name for rank in plan.ranks]
    document = {}
    for d, member_id in enumerate(inputs.ids):
        entry: dict = {}
        if state.highest_rank[d]:
            entry["highest_rank"] = names[int(state.highest_rank[d])]
        if state.paid_as_rank[d]:
            entry["paid_as_rank"] = names[int(state.paid_as_rank[d])]
        if state.grace_used[d]:
            entry["grace_used"] = int(state.grace_used[d])
        for name, (left, right) in state.carry.items():
            if left[d] or right[d]:
                entry.setdefault("carry", {})[name] = [
                    format_decimal(int(left[d]), 2),
                    format_decimal(int(right[d]), 2),
                ]
        for name, awarded in state.awarded.items():
            if awarded[d] >= 0:
                entry.setdefault("awarded", {})[name] = names[int(awarded[d])]
        if entry:
            document[member_id] = entry
    return document


def exact(text: str) -> Fraction | None:
    """A number of a golden CSV as an exact value: ``12.50``, ``10%``, ``1/3``, ``10 per unit``."""
    text = text.strip()
    if not text:
        return None
    if text.endswith("%"):
        return Fraction(Decimal(text[:-1])) / 100
    if " per " in text:
        return Fraction(Decimal(text.split(" per ")[0]))
    return Fraction(text) if "/" in text else Fraction(Decimal(text))


def oracle_line_values(plan, inputs, result, k: int) -> dict[str, object]:
    """Line ``k`` on the columns of lines.csv, numbers as exact values in their units."""
    lines = result.lines
    bonus = plan.bonuses[int(lines.bonus[k])]
    minor = 10**plan.minor_digits
    base = int(lines.base[k])
    if bonus.kind == "rank_advancement" or (bonus.kind == "stairstep" and lines.rate_den[k] == 0):
        base_value = None  # no base: rank advancement, a stairstep floor line
    elif bonus.kind in ("matching", "pool"):
        base_value = Fraction(base, minor)
    elif bonus.kind == "binary" and bonus.cycles is not None:
        base_value = Fraction(base)
    else:
        base_value = Fraction(base, 100)
    source = int(lines.source[k])
    order = int(lines.source_order[k])
    den = int(lines.rate_den[k])
    return {
        "recipient_id": inputs.ids[int(lines.recipient[k])],
        "bonus": bonus.name,
        "source_id": inputs.ids[source] if source >= 0 else "",
        "source_order_id": inputs.order_ids[order] if order >= 0 else "",
        "level": int(lines.level[k]),
        "base": base_value,
        "rate": None if den == 0 else Fraction(int(lines.rate_num[k]), den),
        "amount": Fraction(int(lines.amount[k]), minor),
        "currency": plan.currency_code,
        "amount_before_cap": Fraction(int(lines.amount_before_cap[k]), minor),
    }


def expected_line_values(row: dict[str, str]) -> dict[str, object]:
    values: dict[str, object] = {}
    for column, text in row.items():
        if column in ("base", "rate", "amount", "amount_before_cap"):
            values[column] = exact(text)
        elif column == "level":
            values[column] = int(text)
        else:
            values[column] = text
    return values


def distributor_values(plan, inputs, result, d: int, columns: list[str]) -> dict[str, object]:
    minor = 10**plan.minor_digits
    names = [rank.name for rank in plan.ranks]
    qv = int(result.qualifying_volume[d])
    every = {
        "pv": Fraction(int(result.pv[d]), 100),
        "cv": Fraction(int(result.cv[d]), 100),
        "gv": Fraction(int(result.gv[d]), 100),
        "qualifying_volume": None if qv < 0 else Fraction(qv, 100),
        "active": "true" if result.active[d] else "false",
        "paid_as_rank": names[int(result.paid_as_rank[d])],
        "highest_rank": names[int(result.highest_rank[d])],
        "earned": Fraction(int(result.earned[d]), minor),
        "carry_left": Fraction(int(result.carry_left[d]), 100),
        "carry_right": Fraction(int(result.carry_right[d]), 100),
    }
    return {column: every[column] for column in columns}


def golden_failures(plan, case) -> list[str]:
    """What the oracle computes differently from a golden case's expectations."""
    shape = PlacementShape(plan.network.placement, plan.network.width or 2)
    network = network_from_text(case.distributors, shape=shape)
    orders = orders_from_text(case.orders, network=network, time_zone=case.time_zone)
    inputs = period_inputs(
        network,
        orders,
        period=case.period,
        time_zone=case.time_zone,
        plan_currency=plan.currency_code if isinstance(plan.currency, str) else None,
    )
    if not isinstance(plan.currency, str):  # points: every order counts in the plan's unit
        inputs.order_in_plan_currency[:] = True
    if case.certificates is not None:  # who holds a certificate on the period's last day
        inputs.certificates = held_on(
            certificates_from_text(case.certificates, network=network),
            inputs.ids,
            date(1970, 1, 1) + timedelta(days=inputs.last_day),
            plan.certificate_keys(),
        )
    result = compute_period(plan, inputs, golden_state(plan, inputs, case.state))
    expect = case.expect
    failures = []
    if expect.lines is not None:
        rows = list(csv.DictReader(io.StringIO(expect.lines)))
        columns = list(rows[0]) if rows else expect.lines.strip().split(",")
        want = sorted(repr(expected_line_values(row)) for row in rows)
        got = sorted(
            repr(
                {
                    c: v
                    for c, v in oracle_line_values(plan, inputs, result, k).items()
                    if c in columns
                }
            )
            for k in range(len(result.lines))
        )
        missing = [line for line in want if line not in got]
        extra = [line for line in got if line not in want]
        failures += [f"expected line not produced: {line}" for line in missing]
        failures += [f"unexpected line: {line}" for line in extra]
    if expect.distributors is not None:
        row_of = {member_id: d for d, member_id in enumerate(inputs.ids)}
        for row in csv.DictReader(io.StringIO(expect.distributors)):
            columns = [c for c in row if c != "id"]
            want = {
                c: (
                    exact(row[c]) if c not in ("active", "paid_as_rank", "highest_rank") else row[c]
                )
                for c in columns
            }
            got = distributor_values(plan, inputs, result, row_of[row["id"]], columns)
            if got != want:
                failures.append(f"distributor {row['id']}: expected {want}, oracle {got}")
    if expect.totals is not None:
        minor = 10**plan.minor_digits
        totals = {bonus.name: Fraction(0) for bonus in plan.bonuses}
        for k in range(len(result.lines)):
            totals[plan.bonuses[int(result.lines.bonus[k])].name] += Fraction(
                int(result.lines.amount[k]), minor
            )
        totals["total"] = sum(totals.values(), Fraction(0))
        for name, amount in expect.totals.items():
            if totals[name] != Fraction(amount):
                failures.append(f"total {name}: expected {amount}, oracle {totals[name]}")
    if expect.state is not None:
        document = state_document(plan, inputs, result.state)
        if document != expect.state:
            failures.append(f"state: expected {expect.state}, oracle {document}")
    return failures


@pytest.mark.parametrize("path", sorted(PLANS.glob("*.yaml")), ids=lambda path: path.name)
def test_oracle_passes_the_golden_cases_of_the_sample_plans(path):
    plan = load_plan(path).plan
    failures = []
    for case in plan.tests:
        failures += [f"{case.name}: {failure}" for failure in golden_failures(plan, case)]
    assert not failures, "\n".join(failures)
