"""A bonus's compliance requirements (``requires``: the 70% customer rule, the 10-customer rule),
every expected number worked out by hand from docs/plan-language.md (amounts in cents, volumes
in hundredths)."""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest

from downline.engine import Explainer, compute_period
from downline.engine.plan import PlanError, load_plan_text
from downline.engine.requirements import share_at_least

from .cases import Member, Order, build_inputs, compute, line_tuples, plan_of

EUR = "name: case\ncurrency: EUR\n"


# --- the plan file ----------------------------------------------------------------------------


def problems(text: str) -> list[str]:
    with pytest.raises(PlanError) as caught:
        load_plan_text(text, source="plan.yaml")
    return str(caught.value).splitlines()


def unilevel_with(requires: str) -> str:
    return (
        EUR
        + "bonuses:\n"
        + "  - name: uni\n"
        + "    kind: unilevel\n"
        + "    levels: [10%]\n"
        + f"    requires: {requires}\n"
    )


@pytest.mark.parametrize(
    ("requires", "message"),
    [
        (
            "{}",
            "plan.yaml:7: bonuses[0].requires: "
            "requires needs customer_share_at_least, customers_at_least or certificate",
        ),
        (
            "{customer_share_at_least: 1 per unit}",
            "plan.yaml:7: bonuses[0].requires.customer_share_at_least: "
            "write the customer share as a percentage such as 70%",
        ),
        (
            "{customer_share_at_least: 0%}",
            "plan.yaml:7: bonuses[0].requires.customer_share_at_least: "
            "a customer share of 0% requires nothing; give a share above 0% or leave it out",
        ),
        (
            "{customer_share_at_least: 170%}",
            "plan.yaml:7: bonuses[0].requires.customer_share_at_least: "
            "rate must be between 0% and 100%",
        ),
        (
            "{customers_at_least: 0}",
            "plan.yaml:7: bonuses[0].requires.customers_at_least: must be at least 1",
        ),
        (
            "{retail_customers_at_least: 10}",
            "plan.yaml:7: bonuses[0].requires.retail_customers_at_least: unknown field",
        ),
    ],
)
def test_a_wrong_requirement_is_reported_with_its_line_and_path(requires, message):
    assert problems(unilevel_with(requires)) == [message]


def test_requirements_are_read_exactly():
    plan = plan_of(unilevel_with("{customer_share_at_least: 66.5%, customers_at_least: 10}"))
    requires = plan.bonuses[0].requires
    assert requires.customer_share_at_least.value == F(133, 200)
    assert requires.customers_at_least == 10


# --- unilevel: compression skips the inactive, a requirement only withholds the pay -------------

UNILEVEL = """name: case
currency: EUR
activity: {pv_at_least: 50}
bonuses:
  - name: uni
    title: Unilevel
    kind: unilevel
    per: distributor
    levels: [10%, 5%, 4%]
    compression: true
"""
REQUIRES_70 = "    requires: {customer_share_at_least: 70%}\n"

# A ← B ← C ← E ← D (enrollment). Own / customer PV:
#   A 20 / 80  → share 80%, meets 70%         PV 100, active
#   B 60 / 0   → share 0%, fails              PV 60, active
#   C 15 / 35  → share exactly 70%, meets     PV 50, active
#   E no orders                               PV 0, not active (skipped by compression)
#   D buys CV 100 (PV 0)
CHAIN = [Member("A"), Member("B", "A"), Member("C", "B"), Member("E", "C"), Member("D", "E")]
CHAIN_ORDERS = [
    Order("OA", "A", pv=2000),
    Order("KA", "A", pv=8000, customer="KA"),
    Order("OB", "B", pv=6000),
    Order("OC", "C", pv=1500),
    Order("KC", "C", pv=3500, customer="KC"),
    Order("OD", "D", cv=10000),
]


def test_without_requirements_every_active_upline_is_paid_its_level():
    plan = plan_of(UNILEVEL)
    inputs, result = compute(plan, CHAIN, CHAIN_ORDERS)
    # D's CV 100: E is skipped; C level 1 (10% = 10.00), B level 2 (5% = 5.00), A level 3 (4.00)
    assert line_tuples(plan, inputs, result) == [
        ("uni", "A", "D", None, 3, 10000, F(1, 25), 400, 400),
        ("uni", "B", "D", None, 2, 10000, F(1, 20), 500, 500),
        ("uni", "C", "D", None, 1, 10000, F(1, 10), 1000, 1000),
    ]


