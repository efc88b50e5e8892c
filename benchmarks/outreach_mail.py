"""Outbound e-mail throughput on PostgreSQL: 100,000 due mails dispatched by two worker processes
into a local SMTP server (aiosmtpd), counting duplicates.

    .venv/bin/python benchmarks/outreach_mail.py                  # 100,000 mails, 2 workers
    .venv/bin/python benchmarks/outreach_mail.py --mails 20000 --workers 4 --keep

Steps, each timed and printed:

1. drop and recreate the database (default ``dl_outreach_bench`` at 127.0.0.1:5432, user
   postgres) and migrate it;
2. queue ``--mails`` due mails (``OutboundMail`` rows, one idempotency key each; transactional,
   so the real clock's quiet hours do not hold them back) with ``outreach.mail.queue_many``;
3. start an SMTP server on 127.0.0.1 in this process (it counts every message by its
   ``X-Downline-Key``) and ``--workers`` processes of ``manage outreach_send --mail-only``
   (each claims batches with ``SELECT … FOR UPDATE SKIP LOCKED`` and sends until nothing is due);
4. print the wall time, mails per second, messages received, distinct keys and duplicates, and
   the rows' states. The target: within 10 minutes, no duplicate.

The database is dropped unless ``--keep``. This is a measurement script, not a test.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import os
import platform
import secrets
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 600


def say(text: str) -> None:
    print(text, flush=True)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mails", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--database", default="dl_outreach_bench")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the migrated database, empty the mails"
    )
    return parser.parse_args(argv)


class Counting:
    def __init__(self) -> None:
        self.keys: Counter[str] = Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.compat32)
        with self.lock:
            self.keys[message.get("X-Downline-Key", "")] += 1
        return "250 OK"

    def total(self) -> int:
        with self.lock:
            return sum(self.keys.values())


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def admin_execute(server: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        for statement in statements:
            admin.execute(statement)


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
    import logging

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-command lines
    from aiosmtpd.controller import Controller
    from django.core.management import call_command
    from django.utils import timezone

    from downline.outreach.mail import queue_many
    from downline.outreach.models import OutboundMail

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    say(f"migrate: {time.perf_counter() - started:.1f} s")
    OutboundMail.objects.all().delete()

    started = time.perf_counter()
    now = timezone.now()
    for first in range(0, args.mails, 10_000):
        rows = [
            OutboundMail(
                key=f"bench:{n}",
                to_email=f"r{n}@example.org",
                kind="bench",
                subject=f"Benchmark mail {n}",
                body_text="Hello,\n\nthis is a benchmark mail.\n",
                transactional=True,
                due_at=now,
            )
            for n in range(first, min(first + 10_000, args.mails))
        ]
        queue_many(rows)
    say(f"queued {args.mails:,} mails: {time.perf_counter() - started:.1f} s")

    handler = Counting()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    env = dict(os.environ, DOWNLINE_SMTP_URL=f"smtp://127.0.0.1:{port}")
    command = [
        sys.executable,
        "-m",
        "django",
        "outreach_send",
        "--mail-only",
        "--batch",
        str(args.batch),
    ]
    started = time.perf_counter()
    workers = [
        subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
        for _ in range(args.workers)
    ]
    last = 0
    while any(worker.poll() is None for worker in workers):
        time.sleep(5)
        total = handler.total()
        say(f"  {time.perf_counter() - started:6.0f} s: {total:,} received (+{total - last:,})")
        last = total
        if time.perf_counter() - started > 2 * TARGET_SECONDS:
            for worker in workers:
                worker.kill()
            say("gave up after twice the target time")
    seconds = time.perf_counter() - started
    controller.stop()
    received = handler.total()
    distinct = len(handler.keys)
    duplicates = received - distinct
    states = dict(Counter(OutboundMail.objects.values_list("state", flat=True)))
    say(
        f"dispatched {received:,} mails with {args.workers} workers in {seconds:.1f} s "
        f"({received / seconds:.0f} mails/s); distinct keys {distinct:,}; duplicates {duplicates}"
    )
    say(f"states: {states}")
    say(
        f"target: {args.mails:,} within {TARGET_SECONDS} s, no duplicate: "
        f"{'met' if seconds <= TARGET_SECONDS and duplicates == 0 and distinct == args.mails else 'NOT met'}"
    )
    if not args.keep:
        from django.db import connections

        connections.close_all()
        admin_execute(args.server, f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
    return 0 if duplicates == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
