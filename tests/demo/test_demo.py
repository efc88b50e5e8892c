"""``downline demo --no-serve`` seeds a believable company into a fresh SQLite database.

The command runs as a user runs it: a separate process with its own ``DOWNLINE_VAR_DIR`` and
the default settings (whatever database the test suite itself uses).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest


def downline(
    *args: str, var_dir: Path, database_url: str | None = None
) -> subprocess.CompletedProcess:
    env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env["DOWNLINE_VAR_DIR"] = str(var_dir)
    if database_url:
        env["DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "downline", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    var_dir = tmp_path_factory.mktemp("demo")
    return var_dir, downline("demo", "--no-serve", var_dir=var_dir)


def query(var_dir: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(var_dir / "downline.sqlite3") as db:
        return db.execute(sql).fetchall()


def test_demo_seeds_products_network_orders_and_users(seeded):
    var_dir, run = seeded
    assert run.returncode == 0, run.stderr
    assert "Seeding the demo company" in run.stdout
    assert query(var_dir, "SELECT COUNT(*) FROM orders_product") == [(30,)]
    # names in the four languages, prices in EUR and PLN
    assert query(
        var_dir,
        "SELECT COUNT(*) FROM orders_product WHERE name_ru <> '' AND name_pl <> '' AND name_de <> ''",
    ) == [(30,)]
    assert query(
        var_dir, "SELECT currency, COUNT(*) FROM orders_productprice GROUP BY currency ORDER BY 1"
    ) == [("EUR", 30), ("PLN", 30)]
    [(distributors,)] = query(
        var_dir, "SELECT COUNT(*) FROM genealogy_distributor WHERE kind = 'distributor'"
    )
    [(customers,)] = query(
        var_dir, "SELECT COUNT(*) FROM genealogy_distributor WHERE kind = 'customer'"
    )
    assert 1_500 <= distributors <= 2_000
    assert customers > 300
    [(months,)] = query(var_dir, "SELECT COUNT(*) FROM periods_period")
    assert months == 6
    # every order line carries a real product, and there are autoships and returns
    assert query(var_dir, "SELECT COUNT(*) FROM orders_orderline WHERE product_id IS NULL") == [
        (0,)
    ]
    [(autoships,)] = query(var_dir, "SELECT COUNT(*) FROM orders_autoship")
    assert autoships > 100
    [(returns,)] = query(
        var_dir, "SELECT COUNT(*) FROM orders_order WHERE returns_order_id IS NOT NULL"
    )
    assert returns >= 3
    [(volumes,)] = query(var_dir, "SELECT COUNT(*) FROM orders_periodvolume")
    assert volumes > distributors


def test_demo_users_speak_each_language_and_are_linked_to_distributors(seeded):
    var_dir, run = seeded
    assert run.returncode == 0, run.stderr
    linked = query(
        var_dir,
        """SELECT u.language, d.language, u.username FROM accounts_user u
           JOIN genealogy_distributor d ON d.user_id = u.id ORDER BY u.language""",
    )
    assert [(user_language, member_language) for user_language, member_language, _ in linked] == [
        ("de", "de"),
        ("en", "en"),
        ("pl", "pl"),
        ("ru", "ru"),
    ]
    assert query(var_dir, "SELECT username FROM accounts_user WHERE is_superuser") == [("admin",)]
    for _language, _member_language, username in linked:
        assert f"{username} / demo" in run.stdout
    assert "admin / admin" in run.stdout
    # the members themselves speak all four languages
    languages = query(var_dir, "SELECT DISTINCT language FROM genealogy_distributor ORDER BY 1")
    assert languages == [("de",), ("en",), ("pl",), ("ru",)]


def test_a_second_run_keeps_the_network_and_reset_starts_over(seeded):
    var_dir, first = seeded
    assert first.returncode == 0, first.stderr
    [(members,)] = query(var_dir, "SELECT COUNT(*) FROM genealogy_distributor")
    again = downline("demo", "--no-serve", var_dir=var_dir)
    assert again.returncode == 0, again.stderr
    assert "seeding skipped" in again.stdout
    assert query(var_dir, "SELECT COUNT(*) FROM genealogy_distributor") == [(members,)]
    network = "SELECT member_id, name, sponsor_id, joined_on FROM genealogy_distributor ORDER BY id"
    before = query(var_dir, network)
    reset = downline("demo", "--no-serve", "--reset", var_dir=var_dir)
    assert reset.returncode == 0, reset.stderr
    assert "Deleted" in reset.stdout
    assert "Seeding the demo company" in reset.stdout
    # the same seed grows the same company
    assert query(var_dir, network) == before


def test_reset_is_refused_on_postgresql(tmp_path):
    run = downline(
        "demo",
        "--no-serve",
        "--reset",
        var_dir=tmp_path,
        database_url="postgres://postgres@127.0.0.1:5432/dl_demo_never_created",
    )
    assert run.returncode == 2
    assert "--reset deletes the embedded SQLite database; it is refused on PostgreSQL" in run.stderr
    assert not (tmp_path / "downline.sqlite3").exists()


def test_demo_shows_earnings_and_gives_admin_a_printed_authenticator_key(seeded):
    var_dir, run = seeded
    assert run.returncode == 0, run.stderr
    # five closed months with their final run, a projection of the current month
    kinds = dict(query(var_dir, "SELECT kind, COUNT(*) FROM compensation_run GROUP BY kind"))
    assert kinds == {"final": 5, "projection": 1}
    assert query(var_dir, "SELECT COUNT(*) FROM periods_period WHERE status = 'closed'") == [(5,)]
    paid = query(var_dir, "SELECT SUM(total_paid) FROM compensation_run WHERE kind = 'final'")
    assert paid[0][0] > 0
    assert "Back office: http://127.0.0.1:8000/accounts/login/" in run.stdout
    assert "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" in run.stdout
    devices = query(
        var_dir,
        "SELECT u.username, d.key, d.confirmed FROM otp_totp_totpdevice d "
        "JOIN accounts_user u ON u.id = d.user_id",
    )
    key = "3132333435363738393031323334353637383930"
    assert sorted(devices) == [("admin", key, 1), ("fiona", key, 1)]
    # fiona is finance staff: she can approve a batch admin drafts
    groups = query(
        var_dir,
        "SELECT g.name FROM accounts_user_groups ug JOIN auth_group g ON g.id = ug.group_id "
        "JOIN accounts_user u ON u.id = ug.user_id WHERE u.username = 'fiona'",
    )
    assert groups == [("finance",)]
    assert "fiona / demo  (finance, en)" in run.stdout
