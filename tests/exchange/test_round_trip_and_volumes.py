"""Import then export round-trips byte for byte, and imported live volumes are the ones the
order actions would have produced."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.db import transaction

from downline.dataset.csv_io import write_network, write_orders
from downline.dataset.synth import SynthOptions, synthesize
from downline.dataset.tables import PlacementShape
from downline.genealogy.actions import do_enroll, do_recount_network
from downline.genealogy.models import Distributor, StructureEvent
from downline.orders.actions import do_create_product, do_place_order, do_return_order
from downline.orders.models import Order, OrderLine, PeriodVolume, ProductKind
from downline.orders.selectors import VOLUME_FIELDS, live_period_volumes, recompute_period_volumes
from downline.orders.volumes import fold_volume_changes
from downline.periods.models import Period

from .conftest import MEMBERS_HEADER, NETWORK, ORDERS, ORDERS_HEADER, run_cli

pytestmark = pytest.mark.django_db


class Rollback(Exception):
    """Raised to undo everything a block wrote (the test database stays for the next step)."""


@contextmanager
def undone() -> Iterator[None]:
    """Everything written inside the block is rolled back when it ends."""
    try:
        with transaction.atomic():
            yield
            raise Rollback
    except Rollback:
        pass


def volumes() -> dict[tuple[str, str], tuple[int, ...]]:
    """Every live volume row, zero rows included, by (period code, member id), once the
    pending changes are folded (what the worker's folder does within a second)."""
    fold_volume_changes()
    rows = PeriodVolume.objects.values_list(
        "period__code", "distributor__member_id", *VOLUME_FIELDS
    )
    return {(row[0], row[1]): tuple(row[2:]) for row in rows}


def synthetic_files(folder: Path, *, seed: int = 7) -> tuple[Path, Path]:
    network, orders = synthesize(
        SynthOptions(
            distributors=300,
            seed=seed,
            last_month="2026-10",
            months=3,
            customers_per_distributor=0.4,
            return_rate=0.05,
        )
    )
    members, bought = folder / "distributors.csv", folder / "orders.csv"
    write_network(network, members, shape=PlacementShape("binary"))
    write_orders(orders, network, bought)
    return members, bought


def test_exporting_what_was_imported_from_canonical_files_gives_them_back(tmp_path):
    members, bought = synthetic_files(tmp_path)
    assert run_cli("import", "--distributors", members, "--orders", bought) == 0
    assert run_cli("export", "--out", tmp_path / "out") == 0
    assert (tmp_path / "out" / "distributors.csv").read_bytes() == members.read_bytes()
    assert (tmp_path / "out" / "orders.csv").read_bytes() == bought.read_bytes()


def test_an_export_imported_into_an_empty_database_exports_the_same_bytes(files, tmp_path):
    # not canonical: explicit placement equal to the sponsor, short decimals, an offset, a
    # blank line, columns in another order
    members = files(
        "members.csv",
        MEMBERS_HEADER
        + "R,,,,2026-01-05,active,distributor\n"
        + "A,R,R,L,2026-01-06,active,distributor\n"
        + "\n"
        + "K,A,,,2026-02-03,suspended,customer\n",
    )
    bought = files(
        "bought.csv",
        "kind,id,distributor_id,paid_at,pv,cv,amount,currency,returns_order_id\n"
        + "product,O1,A,2026-02-10T11:00:00+01:00,50,40.5,59.9,EUR,\n"
        + "fee,O2,K,2026-02-11T10:00:00.250000Z,0,0,25,EUR,\n"
        + "product,O3,A,2026-02-12T10:00:00Z,10.5,8,12,EUR,O1\n",
    )
    first, second = tmp_path / "first", tmp_path / "second"
    with undone():
        assert run_cli("import", "--distributors", members, "--orders", bought) == 0
        assert run_cli("export", "--out", first) == 0
    assert not Distributor.objects.exists()
    assert (
        run_cli(
            "import", "--distributors", first / "distributors.csv", "--orders", first / "orders.csv"
        )
        == 0
    )
    assert run_cli("export", "--out", second) == 0
    for name in ("distributors.csv", "orders.csv"):
        assert (second / name).read_bytes() == (first / name).read_bytes()
    assert (first / "orders.csv").read_text().splitlines() == [
        ORDERS_HEADER.strip(),
        "O1,A,2026-02-10T10:00:00Z,50.00,40.50,59.90,EUR,product,",
        "O2,K,2026-02-11T10:00:00.250000Z,0.00,0.00,25.00,EUR,fee,",
        "O3,A,2026-02-12T10:00:00Z,10.50,8.00,12.00,EUR,product,O1",
    ]


def test_cancelled_orders_are_left_out_of_the_export(files, tmp_path):
    from downline.orders.actions import do_cancel_order

    assert (
        run_cli(
            "import", "--distributors", files("m.csv", NETWORK), "--orders", files("o.csv", ORDERS)
        )
        == 0
    )
    do_cancel_order(Order.objects.get(number="O2"), reason="Duplicate payment")
    assert run_cli("export", "--out", tmp_path / "out") == 0
    numbers = [
        line.split(",")[0] for line in (tmp_path / "out" / "orders.csv").read_text().splitlines()
    ]
    assert numbers == ["id", "O1", "O3", "O4"]


def test_imported_members_have_events_counters_lines_and_statuses(files):
    assert (
        run_cli(
            "import", "--distributors", files("m.csv", NETWORK), "--orders", files("o.csv", ORDERS)
        )
        == 0
    )
    r, a = Distributor.objects.get(member_id="R"), Distributor.objects.get(member_id="A")
    assert (r.enrollment_downline, r.placement_downline) == (3, 3)
    assert (a.enrollment_downline, a.placement_downline) == (1, 1)
    assert do_recount_network() == 0  # counters and free-slot depths are exact
    event = StructureEvent.objects.get(distributor=a)
    assert event.kind == StructureEvent.Kind.ENROLLED
    # local midnight of the join date in Berlin (UTC+1 in January)
    assert event.effective_at == datetime(2026, 1, 5, 23, 0, tzinfo=UTC)
    assert (event.new_sponsor_id, event.new_placement_position) == (r.pk, 1)
    o1 = Order.objects.get(number="O1")
    assert o1.status == Order.Status.PARTLY_RETURNED
    refund = Order.objects.get(number="O4")
    assert (refund.status, refund.returns_order_id) == (Order.Status.REFUNDED, o1.pk)
    assert refund.lines.get().returns_line == o1.lines.get()
    line = o1.lines.get()
    assert (line.description, line.quantity, line.unit_price, line.unit_pv) == (
        "Imported",
        1,
        5990,
        5000,
    )
    customer_order = Order.objects.get(number="O2")
    assert customer_order.buyer.member_id == "K"
    assert (customer_order.distributor_id, customer_order.is_customer_order) == (a.pk, True)
    assert sorted(Period.objects.values_list("code", flat=True)) == ["2026-02", "2026-03"]


def test_live_volumes_equal_those_of_the_order_actions(files, tmp_path):
    """The same orders placed one by one through the actions, then (undone and) imported."""
    assert run_cli("import", "--distributors", files("m.csv", NETWORK)) == 0
    members = {m.member_id: m for m in Distributor.objects.all()}
    shake = do_create_product("SHAKE", {"en": "Shake"}, pv=1250, cv=1000, prices={"EUR": 4990})
    kit = do_create_product(
        "KIT", {"en": "Kit"}, ProductKind.STARTER_KIT, pv=5000, cv=2500, prices={"EUR": 9900}
    )
    fee = do_create_product("FEE", {"en": "Fee"}, ProductKind.FEE, prices={"EUR": 2500})
    with undone():
        o1 = do_place_order(
            members["A"],
            [(shake, 2)],
            "EUR",
            paid_at=datetime(2026, 2, 10, 10, tzinfo=UTC),
            number="O1",
        )
        do_place_order(
            members["K"],
            [(shake, 1)],
            "EUR",
            paid_at=datetime(2026, 2, 11, 10, tzinfo=UTC),
            number="O2",
        )
        o3 = do_place_order(
            members["C"],
            [(kit, 1)],
            "EUR",
            paid_at=datetime(2026, 2, 28, 23, 30, tzinfo=UTC),
            number="O3",
        )
        do_place_order(
            members["B"],
            [(fee, 1)],
            "EUR",
            paid_at=datetime(2026, 3, 3, 10, tzinfo=UTC),
            number="O4",
        )
        do_return_order(
            o1,
            {o1.lines.get(): 1},
            refunded_at=datetime(2026, 3, 4, 9, tzinfo=UTC),
            reason="One damaged",
        )
        do_return_order(o3, refunded_at=datetime(2026, 3, 5, 9, tzinfo=UTC), reason="Changed mind")
        expected = volumes()
        statuses = dict(Order.objects.values_list("number", "status"))
        assert run_cli("export", "--out", tmp_path / "placed") == 0
    assert not Order.objects.exists()
    assert run_cli("import", "--orders", tmp_path / "placed" / "orders.csv") == 0
    assert volumes() == expected
    assert dict(Order.objects.values_list("number", "status")) == statuses
    # O3, paid 23:30 UTC on February 28th, is March in Berlin, like its return and O1's
    assert Order.objects.get(number="O3").period.code == "2026-03"
    assert expected[("2026-03", "R")][VOLUME_FIELDS.index("group_pv")] == 5000 - 5000 - 1250


def test_live_volumes_of_a_synthetic_company_match_a_recomputation(tmp_path):
    members, bought = synthetic_files(tmp_path, seed=11)
    assert run_cli("import", "--distributors", members, "--orders", bought) == 0
    periods = list(Period.objects.order_by("starts_at"))
    assert [p.code for p in periods] == ["2026-08", "2026-09", "2026-10"]
    for period in periods:
        live = live_period_volumes(period)
        assert live
        assert live == recompute_period_volumes(period)
    assert OrderLine.objects.count() == Order.objects.count()
    assert do_recount_network() == 0


def test_an_import_into_a_network_built_by_the_actions(files):
    """Existing members and orders are the base: rows may reference them, counters of the
    existing uplines move, and the new members enter the history after their sponsor."""
    entered = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    root = do_enroll(
        member_id="R",
        sponsor=None,
        joined_on=date(2026, 1, 5),
        effective_at=datetime(2026, 1, 5, 9, tzinfo=UTC),
    )
    a = do_enroll(member_id="A", sponsor="R", joined_on=date(2026, 3, 1), effective_at=entered)
    shake = do_create_product("SHAKE", {"en": "Shake"}, pv=1250, cv=1000, prices={"EUR": 4990})
    placed = do_place_order(
        a, [(shake, 1)], "EUR", paid_at=datetime(2026, 3, 2, 10, tzinfo=UTC), number="S1"
    )
    members = files(
        "m.csv",
        MEMBERS_HEADER
        + "B,A,,L,2026-03-01,active,distributor\n"
        + "C,B,,L,2026-03-05,active,distributor\n",
    )
    orders = files(
        "o.csv",
        ORDERS_HEADER
        + "N1,C,2026-03-06T10:00:00Z,20.00,10.00,20.00,EUR,product,\n"
        + "N2,A,2026-03-07T10:00:00Z,12.50,10.00,49.90,EUR,product,S1\n",
    )
    assert run_cli("import", "--distributors", members, "--orders", orders) == 0
    root.refresh_from_db()
    assert (root.enrollment_downline, root.placement_downline) == (3, 3)
    assert do_recount_network() == 0
    # B joined on A's join day but enters the history when A did, not at midnight before
    assert StructureEvent.objects.get(distributor__member_id="B").effective_at == entered
    placed.refresh_from_db()
    assert placed.status == Order.Status.RETURNED
    march = Period.objects.get(code="2026-03")
    assert live_period_volumes(march) == recompute_period_volumes(march)
    assert live_period_volumes(march)[root.pk].group_pv == 2000
