"""``downline calc`` writes the traces as numbers (``trace.parquet``) and in words only with
``--trace-text`` (``trace.jsonl``, exactly the text it wrote before, in ``--language``)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from downline.calc.cli import calc_main
from downline.calc.run import calculate, placement_shape
from downline.calc.trace_file import layout_of, rows_of
from downline.dataset.csv_io import write_network, write_orders
from downline.dataset.synth import SynthOptions, synthesize
from downline.engine.plan import load_plan
from downline.engine.trace_data import TraceRenderer
from downline.i18n import use_language

from . import legacy_explain

PLAN = Path(__file__).resolve().parents[2] / "plans" / "kitchen-sink.yaml"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("calc-traces")
    shape = placement_shape(load_plan(PLAN).plan)
    network, orders = synthesize(
        SynthOptions(distributors=400, seed=5, placement=shape, last_month="2026-10", months=1)
    )
    write_network(network, folder / "distributors.csv", shape=shape)
    write_orders(orders, network, folder / "orders.csv")
    return {"distributors": folder / "distributors.csv", "orders": folder / "orders.csv"}


def calc(inputs: dict[str, Path], out: Path, *extra: str) -> int:
    return calc_main(
        [
            "--plan",
            str(PLAN),
            "--distributors",
            str(inputs["distributors"]),
            "--orders",
            str(inputs["orders"]),
            "--period",
            "2026-10",
            "--out",
            str(out),
            *extra,
        ]
    )


def legacy_text(inputs: dict[str, Path], language: str) -> str:
    """``trace.jsonl`` as calc wrote it before traces were numbers."""
    run = calculate(
        plan_path=PLAN,
        distributors_path=inputs["distributors"],
        orders_path=inputs["orders"],
        period="2026-10",
    )
    explainer = legacy_explain.Explainer(run.loaded.plan, run.inputs, run.result)
    with use_language(language):
        return "".join(
            json.dumps(explainer.explain(d), ensure_ascii=False, separators=(",", ":")) + "\n"
            for d in range(run.inputs.n)
        )


def test_by_default_the_traces_are_numbers_only(inputs, tmp_path):
    assert calc(inputs, tmp_path) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert "trace.parquet" in names
    assert "trace.jsonl" not in names
    table = pq.read_table(tmp_path / "trace.parquet")
    assert table.num_rows == 400
    rows = inputs["distributors"].read_text().splitlines()[1:]
    ids = [row.split(",")[0] for row in rows if row.startswith("D")]  # C…: retail customers
    assert table.column("id").to_pylist() == ids
    assert {"pv", "gv", "paid_as_rank", "earned"} <= set(table.column_names)
    assert str(table.schema.field("pv").type) == "int64"


@pytest.mark.parametrize("language", ["en", "ru"])
def test_trace_text_is_the_text_of_before(inputs, tmp_path, language):
    assert calc(inputs, tmp_path, "--trace-text", "--language", language) == 0
    assert (tmp_path / "trace.jsonl").read_text(encoding="utf-8") == legacy_text(inputs, language)


def test_the_parquet_file_renders_to_the_same_traces(inputs, tmp_path):
    assert calc(inputs, tmp_path, "--trace-text") == 0
    table = pq.read_table(tmp_path / "trace.parquet")
    renderer = TraceRenderer(load_plan(PLAN).plan, layout_of(table))
    with use_language("en"):
        rendered = [renderer.render(row) for row in rows_of(table)]
    written = [json.loads(line) for line in (tmp_path / "trace.jsonl").read_text().splitlines()]
    assert rendered == written
