"""Benchmark of the commission engine: plans/kitchen-sink.yaml on synthetic networks.

Not a test: it prints wall time and peak memory of every step, from the engine's input arrays to
its result arrays, for networks of 100,000, 1,000,000 and 10,000,000 distributors with three
orders each, random and deep sponsor trees, binary placement. Each size runs in a fresh process
so peaks do not mix.

    .venv/bin/python benchmarks/engine.py                    # every size and shape
    .venv/bin/python benchmarks/engine.py --sizes 1000000 --shapes deep
    .venv/bin/python benchmarks/engine.py --oracle           # also time tests/engine/oracle.py
                                                             # at 100,000 and print the ratio

Peak memory is the process's peak resident set size (``VmHWM``), reset before each step through
``/proc/self/clear_refs`` where the kernel allows it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLAN = ROOT / "plans" / "kitchen-sink.yaml"
GIB = 1024**3
KEEP_FREED_MEMORY = os.environ.get("DOWNLINE_BENCH_MMAP") != "1"


def peak_rss() -> int:
    """Peak resident set size of this process in bytes."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def current_rss() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass


class Steps:
    def __init__(self) -> None:
        self.rows: list[dict] = []
        self.started = time.perf_counter()

    def measure(self, name: str, action):
        reset_peak()
        begin = time.perf_counter()
        value = action()
        self.rows.append(
            {"step": name, "seconds": time.perf_counter() - begin, "peak_bytes": peak_rss()}
        )
        return value


def run_one(size: int, shape: str, seed: int) -> dict:
    """Synthesize, then compute the period step by step; a JSON-able report."""
    import numpy as np

    from downline.dataset.synth_arrays import PeriodSynthOptions, synthesize_period
    from downline.dataset.tables import PlacementShape
    from downline.engine.compute import (
        apply_company_cap,
        assemble_lines,
        period_result,
        run_bonuses,
    )
    from downline.engine.context import PeriodContext
    from downline.engine.inputs import EngineState
    from downline.engine.memory import tune_process_memory
    from downline.engine.plan import load_plan
    from downline.engine.volumes import check_currency

    if KEEP_FREED_MEMORY:
        tune_process_memory()
    plan = load_plan(PLAN).plan
    begin = time.perf_counter()
    inputs = synthesize_period(
        PeriodSynthOptions(
            distributors=size, seed=seed, shape=shape, placement=PlacementShape("binary")
        )
    )
    synth_seconds = time.perf_counter() - begin
    inputs_bytes = sum(
        value.nbytes for value in vars(inputs).values() if isinstance(value, np.ndarray)
    )
    steps = Steps()
    total_begin = time.perf_counter()
    steps.measure("currency check", lambda: check_currency(plan, inputs))
    ctx = PeriodContext(plan, inputs, EngineState.fresh(inputs.n))
    steps.measure("enrollment tree", lambda: ctx.enrollment)
    steps.measure("placement tree", lambda: ctx.placement)
    steps.measure("volumes and GV", lambda: ctx.volumes.gv)
    steps.measure("activity", lambda: ctx.active)
    steps.measure("ranks", lambda: ctx.ranks)
    marks: list[tuple[str, float, int]] = []

    def on_step(name: str) -> None:
        marks.append((name, time.perf_counter(), peak_rss()))
        reset_peak()

    reset_peak()
    bonus_begin = time.perf_counter()
    run_bonuses(ctx, on_step=on_step)
    previous = bonus_begin
    for name, at, peak in marks:
        steps.rows.append({"step": f"bonus {name}", "seconds": at - previous, "peak_bytes": peak})
        previous = at
    lines = steps.measure("line arrays", lambda: assemble_lines(ctx))
    steps.measure("company cap", lambda: apply_company_cap(ctx, lines))
    result = steps.measure("result", lambda: period_result(ctx, lines))
    total = time.perf_counter() - total_begin
    lines = result.lines
    return {
        "size": size,
        "shape": shape,
        "distributors": inputs.n,
        "orders": inputs.m,
        "levels": {"enrollment": ctx.enrollment.levels, "placement": ctx.placement.levels},
        "lines": len(lines),
        "lines_per_bonus": {
            bonus.name: int((lines.bonus == b).sum()) for b, bonus in enumerate(plan.bonuses)
        },
        "paid": int(lines.amount.sum()),
        "synth_seconds": synth_seconds,
        "inputs_bytes": inputs_bytes,
        "steps": steps.rows,
        "engine_seconds": total,
        "peak_bytes": max(row["peak_bytes"] for row in steps.rows),
        "inputs": inputs if False else None,
    }


