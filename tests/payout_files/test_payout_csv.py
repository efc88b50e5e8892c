"""The payout CSV: one row per payout, exact amounts, UTF-8, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io

from payout_samples import POLISH_IBAN, batch, instruction

from downline.money import parse_decimal
from downline.payouts.files import CSV_COLUMNS, payout_csv


def _rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"), newline="")))


def test_each_payout_is_one_row_with_every_column():
    content = payout_csv(
        batch(
            instruction(1, amount=12_50),
            instruction(2, name="Łukasz Wąsowski", iban=POLISH_IBAN, bic="", amount=1),
        )
    )
    assert content.splitlines()[0].decode() == ",".join(CSV_COLUMNS)
    rows = _rows(content)
    assert [row["payout_id"] for row in rows] == ["1", "2"]
    assert rows[1] == {
        "payout_id": "2",
        "idempotency_key": "P2-B7",
        "member_id": "M0002",
        "name": "Łukasz Wąsowski",
        "iban": POLISH_IBAN,
        "bic": "",
        "amount": "0.01",
        "currency": "EUR",
        "reference": "Commission 2026-10 member M0002",
    }


def test_amounts_have_the_minor_digits_of_their_currency_and_add_up_exactly():
    amounts = [10, 20, 99_999_999_999, 1]
    rows = _rows(payout_csv(batch(*(instruction(i + 1, amount=a) for i, a in enumerate(amounts)))))
    assert sum(parse_decimal(row["amount"], 2) for row in rows) == sum(amounts)
    yen_and_dinar = _rows(
        payout_csv(
            batch(
                instruction(1, amount=1250, currency="JPY"),
                instruction(2, amount=1250, currency="KWD"),
            )
        )
    )
    assert [row["amount"] for row in yen_and_dinar] == ["1250", "1.250"]


def test_cells_a_spreadsheet_would_run_as_formulas_are_defused():
    dangerous = instruction(
        1,
        name='=HYPERLINK("http://evil.example","click")',
        member_id="+49123",
        reference="@SUM(A1:A9)",
    )
    harmless = instruction(2, name='Anna-Lena, "Ann" O\'Neil', member_id="-5")
    first, second = _rows(payout_csv(batch(dangerous, harmless)))
    assert first["name"] == "'" + dangerous.name
    assert first["member_id"] == "'+49123"
    assert first["reference"] == "'@SUM(A1:A9)"
    assert second["name"] == 'Anna-Lena, "Ann" O\'Neil'
    assert second["member_id"] == "'-5"


def test_the_same_batch_gives_the_same_bytes():
    sample = batch(instruction(1), instruction(2, name="Юлия Щукина"))
    assert payout_csv(sample) == payout_csv(sample)
    assert "Юлия Щукина".encode() in payout_csv(sample)