def test_an_upline_short_of_the_customer_share_keeps_its_level_and_its_pay_lapses():
    plan = plan_of(UNILEVEL + REQUIRES_70)
    inputs, result = compute(plan, CHAIN, CHAIN_ORDERS)
    # B is active, so compression does not skip B: B stays level 2 and its 5.00 is not paid
    # to anyone; A is still level 3 at 4%. C at exactly 70% meets the requirement.
    assert line_tuples(plan, inputs, result) == [
        ("uni", "A", "D", None, 3, 10000, F(1, 25), 400, 400),
        ("uni", "C", "D", None, 1, 10000, F(1, 10), 1000, 1000),
    ]
    assert result.earned.tolist() == [400, 0, 1000, 0, 0]
    # B missed one line (its requirement); E was skipped once (the line C got went past E)
    assert result.details.walks["uni"].counts.missed.tolist() == [0, 1, 0, 1, 0]
    assert result.details.requirements["uni"].met.tolist() == [True, False, True, False, False]


def test_the_trace_says_what_share_was_missing_and_what_was_not_paid():
    plan = plan_of(UNILEVEL + REQUIRES_70)
    inputs, result = compute(plan, CHAIN, CHAIN_ORDERS)
    explainer = Explainer(plan, inputs, result)
    b = explainer.explain(1)
    assert b["requirements"] == {
        "uni": {
            "met": False,
            "conditions": [
                {"name": "customer_share", "required": "70%", "actual": "0%", "pass": False}
            ],
        }
    }
    assert b["messages"] == [
        "customer share 0% of 70%: not paid Unilevel, so 1 Unilevel line was not paid to you"
    ]
    c = explainer.explain(2)
    assert c["requirements"]["uni"] == {
        "met": True,
        "conditions": [
            {"name": "customer_share", "required": "70%", "actual": "70%", "pass": True}
        ],
    }
    assert c["messages"] == []
    # E fails the earner rule (not active): that is the reason given, not the share
    assert explainer.explain(3)["messages"] == [
        "PV 0 of 50: not active, so 1 Unilevel line went past you"
    ]


@pytest.mark.parametrize(
    ("own", "customer", "paid", "message"),
    [
        (3000, 7000, [("retail", "A", "A", None, 0, 10000, F(1, 10), 1000, 1000)], None),
        (3001, 6999, [], "customer share 69.99% of 70%: not paid retail"),
        (1, 2, [], "customer share 66.66% of 70%: not paid retail"),
    ],
)
def test_the_share_is_compared_exactly_and_shown_rounded_down(own, customer, paid, message):
    plan = plan_of(
        EUR
        + "bonuses:\n  - {name: retail, kind: personal, volume: pv, rate: 10%, "
        + "requires: {customer_share_at_least: 70%}}\n"
    )
    orders = [Order("O1", "A", pv=own), Order("K1", "A", pv=customer, customer="K1")]
    inputs, result = compute(plan, [Member("A")], orders)
    assert line_tuples(plan, inputs, result) == paid
    messages = Explainer(plan, inputs, result).explain(0)["messages"]
    assert messages == ([message] if message else [])


def test_no_pv_or_a_negative_pv_total_fails_the_customer_share():
    plan = plan_of(
        EUR
        + "bonuses:\n  - {name: retail, kind: personal, volume: amount, rate: 10%, "
        + "earner: eligible, requires: {customer_share_at_least: 1%}}\n"
    )
    members = [Member("A"), Member("B", "A"), Member("C", "A")]
    orders = [
        Order("OA", "A", amount=5000),  # turnover but no PV at all: total 0
        Order("RB", "B", pv=-5000, amount=-1000),  # a return larger than …
        Order("KB", "B", pv=3000, amount=3000, customer="KB"),  # … the customer PV: total −20
        Order("KC", "C", pv=1, amount=1000, customer="KC"),  # 0.01 PV, all from a customer
    ]
    inputs, result = compute(plan, members, orders)
    assert line_tuples(plan, inputs, result) == [
        ("retail", "C", "C", None, 0, 1000, F(1, 10), 100, 100),  # 10% of 10.00
    ]
    explainer = Explainer(plan, inputs, result)
    for row in (0, 1):
        trace = explainer.explain(row)
        assert trace["requirements"]["retail"]["conditions"][0]["actual"] is None
        assert trace["messages"] == [
            "no PV this period, so no customer share of the 1% needed: not paid retail"
        ]


# --- the customer count --------------------------------------------------------------------------


