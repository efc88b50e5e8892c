"""``downline calc`` and ``downline plan`` end to end, on files in temporary folders."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import pytest

from downline.calc.cli import calc_main, plan_main
from downline.cli import main as downline_main

ROOT = Path(__file__).resolve().parents[2]
PLANS = sorted((ROOT / "plans").glob("*.yaml"))

PLAN = """name: Small binary
currency: EUR
network: {placement: binary}
activity: {pv_at_least: 50}
ranks:
  - name: Member
  - {name: Silver, pv: 100}
bonuses:
  - {name: uni, kind: unilevel, levels: [10%, 5%], compression: true}
  - {name: bin, kind: binary, rate: 10%, carry_cap: 1000}
  - {name: match, kind: matching, of: [bin], levels: [10%]}
  - {name: advancement, kind: rank_advancement, amounts: {Silver: 25}}
"""
DISTRIBUTORS = """id,sponsor_id,placement_id,placement_position,joined_on,status,kind
A,,,,2026-01-01,active,distributor
B,A,A,L,2026-01-01,active,distributor
C,A,A,R,2026-01-01,active,distributor
D,B,B,L,2026-01-01,active,distributor
K,B,,,2026-02-01,active,customer
"""
ORDERS = """id,distributor_id,paid_at,pv,cv,amount,currency,kind,returns_order_id
O1,A,2026-10-02T10:00:00Z,120,100,120.00,EUR,product,
O2,B,2026-10-03T10:00:00Z,60,400,60.00,EUR,product,
O3,C,2026-10-04T10:00:00Z,80,150,80.00,EUR,product,
O4,D,2026-10-05T10:00:00Z,20,250.55,20.00,EUR,product,
O5,K,2026-10-06T10:00:00Z,30,40,30.00,EUR,product,
O6,D,2026-09-30T23:30:00Z,50,50,50.00,EUR,product,
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return {
        "plan": write(tmp_path, "plan.yaml", PLAN),
        "distributors": write(tmp_path, "distributors.csv", DISTRIBUTORS),
        "orders": write(tmp_path, "orders.csv", ORDERS),
        "out": tmp_path / "out",
    }


def calc(files: dict[str, Path], *extra: str, out: Path | None = None) -> int:
    return calc_main(
        [
            "--plan",
            str(files["plan"]),
            "--distributors",
            str(files["distributors"]),
            "--orders",
            str(files["orders"]),
            "--period",
            "2026-10",
            "--out",
            str(out or files["out"]),
            *extra,
        ]
    )


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_calc_writes_every_output_and_the_totals_reconcile(files):
    assert calc(files, "--trace-text") == 0
    out = files["out"]
    assert sorted(p.name for p in out.iterdir()) == [
        "distributors.csv",
        "lines.csv",
        "run.json",
        "state.json",
        "trace.jsonl",
        "trace.parquet",
    ]
    header = (out / "lines.csv").read_text().splitlines()[0]
    assert (
        header
        == "recipient_id,bonus,source_id,source_order_id,level,base,rate,amount,currency,amount_before_cap"
    )
    lines = read_csv(out / "lines.csv")
    run = json.loads((out / "run.json").read_text())
    for name, totals in run["bonuses"].items():
        mine = [line for line in lines if line["bonus"] == name]
        assert totals["lines"] == len(mine)
        assert Decimal(totals["paid"]) == sum(
            (Decimal(line["amount"]) for line in mine), Decimal(0)
        )
    assert Decimal(run["paid"]) == sum((Decimal(line["amount"]) for line in lines), Decimal(0))
    # the late-September order (UTC) is outside October; the customer's order is B's
    assert run["totals"] == {"pv": "310.00", "cv": "940.55", "turnover": "310.00"}
    assert run["counts"]["orders"] == 5
    distributors = read_csv(out / "distributors.csv")
    assert list(distributors[0]) == [
        "id",
        "pv",
        "cv",
        "gv",
        "qualifying_volume",
        "active",
        "paid_as_rank",
        "highest_rank",
        "earned",
        "carry_left",
        "carry_right",
    ]
    earned = {row["id"]: Decimal(row["earned"]) for row in distributors}
    for member, total in earned.items():
        assert total == sum(
            (Decimal(line["amount"]) for line in lines if line["recipient_id"] == member),
            Decimal(0),
        )
    traces = [json.loads(line) for line in (out / "trace.jsonl").read_text().splitlines()]
    assert [trace["id"] for trace in traces] == ["A", "B", "C", "D"]
    assert traces[3]["active"] is False
    assert traces[3]["activity"]["missing"] == ["PV 20 of 50"]
    state = json.loads((out / "state.json").read_text())
    assert state["format"] == 1
    assert state["period"] == "2026-10"
    # A's left: B 400 + B's customer 40 + D 250.55; right: C 150
    assert state["distributors"]["A"]["carry"] == {"bin": ["540.55", "0.00"]}


