"""Column-wise bulk writes of model rows: binary ``COPY`` on PostgreSQL, ``executemany`` on SQLite.

The bulk loaders of the apps (``genealogy.bulk_load``, ``orders.bulk_load``) hand this module
whole columns, never rows, so a million rows cost a few NumPy passes instead of a million ORM
saves. It lives in ``core``, below every app, so the loaders, the CSV exchange, the ledger's
postings and the commission runs share it without importing one another. A column is one of:

* a NumPy array: integers or booleans, ``datetime64[D]`` (a date) or ``datetime64[us]`` (a UTC
  instant);
* a ``numpy.ma.MaskedArray`` of integers: masked entries are NULL;
* a list of ``str`` (text) or ``bytes`` (binary);
* :class:`Packed`: one binary value per row, given as their byte lengths and all their bytes
  end to end (millions of values without a Python object each);
* a 2-D ``uint8`` array: binary values of one width, a row of bytes each;
* :class:`Const`: the same value (``int``, ``str``, ``bool``, ``date``, aware ``datetime``,
  ``uuid.UUID`` or ``None``) in every row.

Columns the caller leaves out get NULL, so only nullable columns may be left out.

On PostgreSQL the rows are encoded in ``COPY … (FORMAT BINARY)`` with vectorised NumPy: every
field is a big-endian length followed by its bytes (integers big-endian, a date as days and an
instant as microseconds since 2000-01-01, text as UTF-8). On SQLite the values are written as
Django stores them (dates ``YYYY-MM-DD``, instants as naive UTC ``YYYY-MM-DD HH:MM:SS[.ffffff]``,
UUIDs as 32 hex digits, booleans as 0/1) with ``executemany`` in large batches.

Nothing here checks business rules; callers validate first and run inside one transaction.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
from django.db import connection, models

PG_EPOCH_DAY = np.datetime64("2000-01-01", "D")
PG_EPOCH_US = np.datetime64("2000-01-01T00:00:00", "us")
UNIX_EPOCH_US = np.datetime64("1970-01-01T00:00:00", "us")
COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
COPY_TRAILER = b"\xff\xff"
CHUNK_ROWS = 200_000
SQLITE_BATCH = 50_000


_phase_listener: ContextVar[Callable[[str], None] | None] = ContextVar(
    "bulk_phase_listener", default=None
)


@contextmanager
def phases_reported_to(listener: Callable[[str], None]) -> Iterator[None]:
    """Inside the block, every ``phase_done(name)`` calls ``listener(name)`` (for timings)."""
    token = _phase_listener.set(listener)
    try:
        yield
    finally:
        _phase_listener.reset(token)


def phase_done(name: str) -> None:
    """Tell the listener, if any, that the step ``name`` of a bulk load has finished."""
    listener = _phase_listener.get()
    if listener is not None:
        listener(name)


@dataclass(frozen=True)
class Const:
    """The same value in every row."""

    value: Any


@dataclass(frozen=True)
class Packed:
    """Binary values, row ``i`` being ``data[offsets[i]:offsets[i + 1]]``."""

    lengths: np.ndarray  # int64 per row
    data: np.ndarray  # uint8, every value end to end

    @property
    def offsets(self) -> np.ndarray:
        return np.concatenate(([0], np.cumsum(self.lengths)))

    def values(self) -> list[bytes]:
        offsets = self.offsets.tolist()
        raw = self.data.tobytes()
        return [raw[a:b] for a, b in itertools.pairwise(offsets)]


Column = np.ndarray | list[str] | list[bytes] | Packed | Const


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


def table_of(model: type[models.Model]) -> str:
    return quote(model._meta.db_table)


def column_of(model: type[models.Model], attname: str) -> str:
    """The quoted column name of the field ``attname`` (``sponsor_id``, ``joined_on``, …)."""
    return quote(_field(model, attname).column)


# --------------------------------------------------------------------------- locks and ids


def lock_tables(*tables: type[models.Model]) -> None:
    """Keep other writers out of ``tables`` until the transaction ends (reads go on).

    PostgreSQL: ``LOCK TABLE … IN EXCLUSIVE MODE``. SQLite: a write transaction is exclusive by
    itself (``transaction_mode = IMMEDIATE``), so nothing is needed.
    """
    if not is_postgresql():
        return
    names = ", ".join(table_of(model) for model in tables)
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {names} IN EXCLUSIVE MODE")


def reserve_ids(model: type[models.Model], count: int) -> np.ndarray:
    """``count`` consecutive new primary keys of ``model``'s table, in ascending order.

    The caller must hold the table lock (``lock_tables``), so no other insert takes keys
    meanwhile. PostgreSQL: one ``nextval`` then ``setval`` past the block; SQLite: above both
    the largest key and the AUTOINCREMENT counter.
    """
    if count <= 0:
        return np.zeros(0, dtype=np.int64)
    table = model._meta.db_table
    pk = model._meta.pk.column
    with connection.cursor() as cursor:
        if is_postgresql():
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, pk])
            (sequence,) = cursor.fetchone()
            cursor.execute("SELECT nextval(%s)", [sequence])
            (first,) = cursor.fetchone()
            cursor.execute("SELECT setval(%s, %s)", [sequence, first + count - 1])
        else:
            cursor.execute(f"SELECT COALESCE(MAX({quote(pk)}), 0) FROM {quote(table)}")
            (largest,) = cursor.fetchone()
            cursor.execute(
                "SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = %s", [table]
            )
            (counter,) = cursor.fetchone()
            first = max(largest, counter) + 1
    return np.arange(first, first + count, dtype=np.int64)


REBUILD_FROM_ROWS = 50_000


@contextmanager
def indexes_rebuilt_after(model: type[models.Model], new_rows: int) -> Iterator[None]:
    """For a large load on PostgreSQL: drop the table's foreign keys, unique constraints and
    secondary indexes, and create them again at the end of the block, in the same transaction.

    Building an index once over the loaded table, and checking a foreign key with one join,
    costs a fraction of maintaining them row by row (``Populating a Database`` in the
    PostgreSQL manual). Used only when ``new_rows`` is at least ``REBUILD_FROM_ROWS`` and at
    least the rows already in the table; a failure rolls everything back, definitions
    included. The table is locked against readers until the transaction ends.
    """
    if not is_postgresql() or new_rows < REBUILD_FROM_ROWS or new_rows < _estimated_rows(model):
        yield
        return
    table = model._meta.db_table
    with connection.cursor() as cursor:
        # ALTER TABLE refuses while foreign-key checks of earlier writes are still deferred
        # (on this table or the tables its keys point at): run those checks now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute(
            """SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
               WHERE conrelid = %s::regclass AND contype IN ('f', 'u') ORDER BY conname""",
            [table],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            """SELECT i.relname, pg_get_indexdef(i.oid)
               FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
               WHERE x.indrelid = %s::regclass AND NOT x.indisprimary
                 AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                                 WHERE c.conrelid = x.indrelid AND c.conindid = x.indexrelid
                                   AND c.contype IN ('p', 'u', 'x'))
               ORDER BY i.relname""",
            [table],
        )
        indexes = cursor.fetchall()
        for name, _definition in constraints:
            cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {quote(name)}")
    yield
    phase_done(f"{table}: rows written")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
        for name, definition in constraints:
            cursor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")
    phase_done(
        f"{table}: {len(indexes) + len(constraints)} indexes, unique and foreign keys rebuilt"
    )


def _estimated_rows(model: type[models.Model]) -> int:
    """The planner's row estimate of ``model``'s table (cheap; exact enough to compare)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT GREATEST(reltuples, 0)::bigint FROM pg_class WHERE oid = %s::regclass",
            [model._meta.db_table],
        )
        return int(cursor.fetchone()[0])


