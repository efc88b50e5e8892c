"""Load a synthetic network into PostgreSQL and time the network reads of a top leader.

    .venv/bin/python benchmarks/load_network.py                 # 1,000,000 distributors
    .venv/bin/python benchmarks/load_network.py --distributors 100000 --shape deep

Steps, each timed and printed:

1. drop and recreate the database (default ``dl_bench`` at 127.0.0.1:5432, user postgres)
   and migrate it;
2. generate the network and its orders with ``downline.dataset.synth`` (seeded) and write
   ``distributors.csv`` and ``orders.csv`` to a temporary directory;
3. import both files through ``downline.exchange.importing.import_files`` (the code path of
   ``downline import``), with its phases;
4. for the member with the largest front line (the top leader), time page 1 (50 rows) of the
   three-level downline (``genealogy.selectors.downline_page``) and, for the deepest member,
   the upline path (``upline_path``), in both trees: warm-up runs, then the median and the
   95th percentile of the repetitions. A read slower than the target is explained with
   ``EXPLAIN ANALYZE``.

This is a measurement script, not a test; BENCHMARKS.md records its figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

TARGET_MS = 50.0


def _previous_month(today: date) -> str:
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--distributors", type=int, default=1_000_000)
    parser.add_argument(
        "--orders-per-distributor",
        type=float,
        default=2.0,
        help="orders per distributor besides the starter kit every newcomer buys (default 2: "
        "with the kits, 3,000,000 orders for 1,000,000 distributors)",
    )
    parser.add_argument(
        "--customers-per-distributor",
        type=float,
        default=0.0,
        help="retail customers per distributor (default 0: none)",
    )
    parser.add_argument("--shape", choices=("random", "deep", "wide"), default="random")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--month",
        default=_previous_month(datetime.now(UTC).date()),
        help="month of the orders, YYYY-MM",
    )
    parser.add_argument("--database", default="dl_bench")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--repeat", type=int, default=50, help="timed runs of each read")
    parser.add_argument("--warmup", type=int, default=5, help="untimed runs first")
    parser.add_argument("--keep-files", type=Path, help="write the CSV files here and keep them")
    return parser.parse_args(argv)


def recreate_database(server: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def say(text: str) -> None:
    print(text, flush=True)


def timed(label: str, action: Callable[[], object]) -> object:
    started = time.perf_counter()
    result = action()
    say(f"{label}: {time.perf_counter() - started:.1f} s")
    return result


def measure(action: Callable[[], object], *, repeat: int, warmup: int) -> tuple[float, float]:
    """Median and 95th percentile, in milliseconds."""
    for _ in range(warmup):
        action()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return statistics.median(samples), p95


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ["DATABASE_URL"] = f"{args.server}/{args.database}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "downline.settings.base"
    say(f"machine: {platform.node()} · {os.cpu_count()} cores · Python {platform.python_version()}")
    say(f"database: {args.database} (dropped and recreated)")
    timed("create the database", lambda: recreate_database(args.server, args.database))

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from downline.dataset.csv_io import write_network, write_orders
    from downline.dataset.synth import SynthOptions, synthesize
    from downline.engine.tree import depth_of
    from downline.exchange.importing import company_shape, import_files

    timed("migrate", lambda: call_command("migrate", verbosity=0))
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        say(f"PostgreSQL {cursor.fetchone()[0]}")

    options = SynthOptions(
        distributors=args.distributors,
        seed=args.seed,
        shape=args.shape,
        placement=company_shape(),
        last_month=args.month,
        months=1,
        orders_per_distributor=args.orders_per_distributor,
        customers_per_distributor=args.customers_per_distributor,
    )
    network, orders = timed(
        f"synthesize {args.distributors:,} distributors ({args.shape})",
        lambda: synthesize(options),
    )
    say(
        f"  {len(network):,} members, {len(orders):,} orders ({int(orders.is_return.sum()):,} returns)"
    )
    folder = args.keep_files or Path(tempfile.mkdtemp(prefix="dl_bench_"))
    folder.mkdir(parents=True, exist_ok=True)
    distributors_csv, orders_csv = folder / "distributors.csv", folder / "orders.csv"

    def write() -> None:
        write_network(network, distributors_csv, shape=company_shape())
        write_orders(orders, network, orders_csv)

    timed(f"write the CSV files to {folder}", write)
    say("import (downline import):")
    started = time.perf_counter()
    report = import_files(distributors_csv, orders_csv, progress=lambda line: say(f"  {line}"))
    import_seconds = time.perf_counter() - started
    say(
        f"import total: {import_seconds:.1f} s for {report.members:,} members, "
        f"{report.orders:,} orders, {report.returns:,} returns"
    )
    if not args.keep_files:
        distributors_csv.unlink()
        orders_csv.unlink()
        folder.rmdir()

    results = time_reads(network, depth_of, args)
    incremental_import(network, orders, args)
    say("")
    say("| read | member | rows | median ms | p95 ms |")
    say("|---|---|---|---|---|")
    for label, member, rows, median, p95 in results:
        say(f"| {label} | {member} | {rows} | {median:.2f} | {p95:.2f} |")
    missed = [row for row in results if row[4] > TARGET_MS]
    say("")
    say("all reads within the target" if not missed else f"{len(missed)} reads miss the target")
    return 0


def time_reads(network, depth_of, args: argparse.Namespace) -> list[tuple]:
    import numpy as np
    from django.db import connection

    from downline.genealogy.models import Distributor
    from downline.genealogy.selectors import downline_page, upline_path

    distributors = np.flatnonzero(~network.is_customer)
    front = np.bincount(
        network.sponsor[distributors][network.sponsor[distributors] >= 0], minlength=len(network)
    )
    leader_row = int(np.argmax(front))
    sponsor_depth = depth_of(network.sponsor)
    placement_depth = depth_of(network.placement)
    deep_sponsor_row = int(np.argmax(np.where(network.is_customer, -1, sponsor_depth)))
    deep_placement_row = int(np.argmax(np.where(network.is_customer, -1, placement_depth)))
    leader = Distributor.objects.get(member_id=network.ids[leader_row])
    say("")
    say(
        f"top leader {leader.member_id}: {int(front[leader_row]):,} personally enrolled "
        f"distributors; deepest member {network.ids[deep_sponsor_row]} at enrollment level "
        f"{int(sponsor_depth[deep_sponsor_row])}, {network.ids[deep_placement_row]} at "
        f"placement level {int(placement_depth[deep_placement_row])}"
    )
    results = []
    for tree in ("enrollment", "placement"):
        page = downline_page(leader, tree, 3, 1, 50)
        median, p95 = measure(
            lambda tree=tree: downline_page(leader, tree, 3, 1, 50),
            repeat=args.repeat,
            warmup=args.warmup,
        )
        results.append(
            (
                f"downline_page, {tree}, 3 levels, page 1 of 50",
                leader.member_id,
                f"{len(page.rows)} of {page.total:,}",
                median,
                p95,
            )
        )
        if p95 > TARGET_MS:
            explain_downline(connection, leader.pk, tree)
    for tree, row in (("enrollment", deep_sponsor_row), ("placement", deep_placement_row)):
        member = Distributor.objects.get(member_id=network.ids[row])
        path = upline_path(member, tree)
        median, p95 = measure(
            lambda member=member, tree=tree: upline_path(member, tree),
            repeat=args.repeat,
            warmup=args.warmup,
        )
        results.append((f"upline_path, {tree}", member.member_id, f"{len(path):,}", median, p95))
    return results


def incremental_import(network, orders, args: argparse.Namespace) -> None:
    """A day's import into the loaded database: 1,000 new members placed under existing
    members, 3,000 orders of new and existing members, 100 returns of stored orders."""
    import numpy as np
    from django.utils import timezone

    from downline.dataset.synth import CATALOGUE
    from downline.exchange.importing import import_files

    rng = np.random.default_rng(args.seed + 1)
    distributors = np.flatnonzero(~network.is_customer & (network.status == 0))
    has_child = np.zeros(len(network), dtype=bool)
    has_child[network.placement[network.placement >= 0]] = True
    leaves = distributors[~has_child[distributors]]
    hosts = rng.choice(leaves, size=1_000, replace=False)
    now = timezone.now()
    today = timezone.localdate()
    members = [f"N{number:07d}" for number in range(len(hosts))]
    member_rows = [
        f"{member},{network.ids[host]},,L,{today.isoformat()},active,distributor"
        for member, host in zip(members, hosts.tolist(), strict=True)
    ]
    buyers = members + [network.ids[row] for row in rng.choice(distributors, size=2_000).tolist()]
    items = CATALOGUE[rng.integers(0, len(CATALOGUE), len(buyers))]
    order_rows = []
    for number, (buyer, item) in enumerate(zip(buyers, items.tolist(), strict=True)):
        paid = now.replace(microsecond=0) - timedelta(seconds=int(rng.integers(60, 3600)))
        pv, cv, amount = (f"{value / 100:.2f}" for value in item)
        order_rows.append(
            f"T{number:07d},{buyer},{paid.isoformat()},{pv},{cv},{amount},EUR,product,"
        )
    returned = set(orders.returns[orders.returns >= 0].tolist())
    recent = range(max(0, len(orders) - 200_000), len(orders))
    candidates = [row for row in recent if row not in returned]
    candidates = [row for row in candidates if orders.returns[row] < 0]
    for number, row in enumerate(rng.choice(candidates, size=100, replace=False).tolist()):
        pv, cv, amount = (
            f"{int(value) / 100:.2f}"
            for value in (orders.pv[row], orders.cv[row], orders.amount[row])
        )
        order_rows.append(
            f"TR{number:05d},{network.ids[int(orders.member[row])]},{now.replace(microsecond=0).isoformat()},"
            f"{pv},{cv},{amount},EUR,product,{orders.ids[row]}"
        )
    folder = Path(tempfile.mkdtemp(prefix="dl_bench_day_"))
    (folder / "distributors.csv").write_text(
        "id,sponsor_id,placement_id,placement_position,joined_on,status,kind\n"
        + "\n".join(member_rows)
        + "\n"
    )
    (folder / "orders.csv").write_text(
        "id,distributor_id,paid_at,pv,cv,amount,currency,kind,returns_order_id\n"
        + "\n".join(order_rows)
        + "\n"
    )
    say("")
    say("incremental import into the loaded database (1,000 members, 3,000 orders, 100 returns):")
    started = time.perf_counter()
    report = import_files(
        folder / "distributors.csv", folder / "orders.csv", progress=lambda line: say(f"  {line}")
    )
    say(
        f"incremental import total: {time.perf_counter() - started:.1f} s for "
        f"{report.members:,} members, {report.orders:,} orders, {report.returns:,} returns"
    )
    for name in ("distributors.csv", "orders.csv"):
        (folder / name).unlink()
    folder.rmdir()


def explain_downline(connection, member_pk: int, tree: str) -> None:
    from downline.genealogy.tree_sql import TABLE, downline_cte

    cte = downline_cte(tree, distributors_only=True)
    sql = f"""EXPLAIN (ANALYZE, BUFFERS) WITH RECURSIVE {cte}
SELECT d.*, w.lvl AS level FROM downline w JOIN {TABLE} d ON d.id = w.id
ORDER BY w.lvl, d.member_id LIMIT 50 OFFSET 0"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [member_pk, 3])
        say(f"EXPLAIN ANALYZE of the {tree} downline page:")
        for (line,) in cursor.fetchall():
            say(f"    {line}")


if __name__ == "__main__":
    sys.exit(main())
