"""Stored traces of runs: numbers written, sentences rendered when read (design rule 12).

Writing: :func:`trace_chunks` gathers every distributor's trace as numbers with array
operations (:func:`downline.engine.trace_data.trace_data`, no loop over distributors), adds the
database id of each row (``distributor``), orders the rows by it and cuts them into chunks of
``CHUNK_ROWS`` rows, each one zstd-compressed Arrow IPC stream (:mod:`downline.calc.trace_file`)
stored as a :class:`~downline.compensation.models.RunTrace` with the first and last id it
holds. Nothing is forked, so a run under ``downline worker`` (which has a scheduler thread)
stores its traces as fast as anywhere else.

Reading: :func:`trace_of` finds the one chunk whose id range holds the distributor, decodes it
(the latest few decoded chunks are kept: runs never change), and renders the distributor's row
with the plan version of the run in the reader's language (Django's active language). Results
stored before traces were numbers carry their JSON trace (English sentences) in
``RunResult.trace``; :func:`trace_of` returns it as stored.
"""

from __future__ import annotations

import json
import zlib
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from django.utils import translation

from downline.calc.trace_file import from_ipc, layout_of, rows_of, to_ipc, trace_table
from downline.engine.inputs import PeriodInputs, PeriodResult
from downline.engine.plan import Plan
from downline.engine.trace_data import TraceRenderer, Words, trace_data

from .models import RunResult, RunTrace
from .plans import loaded_plan

CHUNK_ROWS = 4096  # distributors per stored chunk: ~0.2 MB, decoded in a few ms
DISTRIBUTOR = "distributor"  # the column of database ids
_DECODED_KEPT = 4

_decoded: OrderedDict[int, tuple[bytes, pa.Table, np.ndarray]] = OrderedDict()


@dataclass(frozen=True)
class TraceChunk:
    """Rows of one stored chunk: database ids ``first … last`` (ascending), ``rows`` rows."""

    first: int
    last: int
    rows: int
    data: bytes


def trace_chunks(
    plan: Plan, inputs: PeriodInputs, result: PeriodResult, member_ids: np.ndarray
) -> list[TraceChunk]:
    """Every distributor's trace as numbers, in chunks ordered by database id."""
    members = np.asarray(member_ids, dtype=np.int64)
    table = trace_table(trace_data(plan, inputs, result), extra={DISTRIBUTOR: members})
    if len(members) > 1 and not bool(np.all(members[1:] > members[:-1])):
        order = np.argsort(members, kind="stable")
        table, members = table.take(pa.array(order)), members[order]
    return [
        TraceChunk(
            first=int(members[start]),
            last=int(members[min(start + CHUNK_ROWS, len(members)) - 1]),
            rows=min(CHUNK_ROWS, len(members) - start),
            data=to_ipc(table.slice(start, CHUNK_ROWS)),
        )
        for start in range(0, len(members), CHUNK_ROWS)
    ]


def store_traces(run_id: int, chunks: list[TraceChunk]) -> None:
    """The chunks as the run's ``RunTrace`` rows."""
    RunTrace.objects.bulk_create(
        [
            RunTrace(
                run_id=run_id,
                first_distributor=chunk.first,
                last_distributor=chunk.last,
                rows=chunk.rows,
                data=chunk.data,
            )
            for chunk in chunks
        ],
        batch_size=32,
    )


def reader_words() -> Words:
    """Django's translation functions: the reader's (active) language at rendering time."""
    return Words(translation.gettext, translation.ngettext)


def decode(blob: bytes | memoryview) -> dict:
    """A trace stored before traces were numbers (zlib-compressed JSON)."""
    return json.loads(zlib.decompress(bytes(blob)))


def _chunk(run_id: int, distributor_id: int) -> tuple[Plan, pa.Table, np.ndarray] | None:
    """The plan of the run and the decoded chunk that holds ``distributor_id`` (one query)."""
    chunk = (
        RunTrace.objects.filter(
            run_id=run_id,
            first_distributor__lte=distributor_id,
            last_distributor__gte=distributor_id,
        )
        .select_related("run__plan_version")
        .only("data", "run__plan_version__digest", "run__plan_version__text")
        .first()
    )
    if chunk is None:
        return None
    plan = loaded_plan(chunk.run.plan_version).plan
    data = bytes(chunk.data)
    kept = _decoded.get(chunk.pk)
    if kept is not None and kept[0] == data:  # the same bytes (a rolled-back id may come back)
        _decoded.move_to_end(chunk.pk)
        return plan, kept[1], kept[2]
    table = from_ipc(data)
    members = table.column(DISTRIBUTOR).to_numpy()
    _decoded[chunk.pk] = (data, table, members)
    while len(_decoded) > _DECODED_KEPT:
        _decoded.popitem(last=False)
    return plan, table, members


def trace_of(result: RunResult, words: Words | None = None) -> dict:
    """The trace of ``result`` (docs/plan-language.md, "Outputs"), its sentences in the
    language of ``words`` (default: the reader's); ``{}`` if the run stored none for it."""
    if result.trace:
        return decode(result.trace)
    found = _chunk(result.run_id, result.distributor_id)
    if found is None:
        return {}
    plan, table, members = found
    row = int(np.searchsorted(members, result.distributor_id))
    if row >= len(members) or members[row] != result.distributor_id:
        return {}
    renderer = TraceRenderer(plan, layout_of(table), words or reader_words())
    (trace_row,) = rows_of(table, row, row + 1)
    return renderer.render(trace_row)
