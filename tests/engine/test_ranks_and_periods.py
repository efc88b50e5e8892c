"""Rank conditions, and the state carried from one period to the next (binary carry, rank
advancement paid once ever, grace periods), worked out by hand."""

from __future__ import annotations

from downline.engine import compute_period

from .cases import Member, Order, build_inputs, compute, line_tuples, plan_of

EUR = "name: case\ncurrency: EUR\n"

SILVER = """activity: {pv_at_least: 50}
ranks:
  - name: Member
  - {name: Bronze, pv: 50}
  - name: Silver
    legs: {count: 2, rank: Bronze}
    qualifying_volume: {at_least: AT_LEAST, max_leg_share: 33.33%}
bonuses: [{name: p, kind: personal, rate: 1%}]
"""
SILVER_MEMBERS = [
    Member("A"),
    Member("B", "A"),
    Member("C", "A"),
    Member("D", "A"),
    Member("E", "C"),
]


def condition(result, rank: int, name: str):
    return next(c for c in result.details.conditions if c.rank == rank and c.name == name)


def test_qualifying_volume_caps_each_leg_and_legs_count_bronzes_anywhere_in_the_leg():
    plan = plan_of(EUR + SILVER.replace("AT_LEAST", "1000"))
    orders = [
        Order("OA", "A", pv=10000),
        Order("OB", "B", pv=50000),
        Order("OD", "D", pv=40000),
        Order("OE", "E", pv=30000),
    ]
    _inputs, result = compute(plan, SILVER_MEMBERS, orders)
    # legs: B 500 → 333.30, C 300 (E's) → 300, D 400 → 333.30; QV = 100 + 966.60 = 1,066.60
    assert result.qualifying_volume.tolist()[0] == 106660
    assert condition(result, 2, "legs").actual.tolist()[0] == 3  # B, C (through E), D
    assert result.paid_as_rank.tolist() == [2, 1, 0, 1, 1]
    # B works towards Silver: its QV is its own PV
    assert result.qualifying_volume.tolist()[1] == 50000


def test_a_fractional_leg_cap_is_compared_exactly_and_reported_rounded_down():
    plan = plan_of(EUR + SILVER.replace("AT_LEAST", "1000.01"))
    orders = [Order("OB", "B", pv=50000), Order("OD", "D", pv=40000), Order("OE", "E", pv=30000)]
    _inputs, result = compute(plan, SILVER_MEMBERS, orders)
    # the cap is 33.33% × 1,000.01 = 333.303333…; QV = 300 + 2 × 333.303333… = 966.606666…
    assert result.qualifying_volume.tolist()[0] == 96660
    assert result.paid_as_rank.tolist()[0] == 0


LEADER = """activity: {pv_at_least: 50}
ranks:
  - name: Member
  - {name: Leader, personally_enrolled: 3, personally_enrolled_active: 2, customers: 2}
bonuses: [{name: p, kind: personal, rate: 1%}]
"""


def leader_case(extra_customer: bool):
    members = [
        Member("A"),
        Member("B", "A"),
        Member("C", "A", status="suspended"),
        Member("D", "A", joined="2026-11-02"),  # joins after the period
        Member("E", "A", status="terminated"),
        Member("F", "A", joined="2026-10-31"),
    ]
    orders = [
        Order("OB", "B", pv=6000),
        Order("OC", "C", pv=6000),
        Order("OF", "F", pv=6000, day="2026-10-31"),
        Order("K1", "A", amount=1000, customer="K1"),
        Order("K2", "A", amount=500, customer="K2"),
        Order("K2R", "A", amount=-500, customer="K2"),  # returned in full: not buying
    ]
    if extra_customer:
        orders.append(Order("K3", "A", amount=100, customer="K3"))
    return compute(plan_of(EUR + LEADER), members, orders)


def test_head_counts_count_present_enrollees_actives_and_buying_customers():
    _inputs, result = leader_case(extra_customer=True)
    assert condition(result, 1, "personally_enrolled").actual.tolist()[0] == 3  # B, C, F
    assert condition(result, 1, "personally_enrolled_active").actual.tolist()[0] == 2  # B, F
    assert condition(result, 1, "customers").actual.tolist()[0] == 2  # K1, K3
    assert result.paid_as_rank.tolist()[0] == 1


