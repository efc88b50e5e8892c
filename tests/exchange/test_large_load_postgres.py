"""A large load on PostgreSQL drops and rebuilds indexes and foreign keys: they all come back."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from downline.core import bulk_sql
from downline.genealogy.actions import do_recount_network
from downline.orders.selectors import live_period_volumes, recompute_period_volumes
from downline.periods.models import Period

from .conftest import NETWORK, ORDERS, run_cli
from .test_round_trip_and_volumes import synthetic_files

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

TABLES = (
    "genealogy_distributor",
    "genealogy_structureevent",
    "orders_order",
    "orders_orderline",
    "orders_periodvolume",
)


def definitions() -> set[tuple[str, str]]:
    """Every index and constraint of the loaded tables, by name, with its definition."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)
               UNION ALL
               SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
               WHERE conrelid::regclass::text = ANY(%s)""",
            [list(TABLES), list(TABLES)],
        )
        return set(cursor.fetchall())


def secondary_index_ids() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT i.relname, i.oid FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
               WHERE x.indrelid::regclass::text = ANY(%s) AND NOT x.indisprimary""",
            [list(TABLES)],
        )
        return dict(cursor.fetchall())


def test_a_large_load_rebuilds_every_index_and_constraint(monkeypatch, tmp_path):
    # every load counts as large, so the small files below take the rebuilding path
    monkeypatch.setattr(bulk_sql, "REBUILD_FROM_ROWS", 1)
    before, before_ids = definitions(), secondary_index_ids()
    members, bought = synthetic_files(tmp_path, seed=3)
    assert run_cli("import", "--distributors", members, "--orders", bought) == 0
    assert definitions() == before
    after_ids = secondary_index_ids()
    assert after_ids.keys() == before_ids.keys()
    assert not set(after_ids.values()) & set(before_ids.values()), "indexes were not rebuilt"
    assert do_recount_network() == 0
    for period in Period.objects.all():
        assert live_period_volumes(period) == recompute_period_volumes(period)
    assert run_cli("export", "--out", tmp_path / "out") == 0
    assert (tmp_path / "out" / "orders.csv").read_bytes() == bought.read_bytes()


def test_a_rebuilt_foreign_key_still_refuses_a_bad_reference(monkeypatch, files):
    monkeypatch.setattr(bulk_sql, "REBUILD_FROM_ROWS", 1)
    assert run_cli("import", "--distributors", files("m.csv", NETWORK)) == 0
    assert run_cli("import", "--orders", files("o.csv", ORDERS)) == 0
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        with pytest.raises(IntegrityError), transaction.atomic():
            cursor.execute("UPDATE orders_order SET buyer_id = -5 WHERE number = 'O1'")
