"""Every rule of the CSV format rejects bad rows with the file, line, column and reason."""

import io
import re

import pytest

from downline.dataset import PlacementShape
from downline.dataset.csv_io import (
    DatasetError,
    network_from_text,
    orders_from_text,
    read_network,
    write_network,
)

BINARY = PlacementShape("binary")
HEADER = "id,sponsor_id,placement_id,placement_position,joined_on,status,kind\n"
ORDER_HEADER = "id,distributor_id,paid_at,pv,cv,amount,currency,kind,returns_order_id\n"
GOOD = (
    HEADER
    + "A,,,,2026-01-01,active,distributor\n"
    + "B,A,,L,2026-01-02,active,distributor\n"
    + "C,A,,R,2026-01-02,active,distributor\n"
    + "D,B,,L,2026-01-03,active,distributor\n"
    + "K,D,,,2026-01-05,active,customer\n"
)


def errors_of(text: str, shape: PlacementShape = BINARY) -> list[str]:
    with pytest.raises(DatasetError) as raised:
        network_from_text(text, shape=shape)
    return [str(error) for error in raised.value.errors]


def order_errors_of(rows: str) -> list[str]:
    network = network_from_text(GOOD, shape=BINARY)
    with pytest.raises(DatasetError) as raised:
        orders_from_text(ORDER_HEADER + rows, network=network)
    return [str(error) for error in raised.value.errors]


def test_a_valid_network_reads_into_row_indices():
    network = network_from_text(GOOD, shape=BINARY)
    assert network.ids == ["A", "B", "C", "D", "K"]
    assert network.sponsor.tolist() == [-1, 0, 0, 1, 3]
    assert network.placement.tolist() == [-1, 0, 0, 1, -1]
    assert network.position.tolist() == [0, 1, 2, 1, 0]
    assert network.is_customer.tolist() == [False, False, False, False, True]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            "B,A,,R,2026-01-02,active,distributor",
            "distributors.csv:7: id: duplicate id B (first on line 3)",
        ),
        (
            "E,Z,,L,2026-01-02,active,distributor",
            "distributors.csv:7: sponsor_id: unknown sponsor Z",
        ),
        (
            "E,E,,L,2026-01-02,active,distributor",
            "distributors.csv:7: sponsor_id: a member cannot sponsor themselves",
        ),
        (
            "E,A,,L,2026-01-02,active,distributor",
            "distributors.csv:7: placement_position: slot L under A is already taken by B",
        ),
        (
            "E,C,,X,2026-01-02,active,distributor",
            "distributors.csv:7: placement_position: 'X' is not a binary position; write L or R",
        ),
        (
            "E,C,,,2026-01-02,active,distributor",
            "distributors.csv:7: placement_position: '' is not a binary position; write L or R",
        ),
        (
            "E,,,,2026-01-02,active,distributor",
            "distributors.csv:7: sponsor_id: only one member can be the root (no sponsor); A on line 2 already is",
        ),
        (
            "E,K,,L,2026-01-02,active,distributor",
            "distributors.csv:7: sponsor_id: sponsor K is a retail customer; only distributors can enroll",
        ),
        (
            "E,C,K,L,2026-01-02,active,distributor",
            "distributors.csv:7: placement_id: placement parent K is a retail customer",
        ),
        (
            "E,C,Q,L,2026-01-02,active,distributor",
            "distributors.csv:7: placement_id: unknown placement parent Q",
        ),
        (
            "E,C,B,R,2026-01-02,active,distributor",
            "distributors.csv:7: placement_id: B is outside the placement subtree of sponsor C",
        ),
        (
            "E,C,,L,2026-02-30,active,distributor",
            "distributors.csv:7: joined_on: '2026-02-30' is not a date written YYYY-MM-DD",
        ),
        (
            "E,C,,L,2026-01-02,retired,distributor",
            "distributors.csv:7: status: 'retired' is not one of active|suspended|terminated",
        ),
        (
            "E,C,,L,2026-01-02,active,partner",
            "distributors.csv:7: kind: 'partner' is not one of distributor|customer",
        ),
        (
            "E,,,,2026-01-02,active,customer",
            "distributors.csv:7: sponsor_id: a retail customer needs the distributor who enrolled them",
        ),
        (
            "E,C,C,L,2026-01-02,active,customer",
            "distributors.csv:7: placement_id: a retail customer has no placement; leave it empty",
        ),
        (
            "E F,C,,L,2026-01-02,active,distributor",
            "distributors.csv:7: id: 'E F' is not a valid id: 1 to 64 characters, letters A-Z or "
            "a-z, digits, '.', '_' or '-', starting with a letter or a digit",
        ),
        ("E,C,,L,2026-01-02,active", "distributors.csv:7: the row has 6 values, the header has 7"),
    ],
)
def test_each_network_rule_names_line_column_and_reason(row, expected):
    assert expected in errors_of(GOOD + row + "\n")


