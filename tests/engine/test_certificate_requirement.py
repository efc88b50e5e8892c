"""Training the plan can require: ``requires: {certificate: …}`` on a rank and on a bonus.

Hand-computed cases (amounts in cents, volumes in hundredths): the engine and the oracle agree;
a distributor without the certificate loses exactly that rank or that bonus; the trace says why.
"""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest

from downline.engine import Explainer, compute_period
from downline.engine.plan import PlanError, load_plan_text

from . import oracle
from .cases import Member, Order, build_inputs, line_tuples, plan_of
from .test_properties import assert_engine_matches_oracle

PLAN = """name: certified
currency: EUR
ranks:
  - name: Member
  - name: Silver
    pv: 100
    requires: {certificate: compliance-basics}
bonuses:
  - name: retail
    title: Retail
    kind: personal
    volume: cv
    rate: 10%
  - name: uni
    title: Unilevel
    kind: unilevel
    per: distributor
    levels: [10%, 5%]
    requires: {certificate: compliance-basics}
"""

# A ← B ← C (enrollment); each buys PV 100 / CV 100 (own orders). A and C hold the
# compliance-basics certificate, B does not.
CHAIN = [Member("A"), Member("B", "A"), Member("C", "B")]
ORDERS = [
    Order("OA", "A", pv=10000, cv=10000),
    Order("OB", "B", pv=10000, cv=10000),
    Order("OC", "C", pv=10000, cv=10000),
]


def inputs_with(holders: dict[str, list[bool]]):
    inputs = build_inputs(CHAIN, ORDERS)
    inputs.certificates = {key: np.array(held, dtype=bool) for key, held in holders.items()}
    return inputs


def test_the_plan_reads_one_certificate_or_a_list():
    plan = plan_of(
        PLAN.replace("{certificate: compliance-basics}\n", "{certificate: [a, b-2]}\n", 1)
    )
    assert plan.ranks[1].requires.certificate == ("a", "b-2")
    assert plan.bonuses[1].requires.certificate == ("compliance-basics",)
    assert plan.certificate_keys() == ("a", "b-2", "compliance-basics")


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("{certificate: []}", "name at least one certificate"),
        ("{certificate: [a, a]}", "a certificate is listed twice"),
        ("{certificate: Compliance Basics}", "a certificate key uses lowercase letters"),
        ("{}", "this field is required"),
        ("{certificate: a, pv: 3}", "unknown field"),
    ],
)
def test_a_wrong_rank_requirement_is_reported_with_its_line(written, message):
    text = PLAN.replace("{certificate: compliance-basics}\n", f"{written}\n", 1)
    with pytest.raises(PlanError) as caught:
        load_plan_text(text, source="plan.yaml")
    assert "plan.yaml:7: ranks[1].requires" in str(caught.value)
    assert message in str(caught.value)


def test_the_first_rank_cannot_require_a_certificate():
    text = PLAN.replace("  - name: Member\n", "  - name: Member\n    requires: {certificate: a}\n")
    with pytest.raises(PlanError, match="the first rank is everyone's starting rank"):
        load_plan_text(text)


def test_without_the_certificate_a_distributor_loses_exactly_the_bonus_and_the_rank():
    plan = plan_of(PLAN)
    everyone = inputs_with({"compliance-basics": [True, True, True]})
    all_held = compute_period(plan, everyone)
    # everyone certified: retail 10% of CV 100 = 10.00 each; C's CV pays B 10.00 (level 1) and
    # A 5.00 (level 2); B's CV pays A 10.00; everyone is Silver (PV 100)
    assert line_tuples(plan, everyone, all_held) == [
        ("retail", "A", "A", None, 0, 10000, F(1, 10), 1000, 1000),
        ("retail", "B", "B", None, 0, 10000, F(1, 10), 1000, 1000),
        ("retail", "C", "C", None, 0, 10000, F(1, 10), 1000, 1000),
        ("uni", "A", "B", None, 1, 10000, F(1, 10), 1000, 1000),
        ("uni", "A", "C", None, 2, 10000, F(1, 20), 500, 500),
        ("uni", "B", "C", None, 1, 10000, F(1, 10), 1000, 1000),
    ]
    assert all_held.paid_as_rank.tolist() == [1, 1, 1]

    inputs = inputs_with({"compliance-basics": [True, False, True]})
    result = compute_period(plan, inputs)
    # B lacks the certificate: B's Unilevel line from C (10.00) is not paid to anyone (B keeps
    # level 1, A stays level 2), B stays Member; B's retail bonus is untouched
    assert line_tuples(plan, inputs, result) == [
        ("retail", "A", "A", None, 0, 10000, F(1, 10), 1000, 1000),
        ("retail", "B", "B", None, 0, 10000, F(1, 10), 1000, 1000),
        ("retail", "C", "C", None, 0, 10000, F(1, 10), 1000, 1000),
        ("uni", "A", "B", None, 1, 10000, F(1, 10), 1000, 1000),
        ("uni", "A", "C", None, 2, 10000, F(1, 20), 500, 500),
    ]
    assert result.earned.tolist() == [2500, 1000, 1000]
    assert result.qualified_rank.tolist() == [1, 0, 1]
    assert result.details.requirements["uni"].met.tolist() == [True, False, True]
    assert_engine_matches_oracle(plan, inputs, None)
    assert_engine_matches_oracle(plan, everyone, None)


