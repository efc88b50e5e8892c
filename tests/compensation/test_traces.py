"""Stored traces: runs store numbers (Arrow chunks per range of distributors), and reading one
renders the same trace the engine wrote before traces were numbers, in the reader's language;
results stored in the old JSON format still read."""

from __future__ import annotations

import importlib.util
import itertools
import json
import math
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from django.utils import translation

from downline.compensation import traces
from downline.compensation.models import Run, RunResult, RunTrace
from downline.compensation.plans import do_activate_plan_version, do_create_plan_version
from downline.compensation.runs import compute, do_run_final, do_run_preview, do_run_projection
from downline.compensation.selectors import trace_of
from downline.dataset.csv_io import write_network, write_orders
from downline.dataset.synth import SynthOptions, synthesize
from downline.exchange.importing import company_shape, import_files
from downline.i18n import use_language
from downline.periods.actions import do_ensure_period

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location(
    "legacy_explain", ROOT / "tests" / "engine" / "legacy_explain.py"
)
legacy_explain = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(legacy_explain)

MONTH = "2026-10"
DURING = datetime(2026, 10, 20, 12, tzinfo=UTC)
AFTER = datetime(2026, 11, 3, 12, tzinfo=UTC)


@pytest.fixture
def company(db, tmp_path):
    """300 synthetic distributors with a month of orders, under the kitchen-sink plan."""
    network, orders = synthesize(
        SynthOptions(
            distributors=300,
            seed=7,
            shape="random",
            placement=company_shape(),
            last_month=MONTH,
            months=1,
        )
    )
    write_network(network, tmp_path / "distributors.csv", shape=company_shape())
    write_orders(orders, network, tmp_path / "orders.csv")
    import_files(tmp_path / "distributors.csv", tmp_path / "orders.csv")
    text = (ROOT / "plans" / "kitchen-sink.yaml").read_text(encoding="utf-8")
    do_activate_plan_version(do_create_plan_version(text, note="tests"), do_ensure_period(MONTH))
    return do_ensure_period(MONTH)


def legacy_traces(period, language: str) -> dict[int, dict]:
    """Every distributor's trace as the engine wrote it before, by database id."""
    comp = compute(period)
    explainer = legacy_explain.Explainer(comp.loaded.plan, comp.stored.inputs, comp.result)
    with use_language(language):
        return {
            int(member): explainer.explain(d) for d, member in enumerate(comp.member_ids.tolist())
        }


def stored_traces(run: Run, language: str) -> dict[int, dict]:
    with translation.override(language):
        return {
            result.distributor_id: trace_of(result)
            for result in RunResult.objects.filter(run=run).select_related("run__plan_version")
        }


def test_a_projection_stores_numbers_that_read_as_the_traces_of_before(company):
    with time_machine.travel(DURING, tick=False):
        run = do_run_projection(company)
        expected = legacy_traces(company, "en")
    assert RunResult.objects.filter(run=run, trace__isnull=False).count() == 0  # no JSON
    assert RunTrace.objects.filter(run=run).count() == 1
    assert stored_traces(run, "en") == expected
    assert any(trace["next_rank"] and trace["next_rank"]["missing"] for trace in expected.values())


def test_a_reader_sees_the_sentences_in_their_language(company, django_user_model):
    admin = django_user_model.objects.create_user("admin", password="x", language="en")
    with time_machine.travel(DURING, tick=False), translation.override("en"):
        run = do_run_preview(company, actor=admin)  # started by an English-speaking admin
    with time_machine.travel(DURING, tick=False):
        russian = legacy_traces(company, "ru")
    assert stored_traces(run, "ru") == russian
    english = stored_traces(run, "en")
    member = next(m for m, trace in russian.items() if trace["messages"])
    assert russian[member]["messages"] != english[member]["messages"]


def test_chunks_cover_every_distributor_by_id_range(company, monkeypatch):
    monkeypatch.setattr(traces, "CHUNK_ROWS", 64)
    with time_machine.travel(AFTER, tick=False):
        expected = legacy_traces(company, "en")
        run = do_run_final(company)
    chunks = list(RunTrace.objects.filter(run=run).order_by("first_distributor"))
    assert len(chunks) == math.ceil(len(expected) / 64)
    assert sum(chunk.rows for chunk in chunks) == len(expected)
    assert all(a.last_distributor < b.first_distributor for a, b in itertools.pairwise(chunks))
    assert stored_traces(run, "en") == expected


def test_a_result_stored_as_json_before_still_reads(company):
    with time_machine.travel(DURING, tick=False):
        run = do_run_projection(company)
    result = RunResult.objects.filter(run=run).first()
    old = {"id": "OLD", "messages": ["not active"], "ranks": []}
    RunResult.objects.filter(pk=result.pk).update(trace=zlib.compress(json.dumps(old).encode(), 1))
    result.refresh_from_db()
    with translation.override("ru"):
        assert trace_of(result) == old  # as stored: its words were written then


def test_a_result_without_a_stored_trace_reads_as_empty(company):
    with time_machine.travel(DURING, tick=False):
        run = do_run_projection(company)
    result = RunResult.objects.filter(run=run).first()
    RunTrace.objects.filter(run=run).delete()
    traces._decoded.clear()
    assert trace_of(result) == {}