def test_a_placement_below_the_sponsor_in_the_placement_tree_is_accepted():
    network = network_from_text(GOOD + "E,B,D,R,2026-01-04,active,distributor\n", shape=BINARY)
    assert network.placement[network.index["E"]] == network.index["D"]


def test_cycles_are_reported_with_their_members():
    text = (
        HEADER
        + "A,,,,2026-01-01,active,distributor\n"
        + "X,Y,,L,2026-01-01,active,distributor\n"
        + "Y,X,,L,2026-01-01,active,distributor\n"
    )
    errors = errors_of(text)
    assert "distributors.csv:4: sponsor_id: the sponsor tree has a cycle: X → Y → X" in errors


def test_no_root_and_header_problems():
    no_root = (
        HEADER + "A,B,,L,2026-01-01,active,distributor\nB,A,,L,2026-01-01,active,distributor\n"
    )
    assert (
        "distributors.csv:1: sponsor_id: there is no root: exactly one distributor must have an empty sponsor_id"
        in errors_of(no_root)
    )
    missing = errors_of("id,sponsor_id,placement_id,placement_position,joined_on,status\n")
    assert missing == ["distributors.csv:1: kind: the column is missing"]
    assert errors_of("") == [
        "distributors.csv:1: the file is empty; the first line must name the columns"
    ]


def test_matrix_and_unilevel_positions():
    matrix = PlacementShape("matrix", 3)
    text = HEADER + "A,,,,2026-01-01,active,distributor\nB,A,,3,2026-01-02,active,distributor\n"
    assert network_from_text(text, shape=matrix).position.tolist() == [0, 3]
    assert (
        "distributors.csv:3: placement_position: '4' is not a matrix slot; write a number from 1 to 3"
        in errors_of(
            HEADER + "A,,,,2026-01-01,active,distributor\nB,A,,4,2026-01-02,active,distributor\n",
            matrix,
        )
    )
    unilevel = PlacementShape("unilevel")
    assert network_from_text(
        HEADER + "A,,,,2026-01-01,active,distributor\nB,A,,,2026-01-02,active,distributor\n",
        shape=unilevel,
    )
    assert any(
        "the placement tree has no positions" in e
        for e in errors_of(
            HEADER + "A,,,,2026-01-01,active,distributor\nB,A,,L,2026-01-02,active,distributor\n",
            unilevel,
        )
    )


