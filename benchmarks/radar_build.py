"""Build the sponsor's radar for every distributor of a 1,000,000-member network on PostgreSQL.

    .venv/bin/python benchmarks/radar_build.py                        # load, project, build
    .venv/bin/python benchmarks/radar_build.py --reuse                # build again on the loaded data
    .venv/bin/python benchmarks/radar_build.py --distributors 100000

Steps, each timed and printed:

1. (unless ``--reuse``) load the network and one month of orders the way
   ``benchmarks/period_close.py`` does (its ``load``: synthetic network, ``downline import``'s
   code path, the plan activated) into its own database (default ``dl_radar``), then a
   projection of the month (``compensation.runs.do_run_projection``), so the radar has the
   engine's numbers to read;
2. the radar of the month's 20th day for every sponsor (``growth.tasks.run_radar_build``:
   a job with a heartbeat; newcomers, inactive with PV missing, close to the next rank from
   the projection (each condition missed and the legs below the cap, read from the
   projection's stored traces), rank dropped, failed autoships, expiring certificates, then every item
   stored with ``COPY`` and each sponsor's digest notification), with the seconds of each step
   and the number of items per reason.

The target: under 60 s for 1,000,000 distributors. Not a test; BENCHMARKS.md holds the figures.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import period_close  # noqa: E402  (the shared loader)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--distributors", type=int, default=1_000_000)
    parser.add_argument("--orders-per-distributor", type=float, default=2.0)
    parser.add_argument("--plan", type=Path, default=HERE.parent / "plans" / "kitchen-sink.yaml")
    parser.add_argument("--month", default=period_close._previous_month())
    parser.add_argument("--database", default="dl_radar")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuse", action="store_true", help="keep the loaded database")
    args = parser.parse_args(argv)
    say = period_close.say
    say(f"{args.distributors:,} distributors; month {args.month}; {period_close.load_average()}")
    if args.reuse:
        period_close.setup(args)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    else:
        period_close.load(args)
    from django.db.models import Count

    from downline.compensation.models import Run
    from downline.compensation.runs import do_run_projection
    from downline.growth.models import Notification, RadarItem
    from downline.growth.tasks import run_radar_build
    from downline.periods.models import Period

    period = Period.objects.get(code=args.month)
    if not Run.objects.filter(period=period, kind=Run.Kind.PROJECTION).exists():
        started = time.perf_counter()
        do_run_projection(period)
        say(f"projection of {args.month}: {time.perf_counter() - started:.1f} s")
    year, month = (int(part) for part in args.month.split("-"))
    day = date(year, month, 20)
    # the previous build's rows, in two statements (the ORM's delete would load every row)
    RadarItem.objects.filter(day=day)._raw_delete(RadarItem.objects.db)
    Notification.objects.filter(kind="radar_digest")._raw_delete(Notification.objects.db)
    started = time.perf_counter()
    build = run_radar_build(day)
    total = time.perf_counter() - started
    steps = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in build.seconds.items())
    say(f"  steps: {steps}")
    per_reason = (
        RadarItem.objects.filter(day=day)
        .values("reason")
        .annotate(n=Count("id"))
        .order_by("reason")
    )
    say("  items: " + ", ".join(f"{row['reason']} {row['n']:,}" for row in per_reason))
    sponsors = RadarItem.objects.filter(day=day).values("sponsor_id").distinct().count()
    say(f"  sponsors with a radar: {sponsors:,}")
    say(
        f"radar of {day} for {args.distributors:,} distributors: {build.items:,} items in "
        f"{total:.1f} s, digests included (target 60 s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
