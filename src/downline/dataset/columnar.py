"""Columnar text for tables: exact decimals, grouped formatting and fast CSV/Parquet writing.

Every number is an integer (hundredths of volume, minor units of money); text is made from the
integers without a float: :func:`decimal_text` views each value as an Arrow ``decimal128`` with
``places`` decimals (the integer is the unscaled value) and casts it to text, so ``1250`` with
two places is ``"12.50"`` and ``-5`` is ``"-0.05"``, exactly :func:`downline.money.format_decimal`.
:func:`parse_decimal_column` is the inverse for canonical text (digits, an optional point and at
most ``places`` decimals): it drops the point and scales by the missing places, in integers.

Tables are written in chunks of rows; each chunk becomes CSV text (``pyarrow.csv.write_csv``, no
quoting: callers check with :func:`plain_csv_cells` that no cell needs quotes) or a Parquet row
group. Chunks are converted by two threads (Arrow releases the GIL) and written in order.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import IO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

MAX_DECIMAL_DIGITS = 15
"""Digits before the point that :func:`parse_decimal_column` reads (far above every limit)."""
_STRUCTURAL = r'[,"\n\r]'


def decimal_array(values: np.ndarray, places: int) -> pa.Array:
    """``values`` (integers, ``places`` decimals implied) as an Arrow ``decimal128(38, places)``."""
    values = np.ascontiguousarray(values, dtype=np.int64)
    words = np.empty((len(values), 2), dtype=np.int64)
    words[:, 0] = values
    words[:, 1] = values >> 63  # sign extension of the 128-bit two's complement value
    return pa.Array.from_buffers(
        pa.decimal128(38, places), len(values), [None, pa.py_buffer(words)]
    )


def decimal_text(values: np.ndarray, places: int) -> pa.Array:
    """Canonical decimal text of each integer: ``1250``, 2 places → ``"12.50"``; no float."""
    return pc.cast(decimal_array(values, places), pa.string())


def decimal_dictionary(
    values: np.ndarray, places: int, *, empty_below_zero: bool = False
) -> pa.DictionaryArray:
    """:func:`decimal_text` of each value, each distinct value formatted once (hash grouping);
    with ``empty_below_zero`` negative values read as empty text (a value that does not apply)."""
    encoded = pc.dictionary_encode(pa.array(np.asarray(values, dtype=np.int64)))
    distinct = encoded.dictionary.to_numpy()
    text = decimal_text(distinct, places)
    if empty_below_zero:
        text = pc.if_else(pa.array(distinct < 0), "", text)
    return pa.DictionaryArray.from_arrays(encoded.indices, text)


def parse_decimal_column(text: pa.Array, places: int) -> tuple[np.ndarray, np.ndarray]:
    """``(values, ok)``: each canonical decimal as an integer with ``places`` decimals.

    ``ok`` is False where the text is not ``digits[.digits]`` (ASCII digits, at most
    :data:`MAX_DECIMAL_DIGITS` before the point, 1 to ``places`` after it); such values are 0.
    A sign, spaces, exponents and other digits are not canonical: the caller reads them another
    way (the exact row-by-row reader), never through a float.
    """
    fraction = rf"(\.[0-9]{{1,{places}}})?" if places else ""
    ok = pc.match_substring_regex(text, rf"^[0-9]{{1,{MAX_DECIMAL_DIGITS}}}{fraction}$")
    ok = pc.fill_null(ok, False)
    if not pc.all(ok).as_py():
        text = pc.if_else(ok, text, "0")
    point = pc.find_substring(text, ".").to_numpy()
    length = pc.utf8_length(text).to_numpy()
    decimals = np.where(point < 0, 0, length - point - 1)
    digits = pc.cast(pc.replace_substring(text, ".", ""), pa.int64()).to_numpy()
    values = digits * 10 ** (places - decimals)
    return values.astype(np.int64), ok.to_numpy(zero_copy_only=False)


def group_rows(*columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, representatives)``: rows equal in every column share one code ``0..k-1``;
    ``representatives[c]`` is a row with code ``c``. Hash-based (no sort)."""
    codes: np.ndarray | None = None
    for column in columns:
        encoded = pc.dictionary_encode(pa.array(np.asarray(column)))
        index = encoded.indices.to_numpy().astype(np.int64)
        if codes is None:
            codes = index
        else:
            combined = codes * len(encoded.dictionary) + index
            codes = pc.dictionary_encode(pa.array(combined)).indices.to_numpy().astype(np.int64)
    if codes is None:
        raise ValueError("group_rows needs at least one column")
    count = int(codes.max()) + 1 if len(codes) else 0
    representatives = np.zeros(count, dtype=np.int64)
    representatives[codes] = np.arange(len(codes), dtype=np.int64)
    return codes, representatives


def text_by_group(codes: np.ndarray, texts: Sequence[str]) -> pa.DictionaryArray:
    """A text column from group codes and the text of each group."""
    return pa.DictionaryArray.from_arrays(
        pa.array(codes.astype(np.int32)), pa.array(list(texts), type=pa.string())
    )


def lookup(indices: np.ndarray, dictionary: pa.Array) -> pa.DictionaryArray:
    """``dictionary[indices]`` as a dictionary column; index ``-1`` is the dictionary's last
    entry (callers append ``""`` or a null for "none")."""
    index = np.asarray(indices, dtype=np.int64)
    index = np.where(index < 0, len(dictionary) - 1, index).astype(np.int32)
    return pa.DictionaryArray.from_arrays(pa.array(index), dictionary)


def plain_csv_cells(values: Iterable[str]) -> bool:
    """True when the csv module writes every value as it is (no quotes needed)."""
    for value in values:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow([value, ""])
        if buffer.getvalue() != value + ",\n":
            return False
    return True


def plain_csv_array(values: pa.Array) -> bool:
    """:func:`plain_csv_cells` for a large array of text (vectorised)."""
    found = pc.any(pc.match_substring_regex(values, _STRUCTURAL)).as_py()
    return not found


def _csv_text(table: pa.Table) -> pa.Buffer:
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(table, sink, pa_csv.WriteOptions(include_header=False, quoting_style="none"))
    return sink.getvalue()


def _in_order(
    build: Callable[[int, int], pa.Table],
    convert: Callable[[pa.Table], object],
    total: int,
    chunk: int,
) -> Iterable[object]:
    """``convert(build(begin, end))`` for each chunk, two at a time, yielded in order."""
    ranges = [(begin, min(begin + chunk, total)) for begin in range(0, total, chunk)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        pending: list[Future] = []
        for begin, end in ranges:
            pending.append(pool.submit(lambda b=begin, e=end: convert(build(b, e))))
            if len(pending) > 2:
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()


def write_csv_chunks(
    handle: IO[bytes],
    header: Sequence[str],
    build: Callable[[int, int], pa.Table],
    total: int,
    chunk: int,
) -> None:
    """The header line, then each chunk's rows as CSV (``\\n`` line ends, no quoting)."""
    handle.write((",".join(header) + "\n").encode())
    for text in _in_order(build, _csv_text, total, chunk):
        handle.write(memoryview(text))  # type: ignore[arg-type]


def write_parquet_chunks(
    path: object, schema: pa.Schema, build: Callable[[int, int], pa.Table], total: int, chunk: int
) -> None:
    """Each chunk as one row group of a Parquet file (zstd)."""
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        if total == 0:
            writer.write_table(schema.empty_table())
        for table in _in_order(build, lambda table: table, total, chunk):
            writer.write_table(table)  # type: ignore[arg-type]
