"""Random runs: reproducible from the seed, the same in worker processes as in this one, the
compared plan on the same network, and a report that opens offline in the chosen language."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from downline.simulation.cli import simulate_main

ROOT = Path(__file__).resolve().parents[2]
KITCHEN_SINK = ROOT / "plans" / "kitchen-sink.yaml"
UNILEVEL = ROOT / "plans" / "unilevel.yaml"


def simulate(out: Path, *args: str, seed: int = 7, processes: int = 1) -> Path:
    code = simulate_main(
        [
            "--plan",
            str(KITCHEN_SINK),
            "--months",
            "6",
            "--start-distributors",
            "40",
            "--replicas",
            "3",
            "--seed",
            str(seed),
            "--processes",
            str(processes),
            "--no-progress",
            "--out",
            str(out),
            *args,
        ]
    )
    assert code == 0
    return out


def test_same_seed_gives_identical_metrics_and_another_seed_does_not(tmp_path):
    first = simulate(tmp_path / "a").joinpath("metrics.json").read_bytes()
    again = simulate(tmp_path / "b").joinpath("metrics.json").read_bytes()
    other = simulate(tmp_path / "c", seed=8).joinpath("metrics.json").read_bytes()
    assert first == again
    assert first != other
    replicas = json.loads(first)["replicas"]
    # replicas differ from each other: each has its own stream from the seed
    assert len({(r["distributors_reached"], tuple(r["commissions"])) for r in replicas}) > 1


def test_replicas_in_worker_processes_equal_replicas_in_process(tmp_path):
    here = simulate(tmp_path / "here", processes=1)
    workers = simulate(tmp_path / "workers", processes=2)
    assert (here / "metrics.json").read_bytes() == (workers / "metrics.json").read_bytes()


def test_compare_runs_the_second_plan_on_the_first_plans_network(tmp_path):
    alone = json.loads(simulate(tmp_path / "alone").joinpath("metrics.json").read_text())
    both = json.loads(
        simulate(tmp_path / "both", "--compare", str(UNILEVEL)).joinpath("metrics.json").read_text()
    )
    assert both["network"] == alone["network"]
    assert both["plans"][0] == alone["plans"][0]
    second = both["plans"][1]
    assert second["name"] != both["plans"][0]["name"]
    assert [bonus["name"] for bonus in second["bonuses"]] != [
        bonus["name"] for bonus in both["plans"][0]["bonuses"]
    ]
    assert sum(second["paid"]["mean"]) > 0


class Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []
        self.inline = 0
        self.links: list[str] = []
        self.lang = ""
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "html":
            self.lang = attributes.get("lang", "")
        if tag == "script":
            if "src" in attributes:
                self.sources.append(attributes["src"])
            else:
                self.inline += 1
        if tag in {"link", "img", "iframe"}:
            self.links.append(attributes.get("href") or attributes.get("src") or "")


@pytest.mark.parametrize(
    ("language", "heading"),
    [("en", "Payout ratio per month"), ("de", None)],
)
def test_report_is_one_self_contained_file(tmp_path, monkeypatch, language, heading):
    monkeypatch.setenv("DOWNLINE_LANGUAGE", language)
    out = simulate(tmp_path / "out")
    html = (out / "report.html").read_text(encoding="utf-8")
    parser = Scripts()
    parser.feed(html)
    assert parser.sources == []  # no script is loaded from anywhere
    assert parser.links == []
    assert parser.inline >= 2  # ECharts itself and the chart set-up
    assert "echarts.init" in html
    vendored = ROOT / "src/downline/web/static/vendor/echarts/echarts.min.js"
    assert vendored.read_text(encoding="utf-8")[:2000] in html
    assert parser.lang == language
    if heading:
        assert heading in html
    metrics = json.loads((out / "metrics.json").read_text())
    for plan in metrics["plans"]:
        assert plan["name"] in html
