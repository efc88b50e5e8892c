"""``downline calc`` and ``downline plan``: the engine from the command line, no database.

Exit codes: 0 done; 1 a golden case failed (``plan test``); 2 bad input (plan, CSV rows, state,
period): every problem is printed as ``file:line: where: why`` and nothing is written.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from downline.engine.memory import tune_process_memory
from downline.engine.plan import Plan, PlanError, load_plan
from downline.i18n import LANGUAGES, current_language, use_language
from downline.i18n import gettext as _

from .golden import run_cases
from .run import CalcError, calculate, write_outputs

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def _print_problems(messages: list[str]) -> None:
    for message in messages:
        print(message, file=sys.stderr)


def calc_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="downline calc",
        description="Compute one commission period from a plan and CSV files; write lines.csv, "
        "distributors.csv, trace.jsonl, run.json and state.json.",
    )
    parser.add_argument("--plan", type=Path, required=True, help="the plan file (YAML)")
    parser.add_argument("--distributors", type=Path, required=True, help="distributors.csv")
    parser.add_argument("--orders", type=Path, required=True, help="orders.csv")
    parser.add_argument("--period", required=True, help="a month YYYY-MM or an ISO week YYYY-Www")
    parser.add_argument("--state-in", type=Path, help="state.json of the previous period")
    parser.add_argument(
        "--time-zone",
        default="UTC",
        help="the company's time zone (default UTC), e.g. Europe/Berlin",
    )
    parser.add_argument(
        "--language",
        choices=LANGUAGES,
        default=current_language(),
        help="language of the traces and messages (default: DOWNLINE_LANGUAGE, else en)",
    )
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    args = parser.parse_args(argv)
    tune_process_memory()
    with use_language(args.language):
        try:
            run = calculate(
                plan_path=args.plan,
                distributors_path=args.distributors,
                orders_path=args.orders,
                period=args.period,
                time_zone=args.time_zone,
                state_path=args.state_in,
            )
            write_outputs(run, args.out)
        except CalcError as error:
            _print_problems(error.messages)
            return EXIT_BAD_INPUT
    lines = len(run.result.lines)
    print(
        _(
            "%(period)s: %(distributors)d distributors, %(orders)d orders, %(lines)d lines; written to %(out)s"
        )
        % {
            "period": run.period,
            "distributors": run.inputs.n,
            "orders": run.inputs.m,
            "lines": lines,
            "out": args.out,
        },
        file=sys.stderr,
    )
    return EXIT_OK


def plan_schema() -> dict:
    """The JSON Schema of a plan file, for editors."""
    schema = Plan.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
    }


def _load(path: str):
    try:
        return load_plan(path)
    except PlanError as error:
        _print_problems(error.summary().splitlines())
        return None


def plan_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="downline plan", description="Work with plan files.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("schema", help="print the JSON Schema of plan files")
    check = commands.add_parser("check", help="validate plan files")
    check.add_argument("plans", nargs="+")
    test = commands.add_parser("test", help="run the golden cases of plan files")
    test.add_argument("plans", nargs="+")
    args = parser.parse_args(argv)
    if args.command == "schema":
        print(json.dumps(plan_schema(), indent=2, ensure_ascii=False))
        return EXIT_OK
    status = EXIT_OK
    for path in args.plans:
        loaded = _load(path)
        if loaded is None:
            status = EXIT_BAD_INPUT
            continue
        plan = loaded.plan
        if args.command == "check":
            print(
                _("%(file)s: ok (%(bonuses)d bonuses, %(ranks)d ranks, %(cases)d golden cases)")
                % {
                    "file": path,
                    "bonuses": len(plan.bonuses),
                    "ranks": len(plan.ranks),
                    "cases": len(plan.tests),
                }
            )
            continue
        results = run_cases(loaded)
        failed = [result for result in results if not result.passed]
        for result in results:
            mark = _("PASS") if result.passed else _("FAIL")
            print(f"{mark} {path}: {result.name}")
            for problem in result.problems:
                print(f"     {problem}")
        print(
            _("%(file)s: %(passed)d of %(total)d golden cases passed")
            % {"file": path, "passed": len(results) - len(failed), "total": len(results)}
        )
        if failed and status == EXIT_OK:
            status = EXIT_FAILED
    return status
