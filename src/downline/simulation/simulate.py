"""A whole simulation as a library call: plans and parameters in, ``metrics.json`` out.

``simulate(...)`` runs the replicas (:mod:`.runner`) and summarises them (:mod:`.aggregate`);
``write_outputs`` writes ``metrics.json`` and ``report.html`` (each file is written to a
temporary name and renamed, so a folder never holds half a file).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from downline.engine.plan import LoadedPlan

from .aggregate import metrics
from .network import month_days
from .params import GrowthParams, month_index
from .report import render_report
from .runner import replica_tasks, run_replicas


@dataclass(frozen=True)
class SimulationSettings:
    months: int
    start_distributors: int
    seed: int
    replicas: int
    processes: int = 1


def plan_labels(plans: list[LoadedPlan]) -> list[str]:
    """Each plan's file name without its extension; ``(A)``, ``(B)`` added when two are equal."""
    stems = [Path(loaded.source).stem for loaded in plans]
    if len(set(stems)) == len(stems):
        return stems
    return [f"{stem} ({chr(ord('A') + k)})" for k, stem in enumerate(stems)]


def simulate(
    plans: list[LoadedPlan],
    params: GrowthParams,
    settings: SimulationSettings,
    on_month: Callable[[], None] | None = None,
) -> dict:
    """The ``metrics.json`` document of a simulation of ``plans`` (the first drives growth)."""
    tasks = replica_tasks(
        tuple(loaded.plan for loaded in plans),
        params,
        months=settings.months,
        start_distributors=settings.start_distributors,
        seed=settings.seed,
        replicas=settings.replicas,
    )
    records = run_replicas(tasks, settings.processes, on_month)
    start = month_index(params.start_month)
    labels = plan_labels(plans)
    return metrics(
        plans=[
            (loaded.plan, label, loaded.source, loaded.digest)
            for loaded, label in zip(plans, labels, strict=True)
        ],
        params=params,
        months=settings.months,
        start_distributors=settings.start_distributors,
        seed=settings.seed,
        records=records,
        month_codes=[month_days(start + t)[2] for t in range(settings.months)],
    )


def metrics_json(document: dict) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def _write(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def write_outputs(document: dict, out: Path) -> None:
    """``metrics.json`` and ``report.html`` in ``out`` (created if missing)."""
    report = render_report(document)
    out.mkdir(parents=True, exist_ok=True)
    _write(out / "metrics.json", metrics_json(document))
    _write(out / "report.html", report)
