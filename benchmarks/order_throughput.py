"""Orders per second on PostgreSQL: concurrent writers placing orders into a large network.

    .venv/bin/python benchmarks/order_throughput.py                       # 1,000,000 members
    .venv/bin/python benchmarks/order_throughput.py --distributors 100000 --keep
    .venv/bin/python benchmarks/order_throughput.py --reuse --keep        # the loaded database

Steps, each timed and printed:

1. drop and recreate the database (default ``dl_h16_bench`` at 127.0.0.1:5432, user postgres),
   migrate it, generate a network with ``downline.dataset.synth`` (seeded, no orders) and load
   it through ``downline.exchange.importing.import_files`` (the code path of ``downline
   import``). ``--reuse`` skips this and uses the database as it is.
2. ``--writers`` processes (default 16), each with its own connection, place one-line orders
   through ``orders.actions.do_place_order`` for ``--seconds`` (default 60), each for a random
   distributor, all into the open period. Next to them run the live-volume folder of
   ``downline worker`` (``orders.tasks.run_volume_folder``, when the code has one) and a probe
   that places an order for one of its own leaf members every 0.25 s and polls that member's
   folded ``PeriodVolume`` row until the order's PV is in it: the time from the order's commit
   to its volume being visible in the live volumes without any fold on read.
3. Orders/s (overall and the slowest whole second after a 5 s warm-up), p50/p99/max latency
   of ``do_place_order``, the probe's visibility delay, then the folder drains and every live
   volume of the period is compared with a recomputation from the orders
   (``orders.selectors.compare_period_volumes``, the check of ``manage check_volumes``).
4. The database is dropped unless ``--keep``.

This is a measurement script, not a test; BENCHMARKS.md records its figures. It stops by
itself: the writers stop at the deadline, the drain waits at most ``--drain-timeout`` seconds.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import secrets
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

TARGET_ORDERS_PER_SECOND = 500.0
TARGET_P99_MS = 100.0
TARGET_VISIBLE_S = 2.0
PROBE_MEMBERS = 64
PRODUCT_SKU = "BENCH-ORDER"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--distributors", type=int, default=1_000_000)
    parser.add_argument("--shape", choices=("random", "deep", "wide"), default="random")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--drain-timeout", type=float, default=120.0)
    parser.add_argument("--database", default="dl_h16_bench")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--reuse", action="store_true", help="use the loaded database as it is")
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    return parser.parse_args(argv)


def say(text: str) -> None:
    print(text, flush=True)


def admin_execute(server: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        for statement in statements:
            admin.execute(statement)


def setup_django(args: argparse.Namespace) -> None:
    os.environ["DATABASE_URL"] = f"{args.server}/{args.database}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "downline.settings.base"
    os.environ.setdefault("DOWNLINE_SECRET_KEY", secrets.token_urlsafe(50))  # this run only
    import django

    django.setup()


def load_network(args: argparse.Namespace) -> None:
    """Create the database and load a synthetic network through ``downline import``."""
    from django.core.management import call_command

    from downline.dataset.csv_io import write_network
    from downline.dataset.synth import SynthOptions, synthesize
    from downline.exchange.importing import company_shape, import_files

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    say(f"migrate: {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    options = SynthOptions(
        distributors=args.distributors,
        seed=args.seed,
        shape=args.shape,
        placement=company_shape(),
        orders_per_distributor=0.0,
        customers_per_distributor=0.0,
    )
    network, _orders = synthesize(options)
    say(
        f"synthesize {len(network):,} members ({args.shape}): {time.perf_counter() - started:.1f} s"
    )
    folder = Path(tempfile.mkdtemp(prefix="dl_h16_orders_"))
    members_csv = folder / "distributors.csv"
    write_network(network, members_csv, shape=company_shape())
    started = time.perf_counter()
    report = import_files(members_csv, None, progress=lambda line: say(f"  {line}"))
    say(f"import: {time.perf_counter() - started:.1f} s for {report.members:,} members")
    members_csv.unlink()
    folder.rmdir()


def prepare() -> tuple[list[int], list[int], dict[str, float]]:
    """The writers' buyers, the probe's members (leaves nobody else orders for) and the depth
    profile of the network; makes sure the benchmark product exists."""
    import numpy as np
    from django.db.models import Value
    from django.db.models.functions import Coalesce

    from downline.engine.tree import depth_of
    from downline.genealogy.models import Distributor
    from downline.orders.actions import do_create_product
    from downline.orders.models import Product

    if not Product.objects.filter(sku=PRODUCT_SKU).exists():
        do_create_product(
            PRODUCT_SKU, {"en": "Benchmark item"}, pv=1000, cv=800, prices={"EUR": 2500}
        )
    table = np.array(
        list(
            Distributor.objects.order_by("id").values_list(
                "id",
                Coalesce("sponsor_id", Value(-1)),
                Coalesce("placement_parent_id", Value(-1)),
            )
        ),
        dtype=np.int64,
    ).reshape(-1, 3)
    ids = table[:, 0]
    depth = {}
    for column in (1, 2):
        positions = np.full(ids.shape, -1, dtype=np.int64)
        has = table[:, column] >= 0
        positions[has] = np.searchsorted(ids, table[has, column])
        depth[column] = depth_of(positions)
    is_parent = np.zeros(ids.size, dtype=bool)
    for column in (1, 2):
        is_parent[np.searchsorted(ids, table[table[:, column] >= 0, column])] = True
    buying = set(
        Distributor.objects.filter(
            kind=Distributor.Kind.DISTRIBUTOR, status=Distributor.Status.ACTIVE
        ).values_list("id", flat=True)
    )
    can_buy = np.fromiter((int(i) in buying for i in ids), dtype=bool, count=ids.size)
    rng = np.random.default_rng(7)
    leaves = ids[can_buy & ~is_parent]
    probes = rng.choice(leaves, size=min(PROBE_MEMBERS, leaves.size), replace=False)
    buyers = np.setdiff1d(ids[can_buy], probes)
    profile = {
        "members": float(ids.size),
        "enrollment depth mean": float(depth[1].mean()),
        "enrollment depth max": float(depth[1].max()),
        "placement depth mean": float(depth[2].mean()),
        "placement depth max": float(depth[2].max()),
    }
    return buyers.tolist(), probes.tolist(), profile


def _folder_available() -> bool:
    try:
        from downline.orders import tasks

        return hasattr(tasks, "run_volume_folder")
    except ImportError:
        return False


def writer(
    index: int, buyers: list[int], start_at: float, stop_at: float, results: mp.Queue
) -> None:
    """Place orders until ``stop_at``; report (commit time, latency) pairs and errors."""
    import random

    from django.db import connection

    from downline.genealogy.models import Distributor
    from downline.orders.actions import do_place_order
    from downline.orders.models import Product

    connection.close()
    product = Product.objects.get(sku=PRODUCT_SKU)
    rng = random.Random(index)
    samples: list[tuple[float, float]] = []
    errors: dict[str, int] = {}
    server = backend_pid()
    while time.time() < start_at:
        time.sleep(0.001)
    cpu_started = (time.process_time(), process_cpu_seconds(server))
    while time.time() < stop_at:
        buyer = Distributor(pk=rng.choice(buyers))
        started = time.perf_counter()
        try:
            do_place_order(buyer, [(product, 1)], "EUR")
        except Exception as error:  # counted and reported, the writer goes on
            name = type(error).__name__
            errors[name] = errors.get(name, 0) + 1
            continue
        samples.append((time.time(), time.perf_counter() - started))
    cpu = (time.process_time() - cpu_started[0], process_cpu_seconds(server) - cpu_started[1])
    connection.close()
    results.put((samples, errors, cpu))


def probe(probes: list[int], start_at: float, stop_at: float, results: mp.Queue) -> None:
    """Order for a probe member, then poll its folded row until the PV is there."""
    from django.db import connection

    from downline.genealogy.models import Distributor
    from downline.orders.actions import do_place_order
    from downline.orders.models import PeriodVolume, Product

    connection.close()
    product = Product.objects.get(sku=PRODUCT_SKU)
    delays: list[float] = []
    missed = 0
    turn = 0
    while time.time() < start_at:
        time.sleep(0.001)
    while time.time() < stop_at - 3:
        member = probes[turn % len(probes)]
        turn += 1
        before = (
            PeriodVolume.objects.filter(distributor_id=member)
            .order_by("-period_id")
            .values_list("pv", flat=True)
            .first()
            or 0
        )
        order = do_place_order(Distributor(pk=member), [(product, 1)], "EUR")
        committed = time.perf_counter()
        deadline = committed + 10
        while time.perf_counter() < deadline:
            now = PeriodVolume.objects.filter(distributor_id=member, period_id=order.period_id)
            if (now.values_list("pv", flat=True).first() or 0) >= before + order.pv:
                delays.append(time.perf_counter() - committed)
                break
            time.sleep(0.01)
        else:
            missed += 1
        time.sleep(0.25)
    connection.close()
    results.put((delays, missed))


def folder(stop: mp.Event, cpu_out: mp.Queue) -> None:
    from django.db import connection

    from downline.orders.tasks import run_volume_folder

    connection.close()
    connection.settings_dict["CONN_MAX_AGE"] = None  # one backend all along, to measure it
    server = backend_pid()
    cpu_started = (time.process_time(), process_cpu_seconds(server))
    watch = threading.Thread(target=run_volume_folder, args=(stop,), kwargs={"interval": 1.0})
    watch.start()
    stop.wait()
    cpu_out.put(
        (time.process_time() - cpu_started[0], process_cpu_seconds(server) - cpu_started[1])
    )
    watch.join()


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux ``/proc``)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def backend_pid() -> int:
    """The PostgreSQL server process of this process's database connection."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def server_helper_pids() -> list[int]:
    """PostgreSQL's own processes (WAL writer, checkpointer, background writer, autovacuum)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE backend_type <> 'client backend'")
        return [int(row[0]) for row in cursor.fetchall()]


def percentile(sorted_values: list[float], share: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, round(share * (len(sorted_values) - 1)))]


def run(args: argparse.Namespace, buyers: list[int], probes: list[int]) -> dict[str, object]:
    from django.db import connection, connections

    connections.close_all()
    context = mp.get_context("fork")
    results: mp.Queue = context.Queue()
    probe_results: mp.Queue = context.Queue()
    stop_folding = context.Event()
    folder_cpu: mp.Queue = context.Queue()
    helpers = server_helper_pids()
    connections.close_all()
    helpers_cpu_before = sum(process_cpu_seconds(pid) for pid in helpers)
    start_at = time.time() + 3.0
    stop_at = start_at + args.seconds
    folding = None
    if _folder_available():
        folding = context.Process(target=folder, args=(stop_folding, folder_cpu), name="folder")
        folding.start()
    writers = [
        context.Process(target=writer, args=(i, buyers, start_at, stop_at, results))
        for i in range(args.writers)
    ]
    prober = context.Process(target=probe, args=(probes, start_at, stop_at, probe_results))
    for process in [*writers, prober]:
        process.start()
    collected = [results.get(timeout=args.seconds + 120) for _ in writers]
    delays, missed = probe_results.get(timeout=60)
    for process in [*writers, prober]:
        process.join(timeout=30)
    samples = sorted((at, latency) for part, _errors, _cpu in collected for at, latency in part)
    writer_cpu = sum(cpu[0] for _part, _errors, cpu in collected)
    backend_cpu = sum(cpu[1] for _part, _errors, cpu in collected)
    helpers_cpu = sum(process_cpu_seconds(pid) for pid in helpers) - helpers_cpu_before
    errors: dict[str, int] = {}
    for _part, part_errors, _cpu in collected:
        for name, count in part_errors.items():
            errors[name] = errors.get(name, 0) + count
    drain = drain_folder(args) if folding is not None else 0.0
    stop_folding.set()
    folder_seconds = sum(folder_cpu.get(timeout=30)) if folding is not None else 0.0
    if folding is not None:
        folding.join(timeout=30)
    connection.close()
    latencies = sorted(latency * 1000 for _at, latency in samples)
    per_second: dict[int, int] = {}
    for at, _latency in samples:
        per_second[int(at - start_at)] = per_second.get(int(at - start_at), 0) + 1
    steady = [per_second.get(second, 0) for second in range(5, int(args.seconds))]
    delays.sort()
    return {
        "orders": len(samples),
        "orders_per_second": len(samples) / args.seconds,
        "slowest_second": min(steady) if steady else 0,
        "p50_ms": statistics.median(latencies) if latencies else float("nan"),
        "p99_ms": percentile(latencies, 0.99) if latencies else float("nan"),
        "max_ms": latencies[-1] if latencies else float("nan"),
        "errors": errors,
        "visible_p50_s": statistics.median(delays) if delays else float("nan"),
        "visible_max_s": delays[-1] if delays else float("nan"),
        "probes": len(delays),
        "probes_missed": missed,
        "drain_s": drain,
        "folder": folding is not None,
        "cpu_writers_ms": writer_cpu * 1000 / max(1, len(samples)),
        "cpu_backends_ms": backend_cpu * 1000 / max(1, len(samples)),
        "cpu_server_helpers_ms": helpers_cpu * 1000 / max(1, len(samples)),
        "cpu_folder_ms": folder_seconds * 1000 / max(1, len(samples)),
    }


def drain_folder(args: argparse.Namespace) -> float:
    """Seconds until the running folder has folded every delta written."""
    from downline.orders.volumes import pending_change_count

    started = time.perf_counter()
    while time.perf_counter() - started < args.drain_timeout:
        if pending_change_count() == 0:
            break
        time.sleep(0.05)
    return time.perf_counter() - started


def check_exact() -> tuple[int, int, float]:
    """(members compared, members that differ, seconds) for the open period's live volumes."""
    from django.utils import timezone

    from downline.orders.selectors import compare_period_volumes, live_period_volumes
    from downline.periods.models import Period

    period = Period.objects.get(starts_at__lte=timezone.now(), ends_at__gt=timezone.now())
    started = time.perf_counter()
    differences = compare_period_volumes(period)
    seconds = time.perf_counter() - started
    return len(live_period_volumes(period)), len(differences), seconds


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    say(f"machine: {platform.node()} · {os.cpu_count()} cores · load {os.getloadavg()[0]:.1f}")
    if not args.reuse:
        admin_execute(
            args.server,
            f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)',
            f'CREATE DATABASE "{args.database}"',
        )
    setup_django(args)
    if not args.reuse:
        load_network(args)
    else:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    buyers, probes, profile = prepare()
    say(
        f"network: {int(profile['members']):,} members; enrollment depth mean "
        f"{profile['enrollment depth mean']:.1f}, max {int(profile['enrollment depth max'])}; "
        f"placement depth mean {profile['placement depth mean']:.1f}, max "
        f"{int(profile['placement depth max'])}"
    )
    say(f"{args.writers} writers for {args.seconds:.0f} s (load before: {os.getloadavg()[0]:.1f})")
    result = run(args, buyers, probes)
    say(f"load after the run: {os.getloadavg()[0]:.1f} (1 min average)")
    compared, differing, check_seconds = check_exact()
    say("")
    say("| figure | value | target |")
    say("|---|---|---|")
    say(f"| orders placed | {result['orders']:,} | |")
    say(
        f"| orders/s (whole run) | {result['orders_per_second']:.0f} | "
        f"≥ {TARGET_ORDERS_PER_SECOND:.0f} |"
    )
    say(f"| orders in the slowest second (after 5 s) | {result['slowest_second']} | |")
    say(f"| latency p50 | {result['p50_ms']:.1f} ms | |")
    say(f"| latency p99 | {result['p99_ms']:.1f} ms | < {TARGET_P99_MS:.0f} ms |")
    say(f"| latency max | {result['max_ms']:.1f} ms | |")
    say(f"| errors | {result['errors'] or 'none'} | none |")
    say(
        f"| folded row shows the order, p50 / max ({result['probes']} probes, "
        f"{result['probes_missed']} missed) | {result['visible_p50_s']:.3f} s / "
        f"{result['visible_max_s']:.3f} s | < {TARGET_VISIBLE_S:.0f} s |"
    )
    say(f"| folder drained after the last order | {result['drain_s']:.2f} s | |")
    say(f"| CPU per order: writer process (Python) | {result['cpu_writers_ms']:.2f} ms | |")
    say(f"| CPU per order: its PostgreSQL backend | {result['cpu_backends_ms']:.2f} ms | |")
    say(
        f"| CPU per order: PostgreSQL's own processes (WAL writer, checkpointer, …) | "
        f"{result['cpu_server_helpers_ms']:.2f} ms | |"
    )
    say(
        f"| CPU per order: the folder (process and its backend) | "
        f"{result['cpu_folder_ms']:.2f} ms | |"
    )
    total_cpu = (
        result["cpu_writers_ms"]
        + result["cpu_backends_ms"]
        + result["cpu_server_helpers_ms"]
        + result["cpu_folder_ms"]
    )
    say(
        f"| CPU per order in all, and the orders/s {os.cpu_count()} cores could carry at that "
        f"cost | {total_cpu:.2f} ms → {os.cpu_count() * 1000 / total_cpu:.0f} orders/s | |"
    )
    say(
        f"| live volumes == recomputation | {compared - differing:,} of {compared:,} members "
        f"({check_seconds:.1f} s) | all |"
    )
    met = (
        result["orders_per_second"] >= TARGET_ORDERS_PER_SECOND
        and result["p99_ms"] < TARGET_P99_MS
        and (result["visible_max_s"] < TARGET_VISIBLE_S or not result["folder"])
        and differing == 0
        and not result["errors"]
    )
    say("")
    say("targets met" if met else "targets missed")
    if not args.keep:
        from django.db import connections

        connections.close_all()
        admin_execute(args.server, f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        say(f"database {args.database} dropped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
