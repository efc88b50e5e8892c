"""``downline calc`` with ``certificates.csv``: who holds a certificate on the period's last day,
read next to the other inputs (or from ``--certificates``); a bad row is named by file and
line and nothing is written."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from downline.calc.cli import calc_main
from downline.dataset.certificates import certificates_from_text, held_on
from downline.dataset.csv_io import DatasetError, network_from_text
from downline.dataset.tables import PlacementShape

PLAN = """name: Certified
currency: EUR
ranks:
  - name: Member
  - {name: Silver, pv: 100, requires: {certificate: compliance-basics}}
bonuses:
  - name: uni
    title: Unilevel
    kind: unilevel
    per: distributor
    levels: [10%]
    requires: {certificate: compliance-basics}
"""
DISTRIBUTORS = """id,sponsor_id,placement_id,placement_position,joined_on,status,kind
A,,,,2026-01-01,active,distributor
B,A,,,2026-01-01,active,distributor
C,A,,,2026-01-01,active,distributor
K,A,,,2026-01-01,active,customer
"""
ORDERS = """id,distributor_id,paid_at,pv,cv,amount,currency,kind,returns_order_id
OA,A,2026-10-02T10:00:00Z,100,100,100.00,EUR,product,
OB,B,2026-10-03T10:00:00Z,100,100,100.00,EUR,product,
OC,C,2026-10-04T10:00:00Z,100,100,100.00,EUR,product,
"""
# A's certificate starts after October (not held on 31 October); B's covers it
CERTIFICATES = """member_id,certificate,valid_from,valid_until
A,compliance-basics,2026-11-01,
B,compliance-basics,2026-01-01,2026-10-31
C,product-basics,,
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "plan.yaml").write_text(PLAN, encoding="utf-8")
    (tmp_path / "distributors.csv").write_text(DISTRIBUTORS, encoding="utf-8")
    (tmp_path / "orders.csv").write_text(ORDERS, encoding="utf-8")
    return tmp_path


def run(folder: Path, *extra: str) -> int:
    return calc_main(
        [
            "--plan",
            str(folder / "plan.yaml"),
            "--distributors",
            str(folder / "distributors.csv"),
            "--orders",
            str(folder / "orders.csv"),
            "--period",
            "2026-10",
            "--out",
            str(folder / "out"),
            "--trace-text",
            "--language",
            "en",
            *extra,
        ]
    )


def rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_certificates_next_to_the_inputs_decide_rank_and_bonus(folder: Path):
    (folder / "certificates.csv").write_text(CERTIFICATES, encoding="utf-8")
    assert run(folder) == 0
    lines = rows(folder / "out" / "lines.csv")
    # B's and C's CV pay A 10% each, but A holds no valid certificate on 31 October
    assert [line["recipient_id"] for line in lines] == []
    distributors = {row["id"]: row for row in rows(folder / "out" / "distributors.csv")}
    assert distributors["A"]["paid_as_rank"] == "Member"
    assert distributors["B"]["paid_as_rank"] == "Silver"
    assert distributors["C"]["paid_as_rank"] == "Member"
    traces = [
        json.loads(line)
        for line in (folder / "out" / "trace.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    a = next(trace for trace in traces if trace["id"] == "A")
    assert a["messages"] == [
        "compliance-basics certificate missing: not paid Unilevel, "
        "so 2 Unilevel lines were not paid to you"
    ]
    assert a["next_rank"]["missing"] == ["compliance-basics certificate missing for Silver"]


def test_an_explicit_file_and_a_renewal(folder: Path):
    other = folder / "held.csv"
    other.write_text(CERTIFICATES + "A,compliance-basics,2026-10-01,2026-10-31\n", "utf-8")
    assert run(folder, "--certificates", str(other)) == 0
    lines = rows(folder / "out" / "lines.csv")
    assert sorted((line["recipient_id"], line["source_id"], line["amount"]) for line in lines) == [
        ("A", "B", "10.00"),
        ("A", "C", "10.00"),
    ]


def test_without_certificates_nobody_holds_one_and_calc_warns(folder: Path, capsys):
    assert run(folder) == 0
    err = capsys.readouterr().err
    assert "requires the certificates compliance-basics but no certificates.csv" in err
    assert rows(folder / "out" / "lines.csv") == []
    distributors = rows(folder / "out" / "distributors.csv")
    assert {row["paid_as_rank"] for row in distributors} == {"Member"}


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("Z,compliance-basics,,", "certificates.csv:5: member_id: no distributor 'Z'"),
        ("K,compliance-basics,,", "certificates.csv:5: member_id: 'K' is a retail customer"),
        ("A,Compliance Basics,,", "certificates.csv:5: certificate: 'Compliance Basics' is not"),
        ("A,compliance-basics,2026-13-01,", "certificates.csv:5: valid_from: '2026-13-01' is not"),
        (
            "A,compliance-basics,2026-10-01,2026-09-01",
            "certificates.csv:5: valid_until: the certificate ends (2026-09-01) before it starts",
        ),
        ("A,compliance-basics", "certificates.csv:5: the row has 2 values, the header has 4"),
    ],
)
def test_a_bad_row_is_named_by_file_and_line_and_nothing_is_written(
    folder: Path, capsys, row: str, problem: str
):
    (folder / "certificates.csv").write_text(CERTIFICATES + row + "\n", encoding="utf-8")
    assert run(folder) == 2
    err = capsys.readouterr().err
    assert problem in err
    assert not (folder / "out").exists()


def test_a_bad_header_is_reported():
    network = network_from_text(DISTRIBUTORS, shape=PlacementShape("unilevel", 2))
    with pytest.raises(DatasetError) as caught:
        certificates_from_text("member,certificate,note\nA,x,y\n", network=network)
    text = caught.value.summary()
    assert "certificates.csv:1: member_id: the column is missing" in text
    assert "certificates.csv:1: member: unknown column" in text


def test_held_on_a_day_counts_both_bounds():
    from datetime import date

    network = network_from_text(DISTRIBUTORS, shape=PlacementShape("unilevel", 2))
    certificates = certificates_from_text(CERTIFICATES, network=network)
    ids = ["A", "B", "C"]
    assert held_on(certificates, ids, date(2026, 10, 31), ["compliance-basics"])[
        "compliance-basics"
    ].tolist() == [False, True, False]
    assert held_on(certificates, ids, date(2026, 11, 1), ["compliance-basics"])[
        "compliance-basics"
    ].tolist() == [True, False, False]
    assert held_on(certificates, ids, date(2030, 1, 1), ["product-basics"])[
        "product-basics"
    ].tolist() == [False, False, True]
