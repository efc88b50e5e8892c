"""The files ``downline calc`` writes (docs/plan-language.md, "Outputs"), as text.

* ``lines.csv``: every line in canonical order; ``base`` is a volume (two decimals), money
  (the currency's minor digits) for matching and pool lines, a cycle count for binary cycles,
  or empty for rank advancement; ``rate`` as the plan wrote it (``10%``, ``10 per unit``), a
  difference of brackets (``3%``), a share (``1/3``), ``30.00 per cycle``, or empty;
* ``distributors.csv``: one row per distributor;
* ``trace.parquet``: every distributor's trace as numbers (:mod:`downline.calc.trace_file`);
* ``trace.jsonl`` (``--trace-text`` only): one explanation per distributor in words
  (:mod:`downline.engine.explain`);
* ``run.json``: hashes, counts, totals, ratios, remainders and timings;
* ``state.json``: the state for the next period.

The two tables are written column by column (:func:`write_tables`): each distinct value is
formatted once (decimals from integers, :mod:`downline.dataset.columnar`), and Arrow writes the
rows, as CSV with exactly the text of :class:`LineText` and :func:`distributor_rows` (the
row-by-row reference, still used by golden cases and when a cell would need CSV quotes), or as
Parquet (``--format parquet``) with typed columns: decimals as ``decimal128`` with the places of
the CSV text, ``active`` as a boolean, empty cells as nulls, rank names as written in the plan
(a Parquet cell is data, never a spreadsheet formula, so it is not formula-escaped).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import IO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from downline.core.csv_safety import escape_formula
from downline.dataset import columnar
from downline.engine.explain import Explainer
from downline.engine.inputs import PeriodInputs, PeriodResult
from downline.engine.plan import Plan
from downline.engine.plan.values import format_percent
from downline.engine.summary import PeriodSummary, base_kind
from downline.money import format_decimal

LINE_COLUMNS = (
    "recipient_id",
    "bonus",
    "source_id",
    "source_order_id",
    "level",
    "base",
    "rate",
    "amount",
    "currency",
    "amount_before_cap",
)
DISTRIBUTOR_COLUMNS = (
    "id",
    "pv",
    "cv",
    "gv",
    "qualifying_volume",
    "active",
    "paid_as_rank",
    "highest_rank",
    "earned",
    "carry_left",
    "carry_right",
)
CHUNK = 200_000
COLUMNAR_CHUNK = 500_000
"""Rows per chunk of the columnar writers (one Parquet row group, one CSV block)."""
TABLE_FORMATS = ("csv", "parquet")


def _formatted(values: np.ndarray, places: int) -> list[str]:
    """Decimal text of each value; each distinct value is formatted once."""
    if not values.size:
        return []
    unique, inverse = np.unique(values, return_inverse=True)
    text = [format_decimal(value, places) for value in unique.tolist()]
    return [text[k] for k in inverse.reshape(-1).tolist()]


def _fraction_text(value: Fraction) -> str:
    return (
        f"{value.numerator}/{value.denominator}" if value.denominator != 1 else str(value.numerator)
    )


class LineText:
    """Turns the lines of a period into the text of ``lines.csv``."""

    def __init__(self, plan: Plan, inputs: PeriodInputs, result: PeriodResult) -> None:
        self.plan = plan
        self.lines = result.lines
        self.minor = plan.minor_digits
        self.currency = plan.currency_code
        self.ids = np.asarray([*inputs.ids, ""], dtype=object)  # row -1 → ""
        self.order_ids = np.asarray([*inputs.order_ids, ""], dtype=object)
        self.names = [bonus.name for bonus in plan.bonuses]
        self.kinds = [base_kind(plan, b) for b in range(len(plan.bonuses))]
        self._rates: dict[tuple[int, int, int], str] = {}

    def rate_text(self, b: int, num: int, den: int) -> str:
        key = (b, num, den)
        if key not in self._rates:
            self._rates[key] = self._rate_text(b, num, den)
        return self._rates[key]

    def _rate_text(self, b: int, num: int, den: int) -> str:
        bonus = self.plan.bonuses[b]
        if den == 0:
            return ""
        value = Fraction(num, den)
        if bonus.kind == "pool":
            return f"{num}/{den}"
        if bonus.kind == "binary" and bonus.cycles is not None:
            pays = self.plan.money_minor(bonus.cycles.pays)
            return f"{format_decimal(pays, self.minor)} per cycle"
        written = []
        for name in ("levels", "generations"):
            written += getattr(bonus, name, None) or []
        for name in ("rate", "royalty"):
            if getattr(bonus, name, None) is not None:
                written.append(getattr(bonus, name))
        written += [bracket.rate for bracket in getattr(bonus, "brackets", None) or []]
        for rate in written:
            if rate.value == value:
                return rate.text
        if value > 1:
            return f"{_fraction_text(value)} per unit"
        return format_percent(value)

    def base_text(self, b: int, base: int) -> str:
        kind = self.kinds[b]
        if kind == "volume":
            # a stairstep line of base 0 is a floor line (other lines need a base): no base
            if base == 0 and self.plan.bonuses[b].kind == "stairstep":
                return ""
            return format_decimal(base, 2)
        if kind == "money":
            return format_decimal(base, self.minor)
        if kind == "cycles":
            return str(base)
        return ""

    def rows(self, start: int = 0, stop: int | None = None) -> Iterator[tuple[str, ...]]:
        lines = self.lines
        stop = len(lines) if stop is None else stop
        for begin in range(start, stop, CHUNK):
            end = min(begin + CHUNK, stop)
            bonus = lines.bonus[begin:end].tolist()
            base = lines.base[begin:end].tolist()
            num = lines.rate_num[begin:end].tolist()
            den = lines.rate_den[begin:end].tolist()
            recipient = self.ids[lines.recipient[begin:end]].tolist()
            source = self.ids[lines.source[begin:end]].tolist()
            order = self.order_ids[lines.source_order[begin:end]].tolist()
            level = lines.level[begin:end].tolist()
            amount = _formatted(lines.amount[begin:end], self.minor)
            before = _formatted(lines.amount_before_cap[begin:end], self.minor)
            for k in range(end - begin):
                b = bonus[k]
                yield (
                    recipient[k],
                    self.names[b],
                    source[k],
                    order[k],
                    str(level[k]),
                    self.base_text(b, base[k]),
                    self.rate_text(b, num[k], den[k]),
                    amount[k],
                    self.currency,
                    before[k],
                )


def write_lines(handle: IO[str], text: LineText) -> None:
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(LINE_COLUMNS)
    writer.writerows(text.rows())


def distributor_rows(
    plan: Plan, inputs: PeriodInputs, result: PeriodResult
) -> Iterator[tuple[str, ...]]:
    minor = plan.minor_digits
    ranks = [escape_formula(rank.name) for rank in plan.ranks]  # free text: CSV-safe
    has_binary = any(bonus.kind == "binary" for bonus in plan.bonuses)
    for begin in range(0, inputs.n, CHUNK):
        end = min(begin + CHUNK, inputs.n)
        part = slice(begin, end)
        pv = _formatted(result.pv[part], 2)
        cv = _formatted(result.cv[part], 2)
        gv = _formatted(result.gv[part], 2)
        qv_values = result.qualifying_volume[part]
        qv = _formatted(qv_values, 2)
        earned = _formatted(result.earned[part], minor)
        left = _formatted(result.carry_left[part], 2) if has_binary else [""] * (end - begin)
        right = _formatted(result.carry_right[part], 2) if has_binary else [""] * (end - begin)
        active = result.active[part].tolist()
        paid = result.paid_as_rank[part].tolist()
        highest = result.highest_rank[part].tolist()
        no_qv = (qv_values < 0).tolist()
        for k in range(end - begin):
            yield (
                inputs.ids[begin + k],
                pv[k],
                cv[k],
                gv[k],
                "" if no_qv[k] else qv[k],
                "true" if active[k] else "false",
                ranks[paid[k]],
                ranks[highest[k]],
                earned[k],
                left[k],
                right[k],
            )


def write_distributors(
    handle: IO[str], plan: Plan, inputs: PeriodInputs, result: PeriodResult
) -> None:
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(DISTRIBUTOR_COLUMNS)
    writer.writerows(distributor_rows(plan, inputs, result))


class LineColumns:
    """The columns of ``lines.csv`` / ``lines.parquet`` for a range of lines, built with array
    operations: each distinct (bonus, base) and (bonus, rate) is turned into text once by
    :class:`LineText`, each distinct amount once by :func:`columnar.decimal_dictionary`."""

    def __init__(self, text: LineText, inputs: PeriodInputs) -> None:
        self.text = text
        self.lines = text.lines
        self.ids = pa.array([*inputs.ids, ""], type=pa.string())  # row -1 → ""
        self.order_ids = pa.array([*inputs.order_ids, ""], type=pa.string())
        self.names = pa.array(text.names, type=pa.string())
        self.currency = pa.array([text.currency], type=pa.string())

    def plain(self) -> bool:
        """True when no cell needs CSV quotes (else the row-by-row writer is used)."""
        small = [*self.text.names, self.text.currency]
        return (
            columnar.plain_csv_cells(small)
            and columnar.plain_csv_array(self.ids)
            and columnar.plain_csv_array(self.order_ids)
        )

    def _grouped(self, begin: int, end: int, column: str) -> pa.DictionaryArray:
        lines, text = self.lines, self.text
        bonus = lines.bonus[begin:end]
        if column == "base":
            base = lines.base[begin:end]
            codes, rows = columnar.group_rows(bonus, base)
            texts = [
                text.base_text(b, v)
                for b, v in zip(bonus[rows].tolist(), base[rows].tolist(), strict=True)
            ]
            return columnar.text_by_group(codes, texts)
        if lines.rate_id is not None and lines.rate_table is not None:
            rate_id = lines.rate_id[begin:end]
            codes, rows = columnar.group_rows(bonus, rate_id)
            chosen = rate_id[rows]
            num, den = lines.rate_table[0][chosen], lines.rate_table[1][chosen]
        else:
            num, den = lines.rate_num[begin:end], lines.rate_den[begin:end]
            codes, rows = columnar.group_rows(bonus, num, den)
            num, den = num[rows], den[rows]
        texts = [
            text.rate_text(b, n, d)
            for b, n, d in zip(bonus[rows].tolist(), num.tolist(), den.tolist(), strict=True)
        ]
        return columnar.text_by_group(codes, texts)

    def csv_table(self, begin: int, end: int) -> pa.Table:
        """Lines ``begin:end`` with exactly the cell text of :meth:`LineText.rows`."""
        lines, minor = self.lines, self.text.minor
        columns = [
            columnar.lookup(lines.recipient[begin:end], self.ids),
            columnar.lookup(lines.bonus[begin:end], self.names),
            columnar.lookup(lines.source[begin:end], self.ids),
            columnar.lookup(lines.source_order[begin:end], self.order_ids),
            pa.array(lines.level[begin:end]),
            self._grouped(begin, end, "base"),
            self._grouped(begin, end, "rate"),
            columnar.decimal_dictionary(lines.amount[begin:end], minor),
            columnar.lookup(np.zeros(end - begin, dtype=np.int8), self.currency),
            columnar.decimal_dictionary(lines.amount_before_cap[begin:end], minor),
        ]
        return pa.Table.from_arrays(columns, names=list(LINE_COLUMNS))

    def parquet_schema(self) -> pa.Schema:
        money = pa.decimal128(18, self.text.minor)
        return pa.schema(
            [
                ("recipient_id", pa.string()),
                ("bonus", pa.string()),
                ("source_id", pa.string()),
                ("source_order_id", pa.string()),
                ("level", pa.int16()),
                ("base", pa.string()),
                ("rate", pa.string()),
                ("amount", money),
                ("currency", pa.string()),
                ("amount_before_cap", money),
            ]
        )

    def parquet_table(self, begin: int, end: int) -> pa.Table:
        """Lines ``begin:end`` as typed columns; empty cells of the CSV are nulls."""
        table = self.csv_table(begin, end)
        money = pa.decimal128(18, self.text.minor)
        columns = []
        for name, column in zip(table.column_names, table.columns, strict=True):
            if name in ("amount", "amount_before_cap"):
                values = getattr(self.lines, name)[begin:end]
                columns.append(columnar.decimal_array(values, self.text.minor).cast(money))
            elif name == "level":
                columns.append(column.combine_chunks().cast(pa.int16()))
            else:
                text = column.combine_chunks().cast(pa.string())
                columns.append(null_if_empty(text))
        return pa.Table.from_arrays(columns, schema=self.parquet_schema())


def null_if_empty(text: pa.Array) -> pa.Array:
    """Text with ``""`` replaced by null (an empty CSV cell)."""
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


class DistributorColumns:
    """The columns of ``distributors.csv`` / ``distributors.parquet`` (see
    :func:`distributor_rows`, the row-by-row reference)."""

    def __init__(self, plan: Plan, inputs: PeriodInputs, result: PeriodResult) -> None:
        self.plan, self.inputs, self.result = plan, inputs, result
        self.minor = plan.minor_digits
        self.ids = pa.array(inputs.ids, type=pa.string())
        self.rank_names = [rank.name for rank in plan.ranks]
        self.escaped_ranks = [escape_formula(name) for name in self.rank_names]
        self.has_binary = any(bonus.kind == "binary" for bonus in plan.bonuses)

    def plain(self) -> bool:
        return columnar.plain_csv_cells(self.escaped_ranks) and columnar.plain_csv_array(self.ids)

    def csv_table(self, begin: int, end: int) -> pa.Table:
        result, part = self.result, slice(begin, end)
        ranks = pa.array(self.escaped_ranks, type=pa.string())
        empty = columnar.lookup(np.zeros(end - begin, dtype=np.int8), pa.array([""]))

        def carry(values: np.ndarray) -> pa.Array:
            return columnar.decimal_dictionary(values[part], 2) if self.has_binary else empty

        columns = [
            self.ids.slice(begin, end - begin),
            columnar.decimal_dictionary(result.pv[part], 2),
            columnar.decimal_dictionary(result.cv[part], 2),
            columnar.decimal_dictionary(result.gv[part], 2),
            columnar.decimal_dictionary(result.qualifying_volume[part], 2, empty_below_zero=True),
            columnar.lookup(result.active[part].astype(np.int8), pa.array(["false", "true"])),
            columnar.lookup(result.paid_as_rank[part], ranks),
            columnar.lookup(result.highest_rank[part], ranks),
            columnar.decimal_dictionary(result.earned[part], self.minor),
            carry(result.carry_left),
            carry(result.carry_right),
        ]
        return pa.Table.from_arrays(columns, names=list(DISTRIBUTOR_COLUMNS))

    def parquet_schema(self) -> pa.Schema:
        volume, money = pa.decimal128(18, 2), pa.decimal128(18, self.minor)
        return pa.schema(
            [
                ("id", pa.string()),
                ("pv", volume),
                ("cv", volume),
                ("gv", volume),
                ("qualifying_volume", volume),
                ("active", pa.bool_()),
                ("paid_as_rank", pa.string()),
                ("highest_rank", pa.string()),
                ("earned", money),
                ("carry_left", volume),
                ("carry_right", volume),
            ]
        )

    def parquet_table(self, begin: int, end: int) -> pa.Table:
        result, part = self.result, slice(begin, end)
        volume, money = pa.decimal128(18, 2), pa.decimal128(18, self.minor)
        ranks = pa.array(self.rank_names, type=pa.string())

        def decimals(
            values: np.ndarray, places: int, kind: pa.DataType, empty: np.ndarray | None = None
        ) -> pa.Array:
            array = columnar.decimal_array(values, places).cast(kind)
            if empty is None:
                return array
            return pc.if_else(pa.array(empty), pa.scalar(None, kind), array)

        qv = result.qualifying_volume[part]
        no_carry = np.ones(end - begin, dtype=bool)
        columns = [
            self.ids.slice(begin, end - begin),
            decimals(result.pv[part], 2, volume),
            decimals(result.cv[part], 2, volume),
            decimals(result.gv[part], 2, volume),
            decimals(qv, 2, volume, qv < 0),
            pa.array(result.active[part].astype(bool)),
            ranks.take(pa.array(result.paid_as_rank[part])),
            ranks.take(pa.array(result.highest_rank[part])),
            decimals(result.earned[part], self.minor, money),
            decimals(result.carry_left[part], 2, volume, None if self.has_binary else no_carry),
            decimals(result.carry_right[part], 2, volume, None if self.has_binary else no_carry),
        ]
        return pa.Table.from_arrays(columns, schema=self.parquet_schema())


def write_tables(
    folder: Path,
    plan: Plan,
    inputs: PeriodInputs,
    result: PeriodResult,
    *,
    table_format: str = "csv",
) -> list[str]:
    """Write the lines and distributors tables into ``folder``; returns the file names.

    CSV text is exactly that of :func:`write_lines` and :func:`write_distributors` (which are
    used instead when some cell would need quotes, e.g. a rank name with a comma).
    """
    if table_format not in TABLE_FORMATS:
        raise ValueError(f"unknown table format {table_format!r}")
    lines = LineColumns(LineText(plan, inputs, result), inputs)
    distributors = DistributorColumns(plan, inputs, result)
    count = len(result.lines)
    if table_format == "parquet":
        columnar.write_parquet_chunks(
            folder / "lines.parquet",
            lines.parquet_schema(),
            lines.parquet_table,
            count,
            COLUMNAR_CHUNK,
        )
        columnar.write_parquet_chunks(
            folder / "distributors.parquet",
            distributors.parquet_schema(),
            distributors.parquet_table,
            inputs.n,
            COLUMNAR_CHUNK,
        )
        return ["lines.parquet", "distributors.parquet"]
    with (folder / "lines.csv").open("wb") as handle:
        if lines.plain():
            columnar.write_csv_chunks(handle, LINE_COLUMNS, lines.csv_table, count, COLUMNAR_CHUNK)
        else:
            with io.TextIOWrapper(handle, encoding="utf-8", newline="") as text:
                write_lines(text, lines.text)
    with (folder / "distributors.csv").open("wb") as handle:
        if distributors.plain():
            columnar.write_csv_chunks(
                handle, DISTRIBUTOR_COLUMNS, distributors.csv_table, inputs.n, COLUMNAR_CHUNK
            )
        else:
            with io.TextIOWrapper(handle, encoding="utf-8", newline="") as text:
                write_distributors(text, plan, inputs, result)
    return ["lines.csv", "distributors.csv"]


def write_trace(handle: IO[str], explainer: Explainer) -> None:
    """``trace.jsonl``: every distributor's trace in words (the current language), one JSON
    object a line."""
    for trace in explainer.all():
        handle.write(json.dumps(trace, ensure_ascii=False, separators=(",", ":")))
        handle.write("\n")


def fraction_text(value: Fraction, places: int) -> str:
    """An exact value as a decimal with ``places`` decimals (rounded half up past them)."""
    scaled = value * 10**places
    whole = (2 * abs(scaled.numerator) + scaled.denominator) // (2 * scaled.denominator)
    return format_decimal(whole if scaled >= 0 else -whole, places)


def money_text(minor: int | Fraction, places: int, extra: int = 0) -> str:
    """Minor units as currency text; ``extra`` more decimals for fractions of a minor unit."""
    if isinstance(minor, Fraction):
        return fraction_text(minor / 10**places, places + extra)
    return format_decimal(int(minor), places)


def run_document(
    *,
    plan: Plan,
    plan_digest: str,
    input_digest: str,
    period: str,
    time_zone: str,
    summary: PeriodSummary,
    timings: dict[str, float],
) -> dict:
    minor = plan.minor_digits
    totals = summary.totals

    def ratio(of: str) -> str | None:
        value = summary.payout_ratio(of, minor)
        return None if value is None else fraction_text(value, 6)

    return {
        "plan": plan.name,
        "plan_hash": plan_digest,
        "input_hash": input_digest,
        "period": period,
        "time_zone": time_zone,
        "currency": plan.currency_code,
        "counts": summary.counts,
        "totals": {
            "pv": format_decimal(totals["pv"], 2),
            "cv": format_decimal(totals["cv"], 2),
            "turnover": format_decimal(totals["amount"], 2),
        },
        "bonuses": {
            t.name: {
                "lines": t.lines,
                "before_cap": money_text(t.before_cap, minor),
                "paid": money_text(t.paid, minor),
                "exact": money_text(t.exact, minor, extra=4),
            }
            for t in summary.bonuses
        },
        "paid": money_text(summary.paid, minor),
        "before_cap": money_text(summary.before_cap, minor),
        "payout_ratio": {"of_cv": ratio("cv"), "of_turnover": ratio("amount")},
        "rounding_remainder": money_text(summary.rounding_remainder, minor, extra=4),
        "pool_breakage": {
            name: money_text(value, minor, extra=4) for name, value in summary.pool_breakage.items()
        },
        "cap_breakage": money_text(summary.cap_breakage, minor),
        "timings_seconds": {name: round(value, 3) for name, value in timings.items()},
    }


_JSON_STRING = json.encoder.encode_basestring  # the standard library's, ensure_ascii=False


class _NotPlainJson(Exception):
    """A value :func:`json_text` leaves to the standard library (floats, keys that are not
    strings, other types)."""


def _render(value: object, level: int, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(_JSON_STRING(value))
    elif value is None:
        out.append("null")
    elif value is True or value is False:
        out.append("true" if value else "false")
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        inner = "\n" + "  " * (level + 1)
        separator = "{" + inner
        for key, item in value.items():
            if not isinstance(key, str):
                raise _NotPlainJson
            out.append(separator + _JSON_STRING(key) + ": ")
            separator = "," + inner
            _render(item, level + 1, out)
        out.append("\n" + "  " * level + "}")
    elif isinstance(value, list | tuple):
        if not value:
            out.append("[]")
            return
        inner = "\n" + "  " * (level + 1)
        separator = "[" + inner
        for item in value:
            out.append(separator)
            separator = "," + inner
            _render(item, level + 1, out)
        out.append("\n" + "  " * level + "]")
    else:
        raise _NotPlainJson


def json_text(document: object) -> str:
    """Exactly ``json.dumps(document, indent=2, ensure_ascii=False)``, several times faster on
    large documents (``state.json`` has an entry per distributor; the standard library indents
    through Python generators). Floats and other types go to the standard library."""
    out: list[str] = []
    try:
        _render(document, 0, out)
    except _NotPlainJson:
        return json.dumps(document, indent=2, ensure_ascii=False)
    return "".join(out)


def write_json(path: Path, document: dict) -> None:
    path.write_text(json_text(document) + "\n", encoding="utf-8")
