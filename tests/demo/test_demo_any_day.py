"""The demo seeds on any day: at the edges of months and years, on a leap day and on the days
Europe/Berlin changes its clocks; and a seeding that fails leaves nothing behind.

Each case runs ``downline demo --no-serve`` in its own process and data folder with the clock
set (ticking) to the instant named, then checks the seeded company against that instant.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from .test_demo import downline

BERLIN = ZoneInfo("Europe/Berlin")

INSTANTS = {
    # the first half hour of a month: last month's final runs "now", not at 02:00
    "first-of-month-00-30": "2027-03-01T00:30:00+01:00",
    "tenth-of-month": "2026-12-10T12:00:00+01:00",
    "last-day-23-30": "2026-11-30T23:30:00+01:00",
    "new-year": "2027-01-01T00:30:00+01:00",
    "leap-day": "2028-02-29T12:00:00+01:00",
    # clocks go forward at 02:00 (no 02:30 that day) and back at 03:00 (02:30 happens twice)
    "spring-forward": "2027-03-28T03:30:00+02:00",
    "fall-back": "2027-10-31T02:30:00+01:00",
}


def query(var_dir: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(var_dir / "downline.sqlite3") as db:
        return db.execute(sql).fetchall()


def months_up_to(at: datetime, count: int) -> list[str]:
    year, month = at.year, at.month
    codes = []
    for _ in range(count):
        codes.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return codes[::-1]


@pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")),
    reason="the demo seeds its embedded SQLite database; the SQLite run of the suite covers it",
)
@pytest.mark.parametrize("instant", INSTANTS.values(), ids=INSTANTS.keys())
def test_the_demo_seeds_on_any_day(tmp_path, instant):
    at = datetime.fromisoformat(instant)
    run = downline("demo", "--no-serve", var_dir=tmp_path, at=instant)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Demo ready" in run.stdout
    assert "emma / demo" in run.stdout
    months = months_up_to(at.astimezone(BERLIN), 6)
    periods = query(tmp_path, "SELECT code, status FROM periods_period ORDER BY code")
    assert periods == [(code, "closed") for code in months[:-1]] + [(months[-1], "open")]
    runs = query(
        tmp_path,
        """SELECT p.code, r.kind FROM compensation_run r JOIN periods_period p
           ON p.id = r.period_id ORDER BY p.code""",
    )
    assert runs == [(code, "final") for code in months[:-1]] + [(months[-1], "projection")]
    # nothing is dated after the moment the demo was seeded (the clock ticked a little)
    limit = at.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M")
    for table, column in (
        ("ledger_transaction", "created_at"),
        ("orders_order", "paid_at"),
        ("genealogy_structureevent", "recorded_at"),
        ("payouts_payoutbatch", "created_at"),
    ):
        [(latest,)] = query(tmp_path, f"SELECT MAX({column}) FROM {table}")
        assert latest[:16] <= limit, (table, latest, limit)
    # returns of last month's orders are clawed back in the open period
    clawbacks = query(
        tmp_path,
        "SELECT DISTINCT p.code FROM compensation_clawback c "
        "JOIN periods_period p ON p.id = c.period_id",
    )
    assert clawbacks == [(months[-1],)]
    check = downline("ledger", "check", var_dir=tmp_path, at=instant)
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_failed_seeding_leaves_nothing_and_the_next_start_seeds(tmp_path):
    crashed = downline("--fail-last-step", "demo", "--no-serve", var_dir=tmp_path)
    assert crashed.returncode != 0
    assert "the worker was killed" in crashed.stderr
    for table in ("genealogy_distributor", "orders_order", "accounts_user", "ledger_entry"):
        assert query(tmp_path, f"SELECT COUNT(*) FROM {table}") == [(0,)], table
    again = downline("demo", "--no-serve", var_dir=tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "Seeding the demo company" in again.stdout
    assert "seeding skipped" not in again.stdout
    assert "emma / demo" in again.stdout
