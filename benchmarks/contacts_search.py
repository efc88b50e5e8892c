"""A distributor's contact list searched on PostgreSQL: 20,000 contacts of one distributor
among 1,000,000 contacts of 1,001 distributors.

    .venv/bin/python benchmarks/contacts_search.py            # reuse dl_contacts_bench or build it
    .venv/bin/python benchmarks/contacts_search.py --rebuild  # build it again

The database (default ``dl_contacts_bench`` at 127.0.0.1:5432) is migrated, then filled inside
the server with ``INSERT … SELECT generate_series``: distributor 1 owns ``--own`` contacts, the
other 1,000 share the rest, and ``VACUUM ANALYZE`` leaves the table as autovacuum would. The
database is migrated on every run (an existing one gets new indexes such as
``contacts.0002_search``). Then it times what the list page does for distributor 1 — the
count (the stage chips' sum without a search, ``selectors.count_matches`` with one) and the
first page of 50 of ``selectors.search_contacts`` — for name, e-mail, phone and two-word
searches, a stage filter and a tag filter, and the whole page through Django's test client.
Target: p95 < 100 ms. A measurement, not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

FIRST = ["anna", "jan", "olga", "greta", "maria", "piotr", "ivan", "emma", "lukas", "sofia"]
LAST = [
    "nowak",
    "kowalski",
    "petrova",
    "schmidt",
    "muller",
    "ivanov",
    "smith",
    "brown",
    "wojcik",
    "fischer",
]
TAGS = ["tea", "gym", "neighbour", "webinar", "school"]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--own", type=int, default=20_000)
    parser.add_argument("--database", default="dl_contacts_bench")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--rebuild", action="store_true")
    return parser.parse_args(argv)


def ensure_database(server: str, name: str, rebuild: bool) -> bool:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and rebuild:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
            return True
    return False


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def timed(label: str, fn, runs: int) -> float:
    fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    high = p95(samples)
    print(f"  {label:<44} median {statistics.median(samples):7.1f} ms   p95 {high:7.1f} ms")
    return high


def build(total: int, own: int) -> None:
    from django.db import connection

    owners = 1001
    started = time.perf_counter()
    first = "ARRAY[" + ",".join(f"'{n}'" for n in FIRST) + "]"
    last = "ARRAY[" + ",".join(f"'{n}'" for n in LAST) + "]"
    tags = "ARRAY[" + ",".join(f"'{n}'" for n in TAGS) + "]"
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        cursor.execute(
            """
INSERT INTO genealogy_distributor (id, member_id, kind, name, email, sponsor_id,
    placement_parent_id, placement_position, joined_on, status, country, language, currency,
    enrollment_downline, placement_downline, placement_free_depth, created_at, sponsor_path)
SELECT i, 'M' || lpad(i::text, 6, '0'), 'distributor', 'Member ' || i, '',
    CASE WHEN i = 1 THEN NULL ELSE 1 END, CASE WHEN i = 1 THEN NULL ELSE 1 END, NULL,
    DATE '2024-01-01', 'active', 'DE', 'en', 'EUR', 0, 0, 0, now(),
    CASE WHEN i = 1 THEN '/1/' ELSE '/1/' || i || '/' END
FROM generate_series(1, %s) AS i""",
            [owners],
        )
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('genealogy_distributor', 'id'), %s)", [owners]
        )
        cursor.execute(
            f"""
INSERT INTO contacts_contact (owner_id, email, phone, first_name, last_name, language, time_zone,
    source, source_ref, tags, stage, email_consent, unsubscribe_token, search_text, tag_text,
    created_at, last_activity_at, erased_at)
SELECT owner, lower(f) || '.' || lower(l) || i || '@example.com',
    '+48 600 ' || lpad((i %% 1000000)::text, 6, '0'), initcap(f), initcap(l), 'en', '',
    'page', '', to_jsonb(ARRAY[t]), (ARRAY['new','contacted','presented','customer','distributor'])[1 + i %% 5],
    'none', md5(i::text) || i,
    f || ' ' || l || ' ' || lower(f) || '.' || lower(l) || i || '@example.com +48 600 '
        || lpad((i %% 1000000)::text, 6, '0') || ' 48600' || lpad((i %% 1000000)::text, 6, '0') || ' ' || t,
    '|' || t || '|', now() - (i %% 400 || ' days')::interval,
    now() - (i %% 300 || ' hours')::interval, NULL
