"""Traces made in forked worker processes equal traces made in-process, and a process with
other threads never forks."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path

import pytest

from downline.compensation import traces
from downline.compensation.traces import TraceJob, decode
from downline.dataset.period import period_inputs
from downline.dataset.synth import SynthOptions, synthesize
from downline.engine import compute_period
from downline.engine.plan import load_plan

KITCHEN_SINK = Path(__file__).resolve().parents[2] / "plans" / "kitchen-sink.yaml"


@pytest.fixture(scope="module")
def computed():
    plan = load_plan(KITCHEN_SINK).plan
    network, orders = synthesize(SynthOptions(distributors=300, seed=7))
    inputs = period_inputs(network, orders, period="2026-10", time_zone="UTC", plan_currency="EUR")
    return plan, inputs, compute_period(plan, inputs)


def blobs(packed) -> list[dict]:
    offsets = packed.offsets.tolist()
    raw = packed.data.tobytes()
    return [decode(raw[a:b]) for a, b in itertools.pairwise(offsets)]


def test_forked_traces_equal_in_process_traces(computed, monkeypatch):
    plan, inputs, result = computed
    in_process = TraceJob(plan, inputs, result)
    assert in_process._pool is None  # 300 distributors: below the parallel threshold
    expected = blobs(in_process.result())
    monkeypatch.setattr(traces, "PARALLEL_FROM", 0)
    monkeypatch.setattr(traces.os, "cpu_count", lambda: 2)
    # threads other tests left behind in this process must not keep this one from forking
    monkeypatch.setattr(traces, "_other_threads", lambda: False)
    forked = TraceJob(plan, inputs, result)
    assert forked._pool is not None
    assert blobs(forked.result()) == expected
    assert [trace["id"] for trace in expected] == list(inputs.ids)


def test_a_process_with_other_threads_makes_traces_in_process(computed, monkeypatch):
    plan, inputs, result = computed
    monkeypatch.setattr(traces, "PARALLEL_FROM", 0)
    monkeypatch.setattr(traces.os, "cpu_count", lambda: 2)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, name="scheduler")
    other.start()
    try:
        job = TraceJob(plan, inputs, result)
        assert job._pool is None
        assert len(blobs(job.result())) == inputs.n
    finally:
        stop.set()
        other.join()