def test_a_certificate_nobody_was_given_is_held_by_nobody():
    plan = plan_of(PLAN)
    inputs = inputs_with({})
    result = compute_period(plan, inputs)
    assert [row[0] for row in line_tuples(plan, inputs, result)] == ["retail"] * 3
    assert result.paid_as_rank.tolist() == [0, 0, 0]
    want = oracle.compute_period(plan, inputs, None)
    assert want.paid_as_rank.tolist() == [0, 0, 0]
    assert_engine_matches_oracle(plan, inputs, None)


def test_a_list_of_certificates_needs_every_one():
    plan = plan_of(
        PLAN.replace(
            "    requires: {certificate: compliance-basics}\n",
            "    requires: {certificate: [compliance-basics, product-basics]}\n",
        )
    )
    inputs = inputs_with(
        {"compliance-basics": [True, True, False], "product-basics": [True, False, True]}
    )
    result = compute_period(plan, inputs)
    # only A holds both: A is Silver and paid Unilevel; B and C are not
    assert result.qualified_rank.tolist() == [1, 0, 0]
    assert [row[:2] for row in line_tuples(plan, inputs, result) if row[0] == "uni"] == [
        ("uni", "A"),
        ("uni", "A"),
    ]
    trace = Explainer(plan, inputs, result).explain(2)
    assert trace["requirements"]["uni"]["conditions"] == [
        {
            "name": "certificate",
            "required": "compliance-basics",
            "actual": "",
            "pass": False,
        },
        {
            "name": "certificate",
            "required": "product-basics",
            "actual": "product-basics",
            "pass": True,
        },
    ]
    assert_engine_matches_oracle(plan, inputs, None)


def test_a_certificate_joins_other_requirements():
    plan = plan_of(
        PLAN.replace(
            "    levels: [10%, 5%]\n    requires: {certificate: compliance-basics}\n",
            "    levels: [10%, 5%]\n"
            "    requires: {certificate: compliance-basics, customers_at_least: 1}\n",
        )
    )
    inputs = inputs_with({"compliance-basics": [True, True, True]})
    result = compute_period(plan, inputs)
    # nobody has a buying retail customer: no Unilevel line at all
    assert {row[0] for row in line_tuples(plan, inputs, result)} == {"retail"}
    message = Explainer(plan, inputs, result).explain(1)["messages"][0]
    assert message.startswith("0 of the 1 buying retail customers: not paid Unilevel")
    assert_engine_matches_oracle(plan, inputs, None)


def test_the_trace_says_which_certificate_is_missing_and_what_it_cost():
    plan = plan_of(PLAN)
    inputs = inputs_with({"compliance-basics": [True, False, True]})
    result = compute_period(plan, inputs)
    explainer = Explainer(plan, inputs, result)
    b = explainer.explain(1)
    assert b["messages"] == [
        "compliance-basics certificate missing: not paid Unilevel, "
        "so 1 Unilevel line was not paid to you"
    ]
    assert b["requirements"] == {
        "uni": {
            "met": False,
            "conditions": [
                {
                    "name": "certificate",
                    "required": "compliance-basics",
                    "actual": "",
                    "pass": False,
                }
            ],
        }
    }
    assert b["rank"]["qualified"] == "Member"
    assert b["next_rank"] == {
        "name": "Silver",
        "missing": ["compliance-basics certificate missing for Silver"],
    }
    assert b["ranks"] == [
        {
            "name": "Silver",
            "holds": False,
            "qualified": False,
            "conditions": [
                {"name": "pv", "required": "100.00", "actual": "100.00", "pass": True},
                {
                    "name": "certificate",
                    "required": "compliance-basics",
                    "actual": "",
                    "pass": False,
                },
            ],
        }
    ]
    a = explainer.explain(0)
    assert a["messages"] == []
    assert a["ranks"][0]["conditions"][1] == {
        "name": "certificate",
        "required": "compliance-basics",
        "actual": "compliance-basics",
        "pass": True,
    }
    assert a["requirements"]["uni"]["met"] is True


def test_the_trace_is_rendered_in_the_readers_language():
    from downline.i18n import use_language

    plan = plan_of(PLAN)
    inputs = inputs_with({"compliance-basics": [True, False, True]})
    result = compute_period(plan, inputs)
    with use_language("de"):
        messages = Explainer(plan, inputs, result).explain(1)["messages"]
    # the certificate key and the bonus title are data; the sentence comes from the catalogue
    assert "compliance-basics" in messages[0]
    assert "Unilevel" in messages[0]


def test_holders_of_the_wrong_length_are_refused():
    plan = plan_of(PLAN)
    inputs = inputs_with({"compliance-basics": [True, False]})
    with pytest.raises(ValueError, match="2 values for 3 distributors"):
        compute_period(plan, inputs)
