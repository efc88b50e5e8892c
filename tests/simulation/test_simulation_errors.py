"""Bad input: a clear message naming the file, line and field, exit code 2, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from downline.simulation.cli import simulate_main
from downline.simulation.params import GrowthParams, params_from_text

ROOT = Path(__file__).resolve().parents[2]
KITCHEN_SINK = str(ROOT / "plans" / "kitchen-sink.yaml")


def run(tmp_path: Path, capsys, *args: str) -> tuple[int, str, Path]:
    out = tmp_path / "out"
    code = simulate_main(["--plan", KITCHEN_SINK, "--months", "2", "--out", str(out), *args])
    return code, capsys.readouterr().err, out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "personas:\n  builder:\n    order_probability: 1.5\n",
            "params.yaml:3: personas.builder.order_probability: must be at most 1",
        ),
        (
            "churn:\n  by_tenure: [0.1, 2]\n",
            "params.yaml:2: churn.by_tenure[1]: must be at most 1",
        ),
        (
            "seasonality: [1, 1, 1]\n",
            "params.yaml:1: seasonality: needs at least 12 items",
        ),
        (
            "recruiting:\n  by_rank: [0.1]\n  per_month: 3\n",
            "params.yaml:3: recruiting.per_month: unknown field",
        ),
        (
            "personas:\n  consumer: {share: 0.5}\n",
            "params.yaml:1: personas: the personas' shares must add up to 1, not 0.9",
        ),
        (
            "starter_kit: {pv: 10.555}\n",
            "params.yaml:1: starter_kit.pv: '10.555' is not a volume with at most two decimals",
        ),
        ("customers: [1, 2\n", "params.yaml:2:"),
    ],
)
def test_bad_parameters_name_file_line_and_field_and_write_nothing(
    tmp_path, capsys, text, expected
):
    params = tmp_path / "params.yaml"
    params.write_text(text)
    code, err, out = run(tmp_path, capsys, "--params", str(params))
    assert code == 2
    assert expected in err
    assert not out.exists()


def test_bad_plan_and_bad_numbers_are_all_reported_and_nothing_is_written(tmp_path, capsys):
    plan = tmp_path / "broken.yaml"
    plan.write_text("name: Broken\ncurrency: EUR\nbonuses:\n  - {name: x, kind: personal}\n")
    out = tmp_path / "out"
    code = simulate_main(
        ["--plan", str(plan), "--months", "0", "--replicas", "0", "--seed", "-1", "--out", str(out)]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "downline simulate: --months: must be at least 1, not 0" in err
    assert "downline simulate: --replicas: must be at least 1, not 0" in err
    assert "downline simulate: --seed: must be at least 0, not -1" in err
    assert "broken.yaml:4: bonuses[0]: this field is required" in err
    assert not out.exists()


def test_compared_plans_must_pay_in_the_same_currency(tmp_path, capsys):
    points = str(ROOT / "plans" / "change-agents.yaml")
    code, err, out = run(tmp_path, capsys, "--compare", points)
    assert code == 2
    assert "change-agents.yaml: currency: pays in points but kitchen-sink.yaml pays in EUR" in err
    assert not out.exists()


def test_missing_files_are_reported(tmp_path, capsys):
    code, err, out = run(tmp_path, capsys, "--params", str(tmp_path / "nowhere.yaml"))
    assert code == 2
    assert "nowhere.yaml: cannot read the parameters" in err
    assert not out.exists()


def test_a_parameters_file_changes_only_what_it_lists():
    params = params_from_text("personas:\n  builder:\n    order_probability: 0.5\n")
    defaults = GrowthParams()
    assert params.personas.builder.order_probability == 0.5
    assert params.personas.builder.basket == defaults.personas.builder.basket
    assert params.personas.consumer == defaults.personas.consumer
    assert params.churn == defaults.churn
