"""``downline calc`` and ``downline plan``: the engine from the command line, no database.

Exit codes: 0 done; 1 a golden case failed (``plan test``); 2 bad input (plan, CSV rows, state,
period): every problem is printed as ``file:line: where: why`` and nothing is written.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from downline.engine.memory import collector_paused, tune_process_memory
from downline.i18n import LANGUAGES, current_language, use_language
from downline.i18n import gettext as _

from . import TABLE_FORMATS

if TYPE_CHECKING:
    from downline.engine.plan import Plan

    from .payout_bound import Bound

# The engine, the plan model and Arrow are imported where they are used: ``downline calc``
# starts reading and checking its input files on threads
# (:func:`downline.dataset.fast_read.read_network_ahead`, ``read_orders_ahead``) while the
# engine is being imported and the plan loaded.

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def _print_problems(messages: list[str]) -> None:
    for message in messages:
        print(message, file=sys.stderr)


def calc_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="downline calc",
        description="Compute one commission period from a plan and CSV files; write lines.csv, "
        "distributors.csv, trace.parquet, run.json and state.json (trace.jsonl with --trace-text).",
    )
    parser.add_argument("--plan", type=Path, required=True, help="the plan file (YAML)")
    parser.add_argument("--distributors", type=Path, required=True, help="distributors.csv")
    parser.add_argument("--orders", type=Path, required=True, help="orders.csv")
    parser.add_argument("--period", required=True, help="a month YYYY-MM or an ISO week YYYY-Www")
    parser.add_argument("--state-in", type=Path, help="state.json of the previous period")
    parser.add_argument(
        "--certificates",
        type=Path,
        help="certificates.csv: member_id,certificate[,valid_from,valid_until], who holds the "
        "certificates the plan requires (default: certificates.csv next to --distributors, "
        "when it exists)",
    )
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
    parser.add_argument(
        "--trace-text",
        action="store_true",
        help="also write trace.jsonl: every trace in words, in --language "
        "(trace.parquet, always written, holds the same traces as numbers)",
    )
    parser.add_argument(
        "--format",
        choices=TABLE_FORMATS,
        default="csv",
        help="format of the lines and distributors tables: csv (lines.csv, distributors.csv; "
        "the default) or parquet (lines.parquet, distributors.parquet, typed columns)",
    )
    args = parser.parse_args(argv)
    tune_process_memory()
    with collector_paused():
        return _calc(args)


def _calc(args: argparse.Namespace) -> int:
    from downline.dataset import fast_read

    fast_read.read_network_ahead(args.distributors)
    fast_read.read_orders_ahead(args.orders, args.time_zone)
    from .run import CalcError, calculate, write_outputs

    with use_language(args.language):
        try:
            run = calculate(
                plan_path=args.plan,
                distributors_path=args.distributors,
                orders_path=args.orders,
                period=args.period,
                time_zone=args.time_zone,
                state_path=args.state_in,
                certificates_path=args.certificates,
            )
            write_outputs(run, args.out, table_format=args.format, trace_text=args.trace_text)
        except CalcError as error:
            _print_problems(error.messages)
            return EXIT_BAD_INPUT
        finally:
            fast_read.forget_ahead()
    for warning in run.warnings:
        print(warning, file=sys.stderr)
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
    from downline.engine.plan import Plan

    schema = Plan.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
    }


def _bound_text(value: Bound) -> str:
    from downline.engine.plan.values import format_percent

    return _("unbounded") if value is None else format_percent(value)


def report_payout_bound(path: str, plan: Plan) -> None:
    """Print the plan's theoretical maximum payout per unit of CV (see
    :mod:`downline.calc.payout_bound`), and warn on stderr when one order can be paid more than
    100% of its CV (money plans only: points are not paid out of the CV)."""
    from .payout_bound import payout_bound

    bound = payout_bound(plan)
    parts = ", ".join(f"{name} {_bound_text(value)}" for name, value in bound.per_bonus.items())
    if bound.total != bound.uncapped:
        summary = _("%(total)s with the company cap, %(uncapped)s without (%(parts)s)") % {
            "total": _bound_text(bound.total),
            "uncapped": _bound_text(bound.uncapped),
            "parts": parts,
        }
    else:
        summary = f"{_bound_text(bound.total)} ({parts})"
    print(
        _("%(file)s: theoretical maximum payout per unit of CV: %(summary)s")
        % {"file": path, "summary": summary}
    )
    if bound.exceeds_cv and isinstance(plan.currency, str):
        if bound.total is None:
            why = _("no finite maximum: a bonus pays every upline on the same volume")
        else:
            why = _("at most %(total)s") % {"total": _bound_text(bound.total)}
        print(
            _(
                "%(file)s: warning: one order can be paid more than 100%% of its CV across all "
                "bonuses (%(why)s); lower the rates or add a company_cap"
            )
            % {"file": path, "why": why},
            file=sys.stderr,
        )


def _load(path: str):
    from downline.engine.plan import PlanError, load_plan

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
            report_payout_bound(path, plan)
            continue
        from .golden import run_cases

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
