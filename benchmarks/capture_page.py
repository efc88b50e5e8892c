"""Capture page throughput on PostgreSQL: requests per second and p95 latency of ``GET /p/<slug>/``
served by ``downline serve`` (gunicorn, threaded workers, keep-alive), measured over HTTP from
concurrent clients on the same machine.

    .venv/bin/python benchmarks/capture_page.py                  # 30 s, 8 clients, 3×4 server
    .venv/bin/python benchmarks/capture_page.py --workers 2 --threads 8 --client-processes 1
    .venv/bin/python benchmarks/capture_page.py --no-redis       # the database cache instead

Steps: drop and recreate ``dl_capture_bench`` (127.0.0.1:5432, user postgres), migrate it,
create a distributor, a page template in four languages with a B variant and the distributor's
page; empty the benchmark's Redis database (``--redis``, the shared cache of production:
``DOWNLINE_REDIS_URL``); start ``downline serve`` (``--workers`` processes × ``--threads``
threads) on a free port; warm up, then ``--clients`` keep-alive HTTP connections (spread over
``--client-processes`` processes, ``http.client``) request the page for ``--seconds``, every
fourth client in German. Printed: requests, req/s, p50/p95/p99 latency, errors; the CPU
seconds the server's processes and the load generator used, per request; whether the target
(300 req/s, p95 < 50 ms) was met. Last, the visits counted in the cache are folded
(``outreach.visits.fold_visits``) and compared with the pages served: they must be equal.
The database is dropped unless ``--keep``. A measurement script, not a test.
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_RPS = 300
TARGET_P95_MS = 50.0


def say(text: str) -> None:
    print(text, flush=True)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--no-redis", action="store_true", help="the database cache instead")
    parser.add_argument("--database", default="dl_capture_bench")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="use the migrated database as it is")
    return parser.parse_args(argv)


def admin_execute(server: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        for statement in statements:
            admin.execute(statement)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def prepare() -> str:
    from datetime import date

    from downline.genealogy.actions import do_enroll
    from downline.genealogy.models import Distributor
    from downline.outreach.models import Page, PageTemplate
    from downline.outreach.pages import do_create_page

    if Page.objects.filter(slug="bench").exists():
        return "bench"
    if Distributor.objects.filter(member_id="BENCH-1").exists():
        raise SystemExit("BENCH-1 exists without its page; rebuild the database")
    member = do_enroll(
        member_id="BENCH-1", sponsor=None, joined_on=date(2026, 1, 1), name="Bench Leader"
    )
    template = PageTemplate.objects.create(
        key="bench",
        name="Bench",
        content={
            lang: {"headline": f"Free guide ({lang})", "body": "## Five steps\n\n" + "Text. " * 200}
            for lang in ("en", "ru", "pl", "de")
        },
        content_b={"en": {"headline": "Variant B", "body": "Short text."}},
        lead_course="basics",
    )
    return do_create_page(member, template, slug="bench").slug


def client_loop(port: int, path: str, deadline: float, language: str, out: list) -> None:
    """One visitor's keep-alive connection, requesting the page until ``deadline``."""
    import http.client

    headers = {"Cookie": f"django_language={language}", "Connection": "keep-alive"}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    times, errors = [], 0
    while time.time() < deadline:
        started = time.perf_counter()
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            ok = response.status == 200
        except (OSError, http.client.HTTPException):
            ok = False
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        if ok:
            times.append(time.perf_counter() - started)
        else:
            errors += 1
    connection.close()
    out.append((times, errors))


