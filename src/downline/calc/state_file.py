"""``state.json``: the engine state between periods, keyed by distributor id.

See docs/plan-language.md, "State between periods". A distributor missing from the file starts
with the first rank, no carry and nothing awarded; the file lists only distributors whose state
differs from that, each with every field (``carry`` for each binary bonus, ``awarded`` for each
rank-advancement bonus that has awarded a rank).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

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
