"""Traces: every condition with required and actual values, and what is missing in words."""

from __future__ import annotations

from downline.engine import Explainer
from downline.engine.explain import explain

from .cases import Member, Order, compute, plan_of

PLAN = """name: case
currency: EUR
activity: {pv_at_least: 50}
ranks:
  - name: Member
  - name: Silver
    pv: 100
    qualifying_volume: {at_least: 2000, max_per_leg: 1500}
bonuses:
  - name: uni
    title: Unilevel
    kind: unilevel
    levels: [10%, 5%]
    compression: true
    depth_by_rank: {Member: 1, Silver: 2}
"""


def case():
    plan = plan_of(PLAN)
    members = [
        Member("A"),
        Member("B", "A"),
        Member("C", "A"),
        Member("D", "B"),
        Member("E", "D"),
        Member("S", "A", status="suspended"),
    ]
    orders = [
        Order("OA", "A", pv=4000),  # 40 PV: not active
        Order("OB", "B", pv=40000),
        Order("OC", "C", pv=140000),
        Order("OD", "D", pv=3000),  # D is not active either
        Order("OE", "E", pv=6000, cv=10000),
    ]
    inputs, result = compute(plan, members, orders)
    return plan, inputs, result


def test_a_trace_lists_every_condition_with_required_actual_and_pass():
    plan, inputs, result = case()
    trace = explain(plan, inputs, result, 0)
    assert trace["id"] == "A"
    assert trace["volumes"]["pv"] == "40.00"
    assert trace["active"] is False
    assert trace["activity"] == {
        "conditions": [{"name": "pv", "required": "50.00", "actual": "40.00", "pass": False}],
        "missing": ["PV 40 of 50"],
    }
    assert trace["ranks"] == [
        {
            "name": "Silver",
            "holds": False,
            "qualified": False,
            "conditions": [
                {"name": "pv", "required": "100.00", "actual": "40.00", "pass": False},
                {
                    "name": "qualifying_volume",
                    "required": "2000.00",
                    "actual": "1930.00",
                    "pass": False,
                },
            ],
        }
    ]


def test_what_is_missing_for_the_next_rank_is_said_leg_by_leg():
    plan, inputs, result = case()
    missing = explain(plan, inputs, result, 0)["next_rank"]
    assert missing == {
        "name": "Silver",
        "missing": [
            "PV 40 of the 100 needed for Silver",
            "counted volume 1,930 of the 2,000 needed for Silver",
            "your own PV gives 40 of the 2,000 counted volume needed for Silver",
            "leg 1 (B) gives 490 of the 2,000 counted volume needed for Silver",
            "leg 2 (C) gives 1,400 of the 2,000 counted volume needed for Silver",
            "leg 3 (S) gives 0 of the 2,000 counted volume needed for Silver",
        ],
    }


def test_an_inactive_upline_is_told_how_many_lines_went_past_them():
    plan, inputs, result = case()
    explainer = Explainer(plan, inputs, result)
    # E's order: D (30 PV) is skipped, B is level 1; A (40 PV) is skipped too
    assert explainer.explain(3)["messages"] == [
        "PV 30 of 50: not active, so 1 Unilevel line went past you"
    ]
    # no line was paid above A, so nothing went past A
    assert explainer.explain(0)["messages"] == []


def test_lines_beyond_the_rank_depth_are_explained():
    plan = plan_of(PLAN)
    members = [Member("X"), Member("Y", "X"), Member("Z", "Y")]
    orders = [Order(f"O{m}", m, pv=6000, cv=10000) for m in "XYZ"]
    inputs, result = compute(plan, members, orders)
    trace = explain(plan, inputs, result, 0)  # X, a Member: paid one level
    assert trace["earned"] == {"uni": {"lines": 1, "amount": "10.00", "amount_before_cap": "10.00"}}
    assert trace["messages"] == [
        "your paid-as rank Member is paid Unilevel to depth 1, so 1 line from deeper levels was not paid to you"
    ]
    assert trace["rank"] == {
        "qualified": "Member",
        "paid_as": "Member",
        "highest": "Member",
        "grace_used": 0,
    }


def test_a_suspended_distributor_is_told_why_they_earn_nothing():
    plan, inputs, result = case()
    trace = explain(plan, inputs, result, 5)
    assert trace["eligible"] is False
    assert trace["messages"] == ["your account is suspended, so you hold no rank and earn nothing"]