def analyze(*tables: type[models.Model]) -> None:
    """Refresh the planner statistics of ``tables`` after a large load."""
    with connection.cursor() as cursor:
        for model in tables:
            cursor.execute(f"ANALYZE {table_of(model)}")


# --------------------------------------------------------------------------- writes


def insert_rows(model: type[models.Model], columns: Mapping[str, Column], count: int) -> None:
    """Insert ``count`` rows of ``model``; ``columns`` maps field attnames to columns."""
    if count <= 0:
        return
    if is_postgresql():
        _copy_in(model._meta.db_table, model, columns, count)
    else:
        names = ", ".join(column_of(model, name) for name in columns)
        marks = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {table_of(model)} ({names}) VALUES ({marks})"
        _sqlite_executemany(sql, [_sqlite_values(model, n, c, count) for n, c in columns.items()])


def update_rows(
    model: type[models.Model], key: str, keys: np.ndarray, columns: Mapping[str, Column]
) -> None:
    """Set ``columns`` on the rows whose ``key`` column equals ``keys`` (row by row)."""
    count = len(keys)
    if count == 0:
        return
    target = table_of(model)
    if is_postgresql():
        staging = _staging_table(model, [key, *columns])
        _copy_in(staging, model, {key: keys, **columns}, count)
        assignments = ", ".join(
            f"{column_of(model, name)} = s.{column_of(model, name)}" for name in columns
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {target} AS t SET {assignments} FROM {quote(staging)} AS s "
                f"WHERE t.{column_of(model, key)} = s.{column_of(model, key)}"
            )
            cursor.execute(f"DROP TABLE {quote(staging)}")
        return
    assignments = ", ".join(f"{column_of(model, name)} = %s" for name in columns)
    sql = f"UPDATE {target} SET {assignments} WHERE {column_of(model, key)} = %s"
    values = [_sqlite_values(model, n, c, count) for n, c in columns.items()]
    _sqlite_executemany(sql, [*values, _sqlite_values(model, key, keys, count)])


