"""Comparing plan versions and runs.

* ``text_diff``: a unified diff of two plan files.
* ``meaning_diff``: what changed in the plan's meaning, path by path, read from the validated
  plans (so formatting, comments and key order do not count): a rate, a threshold, a rank or
  bonus added or removed. Ranks and bonuses are matched by name, not by position.
* ``impact``: both versions computed on the same stored period (nothing stored): totals per
  bonus and each distributor's change in earnings.
* ``compare_runs``: two stored runs of a period (e.g. a preview against the final): totals and
  each distributor's change.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection

from downline.genealogy.models import Distributor
from downline.periods.models import Period

from .models import PlanVersion, Run, RunResult
from .plans import loaded_plan, normalise_line_endings
from .runs import compute


@dataclass(frozen=True)
class Change:
    path: str
    before: Any
    after: Any


def text_diff(a: PlanVersion, b: PlanVersion) -> str:
    """A unified diff of the two texts; line endings do not count (versions stored before
    texts were normalised may still end their lines in ``\r\n``)."""
    return "".join(
        difflib.unified_diff(
            normalise_line_endings(a.text).splitlines(keepends=True),
            normalise_line_endings(b.text).splitlines(keepends=True),
            fromfile=str(a),
            tofile=str(b),
        )
    )


def _keyed(value: Any) -> Any:
    """Lists of named items become mappings by name, so items match by name."""
    if isinstance(value, dict):
        return {k: _keyed(v) for k, v in value.items() if k not in {"description", "tests"}}
    if isinstance(value, list):
        if value and all(isinstance(item, dict) and "name" in item for item in value):
            return {item["name"]: _keyed(item) for item in value}
        return [_keyed(item) for item in value]
    return value


def _walk(before: Any, after: Any, path: str, out: list[Change]) -> None:
    if isinstance(before, dict) and isinstance(after, dict):
        for key in list(before) + [k for k in after if k not in before]:
            sub = f"{path}.{key}" if path else str(key)
            if key not in after:
                out.append(Change(sub, before[key], None))
            elif key not in before:
                out.append(Change(sub, None, after[key]))
            else:
                _walk(before[key], after[key], sub, out)
        return
    if before != after:
        out.append(Change(path, before, after))


def meaning_diff(a: PlanVersion, b: PlanVersion) -> list[Change]:
    """Every change of meaning from ``a`` to ``b`` (see the module rules)."""
    before = _keyed(loaded_plan(a).plan.model_dump(mode="json", exclude_defaults=False))
    after = _keyed(loaded_plan(b).plan.model_dump(mode="json", exclude_defaults=False))
    changes: list[Change] = []
    _walk(before, after, "", changes)
    return changes


@dataclass
class DistributorChange:
    distributor_id: int
    member_id: str
    before: int
    after: int

    @property
    def change(self) -> int:
        return self.after - self.before


@dataclass
class Comparison:
    currency: str
    total_before: int
    total_after: int
    bonuses: list[tuple[str, int, int]]  # (bonus, before, after)
    distributors: list[DistributorChange]  # only those whose earnings changed, largest first


def impact(period: Period, a: PlanVersion, b: PlanVersion) -> Comparison:
    """Both versions on ``period``'s stored data (nothing is written)."""
    first = compute(period, version=a)
    second = compute(period, version=b)
    ids = first.stored.inputs.ids
    earned_a, earned_b = first.result.earned, second.result.earned
    changed = np.flatnonzero(earned_a != earned_b)
    changed = changed[np.argsort(-np.abs(earned_b[changed] - earned_a[changed]), kind="stable")]

    def per_bonus(comp) -> dict[str, int]:
        lines = comp.result.lines
        sums = np.zeros(len(comp.loaded.plan.bonuses), dtype=np.int64)
        np.add.at(sums, lines.bonus.astype(np.int64), lines.amount)
        return {bonus.name: int(s) for bonus, s in zip(comp.loaded.plan.bonuses, sums, strict=True)}

    bonus_a, bonus_b = per_bonus(first), per_bonus(second)
    names = list(bonus_a) + [n for n in bonus_b if n not in bonus_a]
    return Comparison(
        currency=second.loaded.plan.currency_code,
        total_before=int(earned_a.sum()),
        total_after=int(earned_b.sum()),
        bonuses=[(n, bonus_a.get(n, 0), bonus_b.get(n, 0)) for n in names],
        distributors=[
            DistributorChange(int(first.member_ids[d]), ids[d], int(earned_a[d]), int(earned_b[d]))
            for d in changed.tolist()
        ],
    )


def compare_runs(a: Run, b: Run, limit: int = 1000) -> Comparison:
    """Run ``b`` against run ``a``: totals per bonus and each distributor whose earnings differ
    (a distributor missing from one run counts 0 there), largest change first."""
    table = RunResult._meta.db_table
    members = Distributor._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT d.id, d.member_id, COALESCE(x.earned, 0), COALESCE(y.earned, 0)
                FROM (SELECT distributor_id, earned FROM {table} WHERE run_id = %s) x
                FULL OUTER JOIN (SELECT distributor_id, earned FROM {table} WHERE run_id = %s) y
                  ON x.distributor_id = y.distributor_id
                JOIN {members} d ON d.id = COALESCE(x.distributor_id, y.distributor_id)
                WHERE COALESCE(x.earned, 0) <> COALESCE(y.earned, 0)
                ORDER BY ABS(COALESCE(y.earned, 0) - COALESCE(x.earned, 0)) DESC, d.id
                LIMIT %s""",
            [a.pk, b.pk, limit],
        )
        rows = cursor.fetchall()
    names_a = {item["name"]: item["paid"] for item in a.summary.get("bonuses", [])}
    names_b = {item["name"]: item["paid"] for item in b.summary.get("bonuses", [])}
    names = list(names_a) + [n for n in names_b if n not in names_a]
    return Comparison(
        currency=b.currency,
        total_before=a.total_paid,
        total_after=b.total_paid,
        bonuses=[(n, names_a.get(n, 0), names_b.get(n, 0)) for n in names],
        distributors=[DistributorChange(*row) for row in rows],
    )
