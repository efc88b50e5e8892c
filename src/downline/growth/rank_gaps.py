"""What members miss of their next rank, read from a run's stored traces (numbers, not words).

The next rank is the trace's own (``TraceRenderer.next_rank``): the lowest rank above the
paid-as rank. For each member asked about, :func:`rank_gaps` lists every condition of that rank
that does not hold in the run, as numbers (design rule 12; words are rendered when read,
``growth.texts``):

* ``{"name": c, "required": q, "actual": a}`` for ``c`` in pv, gv (hundredths),
  personally_enrolled, personally_enrolled_active, customers (counts), active (1/0);
* legs holding a rank: ``{"name": "legs", "required": q, "actual": a, "leg_rank": r}``: ``q``
  legs must each hold rank ``r`` or higher somewhere in the leg, ``a`` do;
* a certificate: ``{"name": "certificate", "key": k, "required": 1, "actual": 0}``;
* counted volume: ``{"name": "qualifying_volume", "required": q, "actual": a, "cap": Y,
  "legs": [{"member": id, "gv": g}, …]}``: ``Y = ⌊leg cap⌋`` is the most one leg counts, and
  ``legs`` the legs (children in the group tree, stored with the trace) still below the cap
  (``g < ⌈cap⌉``: they can give more), largest group volume first, at most ``LEGS_SHOWN``.

Required values come from the trace layout (the plan's, the same for everyone), actual values
and whether each condition holds from the trace columns, so the radar says exactly what the
member's own trace says. Only the stored chunks that hold an asked member are read and
decoded, a few at a time.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from downline.calc.trace_file import LEGS_GV, LEGS_ID, from_ipc, layout_of
from downline.compensation.models import RunTrace
from downline.compensation.traces import DISTRIBUTOR
from downline.core.bulk_sql import read_columns, table_of
from downline.engine.plan import Plan
from downline.engine.ranks import CERTIFICATE_CONDITION, leg_cap

LEGS_SHOWN = 3
CHUNKS_PER_QUERY = 8


def _chunks_holding(run_id: int, ids: np.ndarray) -> dict[int, np.ndarray]:
    """The run's trace chunks (primary keys) that hold some of ``ids`` (sorted), with those ids."""
    columns = read_columns(
        f"SELECT id, first_distributor, last_distributor FROM {table_of(RunTrace)} "
        "WHERE run_id = %s ORDER BY first_distributor",
        [run_id],
    )
    if not columns or not len(ids):
        return {}
    pks, first, last = (np.asarray(c, dtype=np.int64) for c in columns)
    which = np.searchsorted(first, ids, side="right") - 1
    inside = which >= 0
    inside[inside] = ids[inside] <= last[which[inside]]
    out: dict[int, np.ndarray] = {}
    for chunk in np.unique(which[inside]).tolist():
        out[int(pks[chunk])] = ids[inside & (which == chunk)]
    return out


def _blobs(pks: list[int]) -> Iterable[bytes]:
    for start in range(0, len(pks), CHUNKS_PER_QUERY):
        part = pks[start : start + CHUNKS_PER_QUERY]
        yield from (
            bytes(data)
            for _pk, data in sorted(
                RunTrace.objects.filter(pk__in=part).values_list("pk", "data"),
                key=lambda row: row[0],
            )
        )


def has_traces(run_id: int) -> bool:
    """Whether the run stored its traces as numbers (runs before that did not)."""
    return RunTrace.objects.filter(run_id=run_id).exists()


def rank_gaps(run_id: int, plan: Plan, ids: np.ndarray) -> dict[int, list[dict]]:
    """Per member of ``ids`` (database ids) whose trace the run stored: the conditions of their
    next rank that do not hold (module docstring); ``[]`` when they hold every one."""
    ids = np.unique(np.asarray(ids, dtype=np.int64))
    wanted = _chunks_holding(run_id, ids)
    caps: dict[int, tuple[int, int]] = {}  # rank → (⌊cap⌋, ⌈cap⌉)
    for r, rank in enumerate(plan.ranks):
        if rank.qualifying_volume is not None:
            cap = leg_cap(rank.qualifying_volume)
            caps[r] = (math.floor(cap), math.ceil(cap))
    gaps: dict[int, list[dict]] = {}
    for pk, blob in zip(sorted(wanted), _blobs(sorted(wanted)), strict=True):
        table = from_ipc(blob)
        layout = layout_of(table)
        members = table.column(DISTRIBUTOR).to_numpy()
        want = wanted[pk]
        rows = np.searchsorted(members, want)
        stored = rows < len(members)
        stored[stored] = members[rows[stored]] == want[stored]
        rows = rows[stored]
        found = members[rows]
        part = table.take(rows)
        following = part.column("paid_as_rank").to_numpy().astype(np.int64) + 1
        eligible = part.column("eligible").to_numpy(zero_copy_only=False)
        out: list[list[dict]] = [[] for _ in range(len(rows))]
        legs_of: dict[int, list[tuple[str, int]]] = {}
        for condition in layout.conditions:
            holds = part.column(f"{condition.prefix}/holds").to_numpy(zero_copy_only=False)
            failing = np.flatnonzero((following == condition.rank) & ~holds & eligible)
            if not len(failing):
                continue
            actual = part.column(f"{condition.prefix}/actual").to_numpy()
            for i in failing.tolist():
                entry = {
                    "name": condition.name,
                    "required": int(condition.required),
                    "actual": int(actual[i]),
                }
                if condition.name.startswith(CERTIFICATE_CONDITION):
                    entry["name"] = "certificate"
                    entry["key"] = condition.name.removeprefix(CERTIFICATE_CONDITION)
                elif condition.name == "legs":
                    entry["leg_rank"] = plan.ranks[condition.rank].legs.rank
                elif condition.name == "qualifying_volume" and condition.rank in caps:
                    floor, ceiling = caps[condition.rank]
                    if not legs_of:
                        legs_of = _legs(part)
                    below = [(gv, n, code) for n, (code, gv) in enumerate(legs_of.get(i, ()))]
                    below = sorted(
                        (leg for leg in below if leg[0] < ceiling),
                        key=lambda leg: (-leg[0], leg[1]),
                    )
                    entry["cap"] = floor
                    entry["legs"] = [
                        {"member": code, "gv": int(gv)} for gv, _n, code in below[:LEGS_SHOWN]
                    ]
                out[i].append(entry)
        for member, conditions in zip(found.tolist(), out, strict=True):
            gaps[int(member)] = conditions
    return gaps


def _legs(part) -> dict[int, list[tuple[str, int]]]:
    """The stored legs ``(member id, group volume)`` of each row of ``part`` that has any."""
    codes, volumes = part.column(LEGS_ID).to_pylist(), part.column(LEGS_GV).to_pylist()
    return {
        i: list(zip(c, v, strict=True))
        for i, (c, v) in enumerate(zip(codes, volumes, strict=True))
        if c
    }