def test_lines_show_bases_and_rates_as_written(files):
    assert calc(files) == 0
    lines = read_csv(files["out"] / "lines.csv")
    by_key = {
        (line["recipient_id"], line["bonus"], line["source_order_id"]): line for line in lines
    }
    # A's binary: left 690.55 (B, B's customer, D), right 150: 10% of 150.00
    assert by_key[("A", "bin", "")] == {
        "recipient_id": "A",
        "bonus": "bin",
        "source_id": "",
        "source_order_id": "",
        "level": "0",
        "base": "150.00",
        "rate": "10%",
        "amount": "15.00",
        "currency": "EUR",
        "amount_before_cap": "15.00",
    }
    # D's order pays its sponsor B 10% of 250.55 = 25.055 → 25.06
    assert by_key[("B", "uni", "O4")]["amount"] == "25.06"
    assert by_key[("A", "advancement", "")]["base"] == ""
    assert by_key[("A", "advancement", "")]["rate"] == ""


def test_the_state_carries_into_the_next_period(files, tmp_path):
    assert calc(files) == 0
    next_orders = write(
        tmp_path,
        "november.csv",
        "id,distributor_id,paid_at,pv,cv,amount,currency,kind,returns_order_id\n"
        "N1,A,2026-11-02T10:00:00Z,120,0,120.00,EUR,product,\n"
        "N2,C,2026-11-03T10:00:00Z,60,300,60.00,EUR,product,\n",
    )
    files = {**files, "orders": next_orders}
    second = tmp_path / "november"
    code = calc_main(
        [
            "--plan",
            str(files["plan"]),
            "--distributors",
            str(files["distributors"]),
            "--orders",
            str(next_orders),
            "--period",
            "2026-11",
            "--state-in",
            str(files["out"] / "state.json"),
            "--out",
            str(second),
        ]
    )
    assert code == 0
    lines = read_csv(second / "lines.csv")
    # A's 540.55 carried on the left meets C's 300 on the right: 10% of 300 = 30.00
    assert [(line["recipient_id"], line["bonus"], line["amount"]) for line in lines] == [
        ("A", "uni", "30.00"),
        ("A", "bin", "30.00"),
    ]
    state = json.loads((second / "state.json").read_text())
    assert state["distributors"]["A"]["carry"] == {"bin": ["240.55", "0.00"]}
    assert state["distributors"]["A"]["awarded"] == {"advancement": "Silver"}


def test_a_time_zone_moves_an_order_into_the_period(files):
    assert calc(files, "--time-zone", "Europe/Berlin") == 0
    run = json.loads((files["out"] / "run.json").read_text())
    assert run["counts"]["orders"] == 6  # 2026-09-30T23:30Z is 1 October in Berlin


def test_a_bad_row_is_reported_with_file_line_and_column_and_nothing_is_written(files, capsys):
    bad = ORDERS.replace("O3,C,2026-10-04T10:00:00Z,80,150", "O3,C,2026-10-04T10:00:00Z,80,1.505")
    write(files["orders"].parent, "orders.csv", bad)
    assert calc(files) == 2
    assert "orders.csv:4: cv: '1.505' is not a decimal number with at most 2 decimal places" in (
        capsys.readouterr().err
    )
    assert not files["out"].exists()


def test_a_bad_plan_is_reported_with_its_line_and_nothing_is_written(files, capsys):
    write(files["plan"].parent, "plan.yaml", PLAN.replace("levels: [10%, 5%]", "levels: [10%, 5]"))
    assert calc(files) == 2
    assert 'plan.yaml:9: bonuses[0].levels[1]: write rates with a percent sign ("5%")' in (
        capsys.readouterr().err
    )
    assert not files["out"].exists()


def test_a_bad_state_file_is_reported(files, tmp_path, capsys):
    state = write(
        tmp_path,
        "state.json",
        json.dumps({"format": 1, "distributors": {"A": {"paid_as_rank": "Gold"}, "Z": {}}}),
    )
    assert calc(files, "--state-in", str(state)) == 2
    err = capsys.readouterr().err
    assert (
        "state.json: distributors.A.paid_as_rank: unknown rank 'Gold'; the ranks are Member, Silver"
        in err
    )
    assert "state.json: distributors.Z: unknown distributor Z" in err
    assert not files["out"].exists()


def test_a_plan_using_amount_names_the_order_in_another_currency(files, capsys):
    write(
        files["plan"].parent,
        "plan.yaml",
        "name: Retail\ncurrency: EUR\nnetwork: {placement: binary}\n"
        "bonuses:\n  - {name: retail, kind: personal, volume: amount, rate: 10%}\n",
    )
    write(files["orders"].parent, "orders.csv", ORDERS.replace("60.00,EUR", "60.00,USD"))
    assert calc(files) == 2
    assert capsys.readouterr().err.startswith(
        "orders.csv:3: currency: order O2 is in USD, not in the plan's currency EUR"
    )
    assert not files["out"].exists()


def test_the_command_line_routes_calc(files):
    code = downline_main(
        [
            "calc",
            "--plan",
            str(files["plan"]),
            "--distributors",
            str(files["distributors"]),
            "--orders",
            str(files["orders"]),
            "--period",
            "2026-10",
            "--out",
            str(files["out"]),
        ]
    )
    assert code == 0
    assert (files["out"] / "lines.csv").exists()


