"""Traces as an Arrow table: ``trace.parquet`` of ``downline calc`` and the stored traces of
runs (``downline.compensation.traces``).

The table has the columns of :class:`downline.engine.trace_data.TraceData` (numbers, one row
per distributor), ``id`` (the distributor's id) first, and the ragged legs as two list columns
``legs/id`` and ``legs/gv``; the schema's metadata ``downline.trace`` holds the layout (JSON).
Rendering a row into words needs the plan the period was computed with
(:class:`downline.engine.trace_data.TraceRenderer`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from downline.dataset import columnar
from downline.engine.trace_data import TraceData, TraceLayout, TraceRow

LAYOUT_KEY = b"downline.trace"
ID, LEGS_ID, LEGS_GV = "id", "legs/id", "legs/gv"
IPC_OPTIONS = pa.ipc.IpcWriteOptions(compression="zstd")


def trace_table(data: TraceData, extra: Mapping[str, np.ndarray] | None = None) -> pa.Table:
    """The traces of ``data`` as one Arrow table; ``extra`` columns (e.g. database ids) come
    right after ``id``."""
    ids = columnar.text_array(data.ids if isinstance(data.ids, list) else list(data.ids))
    offsets = pa.array(data.legs_offsets.astype(np.int32))
    legs_id = pa.ListArray.from_arrays(offsets, ids.take(pa.array(data.legs_row)))
    legs_gv = pa.ListArray.from_arrays(offsets, pa.array(data.legs_gv, pa.int64()))
    columns: dict[str, pa.Array] = {ID: ids}
    for name, values in (extra or {}).items():
        columns[name] = pa.array(values)
    for name, values in data.columns.items():
        columns[name] = pa.array(values)
    columns[LEGS_ID] = legs_id
    columns[LEGS_GV] = legs_gv
    table = pa.table(columns)
    return table.replace_schema_metadata({LAYOUT_KEY: data.layout.to_json().encode()})


def layout_of(table: pa.Table) -> TraceLayout:
    """The layout stored with ``table`` (``ValueError`` if it has none, or another format)."""
    metadata = table.schema.metadata or {}
    if LAYOUT_KEY not in metadata:
        raise ValueError("not a Downline trace table: the schema has no downline.trace layout")
    return TraceLayout.from_json(metadata[LAYOUT_KEY])


def rows_of(table: pa.Table, start: int = 0, stop: int | None = None) -> Iterator[TraceRow]:
    """Rows ``start … stop`` of a trace table, ready for ``TraceRenderer.render``."""
    stop = table.num_rows if stop is None else stop
    names = [name for name in table.column_names if name not in (ID, LEGS_ID, LEGS_GV)]
    for begin in range(start, stop, 4096):
        part = table.slice(begin, min(begin + 4096, stop) - begin)
        ids = part.column(ID).to_pylist()
        legs_id, legs_gv = part.column(LEGS_ID).to_pylist(), part.column(LEGS_GV).to_pylist()
        values = [part.column(name).to_pylist() for name in names]
        for i, row in enumerate(zip(*values, strict=True)):
            yield TraceRow(
                values=dict(zip(names, row, strict=True)),
                identifier=ids[i],
                legs=list(zip(legs_id[i], legs_gv[i], strict=True)),
            )


def write_parquet(path: Path, data: TraceData) -> None:
    """``trace.parquet``: the traces of ``data`` (zstd-compressed)."""
    pq.write_table(trace_table(data), path, compression="zstd")


def read_parquet(path: Path) -> pa.Table:
    return pq.read_table(path)


def to_ipc(table: pa.Table) -> bytes:
    """``table`` as one zstd-compressed Arrow IPC stream (what a run stores per chunk)."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema, options=IPC_OPTIONS) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def from_ipc(blob: bytes | memoryview) -> pa.Table:
    return pa.ipc.open_stream(pa.py_buffer(blob)).read_all()
