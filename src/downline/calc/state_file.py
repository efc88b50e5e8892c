"""``state.json``: the engine state between periods, keyed by distributor id.

See docs/plan-language.md, "State between periods". A distributor missing from the file starts
with the first rank, no carry and nothing awarded; the file lists only distributors whose state
differs from that, each with every field (``carry`` for each binary bonus, ``awarded`` for each
rank-advancement bonus that has awarded a rank).

:func:`state_json` writes the file column by column (Arrow string kernels, no dict per entry;
about 14 times faster than the document through the JSON encoder): the document indented by
two spaces with each distributor's entry on one line, or, for the copy a final run stores,
the standard library's compact text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from downline.dataset import columnar
from downline.engine.inputs import EngineState
from downline.engine.plan import Plan
from downline.i18n import gettext as _
from downline.money import format_decimal, parse_decimal

FORMAT = 1


class StateError(ValueError):
    """A state file that does not fit the plan or the network; ``problems`` lists each."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}: {problem}" for problem in problems))


MAX_CARRY = 10**15
"""A binary carry is below this many hundredths of volume (10^13), far inside int64."""


def _volume(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError
    return parse_decimal(str(value).strip(), 2) if isinstance(value, str) else value * 100


def state_from_json(
    data: Any, plan: Plan, ids: Sequence[str], source: str = "state.json"
) -> EngineState:
    """The engine state for the distributors ``ids`` from a ``state.json`` document (or just its
    ``distributors`` mapping). Every problem is collected; :class:`StateError` lists them."""
    problems: list[str] = []
    if isinstance(data, dict) and "distributors" in data:
        if data.get("format", FORMAT) != FORMAT:
            problems.append(
                _("format %(found)r is not supported; expected %(expected)d")
                % {"found": data.get("format"), "expected": FORMAT}
            )
        entries = data["distributors"]
    else:
        entries = data
    if entries is None:
        entries = {}
    if not isinstance(entries, dict):
        raise StateError(source, [_("distributors: expected a mapping of distributor ids")])
    n = len(ids)
    state = EngineState.fresh(n)
    rank_names = [rank.name for rank in plan.ranks]
    binaries = [b.name for b in plan.bonuses if b.kind == "binary"]
    advancements = [b.name for b in plan.bonuses if b.kind == "rank_advancement"]
    carry = {name: (np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)) for name in binaries}
    awarded = {name: np.full(n, -1, dtype=np.int16) for name in advancements}
    row_of = {member_id: row for row, member_id in enumerate(ids)}

    def rank(path: str, value: Any) -> int | None:
        if value not in rank_names:
            problems.append(
                _("%(path)s: unknown rank %(rank)r; the ranks are %(ranks)s")
                % {"path": path, "rank": value, "ranks": ", ".join(rank_names)}
            )
            return None
        return rank_names.index(value)

    for member_id, entry in entries.items():
        path = f"distributors.{member_id}"
        row = row_of.get(str(member_id))
        if row is None:
            problems.append(
                _("%(path)s: unknown distributor %(id)s") % {"path": path, "id": member_id}
            )
            continue
        if not isinstance(entry, dict):
            problems.append(_("%(path)s: expected a mapping") % {"path": path})
            continue
        for key, value in entry.items():
            where = f"{path}.{key}"
            if key in ("highest_rank", "paid_as_rank"):
                index = rank(where, value)
                if index is not None:
                    getattr(state, key)[row] = index
            elif key == "grace_used":
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    problems.append(
                        _("%(path)s: expected a whole number of periods") % {"path": where}
                    )
                else:
                    state.grace_used[row] = value
            elif key in ("carry", "awarded") and not isinstance(value, dict):
                problems.append(_("%(path)s: expected a mapping of bonus names") % {"path": where})
            elif key == "carry":
                for name, pair in value.items():
                    if name not in carry:
                        problems.append(
                            _("%(path)s.%(bonus)s: the plan has no binary bonus %(bonus)r")
                            % {"path": where, "bonus": name}
                        )
                        continue
                    try:
                        left, right = (_volume(part) for part in pair)
                        if left < 0 or right < 0:
                            raise ValueError
                    except (ValueError, TypeError):
                        left = right = None
                    if left is not None and max(left, right) >= MAX_CARRY:
                        problems.append(
                            _(
                                "%(path)s.%(bonus)s: a carry of %(limit)s volume or more is too large"
                            )
                            % {"path": where, "bonus": name, "limit": format_decimal(MAX_CARRY, 2)}
                        )
                        continue
                    if left is None:
                        problems.append(
                            _(
                                '%(path)s.%(bonus)s: expected [left, right] volumes such as ["120.00", "0.00"]'
                            )
                            % {"path": where, "bonus": name}
                        )
                        continue
                    carry[name][0][row], carry[name][1][row] = left, right
            elif key == "awarded":
                for name, rank_name in value.items():
                    if name not in awarded:
                        problems.append(
                            _(
                                "%(path)s.%(bonus)s: the plan has no rank_advancement bonus %(bonus)r"
                            )
                            % {"path": where, "bonus": name}
                        )
                        continue
                    index = rank(f"{where}.{name}", rank_name)
                    if index is not None:
                        awarded[name][row] = index
            else:
                problems.append(_("%(path)s: unknown field") % {"path": where})
    if problems:
        raise StateError(source, problems)
    state.carry = carry
    state.awarded = awarded
    return state