def upsert_rows(
    model: type[models.Model],
    conflict: Sequence[str],
    columns: Mapping[str, Column],
    count: int,
) -> None:
    """Insert rows, or overwrite the other ``columns`` of the row with the same ``conflict``
    columns (a unique constraint)."""
    if count <= 0:
        return
    names = [column_of(model, name) for name in columns]
    keys = ", ".join(column_of(model, name) for name in conflict)
    updates = ", ".join(
        f"{column_of(model, name)} = excluded.{column_of(model, name)}"
        for name in columns
        if name not in conflict
    )
    target = table_of(model)
    if is_postgresql():
        staging = _staging_table(model, list(columns))
        _copy_in(staging, model, columns, count)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {target} ({', '.join(names)}) "
                f"SELECT {', '.join(names)} FROM {quote(staging)} "
                f"ON CONFLICT ({keys}) DO UPDATE SET {updates}"
            )
            cursor.execute(f"DROP TABLE {quote(staging)}")
        return
    sql = (
        f"INSERT INTO {target} ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))}) "
        f"ON CONFLICT ({keys}) DO UPDATE SET {updates}"
    )
    _sqlite_executemany(sql, [_sqlite_values(model, n, c, count) for n, c in columns.items()])


def _staging_table(model: type[models.Model], attnames: list[str]) -> str:
    """A temporary table with ``attnames``' columns of ``model`` (dropped at commit)."""
    name = f"bulk_{model._meta.db_table}_{uuid.uuid4().hex[:12]}"
    columns = ", ".join(column_of(model, attname) for attname in attnames)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {quote(name)} ON COMMIT DROP AS "
            f"SELECT {columns} FROM {table_of(model)} LIMIT 0"
        )
    return name


# --------------------------------------------------------------------------- SQLite