def test_a_customer_whose_order_was_returned_does_not_count():
    plan = plan_of(
        EUR
        + "bonuses:\n  - {name: retail, kind: personal, volume: amount, rate: 10%, "
        + "requires: {customers_at_least: 2}}\n"
    )
    members = [Member("A"), Member("B", "A")]
    orders = [
        Order("K1", "A", amount=5000, customer="K1"),
        Order("K2", "A", amount=3000, customer="K2"),
        Order("R2", "A", amount=-3000, customer="K2"),  # K2's net turnover is 0
        Order("K3", "B", amount=2000, customer="K3"),
        Order("K4", "B", amount=1000, customer="K4"),
    ]
    inputs, result = compute(plan, members, orders)
    # B: two buying customers, turnover 30.00 → 3.00; A has one buying customer
    assert line_tuples(plan, inputs, result) == [
        ("retail", "B", "B", None, 0, 3000, F(1, 10), 300, 300),
    ]
    trace = Explainer(plan, inputs, result).explain(0)
    assert trace["requirements"]["retail"]["conditions"] == [
        {"name": "customers", "required": 2, "actual": 1, "pass": False}
    ]
    assert trace["messages"] == ["1 of the 2 buying retail customers: not paid retail"]


# --- the other kinds treat a requirement like the earner rule ------------------------------------

BINARY_MEMBERS = [
    Member("A"),
    Member("L", "A", "A", position=1),
    Member("R", "A", "A", position=2),
]
BINARY_ORDERS = [Order("OL", "L", cv=20000), Order("OR", "R", cv=15000)]


@pytest.mark.parametrize(("flush", "carry"), [("true", ([0], [0])), ("false", ([20000], [15000]))])
def test_binary_short_of_a_requirement_pays_nothing_and_flushes_like_an_inactive_earner(
    flush, carry
):
    plan = plan_of(
        EUR
        + "network: {placement: binary}\nbonuses:\n"
        + "  - {name: bin, kind: binary, rate: 10%, "
        + f"flush_inactive: {flush}, requires: {{customers_at_least: 1}}}}\n"
    )
    inputs, result = compute(plan, BINARY_MEMBERS, BINARY_ORDERS)
    assert line_tuples(plan, inputs, result) == []
    left, right = result.state.carry["bin"]
    assert (left.tolist()[:1], right.tolist()[:1]) == carry
    messages = Explainer(plan, inputs, result).explain(0)["messages"]
    legs = "(left 200, right 150)"
    if flush == "true":
        tail = f"so bin paid nothing and both legs were flushed {legs}"
    else:
        tail = f"so bin paid nothing; the legs carry forward {legs}"
    assert messages == [f"0 of the 1 buying retail customers: not paid bin, {tail}"]


def test_binary_pays_once_the_requirement_is_met():
    plan = plan_of(
        EUR
        + "network: {placement: binary}\nbonuses:\n"
        + "  - {name: bin, kind: binary, rate: 10%, requires: {customers_at_least: 1}}\n"
    )
    orders = [*BINARY_ORDERS, Order("KA", "A", amount=100, customer="KA")]
    inputs, result = compute(plan, BINARY_MEMBERS, orders)
    # weak leg 150 × 10% = 15.00; the left carries 50
    assert line_tuples(plan, inputs, result) == [
        ("bin", "A", None, None, 0, 15000, F(1, 10), 1500, 1500)
    ]
    assert result.state.carry["bin"][0].tolist() == [5000, 0, 0]


def test_matching_is_not_paid_to_an_upline_short_of_a_requirement_and_does_not_roll_up():
    plan = plan_of(
        EUR
        + "bonuses:\n"
        + "  - {name: retail, kind: personal, rate: 10%}\n"
        + "  - {name: match, kind: matching, of: [retail], levels: [50%, 25%], "
        + "requires: {customers_at_least: 1}}\n"
    )
    members = [Member("A"), Member("B", "A"), Member("C", "B")]
    orders = [Order("OC", "C", cv=10000), Order("KA", "A", amount=100, customer="KA")]
    inputs, result = compute(plan, members, orders)
    # C earns 10.00; B (no customer) would get 50% = 5.00 at level 1: not paid; A gets its
    # own level-2 rate, 25% = 2.50, not B's
    assert line_tuples(plan, inputs, result) == [
        ("retail", "C", "C", None, 0, 10000, F(1, 10), 1000, 1000),
        ("match", "A", "C", None, 2, 1000, F(1, 4), 250, 250),
    ]
    assert Explainer(plan, inputs, result).explain(1)["messages"] == [
        "0 of the 1 buying retail customers: not paid match, so 1 match line was not paid to you"
    ]


