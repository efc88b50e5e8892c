"""A bad import names file, line and column, exits with status 2 and writes nothing at all."""

from __future__ import annotations

import pytest

from downline.periods.actions import do_close_period
from downline.periods.models import Period

from .conftest import MEMBERS_HEADER, NETWORK, ORDERS, ORDERS_HEADER, run_cli, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(files):
    """The small network and its orders, imported (so every refusal also meets a base)."""
    assert run_cli("import", "--distributors", files("base.csv", NETWORK)) == 0
    assert run_cli("import", "--orders", files("base_orders.csv", ORDERS)) == 0


def refused(capsys, *args) -> list[str]:
    """Run the import, require exit status 2, and return the problem lines it printed."""
    before = snapshot()
    assert run_cli("import", *args) == 2
    assert snapshot() == before, "a refused import changed the database"
    return capsys.readouterr().err.splitlines()


def test_bad_rows_are_named_by_line_and_column(loaded, files, capsys):
    path = files(
        "distributors.csv",
        MEMBERS_HEADER
        + "D,B,,L,2026-03-01,active,distributor\n"
        + "E,Z,,L,2026-03-01,active,distributor\n"
        + "F,B,,R,2026-02-30,active,distributor\n",
    )
    lines = refused(capsys, "--distributors", path)
    assert "distributors.csv:3: sponsor_id: unknown sponsor Z" in lines
    assert "distributors.csv:4: joined_on: '2026-02-30' is not a date written YYYY-MM-DD" in lines
    assert lines[-1] == "downline import: 2 problems found; nothing was imported."


def test_ids_already_in_the_database_are_refused(loaded, files, capsys):
    members = files("distributors.csv", MEMBERS_HEADER + "A,B,,L,2026-03-01,active,distributor\n")
    orders = files(
        "orders.csv", ORDERS_HEADER + "O2,B,2026-03-10T10:00:00Z,1.00,1.00,1.00,EUR,product,\n"
    )
    lines = refused(capsys, "--distributors", members, "--orders", orders)
    assert "distributors.csv:2: id: member A already exists" in lines
    assert (
        "orders.csv was not checked: its members come from distributors.csv, which has the "
        "problems above." in lines
    )
    lines = refused(capsys, "--orders", orders)
    assert "orders.csv:2: id: order O2 already exists" in lines


def test_a_cycle_is_refused(files, capsys):
    path = files(
        "distributors.csv",
        MEMBERS_HEADER
        + "R,,,,2026-01-05,active,distributor\n"
        + "X,Y,,L,2026-01-05,active,distributor\n"
        + "Y,X,,L,2026-01-05,active,distributor\n",
    )
    lines = refused(capsys, "--distributors", path)
    assert any(
        line.startswith("distributors.csv:4: sponsor_id: the sponsor tree has a cycle: ")
        for line in lines
    ), lines


def test_a_second_root_is_refused_also_against_the_database(loaded, files, capsys):
    path = files("distributors.csv", MEMBERS_HEADER + "S,,,,2026-03-01,active,distributor\n")
    lines = refused(capsys, "--distributors", path)
    assert lines[0] == (
        "distributors.csv:2: sponsor_id: only one member can be the root (no sponsor); "
        "R on line (existing) already is"
    )


def test_a_full_slot_is_refused(loaded, files, capsys):
    # R's left slot holds A (stored); a new member may not take it
    path = files("distributors.csv", MEMBERS_HEADER + "D,R,,L,2026-03-01,active,distributor\n")
    lines = refused(capsys, "--distributors", path)
    assert (
        lines[0] == "distributors.csv:2: placement_position: slot L under R is already taken by A"
    )


def test_problems_only_visible_across_the_two_files(files, capsys):
    members = files("distributors.csv", NETWORK)
    orders = files(
        "orders.csv",
        ORDERS_HEADER
        + "O1,A,2026-02-10T10:00:00Z,50.00,40.00,59.90,EUR,product,\n"
        + "O2,NOBODY,2026-02-11T10:00:00Z,25.00,20.00,29.90,EUR,product,\n"
        + "O3,A,2026-02-12T10:00:00Z,30.00,20.00,30.00,EUR,product,O1\n"
        + "O4,A,2026-02-13T10:00:00Z,30.00,20.00,30.00,EUR,product,O1\n",
    )
    lines = refused(capsys, "--distributors", members, "--orders", orders)
    assert "orders.csv:3: distributor_id: unknown member NOBODY" in lines
    assert (
        "orders.csv:5: pv: return larger than its order: returns of O1 take back 60.00 pv, "
        "the order had 50.00" in lines
    )