def state_entries(state: EngineState, plan: Plan, ids: Sequence[str]) -> dict[str, dict]:
    """The ``distributors`` part of ``state.json``: every distributor whose state differs from a
    newcomer's, with all their fields."""
    rank_names = [rank.name for rank in plan.ranks]
    n = len(ids)
    binaries = [b.name for b in plan.bonuses if b.kind == "binary"]
    advancements = [b.name for b in plan.bonuses if b.kind == "rank_advancement"]
    differs = (state.highest_rank > 0) | (state.paid_as_rank > 0) | (state.grace_used > 0)
    carries = {name: state.carry_of(name, n) for name in binaries}
    awards = {name: state.awarded_of(name, n) for name in advancements}
    for left, right in carries.values():
        differs = differs | (left != 0) | (right != 0)
    for values in awards.values():
        differs = differs | (values >= 0)
    entries: dict[str, dict] = {}
    for row in np.flatnonzero(differs).tolist():
        entry: dict[str, Any] = {
            "highest_rank": rank_names[int(state.highest_rank[row])],
            "paid_as_rank": rank_names[int(state.paid_as_rank[row])],
            "grace_used": int(state.grace_used[row]),
        }
        if carries:
            entry["carry"] = {
                name: [format_decimal(int(left[row]), 2), format_decimal(int(right[row]), 2)]
                for name, (left, right) in carries.items()
            }
        given = {
            name: rank_names[int(values[row])]
            for name, values in awards.items()
            if values[row] >= 0
        }
        if given:
            entry["awarded"] = given
        entries[ids[row]] = entry
    return entries


def state_document(
    state: EngineState, plan: Plan, ids: Sequence[str], *, period: str, plan_digest: str
) -> dict:
    return {
        "format": FORMAT,
        "period": period,
        "plan": plan_digest,
        "distributors": state_entries(state, plan, ids),
    }


_NEEDS_ESCAPE = r'["\\\x00-\x1f]'
"""Characters after which a JSON string is not its text between quotes (escaped by ``json``)."""
STATE_CHUNK = 250_000
"""Distributors rendered per block of :func:`state_json` (Arrow's 32-bit string offsets)."""


def _json_strings(values: pa.Array) -> pa.Array:
    """Each text as a JSON string literal (``json.dumps(value, ensure_ascii=False)``): quoted
    as it is unless it holds a quote, a backslash or a control character, which the standard
    library escapes."""
    quoted = pc.binary_join_element_wise('"', values, '"', "")
    special = pc.match_substring_regex(values, _NEEDS_ESCAPE)
    if not pc.any(special).as_py():
        return quoted
    escaped = pa.array(
        [json.dumps(text, ensure_ascii=False) for text in values.to_pylist()], pa.string()
    )
    return pc.if_else(special, escaped, quoted)