FROM (
    SELECT i, CASE WHEN i <= %s THEN 1 ELSE 2 + (i %% 1000) END AS owner,
        ({first})[1 + i %% 10] AS f, ({last})[1 + (i / 10) %% 10] AS l,
        ({tags})[1 + (i / 7) %% 5] AS t
    FROM generate_series(1, %s) AS i
) AS rows""",
            [own, total],
        )
    with connection.cursor() as cursor:  # outside a transaction: VACUUM refuses one
        cursor.execute("VACUUM ANALYZE")
    print(f"  {total:,} contacts in {time.perf_counter() - started:.1f} s")


def main(argv=None) -> int:
    args = parse_args(argv)
    new = ensure_database(args.server, args.database, args.rebuild)
    os.environ["DATABASE_URL"] = f"{args.server}/{args.database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "downline.settings.base")
    os.environ.setdefault("DOWNLINE_SECRET_KEY", "contacts-benchmark-only")
    sys.path.insert(0, str(HERE.parent / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"  migrate: {time.perf_counter() - started:.1f} s")
    if new:
        print(f"Building {args.database} …")
        build(args.contacts, args.own)

    from django.conf import settings
    from django.core.paginator import Paginator
    from django.test import Client
    from django.test.utils import setup_test_environment

    from downline.accounts.actions import do_create_user
    from downline.accounts.models import User
    from downline.contacts.selectors import (
        count_matches,
        list_rows,
        search_contacts,
        stage_counts,
    )
    from downline.genealogy.models import Distributor

    owner = Distributor.objects.get(pk=1)
    print(f"distributor 1: {owner.contacts.count():,} contacts")

    def page(**kw):
        """What the list view does: the count (the chips' sum without a search), page 1."""
        contacts = search_contacts(owner, **kw)
        paginator = Paginator(list_rows(contacts), 50)
        if kw.get("query") or kw.get("tag"):
            paginator.__dict__["count"] = count_matches(contacts)
        else:
            counts = stage_counts(owner)
            paginator.__dict__["count"] = (
                counts[kw["stage"]] if kw.get("stage") else sum(counts.values())
            )
        return paginator.count, list(paginator.page(1))

    results = [
        timed("stage counts (the list's chips)", lambda: stage_counts(owner), args.runs),
        timed("no search (first page + count)", lambda: page(), args.runs),
        timed("name 'anna'", lambda: page(query="anna"), args.runs),
        timed("two words 'anna nowak'", lambda: page(query="anna nowak"), args.runs),
        timed("e-mail 'greta.schmidt1234'", lambda: page(query="greta.schmidt1234"), args.runs),
        timed("phone digits '600012'", lambda: page(query="600012"), args.runs),
        timed("no match 'zzzz'", lambda: page(query="zzzz"), args.runs),
        timed("stage 'presented'", lambda: page(stage="presented"), args.runs),
        timed("tag 'gym' + 'ivan'", lambda: page(tag="gym", query="ivan"), args.runs),
    ]
    from django.db import connection

    sql, params = search_contacts(owner, query="anna").order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) SELECT COUNT(*) FROM ({sql}) AS q", params)
        print("  plan of the count of 'anna':")
        for (line,) in cursor.fetchall():
            print(f"    {line}")
    setup_test_environment()
    settings.ALLOWED_HOSTS = ["*"]
    user = User.objects.filter(username="bench-contacts").first() or do_create_user(
        "bench-contacts", password="a-long-benchmark-phrase", email="bench@example.com"
    )
    Distributor.objects.filter(pk=1).update(user=user)
    client = Client()
    client.force_login(user)
    try:
        for url in ("/contacts/", "/contacts/?q=anna", "/contacts/?q=zzzz", "/contacts/?page=300"):
            results.append(
                timed(
                    f"page {url} (test client, whole page)",
                    lambda url=url: client.get(url),
                    args.runs,
                )
            )
    except Exception as error:  # another app's pages may not import while it is being built
        print(f"  page /contacts/ not measured: {type(error).__name__}: {error}")
    worst = max(results)
    print(f"worst p95 {worst:.1f} ms — target < 100 ms: {'met' if worst < 100 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
