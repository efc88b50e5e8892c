"""Server time of the back-office pages on a 1,000,000-distributor PostgreSQL database.

    .venv/bin/python benchmarks/web_pages.py                  # reuse dl_bench_web or build it
    .venv/bin/python benchmarks/web_pages.py --rebuild        # build it again

The database (default ``dl_bench_web`` at 127.0.0.1:5432) is built by
``benchmarks/load_network.py`` (synthetic network and orders loaded through the import path)
unless it already holds at least ``--distributors`` distributors. Two members get a login: the
top leader (the largest front line) and a mid-level distributor (the first with 500 to 5,000
members in their enrollment team). For each, Django's test client requests the dashboard, the
team page in both trees, one expanded tree node (HTMX fragment) and the level-2 list:
``--warmup`` untimed requests, then ``--requests`` timed ones; the median and the 95th
percentile of the server time (request to response in-process, no network) are printed, and
the tree search (``web.selectors.search_downline``) is timed for a member-id prefix and a name.
Targets: pages < 150 ms p95, search < 100 ms p95. This is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

PAGE_TARGET_MS = 150.0
SEARCH_TARGET_MS = 100.0
HERE = Path(__file__).resolve().parent


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--distributors", type=int, default=1_000_000)
    parser.add_argument("--database", default="dl_bench_web")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--rebuild", action="store_true")
    return parser.parse_args(argv)


def stored_distributors(server: str, name: str) -> int:
    """Distributors in database ``name``; 0 when it or its tables do not exist."""
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return 0
    try:
        with psycopg.connect(f"{server}/{name}") as conn:
            row = conn.execute(
                "SELECT COUNT(*) FROM genealogy_distributor WHERE kind = 'distributor'"
            ).fetchone()
            return int(row[0])
    except psycopg.Error:
        return 0


def measure(action: Callable[[], object], *, repeat: int, warmup: int) -> tuple[float, float]:
    for _ in range(warmup):
        action()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(0, round(0.95 * len(samples)) - 1)]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    have = 0 if args.rebuild else stored_distributors(args.server, args.database)
    if have < args.distributors:
        print(f"building {args.database} with {args.distributors:,} distributors", flush=True)
        subprocess.run(
            [
                sys.executable,
                str(HERE / "load_network.py"),
                "--database",
                args.database,
                "--server",
                args.server,
                "--distributors",
                str(args.distributors),
                "--repeat",
                "3",
                "--warmup",
                "1",
            ],
            check=True,
        )
    else:
        print(f"reusing {args.database}: {have:,} distributors", flush=True)

    os.environ["DATABASE_URL"] = f"{args.server}/{args.database}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "downline.settings.base"
    os.environ.setdefault("DOWNLINE_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    import django

    django.setup()
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse

    from downline.accounts.actions import do_create_user
    from downline.accounts.models import User
    from downline.genealogy.actions import do_update_details
    from downline.genealogy.models import Distributor
    from downline.web.selectors import search_downline

    top = (
        Distributor.objects.filter(kind="distributor")
        .annotate(recruits=Count("enrollees"))
        .order_by("-recruits", "id")
        .first()
    )
    mid = (
        Distributor.objects.filter(
            kind="distributor", enrollment_downline__gte=500, enrollment_downline__lte=5000
        )
        .order_by("id")
        .first()
    )
    results: list[tuple[str, str, float, float, float]] = []
    for role, member in (("top leader", top), ("mid-level", mid)):
        if member.user_id is None:
            username = f"bench-{member.member_id.lower()}"
            user = User.objects.filter(username=username).first() or do_create_user(
                username, password="bench-password-long"
            )
            member = do_update_details(member, user=user)
        user = User.objects.get(pk=member.user_id)
        client = Client()
        client.force_login(user)
        first_child = (
            Distributor.objects.filter(
                sponsor=member, kind="distributor", enrollment_downline__gt=0
            )
            .order_by("member_id")
            .first()
        )
        pages = [
            ("dashboard", reverse("web:dashboard"), {}),
            ("team (enrollment)", reverse("web:team") + "?tree=enrollment", {}),
            ("team (placement)", reverse("web:team") + "?tree=placement", {}),
            ("team levels (level 2)", reverse("web:team_levels") + "?level=2", {}),
        ]
        if first_child is not None:
            pages.append(
                (
                    "tree node expanded (HTMX)",
                    reverse("web:tree_children", args=[first_child.member_id]),
                    {"HX-Request": "true"},
                )
            )
        label = f"{role} {member.member_id} ({member.enrollment_downline:,} in team)"
        for name, url, headers in pages:

            def fetch(url=url, headers=headers, client=client):
                response = client.get(url, headers=headers)
                assert response.status_code == 200, (url, response.status_code)

            median, p95 = measure(fetch, repeat=args.requests, warmup=args.warmup)
            results.append((name, label, median, p95, PAGE_TARGET_MS))
        sample = (
            Distributor.objects.filter(sponsor=first_child or member, kind="distributor")
            .values_list("member_id", "name")
            .first()
        )
        if sample:
            id_prefix = sample[0][:-2]
            name_part = sample[1].split()[-1][:5] if sample[1] else sample[0]
            for name, query in (("search by member id", id_prefix), ("search by name", name_part)):
                median, p95 = measure(
                    lambda query=query, member=member: search_downline(member, query, "enrollment"),
                    repeat=args.requests,
                    warmup=args.warmup,
                )
                results.append((f"{name} ({query!r})", label, median, p95, SEARCH_TARGET_MS))
    print()
    print("| page or read | member | median ms | p95 ms | target ms |")
    print("|---|---|---:|---:|---:|")
    for name, label, median, p95, target in results:
        print(f"| {name} | {label} | {median:.1f} | {p95:.1f} | {target:.0f} |")
    missed = [row for row in results if row[3] > row[4]]
    print()
    print("all within target" if not missed else f"{len(missed)} miss the target")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
