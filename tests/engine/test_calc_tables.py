"""``downline calc`` writes its tables column by column: the CSV text is exactly the row-by-row
reference, and ``--format parquet`` holds the same content as typed columns."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from downline.calc.cli import calc_main
from downline.calc.outputs import (
    DISTRIBUTOR_COLUMNS,
    LINE_COLUMNS,
    LineText,
    distributor_rows,
    json_text,
)
from downline.calc.run import calculate
from downline.core.csv_safety import escape_formula
from downline.dataset.csv_io import write_network, write_orders
from downline.dataset.synth import SynthOptions, synthesize
from downline.dataset.tables import PlacementShape

ROOT = Path(__file__).resolve().parents[2]
KITCHEN_SINK = (ROOT / "plans" / "kitchen-sink.yaml").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def company(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("company")
    shape = PlacementShape("binary")
    network, orders = synthesize(SynthOptions(distributors=600, seed=3, last_month="2026-10"))
    write_network(network, folder / "distributors.csv", shape=shape)
    write_orders(orders, network, folder / "orders.csv")
    return {"distributors": folder / "distributors.csv", "orders": folder / "orders.csv"}


def plan_file(folder: Path, gold: str = "Gold") -> Path:
    """plans/kitchen-sink.yaml with its rank Gold renamed to ``gold``."""
    quoted = "'" + gold.replace("'", "''") + "'"
    text = KITCHEN_SINK
    for old in ("  - name: Gold\n", "Gold: 5}", "Gold: 500}", "{Gold: 1}"):
        assert old in text
        text = text.replace(old, old.replace("Gold", quoted))
    path = folder / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def run_calc(company: dict[str, Path], plan: Path, out: Path, *extra: str) -> None:
    arguments = ["--plan", str(plan), "--distributors", str(company["distributors"])]
    arguments += ["--orders", str(company["orders"]), "--period", "2026-10", "--out", str(out)]
    assert calc_main([*arguments, *extra]) == 0


def reference_text(company: dict[str, Path], plan: Path) -> tuple[str, str]:
    """lines.csv and distributors.csv as the row-by-row writer makes them."""
    run = calculate(
        plan_path=plan,
        distributors_path=company["distributors"],
        orders_path=company["orders"],
        period="2026-10",
    )
    plan_model, inputs, result = run.loaded.plan, run.inputs, run.result
    texts = []
    for header, rows in (
        (LINE_COLUMNS, LineText(plan_model, inputs, result).rows()),
        (DISTRIBUTOR_COLUMNS, distributor_rows(plan_model, inputs, result)),
    ):
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        texts.append(buffer.getvalue())
    return texts[0], texts[1]


@pytest.mark.parametrize(
    "gold",
    [
        "Gold",
        "=Gold",  # a formula: escaped in CSV
        'Gold, "Senior"',  # needs CSV quotes: written by the row-by-row writer
    ],
)
def test_csv_tables_are_exactly_the_row_by_row_text(company, tmp_path, gold):
    plan = plan_file(tmp_path, gold)
    run_calc(company, plan, tmp_path / "out")
    lines, distributors = reference_text(company, plan)
    assert lines.count("\n") > 1000
    assert (tmp_path / "out" / "lines.csv").read_text(encoding="utf-8") == lines
    assert (tmp_path / "out" / "distributors.csv").read_text(encoding="utf-8") == distributors
    assert f",{escape_formula(gold)}," in distributors or '"Gold, ""Senior"""' in distributors


def cell(value: object) -> str:
    """A Parquet value as the CSV writes it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


@pytest.mark.parametrize("gold", ["Gold", "=Gold"])
def test_parquet_tables_hold_the_csv_content(company, tmp_path, gold):
    plan = plan_file(tmp_path, gold)
    run_calc(company, plan, tmp_path / "csv")
    run_calc(company, plan, tmp_path / "parquet", "--format", "parquet")
    written = {path.name for path in (tmp_path / "parquet").iterdir()}
    assert {"lines.parquet", "distributors.parquet", "run.json", "state.json"} <= written
    assert not written & {"lines.csv", "distributors.csv"}
    for name, escaped in (("lines", ()), ("distributors", ("paid_as_rank", "highest_rank"))):
        table = pq.read_table(tmp_path / "parquet" / f"{name}.parquet")
        with (tmp_path / "csv" / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
            expected = list(csv.reader(handle))
        assert table.column_names == expected[0]
        rows = [
            [
                escape_formula(cell(value)) if column in escaped else cell(value)
                for column, value in row.items()
            ]
            for row in table.to_pylist()
        ]
        assert rows == expected[1:]
    lines = pq.read_table(tmp_path / "parquet" / "lines.parquet")
    assert str(lines.schema.field("amount").type) == "decimal128(18, 2)"
    assert str(lines.schema.field("level").type) == "int16"
    distributors = pq.read_table(tmp_path / "parquet" / "distributors.parquet")
    assert str(distributors.schema.field("active").type) == "bool"


def test_an_unknown_format_is_refused(company, tmp_path, capsys):
    plan = plan_file(tmp_path)
    arguments = ["--plan", str(plan), "--distributors", str(company["distributors"])]
    arguments += ["--orders", str(company["orders"]), "--period", "2026-10"]
    with pytest.raises(SystemExit) as exit_info:
        calc_main([*arguments, "--out", str(tmp_path / "out"), "--format", "xlsx"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'xlsx'" in capsys.readouterr().err


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text() | st.floats(allow_nan=False),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=300)
@given(document=JSON_VALUES)
def test_json_text_is_exactly_the_standard_library_indented_text(document):
    assert json_text(document) == json.dumps(document, indent=2, ensure_ascii=False)
