"""Outbound e-mail on PostgreSQL: 100,000 due mails dispatched by two worker processes into a
local SMTP server (aiosmtpd), counting duplicates; then the time from a sign-up on a capture page
to its first sequence e-mail in that server, with the worker loop running.

    .venv/bin/python benchmarks/outreach_mail.py                  # 100,000 mails, 2 workers
    .venv/bin/python benchmarks/outreach_mail.py --mails 20000 --workers 4 --keep
    .venv/bin/python benchmarks/outreach_mail.py --no-pipelining  # a server without PIPELINING

Steps, each timed and printed:

1. drop and recreate the database (default ``dl_outreach_bench`` at 127.0.0.1:5432, user
   postgres) and migrate it;
2. queue ``--mails`` due mails (``OutboundMail`` rows, one idempotency key each; transactional,
   so the real clock's quiet hours do not hold them back) with ``outreach.mail.queue_many``;
3. start an SMTP server on 127.0.0.1 in this process (it counts every message by its
   ``X-Downline-Key``) and ``--workers`` processes of ``manage outreach_send --mail-only``
   (each claims batches with ``SELECT … FOR UPDATE SKIP LOCKED`` and sends until nothing is due);
4. print the wall time, mails per second, messages received, distinct keys and duplicates, and
   the rows' states. The target: within 10 minutes, no duplicate;
5. latency (``--signups`` times, 0 to skip): a distributor with a capture page and an active
   sequence started by ``contact.signed_up`` whose first step has no delay; one worker process
   runs the production loop (``manage outreach_send --loop --interval 3``: outbox → enrollment
   → due step → mail sent, as ``downline worker`` does every 3 s); this process signs a visitor
   up (``pages.do_capture``, the visitor's time zone one where it is daytime now, so quiet
   hours do not hold the mail) and waits for the server to receive the mail whose key is that
   enrollment's first step. Prints each latency and the worst; the target: under 60 s.

The SMTP server offers PIPELINING (RFC 2920) as Postfix, Exim and the providers' relays do, so
the workers send MAIL, RCPT and DATA in one write; ``--no-pipelining`` measures a server
without it (aiosmtpd's default, the tests' server).

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
    parser.add_argument("--signups", type=int, default=5, help="latency samples (0: none)")
    parser.add_argument("--no-pipelining", action="store_true")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the migrated database, empty the mails"
    )
    return parser.parse_args(argv)


class Counting:
    """aiosmtpd handler: counts messages by ``X-Downline-Key`` and notes when each key first
    arrived."""

    def __init__(self, pipelining: bool = True) -> None:
        self.keys: Counter[str] = Counter()
        self.arrived: dict[str, float] = {}
        self.lock = threading.Lock()
        self.pipelining = pipelining

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self.pipelining:  # aiosmtpd reads commands in order: pipelined ones work
            return [*responses[:-1], "250-PIPELINING", responses[-1]]
        return responses

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.compat32)
        key = message.get("X-Downline-Key", "")
        with self.lock:
            self.keys[key] += 1
            self.arrived.setdefault(key, time.perf_counter())
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
    port = free_port()
    os.environ["DATABASE_URL"] = f"{args.server}/{args.database}"
    # this process's own mail (the sign-up's opt-in confirmation) goes to the same server
    os.environ["DOWNLINE_SMTP_URL"] = f"smtp://127.0.0.1:{port}"
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

    handler = Counting(pipelining=not args.no_pipelining)
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
    met = seconds <= TARGET_SECONDS and duplicates == 0 and distinct == args.mails
    if args.signups:
        latencies = measure_latency(handler, env, args.signups)
        worst = max(latencies) if latencies else float("inf")
        say(
            f"event → first e-mail: {', '.join(f'{x:.1f}' for x in latencies)} s; "
            f"worst {worst:.1f} s; target under 60 s: {'met' if worst < 60 else 'NOT met'}"
        )
    controller.stop()
    if not args.keep:
        from django.db import connections

        connections.close_all()
        admin_execute(args.server, f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
    return 0 if duplicates == 0 and met else 1


DAYTIME_ZONES = (
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Australia/Sydney",
    "Pacific/Honolulu",
)


def daytime_zone() -> str:
    """A time zone where it is between 10:00 and 19:00 now (outside the default quiet hours)."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    now = datetime.now(UTC)
    for name in DAYTIME_ZONES:
        if 10 <= now.astimezone(ZoneInfo(name)).hour < 19:
            return name
    raise RuntimeError("no daytime zone in the list")  # the list covers every hour of the day


def latency_setup():
    """A distributor with a capture page and an active sign-up sequence (first step at once)."""
    from django.utils import timezone

    from downline.genealogy.actions import do_enroll
    from downline.genealogy.models import Distributor
    from downline.outreach.models import PageTemplate, Sequence, SequenceStep
    from downline.outreach.pages import do_create_page

    owner = Distributor.objects.filter(member_id="BENCH-LAT").first() or do_enroll(
        member_id="BENCH-LAT",
        sponsor=None,
        joined_on=timezone.localdate(),
        effective_at=timezone.now(),
        name="Lena Latency",
    )
    template, _new = PageTemplate.objects.get_or_create(
        key="bench-latency",
        defaults={"name": "Free guide", "content": {"en": {"headline": "A free guide"}}},
    )
    sequence, _new = Sequence.objects.get_or_create(
        key="bench-welcome",
        defaults={"name": "Welcome", "trigger": Sequence.Trigger.SIGNED_UP},
    )
    SequenceStep.objects.get_or_create(
        sequence=sequence,
        position=1,
        defaults={
            "delay_minutes": 0,
            "content": {
                "en": {
                    "subject": "Welcome, {{first_name}}",
                    "body": "Hello {{first_name}},\n\nyour guide from {{distributor}}: {{page_url}}",
                }
            },
        },
    )
    return do_create_page(owner, template, slug="bench-latency")


def measure_latency(handler: Counting, env: dict[str, str], signups: int) -> list[float]:
    """Sign visitors up one after the other with the worker loop running; seconds from each
    sign-up's commit to its first sequence mail in the SMTP server."""
    from downline.outreach.models import Enrollment
    from downline.outreach.pages import do_capture

    page = latency_setup()
    command = [sys.executable, "-m", "django", "outreach_send", "--loop", "--interval", "3"]
    worker = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    latencies = []
    try:
        time.sleep(5)  # the worker's start (Django, first tick)
        for n in range(signups):
            address = f"visitor-{os.getpid()}-{n}@example.org"
            started = time.perf_counter()
            do_capture(
                page,
                email=address,
                first_name=f"Visitor {n}",
                language="en",
                variant="a",
                time_zone=daytime_zone(),
            )
            deadline = started + 2 * 60
            arrived = None
            while arrived is None and time.perf_counter() < deadline:
                time.sleep(0.05)
                enrollment = Enrollment.objects.filter(email=address).first()
                if enrollment is not None:
                    with handler.lock:
                        arrived = handler.arrived.get(f"enr:{enrollment.pk}:1")
            latency = (arrived or time.perf_counter()) - started
            say(
                f"  sign-up {n + 1}: first e-mail after {latency:.1f} s"
                + ("" if arrived else " (gave up)")
            )
            latencies.append(latency)
            time.sleep(1)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    return latencies


if __name__ == "__main__":
    raise SystemExit(main())