def test_rows_may_reference_an_existing_base_network():
    base = network_from_text(GOOD, shape=BINARY)
    more = io.StringIO(
        HEADER + "E,C,,L,2026-02-01,active,distributor\nF,E,,L,2026-02-02,active,distributor\n"
    )
    more.name = "more.csv"
    combined = read_network(more, shape=BINARY, base=base)
    assert combined.ids[-2:] == ["E", "F"]
    assert combined.sponsor[-1] == combined.index["E"]
    again = io.StringIO(HEADER + "B,C,,L,2026-02-01,active,distributor\n")
    again.name = "again.csv"
    with pytest.raises(DatasetError, match=re.escape("again.csv:2: id: member B already exists")):
        read_network(again, shape=BINARY, base=base)


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (
            "O1,B,2026-10-05T10:00:00Z,1,1,1,EUR,product,\nO1,B,2026-10-05T10:00:00Z,1,1,1,EUR,product,\n",
            "orders.csv:3: id: duplicate id O1 (first on line 2)",
        ),
        (
            "O1,Z,2026-10-05T10:00:00Z,1,1,1,EUR,product,\n",
            "orders.csv:2: distributor_id: unknown member Z",
        ),
        (
            "O1,B,yesterday,1,1,1,EUR,product,\n",
            "orders.csv:2: paid_at: 'yesterday' is not an ISO 8601 date and time such as 2026-10-05T14:30:00+02:00",
        ),
        (
            "O1,B,2026-10-05T10:00:00Z,-1,1,1,EUR,product,\n",
            "orders.csv:2: pv: negative pv; a return is a row with returns_order_id and positive numbers",
        ),
        (
            "O1,B,2026-10-05T10:00:00Z,1,1.005,1,EUR,product,\n",
            "orders.csv:2: cv: '1.005' is not a decimal number with at most 2 decimal places",
        ),
        (
            "O1,B,2026-10-05T10:00:00Z,1,1,1.5,JPY,product,\n",
            "orders.csv:2: amount: '1.5' is not a decimal number with at most 0 decimal places",
        ),
        (
            "O1,B,2026-10-05T10:00:00Z,1,1,1,EURO,product,\n",
            "orders.csv:2: currency: 'EURO' is not a three-letter currency code such as EUR",
        ),
        (
            "O1,B,2026-10-05T10:00:00Z,1,1,1,EUR,gift,\n",
            "orders.csv:2: kind: 'gift' is not one of product|starter_kit|autoship|fee",
        ),
        (
            "O1,B,2025-10-05T10:00:00Z,1,1,1,EUR,product,\n",
            "orders.csv:2: paid_at: paid on 2025-10-05, before B joined on 2026-01-02",
        ),
        (
            "R1,B,2026-10-05T10:00:00Z,1,1,1,EUR,product,O9\n",
            "orders.csv:2: returns_order_id: unknown order O9",
        ),
        (
            "O1,B,2026-10-05T10:00:00Z,10,8,10,EUR,product,\nR1,C,2026-10-06T10:00:00Z,1,1,1,EUR,product,O1\n",
            "orders.csv:3: distributor_id: the return is for C but order O1 belongs to B",
        ),
        (
            "O1,B,2026-10-05T10:00:00Z,10,8,10,EUR,product,\nR1,B,2026-10-04T10:00:00Z,1,1,1,EUR,product,O1\n",
            "orders.csv:3: paid_at: the return is dated before order O1 was paid",
        ),
        (
            "O1,B,2026-10-05T10:00:00Z,10,8,10,EUR,product,\nR1,B,2026-10-06T10:00:00Z,1,1,1,PLN,product,O1\n",
            "orders.csv:3: currency: order O1 was paid in EUR; its return must be too",
        ),
        (
            "O1,B,2026-10-05T10:00:00Z,10,8,10,EUR,product,\nR1,B,2026-10-06T10:00:00Z,6,1,1,EUR,product,O1\nR2,B,2026-10-07T10:00:00Z,5,1,1,EUR,product,O1\n",
            "orders.csv:4: pv: return larger than its order: returns of O1 take back 11.00 pv, the order had 10.00",
        ),
        (
            "O1,B,2026-10-05T10:00:00Z,10,8,10,EUR,product,\nR1,B,2026-10-06T10:00:00Z,1,1,1,EUR,product,O1\nR2,B,2026-10-07T10:00:00Z,1,1,1,EUR,product,R1\n",
            "orders.csv:4: returns_order_id: R1 is itself a return; point at the original order",
        ),
    ],
)
def test_each_order_rule_names_line_column_and_reason(rows, expected):
    assert expected in order_errors_of(rows)


def test_an_order_without_offset_is_read_in_the_company_time_zone():
    network = network_from_text(GOOD, shape=BINARY)
    orders = orders_from_text(
        ORDER_HEADER + "O1,B,2026-10-05T12:00:00,1,1,1,EUR,product,\n",
        network=network,
        time_zone="Europe/Warsaw",
    )
    assert str(orders.paid_at[0]) == "2026-10-05T10:00:00.000000"


def test_canonical_network_text_reads_back_to_the_same_text():
    out = io.StringIO()
    write_network(network_from_text(GOOD, shape=BINARY), out, shape=BINARY)
    assert out.getvalue() == GOOD
