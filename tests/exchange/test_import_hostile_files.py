"""Hostile files end in ``file:line:column`` problems and exit status 2, never in a traceback.

Before: a UTF-16 or Latin-1 file, a field over 128 KiB or an amount beyond int64 made
``downline import`` and ``downline calc`` crash with a traceback (status 1), or wrap volumes.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine

from downline.dataset.csv_io import MAX_AMOUNT, MAX_VOLUME

from .conftest import MEMBERS_HEADER, NETWORK, ORDERS_HEADER, run_cli, snapshot

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 4, 15, 10, 0, tzinfo=UTC)
PLAN = (
    "name: Retail\ncurrency: EUR\nnetwork: {placement: binary}\n"
    "bonuses:\n  - {name: retail, kind: personal, volume: amount, rate: 10%}\n"
)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def write_bytes(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def refused(capsys, *args) -> list[str]:
    """Run ``downline import``; require status 2, no change, and return the printed problems."""
    before = snapshot()
    assert run_cli("import", *args) == 2
    assert snapshot() == before, "a refused import changed the database"
    return capsys.readouterr().err.splitlines()


def test_a_utf16_file_is_named_as_such(tmp_path, capsys):
    path = write_bytes(tmp_path, "distributors.csv", NETWORK.encode("utf-16"))
    lines = refused(capsys, "--distributors", path)
    assert lines[0] == (
        "distributors.csv:1:1: not UTF-8 (it starts with a UTF-16 byte-order mark); save the "
        "file as UTF-8 and import it again"
    )
    assert lines[-1] == "downline import: 1 problem found; nothing was imported."


def test_utf16_without_a_byte_order_mark_is_caught_by_its_nul_bytes(tmp_path, capsys):
    path = write_bytes(tmp_path, "distributors.csv", NETWORK.encode("utf-16-le"))
    lines = refused(capsys, "--distributors", path)
    assert lines[0] == (
        "distributors.csv:1: the line contains a NUL byte; is the file UTF-16? save it as "
        "UTF-8 and import it again"
    )


def test_a_latin1_file_names_the_line_and_character_of_the_first_bad_byte(tmp_path, capsys):
    text = NETWORK + "Müller,A,,R,2026-02-02,active,distributor\n"
    path = write_bytes(tmp_path, "distributors.csv", text.encode("latin-1"))
    lines = refused(capsys, "--distributors", path)
    assert lines[0] == (
        "distributors.csv:7:2: not UTF-8 (byte 0xFC; the file may be Latin-1 or "
        "Windows-1252); save the file as UTF-8 and import it again"
    )


def test_a_field_over_the_csv_limit_is_named_by_its_line(files, capsys):
    huge = "X" * (csv.field_size_limit() + 1)
    path = files("distributors.csv", NETWORK + f'"{huge}",A,,R,2026-02-02,active,distributor\n')
    lines = refused(capsys, "--distributors", path)
    assert lines[0] == (
        "distributors.csv:7: a field is longer than 131072 characters; no value of the format "
        "is that long"
    )


def test_a_long_bad_value_is_quoted_only_in_part(files, capsys):
    long_id = "Y" * 100_000
    path = files("distributors.csv", NETWORK + f"{long_id},A,,R,2026-02-02,active,distributor\n")
    (line, *_rest) = refused(capsys, "--distributors", path)
    assert line.startswith("distributors.csv:7: id: '" + "Y" * 40 + "…' is not a valid id")
    assert len(line) < 300


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            "O9,A,2026-03-10T10:00:00Z,1.00,1.00,92233720368547758.07,EUR,product,",
            "orders.csv:3: amount: 92233720368547758.07 is more than 10000000000.00, the "
            "largest amount of one row",
        ),
        (
            "O9,A,2026-03-10T10:00:00Z,92233720368547758.07,1.00,1.00,EUR,product,",
            "orders.csv:3: pv: 92233720368547758.07 is more than 10000000.00, the largest pv "
            "of one row",
        ),
        (
            "O9,A,2026-03-10T10:00:00Z,1.00,10000000.01,1.00,EUR,product,",
            "orders.csv:3: cv: 10000000.01 is more than 10000000.00, the largest cv of one row",
        ),
        (
            "O9,A,2026-03-10T10:00:00Z,1.00,1.00," + "9" * 5000 + ",EUR,product,",
            "orders.csv:3: amount: '" + "9" * 40 + "…' is not a decimal number with at most 2 "
            "decimal places",
        ),
    ],
)
def test_amounts_and_volumes_beyond_the_documented_limits_are_refused(files, capsys, row, expected):
    assert run_cli("import", "--distributors", files("base.csv", NETWORK)) == 0
    capsys.readouterr()
    ok = "O8,A,2026-03-10T10:00:00Z,1.00,1.00,1.00,EUR,product,\n"
    lines = refused(capsys, "--orders", files("orders.csv", ORDERS_HEADER + ok + row + "\n"))
    assert lines[0] == expected


def test_the_largest_documented_values_are_accepted(files):
    assert MAX_AMOUNT == 10**12
    assert MAX_VOLUME == 10**9
    assert run_cli("import", "--distributors", files("base.csv", NETWORK)) == 0
    row = "O9,A,2026-03-10T10:00:00Z,10000000.00,10000000.00,10000000000.00,EUR,product,\n"
    assert run_cli("import", "--orders", files("orders.csv", ORDERS_HEADER + row)) == 0


# --------------------------------------------------------------------------- downline calc


def calc(tmp_path: Path, members: bytes, orders: bytes) -> int:
    plan = write_bytes(tmp_path, "plan.yaml", PLAN.encode())
    return run_cli(
        "calc",
        "--plan",
        plan,
        "--distributors",
        write_bytes(tmp_path, "distributors.csv", members),
        "--orders",
        write_bytes(tmp_path, "orders.csv", orders),
        "--period",
        "2026-03",
        "--out",
        tmp_path / "out",
    )


def test_calc_answers_a_utf16_file_with_status_2(tmp_path, capsys):
    orders = (ORDERS_HEADER + "O1,A,2026-03-10T10:00:00Z,1.00,1.00,1.00,EUR,product,\n").encode()
    assert calc(tmp_path, NETWORK.encode("utf-16"), orders) == 2
    assert "distributors.csv:1:1: not UTF-8" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_calc_answers_an_overflowing_amount_with_status_2(tmp_path, capsys):
    orders = (
        ORDERS_HEADER + "O1,A,2026-03-10T10:00:00Z,1.00,1.00,99999999999999999999,EUR,product,\n"
    )
    assert calc(tmp_path, NETWORK.encode(), orders.encode()) == 2
    err = capsys.readouterr().err
    assert "orders.csv:2: amount: 99999999999999999999 is more than 10000000000.00" in err
    assert "Traceback" not in err


def test_members_header_is_still_checked_after_the_encoding_fix(files, capsys):
    lines = refused(capsys, "--distributors", files("distributors.csv", MEMBERS_HEADER[:-4]))
    assert any("kind: the column is missing" in line for line in lines)
