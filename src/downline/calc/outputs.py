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

In ``lines.csv`` most of a row repeats: lines come in runs of one recipient and bonus, the
source follows from the order, and the last six cells from a few (bonus, level, rate, base,
amounts) combinations. :meth:`LineColumns.csv_text` makes each such part's text once (per run,
per order, per combination) and joins the parts of each row (:func:`columnar.csv_rows`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from pathlib import Path
from typing import IO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from downline.calc import TABLE_FORMATS
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
        self.inputs = inputs
        self.names = [bonus.name for bonus in plan.bonuses]
        self.kinds = [base_kind(plan, b) for b in range(len(plan.bonuses))]
        self._rates: dict[tuple[int, int, int], str] = {}

    @cached_property
    def ids(self) -> np.ndarray:
        return np.asarray([*self.inputs.ids, ""], dtype=object)  # row -1 → ""

    @cached_property
    def order_ids(self) -> np.ndarray:
        return np.asarray([*self.inputs.order_ids, ""], dtype=object)

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


@dataclass
class LineIds:
    """The id texts of a period's lines, which depend on the inputs only (so they can be made
    while the engine computes, see :func:`line_ids`)."""

    ids: pa.Array  # the distributors' ids, then "" (row -1)
    order_ids: pa.Array  # the orders' ids, then ""
    order_member: np.ndarray
    plain: bool  # no id needs CSV quotes
    source_and_order: pa.Array | None = None  # see :func:`line_ids`


def line_ids(inputs: PeriodInputs, *, source_and_order: bool = True) -> LineIds:
    """The :class:`LineIds` of ``inputs``; with ``source_and_order``, also the texts
    ``source_id,source_order_id`` of :meth:`LineColumns.csv_text`: one per order, made with
    the order's credited distributor as the source; one per distributor, without an order;
    and ``","``."""
    empty = pa.array([""], type=pa.string())
    ids = pa.concat_arrays([columnar.text_array(inputs.ids), empty])
    order_ids = pa.concat_arrays([columnar.text_array(inputs.order_ids), empty])
    order_member = np.asarray(inputs.order_member, dtype=np.int64)
    plain = columnar.plain_csv_array(ids) and columnar.plain_csv_array(order_ids)
    made = LineIds(ids, order_ids, order_member, plain)
    if source_and_order and plain:
        m, n = len(order_member), len(ids) - 1
        by_order = pc.binary_join_element_wise(
            columnar.text_column(columnar.lookup(order_member, ids)),
            order_ids.slice(0, m),
            ",",
        )
        by_source = pc.binary_join_element_wise(ids.slice(0, n), "", ",")
        made.source_and_order = pa.concat_arrays(
            [by_order, by_source, pa.array([","], type=pa.string())]
        )
    return made


class LineColumns:
    """The columns of ``lines.csv`` / ``lines.parquet`` for a range of lines, built with array
    operations: each distinct (bonus, base) and (bonus, rate) is turned into text once by
    :class:`LineText`, each distinct amount once by :func:`columnar.decimal_dictionary`."""

    def __init__(
        self, text: LineText, inputs: PeriodInputs, prepared: LineIds | None = None
    ) -> None:
        self.text = text
        self.lines = text.lines
        self.inputs = inputs
        self.prepared = prepared or line_ids(inputs, source_and_order=False)
        self.ids = self.prepared.ids  # row -1 → ""
        self.order_ids = self.prepared.order_ids
        self.names = pa.array(text.names, type=pa.string())
        self.currency = pa.array([text.currency], type=pa.string())
        self.order_member = self.prepared.order_member
        self._source_and_order: pa.Array | None = self.prepared.source_and_order

    def prepare_csv(self) -> None:
        """Make the texts ``source_id,source_order_id`` of :meth:`csv_text` (once, before
        chunks are made on several threads), unless they were made ahead."""
        if self._source_and_order is None:
            self._source_and_order = line_ids(self.inputs).source_and_order

    def _recipient_and_bonus_cells(self, begin: int, end: int) -> list[pa.Array]:
        """The ``recipient_id`` and ``bonus`` cells of lines ``begin:end``. Lines come in runs
        of one recipient and bonus (canonical order), so the text ``recipient_id,bonus`` is
        made once per run; with short runs, two columns."""
        recipient, bonus = self.lines.recipient[begin:end], self.lines.bonus[begin:end]
        count = end - begin
        starts = np.ones(count, dtype=bool)
        np.not_equal(recipient[1:], recipient[:-1], out=starts[1:])
        starts[1:] |= bonus[1:] != bonus[:-1]
        first = np.flatnonzero(starts)
        if len(first) > count // 4:
            return [columnar.lookup(recipient, self.ids), columnar.lookup(bonus, self.names)]
        text = pc.binary_join_element_wise(
            columnar.text_column(columnar.lookup(recipient[first], self.ids)),
            columnar.text_column(columnar.lookup(bonus[first], self.names)),
            ",",
        )
        run = np.cumsum(starts, dtype=np.int32) - 1
        return [pa.DictionaryArray.from_arrays(pa.array(run), text)]

    def _source_and_order_cells(self, begin: int, end: int) -> list[pa.Array]:
        """The ``source_id`` and ``source_order_id`` cells of lines ``begin:end``: one column
        from :meth:`prepare_csv`'s texts where every line with an order has the order's
        credited distributor as source (the engine's lines do), else two columns."""
        lines = self.lines
        source = lines.source[begin:end].astype(np.int64)
        order = lines.source_order[begin:end].astype(np.int64)
        fused = self._source_and_order
        with_order = order >= 0
        if fused is not None and np.array_equal(
            source[with_order], self.order_member[order[with_order]]
        ):
            m, n = len(self.order_member), len(self.ids) - 1
            index = np.where(with_order, order, np.where(source >= 0, m + source, m + n))
            return [pa.DictionaryArray.from_arrays(pa.array(index), fused)]
        return [columnar.lookup(source, self.ids), columnar.lookup(order, self.order_ids)]

    def plain(self) -> bool:
        """True when no cell needs CSV quotes (else the row-by-row writer is used)."""
        small = [*self.text.names, self.text.currency]
        return columnar.plain_csv_cells(small) and self.prepared.plain

    def _grouped(self, begin: int, end: int, column: str) -> pa.DictionaryArray:
        return self._grouped_rows(slice(begin, end), column)

    def _grouped_rows(self, rows: slice | np.ndarray, column: str) -> pa.DictionaryArray:
        """The ``base`` or ``rate`` text of the lines ``rows`` (a range or row numbers)."""
        lines, text = self.lines, self.text
        bonus = lines.bonus[rows]
        if column == "base":
            base = lines.base[rows]
            codes, rows = columnar.group_rows(bonus, base)
            texts = [
                text.base_text(b, v)
                for b, v in zip(bonus[rows].tolist(), base[rows].tolist(), strict=True)
            ]
            return columnar.text_by_group(codes, texts)
        if lines.rate_id is not None and lines.rate_table is not None:
            rate_id = lines.rate_id[rows]
            codes, first = columnar.group_rows(bonus, rate_id)
            chosen = rate_id[first]
            num, den = lines.rate_table[0][chosen], lines.rate_table[1][chosen]
        else:
            num, den = lines.rate_num[rows], lines.rate_den[rows]
            codes, first = columnar.group_rows(bonus, num, den)
            num, den = num[first], den[first]
        texts = [
            text.rate_text(b, n, d)
            for b, n, d in zip(bonus[first].tolist(), num.tolist(), den.tolist(), strict=True)
        ]
        return columnar.text_by_group(codes, texts)

    def csv_text(self, begin: int, end: int) -> pa.Buffer:
        """Lines ``begin:end`` as the CSV text of :meth:`LineText.rows` (no header).

        The last six cells (level, base, rate, amount, currency, amount before caps) depend
        only on the line's bonus, level, rate, base and amounts, and a period has few distinct
        such tails: the lines are grouped by them, each group's tail is made once (the text of
        :meth:`csv_table`), and every row is the join of its ids, bonus name and tail."""
        lines, minor = self.lines, self.text.minor
        part = slice(begin, end)
        if lines.rate_id is not None and lines.rate_table is not None:
            rates: tuple[np.ndarray, ...] = (lines.rate_id[part],)
        else:
            rates = (lines.rate_num[part], lines.rate_den[part])
        amounts = [lines.amount[part], lines.amount_before_cap[part]]
        if np.array_equal(amounts[0], amounts[1]):
            amounts.pop()  # no cap in this range: the amount before caps is the amount
        small = [lines.bonus[part], lines.level[part], *rates]
        large = [lines.base[part], *amounts]
        packed = columnar.pack_small(*small, *large)
        if packed is not None:
            keys = [packed]
        else:
            packed = columnar.pack_small(*small)
            keys = [*(small if packed is None else [packed]), *large]
        codes, first = columnar.group_rows(*keys)
        rows = first + begin
        tail = pc.binary_join_element_wise(
            pc.cast(pa.array(lines.level[rows]), pa.string()),
            columnar.text_column(self._grouped_rows(rows, "base")),
            columnar.text_column(self._grouped_rows(rows, "rate")),
            columnar.decimal_text(lines.amount[rows], minor),
            pa.scalar(self.text.currency, pa.string()),
            columnar.decimal_text(lines.amount_before_cap[rows], minor),
            ",",
        )
        columns = [
            *self._recipient_and_bonus_cells(begin, end),
            *self._source_and_order_cells(begin, end),
            pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), tail),
        ]
        return columnar.csv_rows(columns)

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
        self.ids = columnar.text_array(inputs.ids)
        self.rank_names = [rank.name for rank in plan.ranks]
        self.escaped_ranks = [escape_formula(name) for name in self.rank_names]
        self.has_binary = any(bonus.kind == "binary" for bonus in plan.bonuses)

    def plain(self) -> bool:
        return columnar.plain_csv_cells(self.escaped_ranks) and columnar.plain_csv_array(self.ids)

    def csv_table(self, begin: int, end: int) -> pa.Table:
        return pa.Table.from_arrays(self._csv_columns(begin, end), names=list(DISTRIBUTOR_COLUMNS))

    def _csv_columns(self, begin: int, end: int) -> list[pa.Array]:
        result, part = self.result, slice(begin, end)
        ranks = pa.array(self.escaped_ranks, type=pa.string())
        empty = columnar.lookup(np.zeros(end - begin, dtype=np.int8), pa.array([""]))

        def carry(values: np.ndarray) -> pa.Array:
            return columnar.decimal_dictionary(values[part], 2) if self.has_binary else empty

        return [
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

    def csv_text(self, begin: int, end: int) -> pa.Buffer:
        """Distributors ``begin:end`` as the CSV text of :func:`distributor_rows`."""
        return columnar.csv_rows(self._csv_columns(begin, end))

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
    prepared: LineIds | None = None,
) -> list[str]:
    """Write the lines and distributors tables into ``folder``; returns the file names.
    ``prepared``: :func:`line_ids` of ``inputs``, if made already.

    CSV text is exactly that of :func:`write_lines` and :func:`write_distributors` (which are
    used instead when some cell would need quotes, e.g. a rank name with a comma).
    """
    if table_format not in TABLE_FORMATS:
        raise ValueError(f"unknown table format {table_format!r}")
    lines = LineColumns(LineText(plan, inputs, result), inputs, prepared)
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
            lines.prepare_csv()
            columnar.write_csv_text_chunks(
                handle, LINE_COLUMNS, lines.csv_text, count, COLUMNAR_CHUNK
            )
        else:
            with io.TextIOWrapper(handle, encoding="utf-8", newline="") as text:
                write_lines(text, lines.text)
    with (folder / "distributors.csv").open("wb") as handle:
        if distributors.plain():
            columnar.write_csv_text_chunks(
                handle, DISTRIBUTOR_COLUMNS, distributors.csv_text, inputs.n, COLUMNAR_CHUNK
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
