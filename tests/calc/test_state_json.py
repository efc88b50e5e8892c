"""``state.json`` rendered column by column holds exactly the state the entry-by-entry
document holds, in the layout the docs show (one distributor per line), and the compact form
stored with a final run is the standard library's compact text."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from downline.calc.state_file import state_document, state_from_json, state_json
from downline.engine.inputs import EngineState
from downline.engine.plan import load_plan

ROOT = Path(__file__).resolve().parents[2]
PLAN = load_plan(ROOT / "plans" / "kitchen-sink.yaml").plan
RANKS = len(PLAN.ranks)
BINARIES = [b.name for b in PLAN.bonuses if b.kind == "binary"]
ADVANCEMENTS = [b.name for b in PLAN.bonuses if b.kind == "rank_advancement"]

member_ids = st.lists(
    st.text(min_size=1, max_size=8).filter(lambda text: text.strip() == text),
    min_size=0,
    max_size=30,
    unique=True,
)


@st.composite
def states(draw) -> tuple[list[str], EngineState]:
    ids = draw(member_ids)
    n = len(ids)

    def column(low: int, high: int, dtype) -> np.ndarray:
        values = draw(st.lists(st.integers(low, high), min_size=n, max_size=n))
        return np.array(values, dtype=dtype)

    state = EngineState.fresh(n)
    state.highest_rank = column(0, RANKS - 1, np.int16)
    state.paid_as_rank = column(0, RANKS - 1, np.int16)
    state.grace_used = column(0, 3, np.int16)
    state.carry = {name: (column(0, 10**9, np.int64), column(0, 5, np.int64)) for name in BINARIES}
    state.awarded = {name: column(-1, RANKS - 1, np.int16) for name in ADVANCEMENTS}
    return ids, state


@settings(max_examples=60, deadline=None)
@given(states())
def test_state_json_is_the_document(drawn):
    ids, state = drawn
    document = state_document(state, PLAN, ids, period="2026-10", plan_digest="abc")
    compact = state_json(state, PLAN, ids, period="2026-10", plan_digest="abc", compact=True)
    assert compact.decode() == json.dumps(document, separators=(",", ":"), ensure_ascii=False)
    text = state_json(state, PLAN, ids, period="2026-10", plan_digest="abc").decode()
    assert json.loads(text) == document
    lines = text.split("\n")
    assert lines[:4] == ["{", '  "format": 1,', '  "period": "2026-10",', '  "plan": "abc",']
    entries = document["distributors"]
    if entries:
        assert lines[4] == '  "distributors": {'
        expected = [
            f"    {json.dumps(key, ensure_ascii=False)}: {json.dumps(entry, ensure_ascii=False)}"
            for key, entry in entries.items()
        ]
        assert lines[5:-2] == [line + "," for line in expected[:-1]] + expected[-1:]
        assert lines[-2:] == ["  }", "}"]
    else:
        assert lines[4:] == ['  "distributors": {}', "}"]


def test_state_json_reads_back_as_the_same_state():
    ids = ["A", 'B"q', "Ölund", "D"]
    state = EngineState.fresh(4)
    state.highest_rank = np.array([0, 2, 1, 0], dtype=np.int16)
    state.paid_as_rank = np.array([0, 1, 1, 0], dtype=np.int16)
    state.carry = {
        name: (np.array([0, 12050, 0, 7], dtype=np.int64), np.zeros(4, dtype=np.int64))
        for name in BINARIES
    }
    state.awarded = {name: np.array([-1, 2, -1, -1], dtype=np.int16) for name in ADVANCEMENTS}
    text = state_json(state, PLAN, ids, period="2026-10", plan_digest="abc")
    again = state_from_json(json.loads(text), PLAN, ids)
    assert again.highest_rank.tolist() == [0, 2, 1, 0]
    assert again.paid_as_rank.tolist() == [0, 1, 1, 0]
    for name in BINARIES:
        assert again.carry[name][0].tolist() == [0, 12050, 0, 7]
    for name in ADVANCEMENTS:
        assert again.awarded[name].tolist() == [-1, 2, -1, -1]
