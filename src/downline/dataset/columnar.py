"""Columnar text for tables: exact decimals, grouped formatting and fast CSV/Parquet writing.

Every number is an integer (hundredths of volume, minor units of money); text is made from the
integers without a float: :func:`decimal_text` views each value as an Arrow ``decimal128`` with
``places`` decimals (the integer is the unscaled value) and casts it to text, so ``1250`` with
two places is ``"12.50"`` and ``-5`` is ``"-0.05"``, exactly :func:`downline.money.format_decimal`.
:func:`parse_decimal_column` is the inverse for canonical text (digits, an optional point and at
most ``places`` decimals): it drops the point and scales by the missing places, in integers;
whether text is canonical is checked on its bytes (a byte class, the point's count and place,
the lengths), not with a regular expression.

Tables are written in chunks of rows; each chunk becomes CSV text or a Parquet row group. CSV
text is made by :func:`csv_rows`: each column's cells as text (dictionary columns: each
distinct text made once, then gathered), joined element-wise with ``,`` and a line end (no
quoting: callers check with :func:`plain_csv_cells` that no cell needs quotes); this is the
text ``pyarrow.csv.write_csv`` writes, several times faster. Chunks are converted by two
threads (Arrow releases the GIL) and written in order.

:func:`text_array` gives a list of texts (a million ids) as an Arrow array without converting
it again when a reader recorded the array it was made from (:func:`remember_text`).
"""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import IO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

_KNOWN_TEXT: list[tuple[Sequence[str], pa.Array]] = []
_KNOWN_LOCK = threading.Lock()


def remember_text(values: Sequence[str], array: pa.Array) -> None:
    """Record that the list ``values`` (never changed afterwards) holds the texts of the Arrow
    string array ``array``, for :func:`text_array` (the last few are kept)."""
    with _KNOWN_LOCK:
        _KNOWN_TEXT.append((values, array))
        del _KNOWN_TEXT[:-8]


def known_text(values: Sequence[str]) -> pa.Array | None:
    """The array :func:`remember_text` recorded for this very list, if any."""
    with _KNOWN_LOCK:
        for known, array in _KNOWN_TEXT:
            if known is values and len(known) == len(array):
                return array
    return None


def text_array(values: Sequence[str] | pa.Array) -> pa.Array:
    """``values`` as an Arrow string array: the array the list was made from when a reader
    recorded it (:func:`remember_text`; a million ids are not converted again), else a new
    one."""
    if isinstance(values, pa.Array):
        return values
    known = known_text(values)
    return known if known is not None else pa.array(values, pa.string())


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