def client_process(port: int, path: str, deadline: float, numbers: list[int]) -> tuple:
    """Threads for the clients ``numbers``; returns latencies, errors and this process's CPU."""
    out: list = []
    threads = [
        threading.Thread(
            target=client_loop, args=(port, path, deadline, "de" if n % 4 == 3 else "en", out)
        )
        for n in numbers
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [t for times, _e in out for t in times], sum(e for _t, e in out), time.process_time()


def process_tree(pid: int) -> list[int]:
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    queue += [int(c) for c in handle.read().split()]
        except OSError:
            pass
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of ``pids`` (``/proc/<pid>/stat`` fields 14 and 15)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / ticks


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all cores from ``/proc/stat``."""
    with open("/proc/stat") as handle:
        values = [int(v) for v in handle.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def main(argv=None) -> int:
    args = parse_args(argv)
    say(f"machine: {platform.node()} · {os.cpu_count()} cores · load {os.getloadavg()[0]:.1f}")
    if not args.reuse:
        admin_execute(
            args.server,
            f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)',
            f'CREATE DATABASE "{args.database}"',
        )
    os.environ["DATABASE_URL"] = f"{args.server}/{args.database}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "downline.settings.base"
    os.environ.setdefault("DOWNLINE_SECRET_KEY", secrets.token_urlsafe(50))
    if args.no_redis:
        os.environ.pop("DOWNLINE_REDIS_URL", None)
    else:
        os.environ["DOWNLINE_REDIS_URL"] = args.redis
    import logging

    import django

    django.setup()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    from django.core.cache import cache
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    say(f"migrate: {time.perf_counter() - started:.1f} s")
    from django.db.models import Sum

    from downline.outreach.models import PageStat
    from downline.outreach.visits import GRACE_SLOTS, SLOT_SECONDS, fold_visits

    cache.clear()  # the benchmark's own Redis database (or cache table)
    slug = prepare()
    counted_before = PageStat.objects.aggregate(n=Sum("visits"))["n"] or 0
    from django.db import connections

    connections.close_all()

    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "downline"),
            "serve",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--threads",
            str(args.threads),
        ],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,  # gunicorn's access log: one line per request
    )
    path = f"/p/{slug}/"
    served = 0
    try:
        import httpx

        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("downline serve did not answer within 90 s")
            time.sleep(0.5)
        with httpx.Client() as warm:  # every worker's connections and the cache
            for n in range(100):
                language = "de" if n % 2 else "en"
                if (
                    warm.get(
                        f"http://127.0.0.1:{port}{path}", cookies={"django_language": language}
                    ).status_code
                    == 200
                ):
                    served += 1
        from concurrent.futures import ProcessPoolExecutor

        groups = [
            list(range(args.clients))[i :: args.client_processes]
            for i in range(args.client_processes)
        ]
        server_pids = process_tree(server.pid)
        cpu_before = cpu_seconds(server_pids)
        busy_before = machine_busy()
        end = time.time() + args.seconds
        with ProcessPoolExecutor(len(groups)) as pool:
            started = time.perf_counter()
            futures = [pool.submit(client_process, port, path, end, group) for group in groups]
            results = [future.result() for future in futures]
            seconds = time.perf_counter() - started
        cpu_server = cpu_seconds(server_pids) - cpu_before
        busy_after = machine_busy()
    finally:
        server.terminate()
        server.wait(timeout=30)
    times = [t for result in results for t in result[0]]
    errors = sum(result[1] for result in results)
    cpu_clients = sum(result[2] for result in results)
    served += len(times)
    ms = sorted(t * 1000 for t in times)
    rps = len(ms) / seconds
    p95 = ms[int(len(ms) * 0.95) - 1] if ms else float("nan")
    say(
        f"{len(ms):,} requests in {seconds:.1f} s: {rps:.0f} req/s; latency p50 "
        f"{statistics.median(ms):.1f} ms, p95 {p95:.1f} ms, p99 {ms[int(len(ms) * 0.99) - 1]:.1f} ms;"
        f" errors {errors} ({args.clients} clients in {args.client_processes} processes; "
        f"{args.workers} workers × {args.threads} threads; cache "
        f"{'database' if args.no_redis else 'Redis'})"
    )
    busy = (busy_after[0] - busy_before[0]) / max(1, busy_after[1] - busy_before[1])
    say(
        f"CPU: server {cpu_server:.1f} s = {cpu_server / max(1, len(ms)) * 1000:.2f} ms per "
        f"request (at most {len(ms) / cpu_server if cpu_server else 0:.0f} req/s per core); "
        f"load generator {cpu_clients:.1f} s = {cpu_clients / max(1, len(ms)) * 1000:.2f} ms per "
        f"request; machine {busy * 100:.0f}% busy over {os.cpu_count()} cores"
    )
    met = rps >= TARGET_RPS and p95 < TARGET_P95_MS
    say(
        f"target: {TARGET_RPS} req/s with p95 < {TARGET_P95_MS:.0f} ms: {'met' if met else 'NOT met'}"
    )
    time.sleep((GRACE_SLOTS + 1) * SLOT_SECONDS + 1)  # until the last slot may be folded
    fold_visits()
    counted = (PageStat.objects.aggregate(n=Sum("visits"))["n"] or 0) - counted_before
    # a request the client gave up on (an error) may still have been served and counted
    exact = served <= counted <= served + errors
    say(
        f"visits: {served:,} pages served ({errors} errors), {counted:,} visits counted after "
        f"the fold: {'exact' if exact else 'MISMATCH'}"
    )
    if not args.keep and not args.reuse:
        connections.close_all()
        admin_execute(args.server, f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
    return 0 if exact else 1


if __name__ == "__main__":
    raise SystemExit(main())
