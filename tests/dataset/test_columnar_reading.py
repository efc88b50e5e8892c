"""The columnar reader accepts exactly what the row-by-row reader accepts, with the same tables.

``read_network`` / ``read_orders`` first read a file column by column (pyarrow) and fall back to
the row-by-row reader for any file with a problem (which then names each problem as
``file:line: column: why``). These tests compare the two paths on valid files, on files with
one cell changed to a tricky value, and on random decimals and instants.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from downline.dataset.columnar import decimal_text, parse_decimal_column
from downline.dataset.csv_io import (
    DatasetError,
    read_network,
    read_orders,
    write_network,
    write_orders,
)
from downline.dataset.synth import SynthOptions, synthesize
from downline.dataset.tables import PlacementShape
from downline.money import format_decimal, parse_decimal

BINARY = PlacementShape("binary")
HEADER = "id,sponsor_id,placement_id,placement_position,joined_on,status,kind\n"
NETWORK = (
    HEADER
    + "A,,,,2026-01-01,active,distributor\n"
    + "B,A,,L,2026-01-02,active,distributor\n"
    + "C,A,,R,2026-01-02,suspended,distributor\n"
    + "D,B,,L,2026-01-03,active,distributor\n"
    + "E,B,D,L,2026-01-03,terminated,distributor\n"
    + "K,D,,,2026-01-05,active,customer\n"
)
ORDER_HEADER = "id,distributor_id,paid_at,pv,cv,amount,currency,kind,returns_order_id\n"
ORDERS = (
    ORDER_HEADER
    + "O1,B,2026-10-05T10:00:00Z,10,8.5,10.00,EUR,product,\n"
    + "O2,K,2026-10-05T23:30:00.250000+02:00,1.25,1,3,JPY,starter_kit,\n"
    + "O3,D,2026-10-06T01:00:00,0,0,0.00,EUR,fee,\n"
    + "R1,B,2026-10-07T10:00:00-05:30,4,3.5,4.00,EUR,autoship,O1\n"
    + "R2,B,2026-10-08T10:00:00Z,6,5,6,EUR,product,O1\n"
)
NAIVE_MIN = datetime(1900, 1, 2, tzinfo=UTC).replace(tzinfo=None)
NAIVE_MAX = datetime(2999, 12, 30, tzinfo=UTC).replace(tzinfo=None)
NETWORK_FIELDS = ("ids", "sponsor", "placement", "position", "joined_on", "status", "is_customer")
ORDER_FIELDS = ("ids", "member", "paid_at", "pv", "cv", "amount", "currency", "kind", "returns")


def text_source(text: str, name: str) -> io.StringIO:
    source = io.StringIO(text)
    source.name = name  # type: ignore[misc]
    return source


def outcome(read, text: str, name: str, fields: tuple[str, ...], **kwargs):
    """The table read (as comparable values) or the list of problems."""
    try:
        table = read(text_source(text, name), **kwargs)
    except DatasetError as error:
        return ("problems", [str(problem) for problem in error.errors])
    values = []
    for field in fields:
        value = getattr(table, field)
        values.append(value if isinstance(value, list) else (str(value.dtype), value.tolist()))
    return ("table", values)


def both_network_paths(text: str, shape: PlacementShape = BINARY):
    fast = outcome(read_network, text, "distributors.csv", NETWORK_FIELDS, shape=shape)
    slow = outcome(
        read_network, text, "distributors.csv", NETWORK_FIELDS, shape=shape, columnar=False
    )
    return fast, slow


def both_order_paths(text: str, time_zone: str = "Europe/Warsaw"):
    network = read_network(text_source(NETWORK, "distributors.csv"), shape=BINARY)
    kwargs = {"network": network, "time_zone": time_zone}
    fast = outcome(read_orders, text, "orders.csv", ORDER_FIELDS, **kwargs)
    slow = outcome(read_orders, text, "orders.csv", ORDER_FIELDS, columnar=False, **kwargs)
    return fast, slow


def test_the_sample_files_read_the_same_both_ways():
    fast, slow = both_network_paths(NETWORK)
    assert fast[0] == "table"
    assert fast == slow
    fast, slow = both_order_paths(ORDERS)
    assert fast[0] == "table"
    assert fast == slow


@pytest.mark.parametrize(("placement", "shape"), [("binary", "random"), ("unilevel", "deep")])
def test_synthetic_files_read_the_same_both_ways(tmp_path, placement, shape):
    tree = PlacementShape(placement)
    network, orders = synthesize(
        SynthOptions(distributors=400, seed=5, shape=shape, placement=tree, months=2)
    )
    write_network(network, tmp_path / "distributors.csv", shape=tree)
    write_orders(orders, network, tmp_path / "orders.csv")
    fast = read_network(tmp_path / "distributors.csv", shape=tree)
    slow = read_network(tmp_path / "distributors.csv", shape=tree, columnar=False)
    for field in NETWORK_FIELDS:
        assert np.array_equal(getattr(fast, field), getattr(slow, field)), field
    fast_orders = read_orders(tmp_path / "orders.csv", network=fast, time_zone="Europe/Berlin")
    slow_orders = read_orders(
        tmp_path / "orders.csv", network=slow, time_zone="Europe/Berlin", columnar=False
    )
    assert int((fast_orders.returns >= 0).sum()) > 0
    for field in ORDER_FIELDS:
        a, b = getattr(fast_orders, field), getattr(slow_orders, field)
        assert np.array_equal(a, b), field
        assert isinstance(a, list) or a.dtype == b.dtype, field


NETWORK_CELLS = [
    "",
    " ",
    "A",
    "B",
    "K",
    "Z",
    " B",
    "B ",
    "'B",
    "'=B",
    "L",
    "R",
    "X",
    "1",
    "٣",
    "0",
    "2026-01-01",
    "2026-02-30",
    "0000-01-01",
    "2026-W01-1",
    "20260101",
    "active",
    "suspended",
    "retired",
    "customer",
    "distributor",
    '"A,B"',
    "A\x1c",
    "\ufeffA",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    row=st.integers(min_value=0, max_value=5),
    column=st.integers(min_value=0, max_value=6),
    value=st.sampled_from(NETWORK_CELLS),
    shape=st.sampled_from([BINARY, PlacementShape("matrix", 3), PlacementShape("unilevel")]),
)
def test_one_changed_cell_in_the_network_gives_the_same_answer_both_ways(row, column, value, shape):
    lines = NETWORK.splitlines()
    cells = lines[row + 1].split(",")
    cells[column] = value
    lines[row + 1] = ",".join(cells)
    text = "\n".join(lines) + "\n"
    if shape.kind == "matrix":
        text = text.replace(",L,", ",1,").replace(",R,", ",2,")
    if shape.kind == "unilevel":
        text = text.replace(",L,", ",,").replace(",R,", ",,")
    fast, slow = both_network_paths(text, shape)
    assert fast == slow


ORDER_CELLS = [
    "",
    "O1",
    "O9",
    "R1",
    "B",
    "K",
    "Z",
    "10",
    "10.5",
    "10.50",
    "10.505",
    "-1",
    "-0",
    "+1",
    "1e3",
    " 1",
    "٣",
    ".5",
    "1.",
    "99999999999999999999",
    "10000000.00",
    "10000000.01",
    "10000000000.00",
    "10000000000.01",
    "EUR",
    "JPY",
    "KWD",
    "eur",
    "product",
    "gift",
    "2026-10-05T10:00:00Z",
    "2026-10-05T10:00:00",
    "2026-10-05T10:00:00.5+02:00",
    "2026-10-05 10:00:00Z",
    "2026-10-05T24:00:00Z",
    "2026-10-05T10:00:60Z",
    "2026-10-05T10:00:00+24:00",
    "2026-10-05T10:00:00-00:00",
    "2026-10-05T10:00:00+0200",
    "2026-10-05",
    "2025-10-05T10:00:00Z",
    "2026-03-29T02:30:00",
    "2026-10-25T02:30:00",
    "'=1",
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    row=st.integers(min_value=0, max_value=4),
    column=st.integers(min_value=0, max_value=8),
    value=st.sampled_from(ORDER_CELLS),
    time_zone=st.sampled_from(["UTC", "Europe/Warsaw"]),
)
def test_one_changed_cell_in_the_orders_gives_the_same_answer_both_ways(
    row, column, value, time_zone
):
    lines = ORDERS.splitlines()
    cells = lines[row + 1].split(",")
    cells[column] = value
    lines[row + 1] = ",".join(cells)
    fast, slow = both_order_paths("\n".join(lines) + "\n", time_zone)
    assert fast == slow


@settings(max_examples=200, deadline=None)
@given(
    instants=st.lists(
        st.tuples(
            st.datetimes(min_value=NAIVE_MIN, max_value=NAIVE_MAX),
            st.sampled_from(["Z", "+02:00", "-05:30", "+23:59", "-00:00", ""]),
            st.sampled_from([0, 1, 3, 6]),
        ),
        min_size=1,
        max_size=8,
    ),
    time_zone=st.sampled_from(["UTC", "Europe/Warsaw", "America/New_York"]),
)
def test_instants_read_the_same_both_ways(instants, time_zone):
    rows = []
    for number, (moment, offset, digits) in enumerate(instants):
        text = moment.strftime("%Y-%m-%dT%H:%M:%S")
        if digits:
            text += "." + f"{moment.microsecond:06d}"[:digits]
        rows.append(f"O{number},A,{text}{offset},1,1,1.00,EUR,product,\n")
    network_text = HEADER + "A,,,,1900-01-01,active,distributor\n"
    network = read_network(text_source(network_text, "distributors.csv"), shape=BINARY)
    kwargs = {"network": network, "time_zone": time_zone}
    text = ORDER_HEADER + "".join(rows)
    fast = outcome(read_orders, text, "orders.csv", ORDER_FIELDS, **kwargs)
    slow = outcome(read_orders, text, "orders.csv", ORDER_FIELDS, columnar=False, **kwargs)
    assert fast == slow


@given(
    values=st.lists(st.integers(min_value=-(10**17), max_value=10**17), max_size=50),
    places=st.sampled_from([0, 2, 3]),
)
def test_decimal_text_is_exactly_format_decimal(values, places):
    text = decimal_text(np.array(values, dtype=np.int64), places).to_pylist()
    assert text == [format_decimal(value, places) for value in values]


@given(
    values=st.lists(st.integers(min_value=0, max_value=10**15 - 1), max_size=50),
    places=st.sampled_from([0, 2]),
)
def test_integers_to_text_and_back_are_the_same_integers(values, places):
    text = decimal_text(np.array(values, dtype=np.int64), places)
    parsed, ok = parse_decimal_column(text, places)
    assert ok.all()
    assert parsed.tolist() == values


@given(
    whole=st.from_regex(r"\A[0-9]{1,15}\Z"),
    fraction=st.one_of(st.just(""), st.from_regex(r"\A\.[0-9]{1,2}\Z")),
)
def test_canonical_decimal_text_parses_like_parse_decimal(whole, fraction):
    text = whole + fraction
    parsed, ok = parse_decimal_column(pa.array([text]), 2)
    assert ok.tolist() == [True]
    assert parsed.tolist() == [parse_decimal(text, 2)]


@pytest.mark.parametrize(
    "text", ["", "-1", "+1", "1e3", " 1", "1 ", "٣", ".5", "1.", "1.005", "1,5", "0x10"]
)
def test_text_that_is_not_canonical_is_left_to_the_exact_reader(text):
    parsed, ok = parse_decimal_column(pa.array([text, "2.50"]), 2)
    assert ok.tolist() == [False, True]
    assert parsed.tolist() == [0, 250]


def test_instants_before_1900_or_naive_in_a_zone_are_still_read(tmp_path):
    network_text = HEADER + "A,,,,1800-01-01,active,distributor\n"
    network = read_network(text_source(network_text, "distributors.csv"), shape=BINARY)
    text = ORDER_HEADER + "O1,A,1850-06-01T12:00:00+01:00,1,1,1.00,EUR,product,\n"
    orders = read_orders(text_source(text, "orders.csv"), network=network)
    expected = datetime(1850, 6, 1, 11, tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    assert orders.paid_at[0] == np.datetime64("1970-01-01T00:00:00", "us") + np.timedelta64(
        expected // timedelta(microseconds=1), "us"
    )