def test_a_pool_shares_only_among_earners_who_meet_the_requirement():
    plan = plan_of(
        EUR
        + "ranks:\n  - name: Member\n  - {name: Gold, pv: 100}\nbonuses:\n"
        + "  - {name: pool, kind: pool, share: 10%, shares: {Gold: 1}, "
        + "requires: {customer_share_at_least: 50%}}\n"
    )
    members = [Member("A"), Member("B", "A")]
    orders = [
        Order("OA", "A", pv=5000, cv=5000),
        Order("KA", "A", pv=5000, cv=5000, customer="KA"),  # A: 50 of 100 PV, exactly 50%
        Order("OB", "B", pv=10000, cv=10000),  # B: Gold too, but 0% from customers
    ]
    inputs, result = compute(plan, members, orders)
    # the pool is 10% of CV 200 = 20.00, one share held (A's): A gets all of it
    assert line_tuples(plan, inputs, result) == [
        ("pool", "A", None, None, 0, 2000, F(1), 2000, 2000)
    ]


def test_rank_advancement_waits_for_the_period_the_requirement_is_met():
    plan = plan_of(
        EUR
        + "ranks:\n  - name: Member\n  - {name: Silver, pv: 100}\nbonuses:\n"
        + "  - {name: adv, kind: rank_advancement, amounts: {Silver: 50}, "
        + "requires: {customer_share_at_least: 50%}}\n"
    )
    members = [Member("A")]
    october = build_inputs(members, [Order("O1", "A", pv=10000)])
    first = compute_period(plan, october)
    assert len(first.lines) == 0  # Silver, but 0% from customers: nothing paid …
    assert first.state.awarded["adv"].tolist() == [-1]  # … and Silver not remembered
    november = build_inputs(
        members,
        [
            Order("O2", "A", pv=5000, day="2026-11-05"),
            Order("K2", "A", pv=5000, day="2026-11-06", customer="K"),
        ],
        first_day="2026-11-01",
        last_day="2026-11-30",
        period="2026-11",
    )
    second = compute_period(plan, november, first.state)
    assert line_tuples(plan, november, second) == [("adv", "A", "A", None, 1, 0, None, 5000, 5000)]
    assert second.state.awarded["adv"].tolist() == [1]


def test_bonuses_with_the_same_requirement_share_one_check_and_others_are_unaffected():
    plan = plan_of(
        EUR
        + "bonuses:\n"
        + "  - {name: a, kind: personal, rate: 10%, requires: {customers_at_least: 1}}\n"
        + "  - {name: b, kind: personal, rate: 20%, requires: {customers_at_least: 1}}\n"
        + "  - {name: c, kind: personal, rate: 1%}\n"
    )
    orders = [Order("O1", "A", cv=10000), Order("O2", "B", cv=10000)]
    members = [Member("A"), Member("B", "A")]
    inputs, result = compute(plan, members, [*orders, Order("K", "B", amount=1, customer="K")])
    assert [(line[0], line[1], line[8]) for line in line_tuples(plan, inputs, result)] == [
        ("a", "B", 1000),
        ("b", "B", 2000),
        ("c", "A", 100),
        ("c", "B", 100),
    ]
    checks = result.details.requirements
    assert checks["a"] is checks["b"]


# --- exact arithmetic --------------------------------------------------------------------------


def test_the_share_comparison_is_exact_for_volumes_whose_products_leave_64_bits():
    rng = np.random.default_rng(7)
    customer = rng.integers(-(2**40), 2**61, 2000, dtype=np.int64)
    own = rng.integers(-(2**40), 2**61, 2000, dtype=np.int64)
    customer[:3] = [2**61, 0, 617283900]  # exact ties: 617283900 = 12.345678% of 5·10^9
    own[:3] = [0, 0, 5_000_000_000 - 617283900]
    share = F(12_345_678, 100_000_000)
    got = share_at_least(customer, own, share).tolist()
    want = [
        (o + c) > 0 and F(int(c), int(o + c)) >= share
        for c, o in zip(customer.tolist(), own.tolist(), strict=True)
    ]
    assert got == want
    assert got[:3] == [True, False, True]
    assert 0 < sum(got) < len(got)


def test_a_requirement_uses_customer_pv_even_when_pv_excludes_customers():
    plan = plan_of(
        EUR
        + "volumes: {include_customers: false}\nbonuses:\n"
        + "  - {name: retail, kind: personal, volume: pv, rate: 10%, "
        + "requires: {customer_share_at_least: 70%}}\n"
    )
    orders = [Order("O1", "A", pv=3000), Order("K1", "A", pv=7000, customer="K1")]
    inputs, result = compute(plan, [Member("A")], orders)
    # the share is 70 of 100 = 70%; the bonus's own base is PV without customers: 30 → 3.00
    assert line_tuples(plan, inputs, result) == [
        ("retail", "A", "A", None, 0, 3000, F(1, 10), 300, 300)
    ]