def _sqlite_executemany(sql: str, columns: list[list[Any]]) -> None:
    count = len(columns[0]) if columns else 0
    with connection.cursor() as cursor:
        for start in range(0, count, SQLITE_BATCH):
            stop = start + SQLITE_BATCH
            cursor.executemany(sql, zip(*(column[start:stop] for column in columns), strict=True))


def _field(model: type[models.Model], attname: str) -> models.Field:
    for field in model._meta.concrete_fields:
        if field.attname == attname:
            return field
    raise ValueError(f"{model.__name__} has no column {attname!r}")


def _sqlite_scalar(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime):
        return str(value.astimezone(UTC).replace(tzinfo=None))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, dict):
        return json.dumps(value)
    return value


def _sqlite_values(model: type[models.Model], attname: str, column: Column, count: int) -> list:
    """Python values of one column as Django stores them in SQLite."""
    _field(model, attname)
    if isinstance(column, Const):
        return [_sqlite_scalar(column.value)] * count
    if isinstance(column, list):
        return column
    if isinstance(column, Packed):
        return column.values()
    if column.ndim == 2:  # fixed-width binary values, one row of bytes each
        return [row.tobytes() for row in column]
    if isinstance(column, np.ma.MaskedArray):
        values = column.data.astype(np.int64).tolist()
        for row in np.flatnonzero(np.ma.getmaskarray(column)).tolist():
            values[row] = None
        return values
    if column.dtype == np.dtype("datetime64[D]"):
        return np.datetime_as_string(column, unit="D").tolist()
    if column.dtype == np.dtype("datetime64[us]"):
        text = np.datetime_as_string(column, unit="us")
        whole = ((column - UNIX_EPOCH_US) // np.timedelta64(1, "us")) % 1_000_000 == 0
        trimmed = np.where(whole, np.char.replace(text, ".000000", ""), text)
        return np.char.replace(trimmed, "T", " ").tolist()
    if column.dtype == bool:
        return column.astype(np.int64).tolist()
    return column.astype(np.int64).tolist()


# --------------------------------------------------------------------------- PostgreSQL


def _pg_kind(model: type[models.Model], attname: str) -> str:
    """The binary encoding of a column: int2/int4/int8/bool/date/timestamptz/uuid/text."""
    db_type = (_field(model, attname).db_type(connection) or "").lower()
    if db_type.startswith(("varchar", "text", "char")):
        return "text"
    if db_type == "bytea":
        return "bytea"
    if db_type == "jsonb":
        return "jsonb"
    kinds = {
        "bigint": "int8",
        "integer": "int4",
        "smallint": "int2",
        "boolean": "bool",
        "date": "date",
        "timestamp with time zone": "timestamptz",
        "uuid": "uuid",
    }
    try:
        return kinds[db_type]
    except KeyError:
        raise ValueError(f"no binary COPY encoding for {attname} ({db_type})") from None


_WIDTHS = {"int2": 2, "int4": 4, "int8": 8, "bool": 1, "date": 4, "timestamptz": 8, "uuid": 16}


def _pg_fixed(kind: str, values: np.ndarray) -> np.ndarray:
    """``values`` (one per row) as a ``(rows, width)`` array of big-endian bytes."""
    if kind == "date":
        values = (values.astype("datetime64[D]") - PG_EPOCH_DAY) // np.timedelta64(1, "D")
        kind = "int4"
    elif kind == "timestamptz":
        values = (values.astype("datetime64[us]") - PG_EPOCH_US) // np.timedelta64(1, "us")
        kind = "int8"
    if kind == "bool":
        return values.astype(np.uint8).reshape(-1, 1)
    dtype = {"int2": ">i2", "int4": ">i4", "int8": ">i8"}[kind]
    return np.ascontiguousarray(values.astype(dtype)).view(np.uint8).reshape(len(values), -1)


def _pg_const(kind: str, value: Any) -> bytes | None:
    """The encoded bytes of a constant (``None`` for NULL)."""
    if value is None:
        return None
    if kind == "text":
        return str(value).encode()
    if kind == "jsonb":
        return b"\x01" + json.dumps(value).encode()  # binary jsonb: version 1, then the text
    if kind == "uuid":
        return uuid.UUID(str(value)).bytes
    if kind == "timestamptz":
        instant = np.datetime64(value.astimezone(UTC).replace(tzinfo=None), "us")
        return _pg_fixed(kind, np.array([instant])).tobytes()
    if kind == "date":
        return _pg_fixed(kind, np.array([np.datetime64(value, "D")])).tobytes()
    return _pg_fixed(kind, np.array([value])).tobytes()


@dataclass
class _Encoded:
    """One column of one chunk: per-row byte lengths (-1 NULL) and the bytes of each row."""

    lengths: np.ndarray  # int64, -1 for NULL
    fixed: np.ndarray | None = None  # (rows, width) uint8
    blob: np.ndarray | None = None  # concatenated variable-length bytes (uint8)
    constant: bytes | None = None


def _encode(kind: str, column: Column, start: int, stop: int) -> _Encoded:
    rows = stop - start
    if isinstance(column, Const):
        data = _pg_const(kind, column.value)
        if data is None:
            return _Encoded(lengths=np.full(rows, -1, dtype=np.int64))
        return _Encoded(lengths=np.full(rows, len(data), dtype=np.int64), constant=data)
    if kind == "bytea" and isinstance(column, np.ndarray) and column.ndim == 2:
        part = np.ascontiguousarray(column[start:stop])
        return _Encoded(lengths=np.full(rows, part.shape[1], dtype=np.int64), fixed=part)
    if isinstance(column, Packed):
        offsets = column.offsets
        return _Encoded(
            lengths=column.lengths[start:stop].astype(np.int64),
            blob=column.data[offsets[start] : offsets[stop]],
        )
    if kind in ("text", "bytea"):
        values = column[start:stop]
        encoded = [value.encode() for value in values] if kind == "text" else list(values)
        lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=rows)
        blob = np.frombuffer(b"".join(encoded), dtype=np.uint8)
        return _Encoded(lengths=lengths, blob=blob)
    part = column[start:stop]
    if isinstance(part, np.ma.MaskedArray):
        mask = np.ma.getmaskarray(part)
        fixed = _pg_fixed(kind, part.filled(0))
        lengths = np.where(mask, -1, fixed.shape[1]).astype(np.int64)
        return _Encoded(lengths=lengths, fixed=fixed)
    fixed = _pg_fixed(kind, np.asarray(part))
    return _Encoded(lengths=np.full(rows, fixed.shape[1], dtype=np.int64), fixed=fixed)


