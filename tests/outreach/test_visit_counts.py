"""Visits counted in the shared cache and folded into the page's figures: exact counts, each
visit once, nothing lost when a fold fails or runs twice, conversion right at every moment."""

from __future__ import annotations

import secrets
import threading
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import transaction
from django.test import override_settings

from downline.outreach import visits
from downline.outreach.models import PageStat
from downline.outreach.pages import _count_signup, page_stats

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC).timestamp()  # a slot boundary (5 s)


def _figures(page, at: float) -> dict[str, tuple[int, int, int]]:
    """The page's figures as the dashboard shows them at the instant ``at``."""
    with time_machine.travel(at, tick=False):
        rows = page_stats(page)
    return {r["variant"]: (r["visits"], r["signups"], r["conversion_pm"]) for r in rows}


def _rows(page) -> dict[str, int]:
    return dict(PageStat.objects.filter(page=page).values_list("variant", "visits"))


def test_visits_are_folded_once_after_their_slot_closed(pages_):
    page = pages_[0]
    for second in range(20):  # four slots of five seconds
        visits.count_visit(page.pk, "a", now=NOON + second)
        visits.count_visit(page.pk, "b", now=NOON + second + 0.5)
    visits.count_visit(page.pk, "b", now=NOON + 30)
    assert _rows(page) == {}  # nothing written while visiting
    assert _figures(page, NOON + 31) == {"a": (20, 0, 0), "b": (21, 0, 0)}

    # at NOON + 22 only the slots that ended GRACE_SLOTS slots ago are folded
    assert visits.fold_visits(now=NOON + 22) == 2 * 10
    assert _rows(page) == {"a": 10, "b": 10}
    assert _figures(page, NOON + 31) == {"a": (20, 0, 0), "b": (21, 0, 0)}  # the rest still counted

    assert visits.fold_visits(now=NOON + 60) == 21
    assert visits.fold_visits(now=NOON + 60) == 0  # folding again adds nothing
    assert visits.fold_visits(now=NOON + 120) == 0
    assert _rows(page) == {"a": 20, "b": 21}
    assert _figures(page, NOON + 31) == {"a": (20, 0, 0), "b": (21, 0, 0)}


def test_a_fold_that_fails_loses_nothing(pages_):
    page = pages_[0]
    for n in range(7):
        visits.count_visit(page.pk, "a", now=NOON + n)

    class Boom(Exception):
        pass

    def fold_then_fail() -> None:
        with transaction.atomic():
            assert visits.fold_visits(now=NOON + 60) == 7
            raise Boom  # the transaction that held the fold rolls back

    with pytest.raises(Boom):
        fold_then_fail()
    assert _rows(page) == {}
    assert _figures(page, NOON + 31) == {"a": (7, 0, 0)}
    assert visits.fold_visits(now=NOON + 60) == 7
    assert _rows(page) == {"a": 7}


def test_conversion_per_variant_counts_unfolded_visits(pages_):
    page = pages_[0]
    for n in range(40):
        visits.count_visit(page.pk, "a" if n % 2 else "b", now=NOON + n / 10)
    _count_signup(page, "a")
    _count_signup(page, "b")
    _count_signup(page, "b")
    assert _figures(page, NOON + 31) == {"a": (20, 1, 50), "b": (20, 2, 100)}
    visits.fold_visits(now=NOON + 60)
    assert _figures(page, NOON + 31) == {"a": (20, 1, 50), "b": (20, 2, 100)}


def test_visits_land_on_the_company_day_they_happened(pages_, settings):
    page = pages_[0]
    settings.DOWNLINE_TIME_ZONE = "Europe/Berlin"
    late = datetime(2026, 3, 2, 22, 59, 58, tzinfo=UTC).timestamp()  # 23:59:58 in Berlin
    visits.count_visit(page.pk, "a", now=late)
    visits.count_visit(page.pk, "a", now=late + 3)  # 00:00:01 the next day, same slot
    visits.fold_visits(now=late + 60)
    days = dict(PageStat.objects.filter(page=page).values_list("day", "visits"))
    assert {d.isoformat(): n for d, n in days.items()} == {"2026-03-02": 1, "2026-03-03": 1}


def test_concurrent_visits_are_all_counted(pages_):
    page, other = pages_

    def visit(n: int) -> None:
        for i in range(150):
            visits.count_visit((page if i % 3 else other).pk, "ab"[n % 2], now=NOON + i / 20)

    threads = [threading.Thread(target=visit, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert visits.fold_visits(now=NOON + 60) == 8 * 150
    assert sum(_rows(page).values()) == 8 * 100
    assert sum(_rows(other).values()) == 8 * 50


def test_visits_of_a_deleted_page_are_dropped(pages_):
    page, other = pages_
    visits.count_visit(page.pk, "a", now=NOON)
    visits.count_visit(other.pk, "a", now=NOON)
    page.delete()
    assert visits.fold_visits(now=NOON + 60) == 2  # read, and the live page's one written
    assert _rows(other) == {"a": 1}


def test_a_cache_that_cannot_count_atomically_writes_each_visit(pages_):
    database_cache = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "downline_cache",
        }
    }
    page = pages_[0]
    with override_settings(CACHES=database_cache):
        assert not visits.counts_in_cache()
        visits.count_visit(page.pk, "a", now=NOON)
        visits.count_visit(page.pk, "a", now=NOON + 1)
        assert _rows(page) == {"a": 2}
        assert visits.fold_visits(now=NOON + 60) == 0
        assert _figures(page, NOON + 31) == {"a": (2, 0, 0)}


def _redis_url() -> str | None:
    import socket

    with socket.socket() as probe:
        probe.settimeout(0.2)
        if probe.connect_ex(("127.0.0.1", 6379)) != 0:
            return None
    return "redis://127.0.0.1:6379/7"


def test_visits_counted_in_redis(pages_):
    url = _redis_url()
    if url is None:
        pytest.skip("needs a Redis server on 127.0.0.1:6379")
    redis_cache = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": f"dl-test-{secrets.token_hex(8)}",  # a fresh key space
        }
    }
    page = pages_[0]
    with override_settings(CACHES=redis_cache):
        threads = [
            threading.Thread(
                target=lambda: [
                    visits.count_visit(page.pk, "b", now=NOON + i / 50) for i in range(100)
                ]
            )
            for _ in range(4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert _figures(page, NOON + 31) == {"b": (400, 0, 0)}
        assert visits.fold_visits(now=NOON + 60) == 400
        assert visits.fold_visits(now=NOON + 60) == 0
        assert _figures(page, NOON + 31) == {"b": (400, 0, 0)}
