"""Traces stored as numbers render to exactly the traces the engine wrote before (the frozen
copy in ``legacy_explain``), on random plans and networks, on every sample plan and in every
language; the table is built without a loop over distributors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings

from downline.dataset.period import period_inputs
from downline.dataset.synth import SynthOptions, synthesize
from downline.engine import Explainer, PlanInputError, compute_period
from downline.engine.plan import load_plan
from downline.engine.trace_data import TraceLayout, TraceRenderer, Words, trace_data
from downline.i18n import gettext, ngettext, use_language

from . import legacy_explain
from .strategies import Scenario, scenarios
from .test_explain import case

PLANS = sorted((Path(__file__).resolve().parents[2] / "plans").glob("*.yaml"))
# the frozen legacy explainer predates certificate requirements (their traces are tested in
# test_certificate_requirement.py)
LEGACY_PLANS = [path for path in PLANS if not load_plan(path).plan.certificate_keys()]


def legacy(plan, inputs, result) -> list[dict]:
    explainer = legacy_explain.Explainer(plan, inputs, result)
    return [explainer.explain(d) for d in range(inputs.n)]


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenarios())
def test_numbers_render_to_the_sentences_of_before(scenario: Scenario):
    try:
        result = compute_period(scenario.plan, scenario.inputs, scenario.state)
    except PlanInputError:
        assume(False)  # inputs the plan rejects (tested in test_properties) have no trace
    assert list(Explainer(scenario.plan, scenario.inputs, result).all()) == legacy(
        scenario.plan, scenario.inputs, result
    )


@pytest.mark.parametrize("path", LEGACY_PLANS, ids=lambda p: p.stem)
@pytest.mark.parametrize("language", ["en", "ru", "pl", "de"])
def test_every_sample_plan_renders_as_before_in_every_language(path, language):
    plan = load_plan(path).plan
    network, orders = synthesize(SynthOptions(distributors=400, seed=11))
    currency = plan.currency if isinstance(plan.currency, str) else None
    inputs = period_inputs(
        network, orders, period="2026-10", time_zone="UTC", plan_currency=currency
    )
    result = compute_period(plan, inputs)
    with use_language(language):
        expected = legacy(plan, inputs, result)
        assert list(Explainer(plan, inputs, result).all()) == expected
    if language != "en":  # the sentences really are in another language
        assert list(Explainer(plan, inputs, result).all()) != expected or not any(
            trace["messages"] or (trace["next_rank"] or {}).get("missing") for trace in expected
        )


def test_the_reader_language_is_chosen_when_rendering_not_when_storing():
    plan, inputs, result = case()
    data = trace_data(plan, inputs, result)  # numbers only: no language yet
    layout = TraceLayout.from_json(data.layout.to_json())  # as a reader finds it stored
    rows = list(data.rows())
    with use_language("en"):
        english = TraceRenderer(plan, layout).render(rows[0])
    with use_language("ru"):
        russian = TraceRenderer(plan, layout).render(rows[0])
    assert english["activity"]["missing"] == ["PV 40 of 50"]
    assert russian["activity"]["missing"] != english["activity"]["missing"]
    assert russian["activity"]["missing"][0].startswith("PV 40")
    assert russian["next_rank"]["missing"][0] != english["next_rank"]["missing"][0]
    # the same figures either way
    assert russian["ranks"] == english["ranks"]
    # a caller's own translation functions are the ones used
    marked = Words(lambda text: "» " + gettext(text), ngettext)
    assert TraceRenderer(plan, layout, marked).render(rows[0])["activity"]["missing"] == [
        "» PV 40 of 50"
    ]


def test_the_table_holds_numbers_and_legs_only_where_a_sentence_names_them():
    plan, inputs, result = case()
    data = trace_data(plan, inputs, result)
    for name, column in data.columns.items():
        assert column.dtype.kind in "biu", name  # numbers, no text
        assert len(column) == inputs.n
    assert data.columns["rank/Silver/qualifying_volume/actual"].tolist()[0] == 193000
    # A misses Silver's counted volume: its legs B, C and S, with their group volume
    legs_of_a = data.legs_row[data.legs_offsets[0] : data.legs_offsets[1]]
    assert [inputs.ids[row] for row in legs_of_a] == ["B", "C", "S"]
    assert data.legs_gv[: len(legs_of_a)].tolist() == result.gv[legs_of_a].tolist()
    # one leg row per child of each member whose sentence names legs (E and S have none)
    assert np.diff(data.legs_offsets).tolist() == [3, 1, 0, 1, 0, 0]


def test_a_layout_of_another_format_is_refused():
    plan, inputs, result = case()
    text = trace_data(plan, inputs, result).layout.to_json().replace('"format":1', '"format":99')
    with pytest.raises(ValueError, match="trace format 99"):
        TraceLayout.from_json(text)