def _binary_chunk(encoded: list[_Encoded], rows: int) -> bytes:
    """The binary COPY tuples of one chunk: per row a field count, then length + bytes each.

    When the only variable-length column is the last one (wide binary values such as packed
    lines), each row's fixed part is laid out with NumPy and the values are joined in after it,
    instead of scattering every byte through an index array.
    """
    variable = [n for n, column in enumerate(encoded) if column.blob is not None]
    tail = variable == [len(encoded) - 1]
    data_lengths = np.stack([np.maximum(e.lengths, 0) for e in encoded], axis=1)
    layout = data_lengths.copy()
    if tail:
        layout[:, -1] = 0
    row_lengths = 2 + (4 + layout).sum(axis=1)
    row_starts = np.concatenate(([0], np.cumsum(row_lengths)[:-1]))
    buffer = np.zeros(int(row_lengths.sum()), dtype=np.uint8)
    count = np.array([len(encoded)], dtype=">i2").view(np.uint8)
    buffer[row_starts[:, None] + np.arange(2)] = count
    position = row_starts + 2
    for number, column in enumerate(encoded):
        header = column.lengths.astype(">i4").view(np.uint8).reshape(rows, 4)
        buffer[position[:, None] + np.arange(4)] = header
        start = position + 4
        if column.fixed is not None:
            present = column.lengths >= 0
            width = column.fixed.shape[1]
            buffer[start[present][:, None] + np.arange(width)] = column.fixed[present]
        elif column.constant is not None:
            width = len(column.constant)
            buffer[start[:, None] + np.arange(width)] = np.frombuffer(column.constant, np.uint8)
        elif column.blob is not None and len(column.blob) and not tail:
            lengths = column.lengths
            offsets = np.repeat(start - (np.cumsum(lengths) - lengths), lengths)
            buffer[offsets + np.arange(len(column.blob))] = column.blob
        position = start + layout[:, number]
    if not tail:
        return buffer.tobytes()
    fixed, blob = memoryview(buffer), memoryview(np.ascontiguousarray(encoded[-1].blob))
    row_ends = (row_starts + row_lengths).tolist()
    value_ends = np.cumsum(data_lengths[:, -1]).tolist()
    pieces: list[memoryview] = []
    previous_row = previous_value = 0
    for row_end, value_end in zip(row_ends, value_ends, strict=True):
        pieces.append(fixed[previous_row:row_end])
        pieces.append(blob[previous_value:value_end])
        previous_row, previous_value = row_end, value_end
    return b"".join(pieces)


