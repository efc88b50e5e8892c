"""Orders through the REST API on PostgreSQL: 8 concurrent clients against ``downline serve``.

    .venv/bin/python benchmarks/api_orders.py                      # 20,000 members, 20 s
    .venv/bin/python benchmarks/api_orders.py --clients 8 --seconds 30 --distributors 100000

Steps, each timed and printed:

1. drop and recreate the database (default ``dl_h17_apibench`` at 127.0.0.1:5432, user
   postgres), migrate it, load a synthetic network through ``downline import``
   (``exchange.importing.import_files``), create one product and an integration key with
   ``orders:write`` (``api.actions.do_create_api_key``).
2. start ``downline serve`` (gunicorn, ``--workers``/``--threads``) on 127.0.0.1 with the rate
   limit raised out of the way, and wait for ``/healthz``.
3. ``--clients`` threads, each with its own keep-alive HTTP connection, ``POST /api/v1/orders``
   (one line, a random distributor, a fresh ``Idempotency-Key``) until ``--seconds`` pass;
   every answer must be 201.
4. orders/s and p50/p99/max latency as the clients saw them; then every live volume of the
   period is compared with a recomputation from the orders
   (``orders.selectors.compare_period_volumes``, the check of ``manage check_volumes``), and the
   number of orders in the database with the number of 201 answers.
5. the server stops; the database is dropped unless ``--keep``.

A measurement script, not a test; BENCHMARKS.md records its figures. It stops by itself.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

TARGET_ORDERS_PER_SECOND = 300.0
TARGET_P99_MS = 150.0
PRODUCT_SKU = "BENCH-API"
ROOT = Path(__file__).resolve().parent.parent


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--distributors", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument(
        "--warmup",
        type=float,
        default=5.0,
        help="seconds of orders before the measurement (each worker loads the API once)",
    )
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--port", type=int, default=8717)
    parser.add_argument("--database", default="dl_h17_apibench")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument(
        "--redis",
        default="",
        help="DOWNLINE_REDIS_URL for the server (e.g. redis://127.0.0.1:6379/0): rate-limit "
        "counters in Redis instead of the database cache",
    )
    parser.add_argument(
        "--key-cache-seconds",
        type=float,
        default=0.0,
        help="DOWNLINE_API_KEY_CACHE_SECONDS for the server (0: the key is read per request)",
    )
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="use the database as a --keep run left it (a new key; orders already there stay)",
    )
    return parser.parse_args(argv)


def say(text: str) -> None:
    print(text, flush=True)


def admin_execute(server: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        for statement in statements:
            admin.execute(statement)


def environment(args: argparse.Namespace) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"{args.server}/{args.database}",
        DJANGO_SETTINGS_MODULE="downline.settings.base",
        DOWNLINE_SECRET_KEY=env.get("DOWNLINE_SECRET_KEY") or secrets.token_urlsafe(50),
        DOWNLINE_API_RATE_LIMIT="100000000",
    )
    if args.redis:
        env["DOWNLINE_REDIS_URL"] = args.redis
    else:
        env.pop("DOWNLINE_REDIS_URL", None)
    return env


def setup(args: argparse.Namespace) -> tuple[str, list[str]]:
    """Migrate, load the network, make the product and the key; the token and the buyers."""
    import django

    django.setup()
    from django.core.management import call_command

    from downline.dataset.csv_io import write_network
    from downline.dataset.synth import SynthOptions, synthesize
    from downline.exchange.importing import company_shape, import_files
    from downline.orders.actions import do_create_product

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    say(f"migrate: {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    options = SynthOptions(
        distributors=args.distributors,
        seed=1,
        shape="random",
        placement=company_shape(),
        orders_per_distributor=0.0,
        customers_per_distributor=0.0,
    )
    network, _orders = synthesize(options)
    folder = Path(tempfile.mkdtemp(prefix="dl_h17_api_"))
    members_csv = folder / "distributors.csv"
    write_network(network, members_csv, shape=company_shape())
    report = import_files(members_csv, None, progress=lambda line: None)
    members_csv.unlink()
    folder.rmdir()
    say(f"network: {report.members:,} members in {time.perf_counter() - started:.1f} s")
    do_create_product(
        PRODUCT_SKU, {"en": "API benchmark item"}, pv=1000, cv=800, prices={"EUR": 2500}
    )
    return key_and_buyers()


def reuse() -> tuple[str, list[str]]:
    """A new key and the buyers of a database that an earlier ``--keep`` run left."""
    import django

    django.setup()
    return key_and_buyers()


def key_and_buyers() -> tuple[str, list[str]]:
    """A new integration key with ``orders:write`` and the active distributors' member ids."""
    from django.db import connections

    from downline.api.actions import do_create_api_key
    from downline.genealogy.models import Distributor

    token = do_create_api_key(name="benchmark", scopes=["orders:write"], created_by=None).token
    buyers = list(
        Distributor.objects.filter(
            kind=Distributor.Kind.DISTRIBUTOR, status=Distributor.Status.ACTIVE
        ).values_list("member_id", flat=True)
    )
    connections.close_all()
    return token, buyers


