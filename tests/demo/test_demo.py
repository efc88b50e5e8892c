"""``downline demo --no-serve`` seeds a believable company into a fresh SQLite database.

The command runs as a user runs it: a separate process with its own ``DOWNLINE_VAR_DIR`` and
the default settings (whatever database the test suite itself uses), with the clock set to a
fixed instant (``time_machine``, ticking) so no test depends on today's date.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

# a Sunday in December, company time (Europe/Berlin)
SEEDED_AT = "2026-12-06T10:00:00+01:00"
PERSONAS = {"emma": "Emma", "olga": "Olga", "kasia": "Kasia", "jonas": "Jonas"}

# Runs the downline command with the clock at argv[1]; with argv[2] == "--fail-last-step" the
# demo's last seeding step (the projection) raises, as a crash in the middle of seeding would.
_AT = """
import sys, time_machine
from downline.cli import main
at, args = sys.argv[1], sys.argv[2:]
if args[:1] == ["--fail-last-step"]:
    args = args[1:]
    from downline.cli import prepare_demo, setup_django
    prepare_demo()
    setup_django()
    import downline.demo.seeding as seeding
    def crash(*_args, **_kwargs):
        raise RuntimeError("the worker was killed")
    seeding.do_run_projection = crash
with time_machine.travel(at, tick=True):
    sys.exit(main(args))
"""


def downline(
    *args: str, var_dir: Path, database_url: str | None = None, at: str = SEEDED_AT
) -> subprocess.CompletedProcess:
    env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env["DOWNLINE_VAR_DIR"] = str(var_dir)
    env["DOWNLINE_TIME_ZONE"] = "Europe/Berlin"
    if database_url:
        env["DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-c", _AT, at, *args],
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
    # a second start prints the logins again
    for username in ("admin", "fiona", *PERSONAS):
        assert f"  {username} / " in again.stdout
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
    # the demo's own staff logins are recorded as security events, but e-mail nobody
    assert "Subject:" not in run.stdout
    kinds = query(var_dir, "SELECT kind FROM accounts_securityevent ORDER BY id")
    assert ("superuser_changed",) in kinds


def _persona_rows(var_dir: Path) -> dict[str, tuple[int, str, str, str]]:
    rows = query(
        var_dir,
        """SELECT u.username, d.id, d.name, u.first_name, d.member_id FROM accounts_user u
           JOIN genealogy_distributor d ON d.user_id = u.id""",
    )
    return {username: (pk, name, first, member) for username, pk, name, first, member in rows}


def test_each_demo_login_is_a_person_with_customers_orders_and_earnings(seeded):
    var_dir, run = seeded
    assert run.returncode == 0, run.stderr
    personas = _persona_rows(var_dir)
    assert set(personas) == set(PERSONAS)
    for username, (pk, name, first_name, member_id) in personas.items():
        # greeted by their own name
        assert first_name == PERSONAS[username]
        assert name.split()[0] == PERSONAS[username], name
        [(customers,)] = query(
            var_dir,
            f"SELECT COUNT(*) FROM genealogy_distributor WHERE kind = 'customer' "
            f"AND sponsor_id = {pk}",
        )
        assert customers >= 3, (username, customers)
        # an order of their own in every closed month
        months = query(
            var_dir,
            f"""SELECT DISTINCT p.code FROM orders_order o JOIN periods_period p
                ON p.id = o.period_id WHERE o.buyer_id = {pk} AND p.status = 'closed'""",
        )
        assert len(months) == 5, (username, months)
        # earnings in every closed month, and a rank higher than the month before at least once
        results = query(
            var_dir,
            f"""SELECT p.code, rr.earned, rr.paid_as_rank FROM compensation_runresult rr
                JOIN compensation_run r ON r.id = rr.run_id JOIN periods_period p
                ON p.id = r.period_id WHERE r.kind = 'final' AND rr.distributor_id = {pk}
                ORDER BY p.code""",
        )
        assert len(results) == 5
        assert all(earned > 0 for _code, earned, _rank in results), results
        ranks = [rank for _code, _earned, rank in results]
        assert any(later > earlier for earlier, later in itertools.pairwise(ranks)), (
            username,
            ranks,
        )
        # paid out, and clawed back for a return after a close
        [(paid,)] = query(
            var_dir,
            f"SELECT COUNT(*) FROM payouts_payout WHERE distributor_id = {pk} AND status = 'paid'",
        )
        assert paid >= 4, (username, paid)
        [(clawed,)] = query(
            var_dir,
            f"SELECT COALESCE(SUM(amount), 0) FROM compensation_commissionline "
            f"WHERE recipient_id = {pk}",
        )
        assert clawed < 0, (username, clawed)
        assert f"{username} / demo  (distributor" in run.stdout
        assert member_id in run.stdout


def test_the_top_of_the_company_earns_every_month(seeded):
    var_dir, run = seeded
    assert run.returncode == 0, run.stderr
    earned = query(
        var_dir,
        """SELECT rr.earned FROM compensation_runresult rr JOIN compensation_run r
           ON r.id = rr.run_id JOIN genealogy_distributor d ON d.id = rr.distributor_id
           WHERE r.kind = 'final' AND d.sponsor_id IS NULL AND d.kind = 'distributor'""",
    )
    assert len(earned) == 5
    assert all(value > 0 for (value,) in earned), earned


def test_history_is_dated_when_it_happened(seeded):
    var_dir, run = seeded
    assert run.returncode == 0, run.stderr
    # each final posted on the 1st of the month after its period, each batch paid on the 5th
    postings = query(
        var_dir,
        """SELECT t.kind, p.code, t.created_at FROM ledger_transaction t
           JOIN compensation_run r ON r.id = t.run_id JOIN periods_period p
           ON p.id = r.period_id WHERE t.kind = 'commissions' ORDER BY p.code""",
    )
    assert [(code, created[:13]) for _kind, code, created in postings] == [
        ("2026-07", "2026-08-01 00"),  # 02:00 in Berlin, UTC+2 in summer
        ("2026-08", "2026-09-01 00"),
        ("2026-09", "2026-10-01 00"),
        ("2026-10", "2026-11-01 01"),  # UTC+1 in winter
        ("2026-11", "2026-12-01 01"),
    ]
    paid = query(var_dir, "SELECT substr(paid_at, 1, 7) FROM payouts_payoutbatch ORDER BY paid_at")
    assert [month for (month,) in paid] == ["2026-08", "2026-09", "2026-10", "2026-11", "2026-12"]
    # members enter the history month by month, never after the seeding's clock
    recorded = query(
        var_dir, "SELECT DISTINCT substr(recorded_at, 1, 7) FROM genealogy_structureevent"
    )
    assert len(recorded) == 6
    [(latest,)] = query(var_dir, "SELECT MAX(created_at) FROM ledger_transaction")
    assert latest[:10] == "2026-12-06"
    # a return of last month's order is refunded now and clawed back in the open period
    clawbacks = query(
        var_dir,
        """SELECT p.code FROM compensation_clawback c JOIN periods_period p
           ON p.id = c.period_id""",
    )
    assert clawbacks
    assert {code for (code,) in clawbacks} == {"2026-12"}