def _entry_text(
    rows: np.ndarray,
    ids: pa.Array,
    rank_names: pa.Array,
    state: EngineState,
    carries: dict[str, tuple[np.ndarray, np.ndarray]],
    awards: dict[str, np.ndarray],
    item: str,
    key: str,
) -> pa.Array:
    """``"<id>": {<entry>}`` of each of ``rows`` (``ids``: their ids as JSON strings), as
    :func:`state_entries` gives it and ``json.dumps`` writes it with the separators ``item``
    and ``key``."""

    def rank(values: np.ndarray) -> pa.Array:
        return rank_names.take(pa.array(values[rows].astype(np.int32)))

    def name(text: str) -> str:
        return json.dumps(text, ensure_ascii=False) + key

    parts: list[pa.Array | str] = [
        ids,
        key + "{" + name("highest_rank"),
        rank(state.highest_rank),
        item + name("paid_as_rank"),
        rank(state.paid_as_rank),
        item + name("grace_used"),
        pc.cast(pa.array(state.grace_used[rows].astype(np.int64)), pa.string()),
    ]
    if carries:
        parts.append(item + name("carry") + "{")
        for position, (bonus, (left, right)) in enumerate(carries.items()):
            parts += [
                (item if position else "") + name(bonus) + '["',
                columnar.decimal_text(left[rows], 2),
                '"' + item + '"',
                columnar.decimal_text(right[rows], 2),
                '"]',
            ]
        parts.append("}")
    if awards:
        given: list[pa.Array] = []
        for bonus, values in awards.items():
            held = values[rows] >= 0
            text = pc.binary_join_element_wise(
                item + name(bonus), rank_names.take(pa.array(np.maximum(values[rows], 0))), ""
            )
            given.append(pc.if_else(pa.array(held), text, ""))
        joined = pc.binary_join_element_wise(*given, "") if len(given) > 1 else given[0]
        body = pc.utf8_slice_codeunits(joined, len(item))  # without the first separator
        awarded = pc.binary_join_element_wise(item + name("awarded") + "{", body, "}", "")
        parts.append(pc.if_else(pc.equal(joined, ""), "", awarded))
    parts.append("}")
    return pc.binary_join_element_wise(*parts, "")


def state_json(
    state: EngineState,
    plan: Plan,
    ids: Sequence[str],
    *,
    period: str,
    plan_digest: str,
    compact: bool = False,
) -> bytes:
    """:func:`state_document` as UTF-8 JSON text, rendered column by column.

    ``compact``: exactly ``json.dumps(document, separators=(",", ":"), ensure_ascii=False)``.
    Otherwise the form of ``state.json``: the document indented by two spaces and each
    distributor's entry on one line, ``json.dumps(entry, ensure_ascii=False)``, as in
    docs/plan-language.md."""
    item, key = (",", ":") if compact else (", ", ": ")
    head = {"format": FORMAT, "period": period, "plan": plan_digest}
    if compact:
        start = json.dumps(head, separators=(",", ":"), ensure_ascii=False)[:-1] + ","
        start += '"distributors":{'
        between, end = ",", "}}"
    else:
        start = json.dumps(head, indent=2, ensure_ascii=False)[:-2] + ',\n  "distributors": {'
        between, end = ",\n    ", "\n  }\n}"
    n = len(ids)
    binaries = [b.name for b in plan.bonuses if b.kind == "binary"]
    advancements = [b.name for b in plan.bonuses if b.kind == "rank_advancement"]
    carries = {name: state.carry_of(name, n) for name in binaries}
    awards = {name: state.awarded_of(name, n) for name in advancements}
    differs = (state.highest_rank > 0) | (state.paid_as_rank > 0) | (state.grace_used > 0)
    for left, right in carries.values():
        differs = differs | (left != 0) | (right != 0)
    for values in awards.values():
        differs = differs | (values >= 0)
    rows = np.flatnonzero(differs)
    if not len(rows):
        empty = "{}}" if compact else "{}\n}"
        return (start[:-1] + empty).encode()
    rank_names = _json_strings(pa.array([rank.name for rank in plan.ranks], pa.string()))
    id_text = columnar.text_array(ids)
    id_text = _json_strings(id_text.take(pa.array(rows)))
    blocks: list[bytes | memoryview] = [(start + ("" if compact else "\n    ")).encode()]
    for begin in range(0, len(rows), STATE_CHUNK):
        chunk = rows[begin : begin + STATE_CHUNK]
        text = _entry_text(
            chunk,
            id_text.slice(begin, len(chunk)),
            rank_names,
            state,
            carries,
            awards,
            item,
            key,
        )
        ends = [between] * len(chunk)
        if begin + STATE_CHUNK >= len(rows):
            ends[-1] = ""
        text = pc.binary_join_element_wise(text, pa.array(ends, pa.string()), "")
        blocks.append(_text_bytes(text))
    blocks.append(end.encode())
    return b"".join(blocks)


def _text_bytes(values: pa.Array) -> memoryview:
    """The UTF-8 bytes of every value of a string array, one after another (no copy)."""
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)
    offsets = offsets[values.offset : values.offset + len(values) + 1]
    return memoryview(values.buffers()[2])[int(offsets[0]) : int(offsets[-1])]