def text_bytes(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """``(data, offsets)`` of a string array, without a copy: the UTF-8 bytes of all its cells
    (``uint8``) and the ``len(text) + 1`` offsets of the cells into ``data`` (row ``i`` is
    ``data[offsets[i]:offsets[i + 1]]``)."""
    if pa.types.is_large_string(text.type):
        kind = np.int64
    elif pa.types.is_string(text.type):
        kind = np.int32
    else:
        raise TypeError(f"text_bytes needs a string array, not {text.type}")
    _validity, offset_buffer, data_buffer = text.buffers()
    offsets = np.frombuffer(offset_buffer, dtype=kind)[text.offset : text.offset + len(text) + 1]
    if data_buffer is None or not len(text):
        return np.zeros(0, dtype=np.uint8), np.zeros(len(text) + 1, dtype=np.int64)
    data = np.frombuffer(data_buffer, dtype=np.uint8)
    return data, offsets.astype(np.int64)


def byte_class(characters: str) -> np.ndarray:
    """A table of 256 booleans, True for the bytes of the ASCII ``characters``."""
    table = np.zeros(256, dtype=bool)
    table[np.frombuffer(characters.encode("ascii"), dtype=np.uint8)] = True
    return table


def all_bytes_in(text: pa.Array, table: np.ndarray) -> bool:
    """True when every byte of every cell of ``text`` is in the class ``table``."""
    data, offsets = text_bytes(text)
    return bool(table[data[offsets[0] : offsets[-1]]].all()) if len(text) else True


DIGITS = byte_class("0123456789")
_DECIMAL_BYTES = byte_class("0123456789.")


def _canonical_decimals(text: pa.Array, places: int) -> tuple[np.ndarray, np.ndarray]:
    """``(ok, decimals)`` per cell: whether it is canonical (ASCII digits, 1 to
    :data:`MAX_DECIMAL_DIGITS` of them, then optionally a point and 1 to ``places`` digits),
    checked without a regular expression (a byte class, the count and position of the point,
    the lengths), and its number of decimals (0 where not ok)."""
    data, offsets = text_bytes(text)
    n = len(text)
    length = np.diff(offsets)
    if n == 0:
        return np.zeros(0, dtype=bool), np.zeros(0, dtype=np.int64)
    good_bytes = _DECIMAL_BYTES[data[offsets[0] : offsets[-1]]]
    if good_bytes.all():
        allowed = np.ones(n, dtype=bool)
    else:  # the rows holding a byte outside the class
        bad = np.zeros(len(good_bytes) + 1, dtype=np.int64)
        np.cumsum(~good_bytes, out=bad[1:])
        allowed = bad[offsets[1:] - offsets[0]] == bad[offsets[:-1] - offsets[0]]
    points = pc.count_substring(text, ".").to_numpy(zero_copy_only=False)
    point = pc.find_substring(text, ".").to_numpy(zero_copy_only=False)
    whole = np.where(points == 0, length, point)
    fraction = np.where(points == 0, 0, length - point - 1)
    ok = allowed & (points <= 1) & (whole >= 1) & (whole <= MAX_DECIMAL_DIGITS)
    if places:
        ok &= (points == 0) | ((fraction >= 1) & (fraction <= places))
    else:
        ok &= points == 0
    return ok, np.where(ok, fraction, 0)


def parse_decimal_column(text: pa.Array, places: int) -> tuple[np.ndarray, np.ndarray]:
    """``(values, ok)``: each canonical decimal as an integer with ``places`` decimals.

    ``ok`` is False where the text is not ``digits[.digits]`` (ASCII digits, at most
    :data:`MAX_DECIMAL_DIGITS` before the point, 1 to ``places`` after it); such values are 0.
    A sign, spaces, exponents and other digits are not canonical: the caller reads them another
    way (the exact row-by-row reader), never through a float.
    """
    if text.null_count:
        text = pc.fill_null(text, "")  # not canonical: ok is False
    if len(text) >= 1024:  # few distinct texts (prices, volumes): each is read once
        encoded = pc.dictionary_encode(text)
        if len(encoded.dictionary) * 4 <= len(text):
            values, ok = _parse_decimals(encoded.dictionary, places)
            rows = encoded.indices.to_numpy(zero_copy_only=False)
            return values[rows], ok[rows]
    return _parse_decimals(text, places)


def _parse_decimals(text: pa.Array, places: int) -> tuple[np.ndarray, np.ndarray]:
    ok, decimals = _canonical_decimals(text, places)
    if not ok.all():
        text = pc.if_else(pa.array(ok), text, "0")
    digits = pc.cast(pc.replace_substring(text, ".", ""), pa.int64()).to_numpy()
    values = digits * 10 ** (places - decimals)
    return values.astype(np.int64), ok


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


def text_column(column: pa.Array) -> pa.Array:
    """``column`` as plain text: a dictionary column is materialised (``dictionary[indices]``),
    numbers are cast to their decimal text (as Arrow's CSV writer prints integers)."""
    if pa.types.is_dictionary(column.type):
        dictionary = column.dictionary
        if not pa.types.is_string(dictionary.type):
            dictionary = pc.cast(dictionary, pa.string())
        return dictionary.take(column.indices)
    if not pa.types.is_string(column.type):
        return pc.cast(column, pa.string())
    return column


def pack_small(*columns: np.ndarray) -> np.ndarray | None:
    """One int64 key per row equal exactly where every column is equal (mixed radix over
    each column's range), or ``None`` when the ranges' product does not fit 62 bits."""
    key = np.zeros(len(columns[0]) if columns else 0, dtype=np.int64)
    span = 1
    for column in columns:
        if not len(column):
            return key
        low, high = int(column.min()), int(column.max())
        width = high - low + 1
        span *= width
        if span >= 1 << 62:
            return None
        key *= width
        key += column.astype(np.int64) - low
    return key


def csv_rows(columns: Sequence[pa.Array]) -> pa.Buffer:
    """The rows whose cells are ``columns`` as CSV text, without quoting (callers check with
    :func:`plain_csv_cells` that no cell needs quotes): cells joined by ``,``, each row ended
    by ``\n``; the bytes ``pyarrow.csv.write_csv`` writes without header and quoting. Made by
    Arrow's element-wise join (one pass; the interpreter is released)."""
    if not columns or not len(columns[0]):
        return pa.py_buffer(b"")
    last = columns[-1]
    if pa.types.is_dictionary(last.type):
        ended = pc.binary_join_element_wise(text_column(last.dictionary), "\n", "")
        last = pa.DictionaryArray.from_arrays(last.indices, ended)
        cells = [*map(text_column, columns[:-1]), text_column(last)]
    else:
        ended = pc.binary_join_element_wise(text_column(last), "\n", "")
        cells = [*map(text_column, columns[:-1]), ended]
    joined = cells[0] if len(cells) == 1 else pc.binary_join_element_wise(*cells, ",")
    if joined.null_count:
        raise ValueError("csv_rows: a cell is null")
    offsets = np.frombuffer(joined.buffers()[1], dtype=np.int32)
    first, end = int(offsets[joined.offset]), int(offsets[joined.offset + len(joined)])
    return joined.buffers()[2][first:end]


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


def write_csv_text_chunks(
    handle: IO[bytes],
    header: Sequence[str],
    build: Callable[[int, int], pa.Buffer],
    total: int,
    chunk: int,
) -> None:
    """The header line, then the CSV text ``build(begin, end)`` of each chunk, in order (two
    chunks are made at a time, see :func:`csv_rows`)."""
    handle.write((",".join(header) + "\n").encode())
    for text in _in_order(build, lambda text: text, total, chunk):
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