def run_oracle(size: int, shape: str, seed: int) -> dict:
    """Time the plain-Python oracle and the engine on the same inputs; check they agree.

    The engine is timed cold (its first run in the process) and warm (median of three more)."""
    sys.path.insert(0, str(ROOT))
    import statistics

    from tests.engine import oracle

    from downline.dataset.synth_arrays import PeriodSynthOptions, synthesize_period
    from downline.dataset.tables import PlacementShape
    from downline.engine import compute_period
    from downline.engine.memory import tune_process_memory
    from downline.engine.plan import load_plan

    if KEEP_FREED_MEMORY:
        tune_process_memory()
    plan = load_plan(PLAN).plan
    inputs = synthesize_period(
        PeriodSynthOptions(
            distributors=size, seed=seed, shape=shape, placement=PlacementShape("binary")
        )
    )
    timings = []
    engine_result = None
    for _ in range(4):
        engine_result = None  # free the previous result first, as a fresh run would
        begin = time.perf_counter()
        engine_result = compute_period(plan, inputs)
        timings.append(time.perf_counter() - begin)
    cold, warm = timings[0], statistics.median(timings[1:])
    begin = time.perf_counter()
    oracle_result = oracle.compute_period(plan, inputs)
    oracle_seconds = time.perf_counter() - begin
    same = len(engine_result.lines) == len(oracle_result.lines) and all(
        (getattr(engine_result.lines, name) == getattr(oracle_result.lines, name)).all()
        for name in (
            "bonus",
            "recipient",
            "source",
            "source_order",
            "level",
            "base",
            "amount_before_cap",
            "amount",
        )
    )
    return {
        "size": size,
        "shape": shape,
        "engine_cold_seconds": cold,
        "engine_seconds": warm,
        "oracle_seconds": oracle_seconds,
        "ratio": oracle_seconds / warm,
        "ratio_cold": oracle_seconds / cold,
        "same_lines": bool(same),
    }


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f", {int(line.split()[1]) / 1024**2:.0f} GiB RAM"
    except OSError:
        pass
    import numpy

    return (
        f"{cpu}, {os.cpu_count()} cores{memory}; Python {platform.python_version()}, "
        f"NumPy {numpy.__version__}; load average {os.getloadavg()[0]:.1f} at start"
    )


def print_report(report: dict) -> None:
    print(
        f"\n== {report['size']:,} distributors, {report['shape']} tree: {report['orders']:,} orders, "
        f"{report['lines']:,} lines, enrollment depth {report['levels']['enrollment']}, "
        f"placement depth {report['levels']['placement']}"
    )
    print(f"   synthesis (not counted): {report['synth_seconds']:.1f} s")
    for row in report["steps"]:
        print(
            f"   {row['step']:<24} {row['seconds']:8.2f} s   peak {row['peak_bytes'] / GIB:6.2f} GiB"
        )
    print(
        f"   {'engine total':<24} {report['engine_seconds']:8.2f} s   peak {report['peak_bytes'] / GIB:6.2f} GiB"
    )
    print(
        "   lines per bonus: "
        + ", ".join(f"{k} {v:,}" for k, v in report["lines_per_bonus"].items())
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100000,1000000,10000000")
    parser.add_argument("--shapes", default="random,deep")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--oracle", action="store_true", help="time the oracle at 100,000")
    parser.add_argument("--json", type=Path, help="also write every report to this file")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: size,shape in this process
    parser.add_argument("--one-oracle", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        size, shape = args.one.split(",")
        report = run_one(int(size), shape, args.seed)
        report.pop("inputs")
        print(json.dumps(report))
        return 0
    if args.one_oracle:
        size, shape = args.one_oracle.split(",")
        print(json.dumps(run_oracle(int(size), shape, args.seed)))
        return 0
    print(f"plan: {PLAN.relative_to(ROOT)}\nmachine: {machine()}")
    reports = []
    for size in [int(s) for s in args.sizes.split(",")]:
        for shape in args.shapes.split(","):
            output = subprocess.run(
                [sys.executable, __file__, "--one", f"{size},{shape}", "--seed", str(args.seed)],
                capture_output=True,
                text=True,
                check=False,
            )
            if output.returncode != 0:
                print(output.stderr, file=sys.stderr)
                return output.returncode
            report = json.loads(output.stdout.strip().splitlines()[-1])
            reports.append(report)
            print_report(report)
    if args.oracle:
        for shape in args.shapes.split(","):
            output = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--one-oracle",
                    f"100000,{shape}",
                    "--seed",
                    str(args.seed),
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if output.returncode != 0:
                print(output.stderr, file=sys.stderr)
                return output.returncode
            result = json.loads(output.stdout.strip().splitlines()[-1])
            reports.append({"oracle": result})
            print(
                f"\n== oracle at 100,000, {shape} tree: oracle {result['oracle_seconds']:.1f} s; "
                f"engine {result['engine_seconds']:.2f} s warm ({result['ratio']:.0f}× faster), "
                f"{result['engine_cold_seconds']:.2f} s on its first run in the process "
                f"({result['ratio_cold']:.0f}×); same lines: {result['same_lines']}"
            )
    if args.json:
        args.json.write_text(json.dumps(reports, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