def stored_orders() -> int:
    from django.db import connections

    from downline.orders.models import Order

    count = Order.objects.count()
    connections.close_all()
    return count


def start_server(args: argparse.Namespace) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "downline",
        "serve",
        "--bind",
        f"127.0.0.1:{args.port}",
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
    ]
    env = environment(args)
    if args.key_cache_seconds > 0:
        # a settings module of this run only: the base settings and the key cache
        folder = Path(tempfile.mkdtemp(prefix="dl_ord_api_settings_"))
        (folder / "dl_api_bench_settings.py").write_text(
            "from downline.settings.base import *  # noqa: F403\n"
            f"DOWNLINE_API_KEY_CACHE_SECONDS = {args.key_cache_seconds!r}\n"
        )
        env["DJANGO_SETTINGS_MODULE"] = "dl_api_bench_settings"
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(folder), env.get("PYTHONPATH")]))
    server = subprocess.Popen(
        command,
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.3)
    stop_server(server)
    raise SystemExit("the server did not answer /healthz within 60 s")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def client(
    index: int, args: argparse.Namespace, token: str, buyers: list[str], stop_at: float, out: list
) -> None:
    """Place orders until ``stop_at``; append (latency s, status) to ``out``."""
    rng = random.Random(index)
    connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
    samples = []
    while time.monotonic() < stop_at:
        body = json.dumps(
            {
                "buyer": rng.choice(buyers),
                "currency": "EUR",
                "lines": [{"sku": PRODUCT_SKU, "quantity": 1 + rng.randrange(3)}],
            }
        )
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": uuid.uuid4().hex,
        }
        started = time.perf_counter()
        try:
            connection.request("POST", "/api/v1/orders", body, headers)
            response = connection.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
            status = 0
        samples.append((time.perf_counter() - started, status))
    connection.close()
    out.extend(samples)


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux ``/proc``); 0 once gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_processes(root: int) -> list[int]:
    """``root`` and every process below it (gunicorn's arbiter and workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, queue = [], [root]
    while queue:
        pid = queue.pop()
        found.append(pid)
        queue.extend(children.get(pid, []))
    return found


def database_backends(args: argparse.Namespace) -> list[int]:
    """The PostgreSQL server processes serving connections to the benchmark database."""
    import psycopg

    with psycopg.connect(f"{args.server}/postgres", autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s "
            "AND backend_type = 'client backend'",
            [args.database],
        ).fetchall()
    return [int(row[0]) for row in rows]


def measure(args: argparse.Namespace, token: str, buyers: list[str]) -> list:
    samples: list = []
    stop_at = time.monotonic() + args.seconds
    threads = [
        threading.Thread(target=client, args=(i, args, token, buyers, stop_at, samples))
        for i in range(args.clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return samples


def check_volumes(created: int, warmed: int) -> bool:
    from downline.orders.models import Order
    from downline.orders.selectors import compare_period_volumes
    from downline.periods.models import Period

    exact = True
    for period in Period.objects.filter(orders__isnull=False).distinct():
        differences = compare_period_volumes(period)
        say(f"period {period.code}: {len(differences)} live volume rows differ from the orders")
        exact = exact and not differences
    stored = Order.objects.count()
    say(f"orders stored: {stored:,}; 201 answers: {created:,} (and {warmed:,} before)")
    return exact and stored == created + warmed


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    env = environment(args)
    os.environ.update(
        {
            k: env[k]
            for k in (
                "DATABASE_URL",
                "DJANGO_SETTINGS_MODULE",
                "DOWNLINE_SECRET_KEY",
                "DOWNLINE_API_RATE_LIMIT",
            )
        }
    )
    say(
        f"python {platform.python_version()}, {os.cpu_count()} cores, "
        f"{args.clients} clients, gunicorn {args.workers}×{args.threads}"
    )
    if not args.reuse:
        admin_execute(
            args.server,
            f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)',
            f'CREATE DATABASE "{args.database}"',
        )
    server = None
    try:
        token, buyers = reuse() if args.reuse else setup(args)
        earlier = stored_orders()
        server = start_server(args)
        warmed = 0
        if args.warmup > 0:
            warm = measure(
                argparse.Namespace(**{**vars(args), "seconds": args.warmup}), token, buyers
            )
            warmed = sum(1 for _latency, status in warm if status == 201)
            say(f"warm-up: {warmed} orders in {args.warmup:.0f} s (not counted)")
        workers = server_processes(server.pid)
        cpu_before = {pid: process_cpu_seconds(pid) for pid in workers}
        backends_before = {pid: process_cpu_seconds(pid) for pid in database_backends(args)}
        client_before = time.process_time()
        samples = measure(args, token, buyers)
        client_cpu = time.process_time() - client_before
        server_cpu = sum(process_cpu_seconds(pid) - cpu_before[pid] for pid in workers)
        backend_cpu = sum(
            process_cpu_seconds(pid) - backends_before.get(pid, 0.0)
            for pid in database_backends(args)
        )
        stop_server(server)
        server = None
        latencies = sorted(s for s, status in samples if status == 201)
        errors = [status for _s, status in samples if status != 201]
        rate = len(latencies) / args.seconds
        p50 = statistics.median(latencies) * 1000 if latencies else float("nan")
        p99 = latencies[int(0.99 * (len(latencies) - 1))] * 1000 if latencies else float("nan")
        say(
            f"orders: {len(latencies):,} in {args.seconds:.0f} s = {rate:,.0f} orders/s "
            f"(target ≥ {TARGET_ORDERS_PER_SECOND:.0f})"
        )
        say(
            f"latency: p50 {p50:.1f} ms, p99 {p99:.1f} ms (target < {TARGET_P99_MS:.0f}), "
            f"max {max(latencies, default=0) * 1000:.1f} ms"
        )
        say(f"non-201 answers: {len(errors)} {sorted(set(errors))}")
        per_order = 1000 / max(1, len(latencies))
        total = (server_cpu + backend_cpu) * per_order
        say(
            f"CPU per order: server {server_cpu * per_order:.2f} ms + PostgreSQL backends "
            f"{backend_cpu * per_order:.2f} ms = {total:.2f} ms (at most "
            f"{os.cpu_count() * 1000 / total if total else float('nan'):.0f} orders/s on "
            f"{os.cpu_count()} cores); the load generator {client_cpu * per_order:.2f} ms"
        )
        say(
            f"rate-limit counters: {'Redis ' + args.redis if args.redis else 'database cache'}; "
            f"API keys kept {args.key_cache_seconds:g} s per process"
        )
        exact = check_volumes(len(latencies), warmed + earlier)
        say("live volumes exact: " + ("yes" if exact else "NO"))
        return 0 if exact and not errors else 1
    finally:
        if server is not None:
            stop_server(server)
        from django.db import connections

        connections.close_all()
        if not args.keep:
            admin_execute(args.server, f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
