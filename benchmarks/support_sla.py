"""Support: how fast the SLA clock and the knowledge-base stemmer are (pure functions, no
database). Prints figures; run with ``.venv/bin/python benchmarks/support_sla.py``."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

import holidays

from downline.support.business_time import BusinessCalendar, add_business_seconds, business_seconds
from downline.support.search import tokens

N = 20_000


def main() -> None:
    calendar = BusinessCalendar(time_zone="Europe/Berlin", holidays=holidays.country_holidays("DE"))
    rng = random.Random(7)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    starts = [base + timedelta(minutes=rng.randrange(0, 365 * 24 * 60)) for _ in range(N)]
    spans = [rng.choice((60, 480, 1440, 2400, 4800)) * 60 for _ in range(N)]
    began = time.perf_counter()
    dues = [add_business_seconds(calendar, s, span) for s, span in zip(starts, spans, strict=True)]
    add_us = (time.perf_counter() - began) / N * 1e6
    began = time.perf_counter()
    for start, due in zip(starts, dues, strict=True):
        business_seconds(calendar, start, due)
    count_us = (time.perf_counter() - began) / N * 1e6
    text = (
        "Каждый оплаченный заказ сразу добавляет личный объём (PV) и комиссионный объём (CV) вам "
        "и групповой объём всем вышестоящим за открытый период. "
    ) * 4
    began = time.perf_counter()
    for _ in range(2000):
        tokens(text, "ru")
    words = len(text.split()) * 2000
    stem_us = (time.perf_counter() - began) / words * 1e6
    print(f"add_business_seconds: {add_us:.1f} µs per due date ({N} tickets, 1 h to 10 days)")
    print(f"business_seconds:     {count_us:.1f} µs per span")
    print(f"stemming (ru):        {stem_us:.2f} µs per word")


if __name__ == "__main__":
    main()
