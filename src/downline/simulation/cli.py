"""``downline simulate``: a plan's economics over a simulated, growing network (no database).

Exit codes: 0 done; 2 bad input (arguments, plan files, parameters file): every problem is
printed as ``file:line: where: why`` (or ``downline simulate: --option: why``) and nothing is
written.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from downline.engine.memory import tune_process_memory
from downline.engine.plan import LoadedPlan, PlanError, load_plan
from downline.i18n import gettext as _

from .params import ParamsError, load_params
from .progress import ProgressBar
from .simulate import SimulationSettings, simulate, write_outputs

EXIT_OK, EXIT_BAD_INPUT = 0, 2
MAX_MONTHS = 600
PROGRESS_AFTER = 200  # replica-months; shorter runs need no bar


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="downline simulate",
        description="Simulate a plan over a growing network, month by month, through the "
        "commission engine; write metrics.json and report.html.",
    )
    parser.add_argument("--plan", type=Path, required=True, help="the plan file (YAML)")
    parser.add_argument(
        "--compare", type=Path, help="a second plan, computed on the same simulated network"
    )
    parser.add_argument("--months", type=int, default=24, help="months to simulate (24)")
    parser.add_argument(
        "--start-distributors", type=int, default=100, help="distributors in the first month"
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (same seed, same run)")
    parser.add_argument("--replicas", type=int, default=20, help="independent runs (20)")
    parser.add_argument(
        "--params", type=Path, help="growth parameters (YAML) overriding the defaults"
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=None,
        help="worker processes (default: the number of cores, at most the replicas)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    return parser


def _check_numbers(args: argparse.Namespace) -> list[str]:
    problems = []

    def at_least(option: str, value: int, minimum: int) -> None:
        if value < minimum:
            problems.append(
                f"downline simulate: {option}: "
                + _("must be at least %(minimum)d, not %(value)d")
                % {"minimum": minimum, "value": value}
            )

    at_least("--months", args.months, 1)
    if args.months > MAX_MONTHS:
        problems.append(
            "downline simulate: --months: "
            + _("must be at most %(maximum)d, not %(value)d")
            % {"maximum": MAX_MONTHS, "value": args.months}
        )
    at_least("--start-distributors", args.start_distributors, 1)
    at_least("--replicas", args.replicas, 1)
    at_least("--seed", args.seed, 0)
    if args.processes is not None:
        at_least("--processes", args.processes, 1)
    if args.out.exists() and not args.out.is_dir():
        problems.append(
            "downline simulate: --out: "
            + _("%(path)s exists and is not a folder") % {"path": args.out}
        )
    return problems


def _load_plans(args: argparse.Namespace, problems: list[str]) -> list[LoadedPlan]:
    plans = []
    for path in [args.plan] + ([args.compare] if args.compare else []):
        try:
            plans.append(load_plan(path))
        except PlanError as error:
            problems.extend(error.summary().splitlines())
    if len(plans) == 2 and plans[0].plan.currency_code != plans[1].plan.currency_code:
        problems.append(
            f"{plans[1].source}: currency: "
            + _(
                "pays in %(second)s but %(first)s pays in %(currency)s; compare plans that pay "
                "in the same currency"
            )
            % {
                "second": plans[1].plan.currency_code,
                "first": plans[0].source,
                "currency": plans[0].plan.currency_code,
            }
        )
    return plans


def simulate_main(argv: list[str]) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    problems = _check_numbers(args)
    plans = _load_plans(args, problems)
    params = None
    try:
        params = load_params(args.params)
    except ParamsError as error:
        problems.extend(error.messages)
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        return EXIT_BAD_INPUT
    assert params is not None
    processes = args.processes or min(os.cpu_count() or 1, args.replicas)
    settings = SimulationSettings(
        months=args.months,
        start_distributors=args.start_distributors,
        seed=args.seed,
        replicas=args.replicas,
        processes=processes,
    )
    tune_process_memory()
    started = time.perf_counter()
    total = args.months * args.replicas
    bar = None
    if not args.no_progress and total >= PROGRESS_AFTER:
        bar = ProgressBar(total, "simulate")
    document = simulate(plans, params, settings, bar.advance if bar is not None else None)
    if bar is not None:
        bar.finish()
    write_outputs(document, args.out)
    reached = document["network"]["distributors_reached"]
    print(
        _(
            "%(replicas)d replicas of %(months)d months, about %(reached)s distributors reached; "
            "metrics.json and report.html written to %(out)s in %(seconds).1f s"
        )
        % {
            "replicas": args.replicas,
            "months": args.months,
            "reached": f"{reached['mean']:,}" if reached else "0",
            "out": args.out,
            "seconds": time.perf_counter() - started,
        },
        file=sys.stderr,
    )
    return EXIT_OK
