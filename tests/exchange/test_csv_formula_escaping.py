"""No CSV Downline writes holds a cell a spreadsheet would run as a formula.

Before: ids and names starting with ``=``, ``+``, ``-`` or ``@`` went unescaped into
``downline export`` (and ``statement.csv``). The rule (``downline.core.csv_safety``): writers
put ``'`` before such text; ``downline import`` takes exactly that ``'`` off again.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine

from downline.core.csv_safety import (
    FORMULA_STARTS,
    escape_formula,
    formula_safe_writer,
    safe_cell,
    unescape_formula,
)
from downline.dataset.csv_io import DatasetError, network_from_text
from downline.dataset.tables import PlacementShape
from downline.exchange.exporting import export_files
from downline.genealogy.models import Distributor

from .conftest import NETWORK, ORDERS, run_cli

DANGEROUS = ["=1+1", "+49123", "-5", "@SUM(A1:A9)", "\tX", "\rX", '=HYPERLINK("http://x","y")']


def cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


@pytest.mark.parametrize("text", DANGEROUS)
def test_formula_starts_get_an_apostrophe(text):
    assert escape_formula(text) == "'" + text
    assert unescape_formula(escape_formula(text)) == text


def test_escaping_is_undone_exactly_for_every_text():
    alphabet = ["'", "=", "+", "-", "@", "\t", "\r", "a", "1", ".", " "]
    rng = random.Random(7)
    samples = ["", "'", "''", "'=", "''=x", "'a", "plain", "-12.50"]
    samples += [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 6))) for _ in range(2000)
    ]
    for text in samples:
        escaped = escape_formula(text)
        assert unescape_formula(escaped) == text, repr(text)
        assert not escaped.startswith(FORMULA_STARTS), repr(text)


def test_a_mixed_writer_keeps_negative_amounts_as_numbers():
    out = io.StringIO()
    writer = formula_safe_writer(out, lineterminator="\n")
    writer.writerow(["=cmd|' /C calc'!A0", "-12.50", -3, "+0.5", "-1+2", "Anna"])
    assert cells(out.getvalue()) == [
        "'=cmd|' /C calc'!A0",
        "-12.50",
        "-3",
        "+0.5",
        "'-1+2",
        "Anna",
    ]
    assert safe_cell(None) is None


def test_the_import_reads_an_escaped_cell_as_the_original_text():
    # The cell "'=X" reads back as "=X" (then refused by the id alphabet, naming it as it was).
    text = (
        "id,sponsor_id,placement_id,placement_position,joined_on,status,kind\n"
        "R,,,,2026-01-05,active,distributor\n"
        "'=X,R,,L,2026-01-06,active,distributor\n"
    )
    with pytest.raises(DatasetError) as caught:
        network_from_text(text, shape=PlacementShape("binary", 2))
    assert str(caught.value.errors[0]).startswith("distributors.csv:3: id: '=X' is not a valid id")


@pytest.mark.django_db
def test_export_escapes_ids_stored_before_the_alphabet_and_round_trips_the_rest(files, tmp_path):
    with time_machine.travel(datetime(2026, 4, 15, 10, tzinfo=UTC), tick=False):
        assert run_cli("import", "--distributors", files("d.csv", NETWORK)) == 0
        assert run_cli("import", "--orders", files("o.csv", ORDERS)) == 0
        clean = tmp_path / "clean"
        export_files(clean)
        assert (clean / "distributors.csv").read_text() == NETWORK  # valid ids never change
        assert (clean / "orders.csv").read_text() == ORDERS
        # Ids written before the alphabet existed (straight into the table):
        Distributor.objects.filter(member_id="B").update(member_id="=HYPERLINK(1)")
        Distributor.objects.filter(member_id="K").update(member_id="@SUM(A1)")
        legacy = tmp_path / "legacy"
        export_files(legacy)
    for name in ("distributors.csv", "orders.csv"):
        text = Path(legacy / name).read_text()
        assert not [cell for cell in cells(text) if cell.startswith(FORMULA_STARTS)], name
    members = cells((legacy / "distributors.csv").read_text())
    assert "'=HYPERLINK(1)" in members
    assert "'@SUM(A1)" in cells((legacy / "orders.csv").read_text())