# --- downline plan ----------------------------------------------------------------------------

JSON_TYPES = {"object", "array", "string", "number", "integer", "boolean", "null"}


def check_schema(node, root, path="#") -> list[str]:
    """Problems with a JSON Schema: unknown types and references that do not resolve."""
    problems = []
    if isinstance(node, dict):
        kind = node.get("type")
        for name in [kind] if isinstance(kind, str) else kind or []:
            if name not in JSON_TYPES:
                problems.append(f"{path}: unknown type {name!r}")
        ref = node.get("$ref")
        if ref is not None:
            target = root
            for part in ref.removeprefix("#/").split("/"):
                target = target.get(part) if isinstance(target, dict) else None
            if target is None:
                problems.append(f"{path}: $ref {ref} does not resolve")
        for key, value in node.items():
            problems += check_schema(value, root, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            problems += check_schema(value, root, f"{path}/{index}")
    return problems


def test_plan_schema_prints_a_json_schema(capsys):
    assert plan_main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["type"] == "object"
    assert {"name", "currency", "bonuses"} <= set(schema["required"])
    assert check_schema(schema, schema) == []
    bonus_kinds = {
        ref["$ref"].rsplit("/", 1)[1] for ref in schema["properties"]["bonuses"]["items"]["oneOf"]
    }
    assert "UnilevelBonus" in bonus_kinds
    assert "PoolBonus" in bonus_kinds


def test_plan_check(tmp_path, capsys):
    good = write(tmp_path, "good.yaml", PLAN)
    bad = write(tmp_path, "bad.yaml", PLAN.replace("rate: 10%, carry_cap", "rate: 110%, carry_cap"))
    assert plan_main(["check", str(good)]) == 0
    assert "good.yaml: ok (4 bonuses, 2 ranks, 0 golden cases)" in capsys.readouterr().out
    assert plan_main(["check", str(bad)]) == 2
    assert (
        "bad.yaml:10: bonuses[1].rate: rate must be between 0% and 100%" in capsys.readouterr().err
    )


GOLDEN = """
tests:
  - name: one level of unilevel
    distributors: |
      id,sponsor_id,placement_id,placement_position,joined_on,status,kind
      A,,,,2026-01-01,active,distributor
      B,A,A,L,2026-01-01,active,distributor
    orders: |
      id,distributor_id,paid_at,pv,cv,amount,currency,kind,returns_order_id
      OA,A,2026-10-02T10:00:00Z,120,0,0,EUR,product,
      OB,B,2026-10-03T10:00:00Z,100,80,100.00,EUR,product,
    expect:
      lines: |
        recipient_id,bonus,source_id,source_order_id,level,amount
        A,uni,A,OA,0,AMOUNT_A
        A,advancement,A,,1,25
        B,advancement,B,,1,25.00
        A,uni,B,OB,1,AMOUNT_B
      distributors: |
        id,pv,active,paid_as_rank,carry_left
        A,120,true,Silver,80.00
      totals: {uni: TOTAL, total: 58}
      state:
        A: {carry: {bin: ["80.00", "0"]}, awarded: {advancement: Silver}}
"""


def test_plan_test_passes_a_case_that_holds(tmp_path, capsys):
    text = PLAN + GOLDEN.replace("A,uni,A,OA,0,AMOUNT_A\n        ", "")
    plan = write(tmp_path, "golden.yaml", text.replace("AMOUNT_B", "8.00").replace("TOTAL", "8"))
    assert plan_main(["test", str(plan)]) == 0
    out = capsys.readouterr().out
    assert f"PASS {plan}: one level of unilevel" in out
    assert "1 of 1 golden cases passed" in out


def test_plan_test_fails_with_a_readable_difference(tmp_path, capsys):
    text = PLAN + GOLDEN.replace("AMOUNT_A", "1.00").replace("AMOUNT_B", "8.01").replace(
        "TOTAL", "8"
    )
    text = text.replace("A,120,true,Silver,80.00", "A,120,false,Silver,80.00")
    plan = write(tmp_path, "golden.yaml", text)
    assert plan_main(["test", str(plan)]) == 1
    out = capsys.readouterr().out
    assert f"FAIL {plan}: one level of unilevel" in out
    assert (
        "missing line: recipient_id=A, bonus=uni, source_id=A, source_order_id=OA, level=0, amount=1.00"
        in out
    )
    assert (
        "missing line: recipient_id=A, bonus=uni, source_id=B, source_order_id=OB, level=1, amount=8.01"
        in out
    )
    assert (
        "unexpected line: recipient_id=A, bonus=uni, source_id=B, source_order_id=OB, level=1, amount=8.00"
        in out
    )
    assert "distributor A: active is true, expected false" in out
    assert "0 of 1 golden cases passed" in out


@pytest.mark.parametrize("plan", PLANS, ids=[path.name for path in PLANS])
def test_every_sample_plan_passes_its_golden_cases(plan, capsys):
    code = plan_main(["test", str(plan)])
    assert code == 0, capsys.readouterr().out
