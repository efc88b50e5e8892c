"""Capture page throughput on PostgreSQL: requests per second and p95 latency of ``GET /p/<slug>/``
served by gunicorn, measured over HTTP from concurrent clients.

    .venv/bin/python benchmarks/capture_page.py                      # 30 s, 16 clients, 4 workers
    .venv/bin/python benchmarks/capture_page.py --seconds 60 --clients 32 --workers 8

Steps: drop and recreate ``dl_capture_bench`` (127.0.0.1:5432, user postgres), migrate it,
create a distributor, a page template in four languages with a B variant and the distributor's
page; start ``gunicorn downline.wsgi`` (``--workers`` sync workers) on a free port; warm up,
then ``--clients`` threads each with a keep-alive HTTP connection request the page for
``--seconds``, every fourth client in German. Printed: requests, req/s, p50/p95/p99 latency,
errors, and whether the target (300 req/s, p95 < 50 ms) was met. The database is dropped unless
``--keep``. A measurement script, not a test.
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
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
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


def client_loop(url: str, deadline: float, language: str, times: list, errors: list) -> None:
    import httpx

    cookies = {"django_language": language}
    with httpx.Client(timeout=10, cookies=cookies) as client:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                response = client.get(url)
                ok = response.status_code == 200
            except httpx.HTTPError:
                ok = False
            elapsed = time.perf_counter() - started
            (times if ok else errors).append(elapsed)


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
    import django

    django.setup()
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    say(f"migrate: {time.perf_counter() - started:.1f} s")
    slug = prepare()
    from django.db import connections

    connections.close_all()

    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "downline.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=dict(os.environ),
    )
    url = f"http://127.0.0.1:{port}/p/{slug}/"
    try:
        import httpx

        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("gunicorn did not answer within 60 s")
            time.sleep(0.5)
        for _ in range(50):  # warm every worker's connection and the cache
            httpx.get(url, timeout=5)
        times: list[float] = []
        errors: list[float] = []
        end = time.perf_counter() + args.seconds
        threads = [
            threading.Thread(
                target=client_loop,
                args=(url, end, "de" if n % 4 == 3 else "en", times, errors),
            )
            for n in range(args.clients)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    ms = sorted(t * 1000 for t in times)
    rps = len(ms) / seconds
    p95 = ms[int(len(ms) * 0.95) - 1] if ms else float("nan")
    say(
        f"{len(ms):,} requests in {seconds:.1f} s: {rps:.0f} req/s; latency p50 "
        f"{statistics.median(ms):.1f} ms, p95 {p95:.1f} ms, p99 {ms[int(len(ms) * 0.99) - 1]:.1f} ms;"
        f" errors {len(errors)} ({args.clients} clients, {args.workers} gunicorn workers)"
    )
    met = rps >= TARGET_RPS and p95 < TARGET_P95_MS
    say(
        f"target: {TARGET_RPS} req/s with p95 < {TARGET_P95_MS:.0f} ms: {'met' if met else 'NOT met'}"
    )
    if not args.keep and not args.reuse:
        connections.close_all()
        admin_execute(args.server, f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