CHUNK_BYTES = 64 << 20


def _chunks(count: int, variable: list[np.ndarray] | None = None) -> Iterator[tuple[int, int]]:
    """Row ranges of at most ``CHUNK_ROWS`` rows and, given the byte lengths of the variable
    columns, about ``CHUNK_BYTES`` of their bytes (so wide rows never build huge buffers)."""
    if not variable:
        for start in range(0, count, CHUNK_ROWS):
            yield start, min(count, start + CHUNK_ROWS)
        return
    ends = np.cumsum(np.sum(variable, axis=0))
    start = 0
    while start < count:
        before = ends[start - 1] if start else 0
        stop = int(np.searchsorted(ends, before + CHUNK_BYTES, side="right"))
        stop = min(count, max(stop, start + 1), start + CHUNK_ROWS)
        yield start, stop
        start = stop


def _variable_lengths(columns: Mapping[str, Column], count: int) -> list[np.ndarray]:
    lengths = []
    for column in columns.values():
        if isinstance(column, Packed):
            lengths.append(column.lengths.astype(np.int64))
        elif isinstance(column, list):
            lengths.append(np.fromiter(map(len, column), dtype=np.int64, count=count))
    return lengths


def _copy_in(
    table: str,
    model: type[models.Model],
    columns: Mapping[str, Column],
    count: int,
) -> None:
    """Binary ``COPY`` of ``count`` rows into ``table`` (``model``'s table or a staging copy)."""
    kinds = {name: _pg_kind(model, name) for name in columns}
    names = ", ".join(column_of(model, name) for name in columns)
    sql = f"COPY {quote(table)} ({names}) FROM STDIN (FORMAT BINARY)"
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor  # the psycopg cursor under Django's wrapper
        with cursor.copy(sql) as copy:
            copy.write(COPY_SIGNATURE)
            for start, stop in _chunks(count, _variable_lengths(columns, count)):
                encoded = [_encode(kinds[name], columns[name], start, stop) for name in columns]
                copy.write(_binary_chunk(encoded, stop - start))
            copy.write(COPY_TRAILER)


# --------------------------------------------------------------------------- reads


def naive_utc_sql(column: str) -> str:
    """An expression reading an instant column as a naive UTC ``datetime`` on both databases
    (SQLite stores instants that way already)."""
    return f"({column} AT TIME ZONE 'UTC')" if is_postgresql() else column


def instants(values: Sequence[datetime]) -> np.ndarray:
    """Naive UTC ``datetime`` objects (see ``naive_utc_sql``) as ``datetime64[us]``."""
    return np.array(values, dtype="datetime64[us]").reshape(len(values))


