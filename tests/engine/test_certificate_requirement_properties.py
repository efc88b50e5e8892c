"""Property tests of ``requires: {certificate: …}``: drawn plans get certificate requirements on
random ranks and bonuses, drawn networks get random certificate holders; the engine computes
exactly what the plain-Python oracle does, and nobody without a required certificate reaches
that rank or is paid that bonus."""

from __future__ import annotations

import copy

import numpy as np
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from downline.engine import Explainer, compute_period
from downline.engine.plan import load_plan_text

from .strategies import Scenario, scenarios
from .test_properties import PROPERTY, assert_engine_matches_oracle

KEYS = ("compliance-basics", "product-basics")


@st.composite
def certified_scenarios(draw) -> Scenario:
    """A drawn scenario whose plan requires certificates on some ranks and bonuses, and whose
    distributors hold them at random (a key may be given to nobody)."""
    scenario = draw(scenarios(max_size=25))
    data = yaml.safe_load(scenario.plan_text)
    for rank in data["ranks"][1:]:
        if draw(st.integers(0, 2)) == 0:
            keys = draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=2, unique=True))
            rank["requires"] = {"certificate": keys[0] if len(keys) == 1 else keys}
    for bonus in data["bonuses"]:
        if draw(st.integers(0, 1)) == 0:
            keys = draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=2, unique=True))
            bonus.setdefault("requires", {})["certificate"] = keys
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    plan = load_plan_text(text, source="drawn.yaml").plan
    inputs = copy.copy(scenario.inputs)
    n = inputs.n
    inputs.certificates = {}
    for key in KEYS:
        kind = draw(st.sampled_from(["nobody", "everyone", "random", "random"]))
        if kind == "everyone":
            inputs.certificates[key] = np.ones(n, dtype=bool)
        elif kind == "random":
            held = draw(st.lists(st.booleans(), min_size=n, max_size=n))
            inputs.certificates[key] = np.array(held, dtype=bool)
    return Scenario(plan, text, inputs, scenario.state)


@settings(PROPERTY, max_examples=120)
@given(certified_scenarios())
def test_engine_equals_oracle_with_certificates(scenario: Scenario):
    assert_engine_matches_oracle(scenario.plan, scenario.inputs, scenario.state)


@settings(PROPERTY, max_examples=60)
@given(certified_scenarios())
def test_nobody_without_the_certificate_reaches_the_rank_or_earns_the_bonus(scenario: Scenario):
    plan, inputs = scenario.plan, scenario.inputs
    try:
        result = compute_period(plan, inputs, copy.deepcopy(scenario.state))
    except ValueError:
        return  # rejected inputs (another currency with amount): covered by the oracle test
    for r, rank in enumerate(plan.ranks):
        if rank.requires is None:
            continue
        for key in rank.requires.certificate:
            # qualified at r: every condition of r holds (a higher rank without the
            # requirement may still be reached, so only rank r itself is checked)
            exactly = result.qualified_rank == r
            assert not np.any(exactly & ~inputs.holders(key)), (rank.name, key)
    recipients = np.asarray(result.lines.recipient, dtype=np.int64)
    bonus_of = np.asarray(result.lines.bonus, dtype=np.int64)
    paid = np.asarray(result.lines.amount, dtype=np.int64) != 0
    for b, bonus in enumerate(plan.bonuses):
        if bonus.requires is None or not bonus.requires.certificate:
            continue
        for key in bonus.requires.certificate:
            got = recipients[(bonus_of == b) & paid]
            assert inputs.holders(key)[got].all(), (bonus.name, key)
    # every trace renders, and names the missing certificate where a bonus was withheld
    explainer = Explainer(plan, inputs, result)
    for trace in explainer.all():
        for name, requirement in trace.get("requirements", {}).items():
            for condition in requirement["conditions"]:
                if condition["name"] == "certificate" and not condition["pass"]:
                    assert requirement["met"] is False, name