def test_one_buying_customer_short_is_no_rank():
    _inputs, result = leader_case(extra_customer=False)
    assert condition(result, 1, "customers").actual.tolist()[0] == 1
    assert result.paid_as_rank.tolist()[0] == 0


ADVANCEMENT = """ranks:
  - name: Member
  - {name: Silver, pv: 100}
  - {name: Gold, pv: 200}
rank_rules: {grace_periods: GRACE}
bonuses:
  - {name: advancement, kind: rank_advancement, amounts: {Silver: 100, Gold: 500}}
"""


def run_periods(plan, pvs: list[dict[str, int]], statuses: list[dict[str, str]] | None = None):
    """One result per period; the state passes from each period to the next."""
    state, results = None, []
    for k, pv in enumerate(pvs):
        status = (statuses or [{}] * len(pvs))[k]
        members = [Member("A", status=status.get("A", "active")), Member("B", "A")]
        orders = [Order(f"P{k}{m}", m, pv=value) for m, value in pv.items()]
        inputs = build_inputs(members, orders)
        result = compute_period(plan, inputs, state)
        results.append((inputs, result))
        state = result.state
    return results


def test_rank_advancement_pays_each_rank_once_ever_and_a_jump_pays_both():
    plan = plan_of(EUR + ADVANCEMENT.replace("GRACE", "0"))
    periods = run_periods(
        plan,
        [
            {"A": 25000, "B": 15000},  # A jumps to Gold, B reaches Silver
            {"A": 25000, "B": 25000},  # A again Gold: nothing; B reaches Gold
            {"A": 0, "B": 5000},  # both drop
            {"A": 25000, "B": 25000},  # back at Gold: nothing, ever again
        ],
    )
    paid = [
        [(line[1], line[4], line[8]) for line in line_tuples(plan, inputs, result)]
        for inputs, result in periods
    ]
    assert paid == [
        [("A", 1, 10000), ("A", 2, 50000), ("B", 1, 10000)],
        [("B", 2, 50000)],
        [],
        [],
    ]
    assert periods[-1][1].state.awarded["advancement"].tolist() == [2, 2]


def test_grace_keeps_the_previous_paid_as_rank_for_the_allowed_periods_in_a_row():
    plan = plan_of(EUR + ADVANCEMENT.replace("GRACE", "1"))
    periods = run_periods(
        plan,
        [{"A": 25000}, {"A": 15000}, {"A": 15000}, {"A": 0}, {"A": 25000}],
        [{}, {}, {}, {}, {"A": "suspended"}],
    )
    summary = [
        (
            int(result.qualified_rank[0]),
            int(result.paid_as_rank[0]),
            int(result.state.grace_used[0]),
            int(result.highest_rank[0]),
        )
        for _inputs, result in periods
    ]
    assert summary == [
        (2, 2, 0, 2),  # Gold
        (1, 2, 1, 2),  # Silver only: grace keeps Gold
        (1, 1, 0, 2),  # grace used up: Silver
        (0, 1, 1, 2),  # Member only: grace keeps Silver
        (0, 0, 0, 2),  # suspended: the first rank, no grace; the highest rank stays
    ]


def test_binary_carry_passes_into_the_next_period():
    plan = plan_of(
        EUR + "network: {placement: binary}\nbonuses:\n  - {name: bin, kind: binary, rate: 10%}\n"
    )
    members = [Member("A"), Member("L", "A", "A", position=1), Member("R", "A", "A", position=2)]
    first = build_inputs(members, [Order("O1", "L", cv=50000), Order("O2", "R", cv=15000)])
    one = compute_period(plan, first)
    second = build_inputs(members, [Order("O3", "R", cv=40000)])
    two = compute_period(plan, second, one.state)
    # period 1: 10% of 150 = 15.00, left carries 350; period 2: 350 against 400 = 35.00
    assert one.earned.tolist() == [1500, 0, 0]
    assert (one.carry_left.tolist()[0], one.carry_right.tolist()[0]) == (35000, 0)
    assert two.earned.tolist() == [3500, 0, 0]
    assert (two.carry_left.tolist()[0], two.carry_right.tolist()[0]) == (0, 5000)