def test_a_return_larger_than_a_stored_order_is_refused(loaded, files, capsys):
    # O1 had 50.00 PV and O4 already took 10.00 back
    orders = files(
        "orders.csv", ORDERS_HEADER + "O5,A,2026-03-20T10:00:00Z,45.00,1.00,1.00,EUR,product,O1\n"
    )
    lines = refused(capsys, "--orders", orders)
    assert lines[0] == (
        "orders.csv:2: pv: return larger than its order: returns of O1 take back 55.00 pv, "
        "the order had 50.00"
    )


def test_members_joining_before_their_parents_or_in_the_future_are_refused(loaded, files, capsys):
    path = files(
        "distributors.csv",
        MEMBERS_HEADER
        + "D,C,,L,2026-01-20,active,distributor\n"
        + "E,C,,R,2099-01-01,active,distributor\n",
    )
    lines = refused(capsys, "--distributors", path)
    assert lines[:3] == [
        "distributors.csv:2: joined_on: D joined on 2026-01-20, before their sponsor C (2026-02-01)",
        "distributors.csv:2: joined_on: D joined on 2026-01-20, before their placement parent C "
        "(2026-02-01)",
        "distributors.csv:3: joined_on: 2099-01-01 is in the future; a member can only be "
        "imported once they joined",
    ]


def test_orders_in_a_closed_period_are_refused(loaded, files, capsys):
    do_close_period(Period.objects.get(code="2026-02"), reason="February is paid out")
    orders = files(
        "orders.csv",
        ORDERS_HEADER
        + "O5,B,2026-03-10T10:00:00Z,1.00,1.00,1.00,EUR,product,\n"
        + "O6,B,2026-02-28T22:59:59Z,1.00,1.00,1.00,EUR,product,\n"
        + "O7,B,2026-02-28T23:00:00Z,1.00,1.00,1.00,EUR,product,\n",
    )
    lines = refused(capsys, "--orders", orders)
    # 22:59:59 UTC is still February in Berlin; 23:00 UTC is March 1st
    assert lines[0] == (
        "orders.csv:3: paid_at: period 2026-02 is closed; nothing paid in it can be imported"
    )
    assert len([line for line in lines if line.startswith("orders.csv")]) == 1


def test_a_return_of_a_cancelled_order_is_refused(loaded, files, capsys):
    from downline.orders.actions import do_cancel_order
    from downline.orders.models import Order

    do_cancel_order(Order.objects.get(number="O3"), reason="Paid twice")
    orders = files(
        "orders.csv", ORDERS_HEADER + "O5,C,2026-03-10T10:00:00Z,1.00,1.00,1.00,EUR,product,O3\n"
    )
    lines = refused(capsys, "--orders", orders)
    assert lines[0] == (
        "orders.csv:2: returns_order_id: order O3 was cancelled; a cancelled order cannot be "
        "returned"
    )


def test_a_return_of_an_order_from_a_closed_period_is_refused(loaded, files, capsys):
    """Such a return claws back commissions, which only the return action does."""
    do_close_period(Period.objects.get(code="2026-02"), reason="February is paid out")
    orders = files(
        "orders.csv", ORDERS_HEADER + "O5,A,2026-03-10T10:00:00Z,1.00,1.00,1.00,EUR,product,O1\n"
    )
    lines = refused(capsys, "--orders", orders)
    assert lines[0] == (
        "orders.csv:2: returns_order_id: order O1 belongs to a closed period; its return claws "
        "back commissions and must be entered on its own, not imported"
    )


def test_a_missing_file_or_no_file_is_refused(capsys, tmp_path):
    assert run_cli("import") == 2
    assert run_cli("import", "--orders", tmp_path / "missing.csv") == 2
    err = capsys.readouterr().err
    assert "Give --distributors FILE, --orders FILE or both." in err
    assert "missing.csv: no such file." in err


def test_a_return_of_a_stored_return_is_refused(loaded, files, capsys):
    orders = files(
        "orders.csv", ORDERS_HEADER + "O5,A,2026-03-20T10:00:00Z,1.00,1.00,1.00,EUR,product,O4\n"
    )
    lines = refused(capsys, "--orders", orders)
    assert lines[0] == (
        "orders.csv:2: returns_order_id: O4 is itself a return; point at the original order"
    )
