"""Benchmark of ``downline simulate``: plans/kitchen-sink.yaml, 24 months, 20 replicas, grown
from 100 distributors to about 100,000 registered distributors per replica.

Not a test: it prints the wall time of the whole simulation (replicas in worker processes,
the metrics and the report included), the peak memory of this process and of the largest
worker, and the network reached. The growth parameters are the defaults (docs/simulation.md)
with a recruiting rate high enough for a thousandfold growth in two years:

    recruiting: {by_rank: [0.6, 0.8, 1.0, 1.2]}

    .venv/bin/python benchmarks/simulate.py                  # 20 replicas, all cores
    .venv/bin/python benchmarks/simulate.py --replicas 4 --processes 1 --out /tmp/sim

The engine computes every month of every replica on the whole network, the members who left
included (they stay in the trees as terminated rows), so its largest period is the
"rows in the last month" figure.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLAN = ROOT / "plans" / "kitchen-sink.yaml"
PARAMS = "recruiting: {by_rank: [0.6, 0.8, 1.0, 1.2]}\n"
GIB = 1024**3


def peak_rss() -> int:
    """Peak resident set size of this process in bytes."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--replicas", type=int, default=20)
    parser.add_argument("--start-distributors", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", type=Path, help="keep metrics.json and report.html here")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT / "src"))
    from downline.engine.memory import tune_process_memory
    from downline.engine.plan import load_plan
    from downline.simulation.params import params_from_text
    from downline.simulation.progress import ProgressBar
    from downline.simulation.simulate import SimulationSettings, simulate, write_outputs

    tune_process_memory()
    plan = load_plan(PLAN)
    params = params_from_text(PARAMS, source="benchmark parameters")
    settings = SimulationSettings(
        months=args.months,
        start_distributors=args.start_distributors,
        seed=args.seed,
        replicas=args.replicas,
        processes=args.processes,
    )
    print(
        f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.platform()}; load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    print(
        f"simulate {PLAN.name}: {args.months} months, {args.replicas} replicas from "
        f"{args.start_distributors} distributors, seed {args.seed}, {args.processes} processes",
        flush=True,
    )
    bar = ProgressBar(args.months * args.replicas, "simulate")
    started = time.perf_counter()
    document = simulate([plan], params, settings, bar.advance)
    simulated = time.perf_counter() - started
    bar.finish()
    out = args.out or Path(tempfile.mkdtemp(prefix="downline-sim-bench-"))
    write_outputs(document, out)
    wall = time.perf_counter() - started
    network = document["network"]
    registered = network["registered"]
    last = {key: registered[key][-1] for key in ("mean", "p10", "p90")}
    reached = network["distributors_reached"]
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    totals = document["plans"][0]["totals"]
    print(
        f"wall time: {wall:.1f} s (replicas {simulated:.1f} s, metrics and report "
        f"{wall - simulated:.1f} s)"
    )
    print(
        f"peak memory: this process {peak_rss() / GIB:.2f} GB, largest worker "
        f"{children / GIB:.2f} GB"
    )
    print(
        f"registered distributors in the last month: mean {last['mean']:,} "
        f"(p10 {last['p10']:,}, p90 {last['p90']:,})"
    )
    print(
        f"rows in the last month (everyone who ever joined): mean {reached['mean']:,} "
        f"(p10 {reached['p10']:,}, p90 {reached['p90']:,})"
    )
    print(
        f"payout ratio over the run: {totals['payout_ratio_cv']['mean']:.3f} of CV; "
        f"metrics and report in {out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