def read_columns(sql: str, params: Sequence[Any] = (), *, batch: int = 100_000) -> list[list]:
    """The result of ``sql`` column by column, fetched ``batch`` rows at a time (a server-side
    cursor on PostgreSQL, which must run inside a transaction), so that millions of rows never
    sit in memory twice, as rows and as columns."""
    columns: list[list] | None = None
    if is_postgresql() and connection.in_atomic_block:
        connection.ensure_connection()
        cursor = connection.connection.cursor(name=f"bulk_read_{uuid.uuid4().hex[:12]}")
        cursor.itersize = batch
    else:
        cursor = connection.cursor()
    try:
        cursor.execute(sql, list(params))
        while rows := cursor.fetchmany(batch):
            if columns is None:
                columns = [[] for _ in rows[0]]
            for column, values in zip(columns, zip(*rows, strict=True), strict=True):
                column.extend(values)
    finally:
        cursor.close()
    return columns or []


ColumnType = type[str] | type[np.generic]


def read_arrays(
    sql: str, params: Sequence[Any] = (), *, types: Sequence[ColumnType]
) -> list[np.ndarray | list[str]]:
    """The result of ``sql`` column by column, as arrays of ``types`` (``str``: a list of
    texts; a NumPy scalar type: an array of it, ``np.bool_`` from 0/1). Every value must be
    non-NULL (``COALESCE`` in the query).

    On PostgreSQL the rows arrive as ``COPY (sql) TO STDOUT`` in CSV, gathered into one
    buffer and parsed by Arrow's CSV reader: no Python object per value, which for millions of
    rows is most of the time of a cursor (a tuple per row, then a list per column, walked by the
    garbage collector). On SQLite it is :func:`read_columns`, converted."""
    if not is_postgresql():
        columns = read_columns(sql, params) or [[] for _ in types]
        for index, values in enumerate(columns):
            if None in values:
                raise _null_error(index, sql)
        return [
            list(values) if kind is str else np.array(values, dtype=kind)
            for values, kind in zip(columns, types, strict=True)
        ]
    import pyarrow as pa
    from pyarrow import csv

    buffer = bytearray()
    statement = f"COPY ({sql}) TO STDOUT (FORMAT csv)"
    with connection.cursor() as cursor, cursor.cursor.copy(statement, list(params)) as copy:
        for block in copy:
            buffer += block
    if not buffer:
        return [[] if kind is str else np.zeros(0, dtype=kind) for kind in types]
    names = [f"c{k}" for k in range(len(types))]
    arrow_types = {name: _arrow_type(kind) for name, kind in zip(names, types, strict=True)}
    table = csv.read_csv(
        pa.py_buffer(buffer),
        read_options=csv.ReadOptions(column_names=names),
        parse_options=csv.ParseOptions(newlines_in_values=str in types),
        convert_options=csv.ConvertOptions(
            column_types=arrow_types, strings_can_be_null=False, quoted_strings_can_be_null=False
        ),
    )
    arrays: list[np.ndarray | list[str]] = []
    for name, kind in zip(names, types, strict=True):
        column = table.column(name)
        if column.null_count:
            raise _null_error(int(name[1:]), sql)
        if kind is str:
            arrays.append(column.to_pylist())
        else:
            values = column.to_numpy()
            arrays.append(values != 0 if kind is np.bool_ else values)
    return arrays


def _arrow_type(kind: ColumnType):
    """How :func:`read_arrays` parses a column of ``kind`` (flags arrive as 0/1)."""
    import pyarrow as pa

    if kind is str:
        return pa.string()
    return pa.int8() if kind is np.bool_ else pa.from_numpy_dtype(kind)


def _null_error(index: int, sql: str) -> ValueError:
    return ValueError(f"read_arrays: column {index} of {sql[:80]!r} holds NULL")
