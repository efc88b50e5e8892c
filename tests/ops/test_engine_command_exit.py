"""Engine commands end their process at once (``downline.cli.console``), without freeing the
heap: the status, everything printed and every file written still arrive complete."""

from __future__ import annotations

import json
from pathlib import Path

from .helpers import downline, user_environment

ROOT = Path(__file__).resolve().parents[2]
PLAN = ROOT / "plans" / "kitchen-sink.yaml"


def test_synth_then_calc_write_everything_and_report_through_pipes(tmp_path):
    env = user_environment(tmp_path / "var")
    made = downline(
        "synth", "--distributors", "300", "--seed", "7", "--out", str(tmp_path / "in"),
        env=env, cwd=tmp_path,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "300 distributors" in made.stdout + made.stderr
    out = tmp_path / "out"
    calc = downline(
        "calc", "--plan", str(PLAN), "--distributors", str(tmp_path / "in" / "distributors.csv"),
        "--orders", str(tmp_path / "in" / "orders.csv"), "--period", "2026-10", "--out", str(out),
        env=env, cwd=tmp_path,
    )  # fmt: skip
    assert calc.returncode == 0, calc.stderr
    assert "300 distributors" in calc.stderr
    assert json.loads((out / "run.json").read_text())["counts"]["distributors"] == 300
    lines = (out / "lines.csv").read_text().splitlines()
    assert lines[0].startswith("recipient_id,bonus,")
    assert len(lines) - 1 == sum(
        bonus["lines"] for bonus in json.loads((out / "run.json").read_text())["bonuses"].values()
    )


def test_bad_input_still_ends_with_status_2_and_the_whole_message(tmp_path):
    env = user_environment(tmp_path / "var")
    broken = tmp_path / "distributors.csv"
    broken.write_text("id,sponsor_id\nD1,\n", encoding="utf-8")
    (tmp_path / "orders.csv").write_text("id\n", encoding="utf-8")
    calc = downline(
        "calc", "--plan", str(PLAN), "--distributors", str(broken),
        "--orders", str(tmp_path / "orders.csv"), "--period", "2026-10",
        "--out", str(tmp_path / "out"), env=env, cwd=tmp_path,
    )  # fmt: skip
    assert calc.returncode == 2
    assert "distributors.csv" in calc.stderr
    assert not (tmp_path / "out" / "run.json").exists()
