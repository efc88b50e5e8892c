"""Project and close a commission period of 1,000,000 distributors and 3,000,000 orders on
PostgreSQL.

    .venv/bin/python benchmarks/period_close.py                       # load, then close
    .venv/bin/python benchmarks/period_close.py --reuse               # close again on the loaded data
    .venv/bin/python benchmarks/period_close.py --plan plans/unilevel.yaml --distributors 100000

Steps, each timed and printed:

1. (unless ``--reuse``) drop and recreate the database (default ``dl_close``), migrate, generate
   the network and one month of orders (``downline.dataset.synth``, seeded; every newcomer's
   starter kit plus two orders each: 3,000,000 orders for 1,000,000 distributors) and import
   them with ``downline import``'s code path; store the plan as a version and activate it;
2. a projection of the month under ``downline worker`` (a real worker process with its scheduler
   thread, started here and stopped once the job is done): queued as the console queues it
   (a ``RunJob`` and ``web.tasks.run_commissions``); the seconds from queueing to the job done,
   and the run's own step timings (traces as numbers included); then reading single traces
   back (``compensation.selectors.trace_of``: one chunk fetched, decoded and rendered);
3. in a fresh process (so that its peak memory is the final run's own), the final run of the
   month end to end (``compensation.runs.do_run_final``): load the period from the database,
   compute, write every commission line, every result (``COPY``) and the traces as numbers,
   post to the ledger, close the period, all in one transaction; each step's seconds and the
   peak memory;
4. ``downline ledger check`` over the result; with ``--drop`` the database is dropped at the end.

The targets: the projection under 30 s, the final run under 90 s, peak memory under 12 GB.
With ``--reuse`` the existing runs are removed first (``TRUNCATE``), so the same period can be
projected and closed again.
This is a measurement script, not a test; BENCHMARKS.md records its figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _previous_month() -> str:
    today = datetime.now(UTC).date()
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--distributors", type=int, default=1_000_000)
    parser.add_argument("--orders-per-distributor", type=float, default=2.0)
    parser.add_argument("--plan", type=Path, default=ROOT / "plans" / "kitchen-sink.yaml")
    parser.add_argument("--month", default=_previous_month())
    parser.add_argument("--database", default="dl_close")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuse", action="store_true", help="keep the loaded database")
    parser.add_argument("--drop", action="store_true", help="drop the database at the end")
    parser.add_argument(
        "--backlog",
        action="store_true",
        help="with --reuse: leave the outbox consumers where they are, so the worker's loops "
        "read the previous final run's events beside the projection (as right after a close)",
    )
    parser.add_argument("--final-only", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def say(text: str) -> None:
    print(text, flush=True)


def setup(args: argparse.Namespace) -> None:
    os.environ["DATABASE_URL"] = f"{args.server}/{args.database}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "downline.settings.base"
    os.environ.setdefault("DOWNLINE_TIME_ZONE", "UTC")
    os.environ.setdefault("DOWNLINE_SECRET_KEY", "period-close-benchmark-only-" + "x" * 40)
    import django

    django.setup()


def load(args: argparse.Namespace) -> None:
    import psycopg

    with psycopg.connect(f"{args.server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{args.database}"')
    setup(args)
    from django.core.management import call_command

    from downline.compensation.plans import do_activate_plan_version, do_create_plan_version
    from downline.dataset.csv_io import write_network, write_orders
    from downline.dataset.synth import SynthOptions, synthesize
    from downline.exchange.importing import company_shape, import_files
    from downline.periods.actions import do_ensure_period

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    network, orders = synthesize(
        SynthOptions(
            distributors=args.distributors,
            seed=args.seed,
            shape="random",
            placement=company_shape(),
            last_month=args.month,
            months=1,
            orders_per_distributor=args.orders_per_distributor,
        )
    )
    folder = Path(tempfile.mkdtemp(prefix="dl_close_"))
    write_network(network, folder / "distributors.csv", shape=company_shape())
    write_orders(orders, network, folder / "orders.csv")
    report = import_files(folder / "distributors.csv", folder / "orders.csv")
    for name in ("distributors.csv", "orders.csv"):
        (folder / name).unlink()
    folder.rmdir()
    version = do_create_plan_version(args.plan.read_text(encoding="utf-8"), note="benchmark")
    do_activate_plan_version(version, do_ensure_period(args.month))
    say(
        f"loaded {report.members:,} members and {report.orders:,} orders "
        f"({report.returns:,} returns) in {time.perf_counter() - started:.1f} s"
    )


def reset(args: argparse.Namespace) -> None:
    """Remove every run, line, trace and ledger row and reopen the month (``--reuse``)."""
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE ledger_entry DISABLE TRIGGER USER")
        cursor.execute("ALTER TABLE ledger_transaction DISABLE TRIGGER USER")
        cursor.execute(
            "TRUNCATE compensation_commissionline, compensation_lineblock, "
            "compensation_runresult, compensation_runtrace, ledger_entry, ledger_account, "
            "ledger_transaction CASCADE"
        )
        cursor.execute("DELETE FROM web_runjob")
        cursor.execute("DELETE FROM compensation_run")
        cursor.execute("ALTER TABLE ledger_entry ENABLE TRIGGER USER")
        cursor.execute("ALTER TABLE ledger_transaction ENABLE TRIGGER USER")
        cursor.execute(
            "UPDATE periods_period SET status = 'open', closed_at = NULL WHERE code = %s",
            [args.month],
        )
        if not args.backlog:
            # The outbox consumers start caught up, as on a freshly loaded database: the
            # previous final run's events (hundreds of thousands of rank.advanced) would
            # otherwise be read by the worker's loops beside the projection, which a worker
            # running since that final run would have done long before (see --backlog).
            cursor.execute(
                "UPDATE core_consumer SET (cursor_tx, cursor_id) = "
                "(SELECT tx, id FROM core_event ORDER BY tx DESC, id DESC LIMIT 1) "
                "WHERE EXISTS (SELECT 1 FROM core_event)"
            )


def projection_under_worker(args: argparse.Namespace) -> None:
    """Queue a projection as the console does and let a real ``downline worker`` (scheduler
    thread included) run it; stop that worker (by its process id) once the job is done."""
    from downline.compensation.models import Run, RunResult, RunTrace
    from downline.periods.models import Period
    from downline.web.actions import do_start_run
    from downline.web.models import RunJob

    period = Period.objects.get(code=args.month)
    started = time.perf_counter()
    job = do_start_run(period, "projection", actor=None)
    worker = subprocess.Popen(
        [sys.executable, "-m", "downline", "worker", "--no-startup-delay", "--interval", "0.2"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            job.refresh_from_db()
            if job.status in (RunJob.Status.DONE, RunJob.Status.FAILED):
                break
            if worker.poll() is not None:
                raise SystemExit(f"the worker exited with {worker.returncode}")
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    if job.status != RunJob.Status.DONE:
        raise SystemExit(f"the projection failed: {job.error}")
    run = Run.objects.get(pk=job.run_id)
    steps = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in run.timings.items())
    chunks = RunTrace.objects.filter(run=run)
    size = sum(len(data) for data in chunks.values_list("data", flat=True))
    say(f"  run #{run.pk} steps: {steps}")
    say(f"  traces: {chunks.count():,} chunks, {size / 1e6:.1f} MB")
    say(f"projection under downline worker, queued to done: {elapsed:.1f} s (target 30 s)")
    read_traces(run, RunResult)


def read_traces(run, result_model) -> None:
    """Seconds to read single traces back, as the statement and dashboard do."""
    import random

    from downline.compensation import traces
    from downline.compensation.selectors import trace_of

    ids = list(
        result_model.objects.filter(run=run).values_list("distributor_id", flat=True)[:200_000]
    )
    picks = random.Random(1).sample(ids, min(50, len(ids)))
    timings = []
    for distributor_id in picks:
        traces._decoded.clear()  # cold: fetch, decode and render one chunk's row
        result = result_model.objects.select_related("run__plan_version").get(
            run=run, distributor_id=distributor_id
        )
        began = time.perf_counter()
        trace_of(result)
        timings.append(time.perf_counter() - began)
    timings.sort()
    say(
        f"  reading one trace (fetch, decode, render; {len(timings)} distributors): "
        f"median {timings[len(timings) // 2] * 1000:.1f} ms, "
        f"max {timings[-1] * 1000:.1f} ms"
    )


def final_only(args: argparse.Namespace) -> None:
    setup(args)
    from downline.engine.memory import tune_process_memory

    tune_process_memory()  # as `downline run` does
    from downline.compensation.runs import do_run_final
    from downline.periods.models import Period

    period = Period.objects.get(code=args.month)
    started = time.perf_counter()
    last = [started]

    def step(name: str) -> None:
        now = time.perf_counter()
        say(f"  {name}: {now - last[0]:.1f} s")
        last[0] = now

    run = do_run_final(period, on_step=step)
    total = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    say(f"  (traces as numbers: {run.timings.get('traces', 0):.1f} s of the results step)")
    say(
        f"final run #{run.pk}: {run.distributors:,} distributors, {run.orders:,} orders, "
        f"{run.lines:,} lines, {run.total_paid / 100:,.2f} {run.currency} paid"
    )
    say(f"final run total: {total:.1f} s (target 90 s); peak memory {peak:.2f} GB (target 12 GB)")


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} / {fifteen:.1f}"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.final_only:
        final_only(args)
        return 0
    say(f"machine: {platform.node()} · {os.cpu_count()} cores · Python {platform.python_version()}")
    say(f"plan: {args.plan.name}; {args.distributors:,} distributors; month {args.month}")
    say(load_average())
    if not args.reuse:
        load(args)
    setup(args)
    if args.reuse:
        reset(args)
    say("projection (queued, run by downline worker):")
    projection_under_worker(args)
    say(load_average())
    forwarded = [a for a in (argv if argv is not None else sys.argv[1:]) if a != "--reuse"]
    command = [sys.executable, __file__, *forwarded, "--final-only"]
    say("final run (fresh process):")
    from django.db import connections

    connections.close_all()
    subprocess.run(command, check=True)
    say(load_average())
    from downline.ledger.checks import violations

    started = time.perf_counter()
    found = violations()
    say(f"ledger check: {len(found)} violations in {time.perf_counter() - started:.1f} s")
    for sentence in found[:10]:
        say(f"  {sentence}")
    if args.drop:
        import psycopg

        connections.close_all()
        with psycopg.connect(f"{args.server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        say(f"dropped {args.database}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
