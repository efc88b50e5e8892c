"""Contest scoring at scale: 1,000,000 distributors, synthetic arrays (no database).

    .venv/bin/python benchmarks/contest_scoring.py [--members 1000000] [--orders 3000000]
    DOWNLINE_VAR_DIR=… .venv/bin/python benchmarks/contest_scoring.py --database

Prints the seconds of each step of ``downline.contests.scoring`` for a customer-volume contest
with per-order and per-customer caps, a PV contest with the own-purchases share cap, and a
count contest; then ranking and tiers. The target is < 3 s for the whole contest.
"""

from __future__ import annotations

import argparse
import os
import time
from fractions import Fraction

import numpy as np

from downline.contests import scoring


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=3_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--database",
        action="store_true",
        help="instead: score every published contest of the configured database "
        "(DATABASE_URL or DOWNLINE_VAR_DIR) from its tables, and store the standings",
    )
    args = parser.parse_args()
    if args.database:
        from_tables()
        return
    rng = np.random.default_rng(args.seed)
    n, k = args.members, args.orders
    # 2 retail customers per distributor on average, each enrolled by one distributor; 40% of
    # the orders are the distributors' own
    sponsor = rng.integers(0, n, size=2 * n)
    own = rng.random(k) < 0.4
    customer = rng.integers(0, 2 * n, size=k)
    member = np.where(own, rng.integers(0, n, size=k), sponsor[customer])
    buyer = np.where(own, 2 * n + member, customer)
    volume = rng.integers(500, 20_000, size=k)
    moment = rng.integers(0, 31 * 86_400 * 1_000_000, size=k)
    eligible = rng.random(n) < 0.9
    tiers = [{"threshold": 50_000, "top": None}, {"threshold": None, "top": 100}]
    print(
        f"{n:,} distributors, {k:,} orders; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    for label, share in (("customer_volume", None), ("pv (own ≤ 30%)", Fraction(3, 10))):
        started = time.perf_counter()
        scores = scoring.volume_scores(
            n,
            member,
            buyer,
            volume,
            own,
            moment,
            per_order=15_000,
            per_customer=40_000,
            own_share=share,
        )
        scored = time.perf_counter()
        position = scoring.rank(scores, eligible)
        ranked = time.perf_counter()
        scoring.assign_tiers(scores.score, position, tiers)
        done = time.perf_counter()
        print(
            f"{label:18s} score {scored - started:6.2f} s  rank {ranked - scored:5.2f} s  "
            f"tiers {done - ranked:5.2f} s  total {done - started:5.2f} s  "
            f"ranked {int((position > 0).sum()):,}"
        )
    started = time.perf_counter()
    scores = scoring.count_scores(n, member, np.ones(k, dtype=np.int64), moment)
    position = scoring.rank(scores, eligible)
    print(f"{'count metric':18s} total {time.perf_counter() - started:5.2f} s")


def from_tables() -> None:
    """Read, score and store every published contest of the configured database, 3 times."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "downline.settings.base")
    import django

    django.setup()
    from django.db import connection

    from downline.contests import compute
    from downline.contests.actions import definition_of
    from downline.contests.models import Contest

    for contest in Contest.objects.filter(status=Contest.Status.PUBLISHED):
        for _ in range(3):
            started = time.perf_counter()
            result = compute.compute(definition_of(contest))
            scored = time.perf_counter()
            compute.store_standings(contest, result)
            done = time.perf_counter()
            print(
                f"{connection.vendor} {contest.slug}: {len(result.member_ids):,} distributors, "
                f"read + score {scored - started:.2f} s, store {done - scored:.2f} s, "
                f"ranked {int((result.position > 0).sum()):,}"
            )


if __name__ == "__main__":
    main()
