"""Traces as numbers (design rule 12: numbers stored, words rendered when read).

A period's traces are one columnar table, built with array operations straight from the arrays
the period was computed with (``PeriodResult`` and its ``details``), one row per distributor:

* figures: ``pv``, ``own_pv``, ``customer_pv``, ``cv``, ``gv``, ``qualifying_volume`` (integer
  hundredths), ``present``, ``eligible``, ``active``, ``status``, ``qualified_rank``,
  ``paid_as_rank``, ``highest_rank``, ``grace_used``, ``buying_customers``, ``earned``;
* every rank condition ``k`` of :attr:`TraceLayout.conditions`: its actual value
  (``rank/<rank>/<condition>/actual``) and whether it holds (``…/holds``); the required value
  is the same for everyone and sits in the layout;
* per bonus: lines, amount and amount before caps; for a bonus with ``requires`` whether each
  requirement and all of them are met (the bonus's missing requirement); for a level walk the
  lines missed and beyond the rank's depth and the depth paid; for a matching bonus the lines
  missed; for a binary bonus the paired left and right volumes;
* the legs (children in the group tree, in the tree's sibling order) with their group volume,
  only for a distributor whose next rank's counted-volume condition fails (the one sentence that
  names legs): a ragged column, ``legs_offsets[d] … legs_offsets[d + 1]`` into ``legs_row``;
* per certificate a bonus requires (``requires: {certificate: …}``): whether the distributor
  holds it (``certificate/<key>``); a rank's certificate is a rank condition
  (``rank/<rank>/certificate:<key>/…``, actual 1 when held).

:class:`TraceRenderer` turns one row back into the trace dictionary of docs/plan-language.md
("Outputs"), sentences included, through a translation function given by the caller: the
reader's language, at reading time. The engine stays free of Django; the web passes Django's
``gettext``/``ngettext``, the command line the ones of :mod:`downline.i18n`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from downline import i18n
from downline.money import format_decimal

from .inputs import TERMINATED, PeriodInputs, PeriodResult
from .plan import Plan
from .plan.model import BinaryBonus, MatchingBonus
from .ranks import CERTIFICATE_CONDITION, leg_cap
from .rounding import count_by, sum_by

TRACE_FORMAT = 1  # bump when the meaning of a column changes

FIGURES: dict[str, str] = {  # column → numpy dtype
    "pv": "int64",
    "own_pv": "int64",
    "customer_pv": "int64",
    "cv": "int64",
    "gv": "int64",
    "qualifying_volume": "int64",
    "present": "bool",
    "eligible": "bool",
    "active": "bool",
    "status": "int8",
    "qualified_rank": "int16",
    "paid_as_rank": "int16",
    "highest_rank": "int16",
    "grace_used": "int16",
    "buying_customers": "int64",
    "earned": "int64",
}


# -- words -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Words:
    """The translation functions sentences are rendered with (the reader's language)."""

    gettext: Callable[[str], str]
    ngettext: Callable[[str, str, int], str]


def engine_words() -> Words:
    """:mod:`downline.i18n`: the language of :func:`downline.i18n.use_language` at call time."""
    return Words(i18n.gettext, i18n.ngettext)


def volume_text(hundredths: int) -> str:
    """``140000`` → ``"1,400"``, ``140050`` → ``"1,400.50"`` (for sentences)."""
    whole, cents = divmod(abs(int(hundredths)), 100)
    sign = "-" if hundredths < 0 else ""
    return f"{sign}{whole:,}" if cents == 0 else f"{sign}{whole:,}.{cents:02d}"


def volume_value(hundredths: int) -> str:
    """Volumes in the trace's fields: two decimals, no grouping (``"1400.00"``)."""
    return format_decimal(int(hundredths), 2)


def share_text(part: int, total: int) -> str | None:
    """``part ÷ total`` as a percentage rounded down to hundredths of a percent, so a share
    short of a requirement never shows as reaching it (``55``, ``100`` → ``"55%"``;
    ``2``, ``3`` → ``"66.66%"``); ``None`` when ``total ≤ 0``."""
    if total <= 0:
        return None
    hundredths = (int(part) * 10_000) // int(total)
    return format_decimal(hundredths, 2).rstrip("0").rstrip(".") + "%"


# -- layout ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConditionColumn:
    """Rank condition ``name`` of rank ``rank`` (index into ``plan.ranks``), its required value
    and the prefix of its two columns (``<prefix>/actual``, ``<prefix>/holds``)."""

    rank: int
    name: str
    required: int
    prefix: str


@dataclass(frozen=True)
class TraceLayout:
    """What a trace table holds beyond the plan: the rank conditions in column order and which
    bonuses have requirement, walk, matching and binary columns (as the computation had them)."""

    conditions: tuple[ConditionColumn, ...]
    requirements: tuple[str, ...]  # bonus names with a requirement check
    walks: tuple[tuple[str, bool], ...]  # (bonus name, compression) of each level walk
    matching: tuple[str, ...]  # matching bonuses with missed-line counts
    binary: tuple[str, ...]  # binary bonuses with paired leg volumes
    lines: bool  # whether per-bonus line columns exist
    format: int = TRACE_FORMAT

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": self.format,
                "conditions": [[c.rank, c.name, c.required, c.prefix] for c in self.conditions],
                "requirements": list(self.requirements),
                "walks": [list(walk) for walk in self.walks],
                "matching": list(self.matching),
                "binary": list(self.binary),
                "lines": self.lines,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> TraceLayout:
        data = json.loads(text)
        if data.get("format") != TRACE_FORMAT:
            raise ValueError(
                f"trace format {data.get('format')!r} is not the supported {TRACE_FORMAT}"
            )
        return cls(
            conditions=tuple(
                ConditionColumn(int(r), n, int(q), p) for r, n, q, p in data["conditions"]
            ),
            requirements=tuple(data["requirements"]),
            walks=tuple((name, bool(compression)) for name, compression in data["walks"]),
            matching=tuple(data["matching"]),
            binary=tuple(data["binary"]),
            lines=bool(data["lines"]),
        )


def certificate_column(key: str) -> str:
    """``certificate/<key>``: whether the distributor holds the certificate a bonus requires."""
    return f"certificate/{key}"


def bonus_certificates(plan: Plan) -> tuple[str, ...]:
    """The certificates bonuses require, each once, in plan order."""
    keys: list[str] = []
    for bonus in plan.bonuses:
        for key in bonus.requires.certificate or () if bonus.requires is not None else ():
            if key not in keys:
                keys.append(key)
    return tuple(keys)


def bonus_column(bonus: str, what: str) -> str:
    """``bonus/<bonus>/<what>``: lines, amount, amount_before_cap, requires_met,
    customer_share_met, customers_met, missed, beyond_depth, max_level, matching_missed,
    left, right."""
    return f"bonus/{bonus}/{what}"


# -- the table ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TraceData:
    """Every distributor's trace as numbers: ``columns`` (one value per distributor row each),
    the ragged legs (``legs_row[legs_offsets[d]:legs_offsets[d + 1]]`` are the rows of ``d``'s
    legs, ``legs_gv`` their group volumes) and the ``layout`` that says what the columns mean."""

    layout: TraceLayout
    ids: Sequence[str]
    columns: dict[str, np.ndarray]
    legs_offsets: np.ndarray  # int64[n + 1]
    legs_row: np.ndarray  # int64[legs]
    legs_gv: np.ndarray  # int64[legs]

    @property
    def n(self) -> int:
        return len(self.legs_offsets) - 1

    def rows(self, start: int = 0, stop: int | None = None) -> Iterator[TraceRow]:
        """The rows ``start … stop`` as Python values, converted one block at a time."""
        stop = self.n if stop is None else stop
        names = list(self.columns)
        for begin in range(start, stop, 4096):
            end = min(begin + 4096, stop)
            values = [self.columns[name][begin:end].tolist() for name in names]
            offsets = self.legs_offsets[begin : end + 1].tolist()
            legs_row = self.legs_row[offsets[0] : offsets[-1]].tolist()
            legs_gv = self.legs_gv[offsets[0] : offsets[-1]].tolist()
            base = offsets[0]
            for i, row in enumerate(zip(*values, strict=True)):
                a, b = offsets[i] - base, offsets[i + 1] - base
                yield TraceRow(
                    values=dict(zip(names, row, strict=True)),
                    identifier=self.ids[begin + i],
                    legs=[
                        (self.ids[c], g) for c, g in zip(legs_row[a:b], legs_gv[a:b], strict=True)
                    ],
                )


@dataclass(frozen=True)
class TraceRow:
    """One distributor's numbers: column → Python value, their id, and their legs as
    ``(id, group volume)`` (empty unless the next rank's counted volume fails)."""

    values: Mapping[str, Any]
    identifier: str
    legs: Sequence[tuple[str, int]]


def layout_of(plan: Plan, result: PeriodResult) -> TraceLayout:
    """The layout of the trace table of ``result``."""
    details = result.details
    ranks = plan.ranks
    conditions = tuple(
        ConditionColumn(c.rank, c.name, int(c.required), f"rank/{ranks[c.rank].name}/{c.name}")
        for c in details.conditions
    )
    requirements = tuple(
        bonus.name
        for bonus in plan.bonuses
        if bonus.requires is not None and details.requirements.get(bonus.name) is not None
    )
    walks = tuple(
        (bonus.name, bool(details.walks[bonus.name].compression))
        for bonus in plan.bonuses
        if details.walks.get(bonus.name) is not None
    )
    matching = tuple(
        bonus.name
        for bonus in plan.bonuses
        if isinstance(bonus, MatchingBonus) and bonus.name in details.missed
    )
    binary = tuple(
        bonus.name
        for bonus in plan.bonuses
        if isinstance(bonus, BinaryBonus) and bonus.name in details.binary_legs
    )
    return TraceLayout(
        conditions=conditions,
        requirements=requirements,
        walks=walks,
        matching=matching,
        binary=binary,
        lines=inputs_have_lines(plan, result),
    )


def inputs_have_lines(plan: Plan, result: PeriodResult) -> bool:
    return len(result.pv) * len(plan.bonuses) > 0


def _per_bonus_lines(plan: Plan, result: PeriodResult, n: int) -> dict[str, np.ndarray]:
    """Per bonus ``b``: ``Σ 1``, ``Σ amount`` and ``Σ amount_before_cap`` over ``d``'s lines."""
    count = len(plan.bonuses)
    lines = result.lines
    key = lines.recipient.astype(np.int64) * count + lines.bonus.astype(np.int64)
    size = n * count
    counts = count_by(key, size).reshape(n, count)
    amounts = sum_by(key, lines.amount, size).reshape(n, count)
    before = sum_by(key, lines.amount_before_cap, size).reshape(n, count)
    out = {}
    for b, bonus in enumerate(plan.bonuses):
        out[bonus_column(bonus.name, "lines")] = np.ascontiguousarray(counts[:, b], dtype=np.int64)
        out[bonus_column(bonus.name, "amount")] = np.ascontiguousarray(
            amounts[:, b], dtype=np.int64
        )
        out[bonus_column(bonus.name, "amount_before_cap")] = np.ascontiguousarray(
            before[:, b], dtype=np.int64
        )
    return out


def _legs(
    plan: Plan, result: PeriodResult, layout: TraceLayout
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(offsets, rows, gv)`` of the legs of every distributor whose next rank (paid-as + 1)
    has a counted-volume condition that fails: ``need[d]`` selects the block
    ``children[child_start[d]:child_start[d + 1]]`` of the group tree."""
    n = len(result.pv)
    tree = result.details.trees.get(plan.volumes.group_tree)
    need = np.zeros(n, dtype=bool)
    if tree is not None:
        following = result.paid_as_rank.astype(np.int64) + 1
        for condition, source in zip(layout.conditions, result.details.conditions, strict=True):
            if condition.name == "qualifying_volume":
                need |= (following == condition.rank) & ~np.asarray(source.holds, dtype=bool)
    offsets = np.zeros(n + 1, dtype=np.int64)
    if not need.any():
        return offsets, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    child_start = np.asarray(tree.child_start, dtype=np.int64)
    sizes = np.where(need, child_start[1:] - child_start[:-1], 0)
    np.cumsum(sizes, out=offsets[1:])
    total = int(offsets[-1])
    # position j of the output belongs to owner d; it reads children[child_start[d] + j - offsets[d]]
    owners = np.repeat(np.arange(n, dtype=np.int64), sizes)
    positions = child_start[owners] + np.arange(total, dtype=np.int64) - offsets[owners]
    rows = np.asarray(tree.children, dtype=np.int64)[positions]
    return offsets, rows, np.asarray(result.gv, dtype=np.int64)[rows]


def trace_data(plan: Plan, inputs: PeriodInputs, result: PeriodResult) -> TraceData:
    """The traces of every distributor as numbers (see the module docstring); array
    operations only, no loop over distributors."""
    details = result.details
    if details is None:
        raise ValueError("the result has no details; compute it with downline.engine")
    n = inputs.n
    layout = layout_of(plan, result)
    sources = {
        "pv": result.pv,
        "own_pv": details.own_pv,
        "customer_pv": details.customer_pv,
        "cv": result.cv,
        "gv": result.gv,
        "qualifying_volume": result.qualifying_volume,
        "present": details.present,
        "eligible": details.eligible,
        "active": result.active,
        "status": inputs.status,
        "qualified_rank": result.qualified_rank,
        "paid_as_rank": result.paid_as_rank,
        "highest_rank": result.highest_rank,
        "grace_used": result.state.grace_used,
        "buying_customers": details.buying_customers,
        "earned": result.earned,
    }
    columns = {name: np.asarray(sources[name], dtype=FIGURES[name]) for name in FIGURES}
    for column, condition in zip(layout.conditions, details.conditions, strict=True):
        columns[f"{column.prefix}/actual"] = np.asarray(condition.actual, dtype=np.int64)
        columns[f"{column.prefix}/holds"] = np.asarray(condition.holds, dtype=bool)
    if layout.lines:
        columns.update(_per_bonus_lines(plan, result, n))
    for name in layout.requirements:
        check = details.requirements[name]
        columns[bonus_column(name, "requires_met")] = np.asarray(check.met, dtype=bool)
        if check.customer_share is not None:
            columns[bonus_column(name, "customer_share_met")] = np.asarray(
                check.customer_share, dtype=bool
            )
        if check.customers is not None:
            columns[bonus_column(name, "customers_met")] = np.asarray(check.customers, dtype=bool)
    if layout.requirements:
        for key in bonus_certificates(plan):
            columns[certificate_column(key)] = np.asarray(inputs.holders(key), dtype=bool)
    for name, _compression in layout.walks:
        walk = details.walks[name]
        columns[bonus_column(name, "missed")] = np.asarray(walk.counts.missed, dtype=np.int64)
        columns[bonus_column(name, "beyond_depth")] = np.asarray(
            walk.counts.beyond_depth, dtype=np.int64
        )
        columns[bonus_column(name, "max_level")] = np.asarray(walk.max_level, dtype=np.int16)
    for name in layout.matching:
        columns[bonus_column(name, "matching_missed")] = np.asarray(
            details.missed[name], dtype=np.int64
        )
    for name in layout.binary:
        left, right = details.binary_legs[name]
        columns[bonus_column(name, "left")] = np.asarray(left, dtype=np.int64)
        columns[bonus_column(name, "right")] = np.asarray(right, dtype=np.int64)
    offsets, rows, gv = _legs(plan, result, layout)
    return TraceData(layout, inputs.ids, columns, offsets, rows, gv)


# -- words when read ---------------------------------------------------------------------------


class TraceRenderer:
    """Renders trace rows of one plan and layout into the trace dictionary, in the language
    of ``words`` (the output is equal, key for key, to what the period's arrays say)."""

    def __init__(self, plan: Plan, layout: TraceLayout, words: Words | None = None) -> None:
        self.plan, self.layout = plan, layout
        self.words = words or engine_words()
        self.minor = plan.minor_digits
        self.rank_names = [rank.name for rank in plan.ranks]
        self.conditions_by_rank: dict[int, list[ConditionColumn]] = {}
        for condition in layout.conditions:
            self.conditions_by_rank.setdefault(condition.rank, []).append(condition)
        self.requirements = set(layout.requirements)
        self.walks = dict(layout.walks)
        self.matching = set(layout.matching)
        self.binary = set(layout.binary)

    def money(self, minor: int) -> str:
        return format_decimal(int(minor), self.minor)

    def bonus_title(self, b: int) -> str:
        bonus = self.plan.bonuses[b]
        return bonus.title or bonus.name

    # -- one distributor ---------------------------------------------------------------------

    def render(self, row: TraceRow) -> dict:
        """The trace of one distributor (docs/plan-language.md, "Outputs")."""
        v = row.values
        trace: dict = {"id": row.identifier}
        trace["volumes"] = {
            "pv": volume_value(v["pv"]),
            "own_pv": volume_value(v["own_pv"]),
            "customer_pv": volume_value(v["customer_pv"]),
            "cv": volume_value(v["cv"]),
            "gv": volume_value(v["gv"]),
        }
        if v["qualifying_volume"] >= 0:
            trace["volumes"]["qualifying_volume"] = volume_value(v["qualifying_volume"])
        trace["present"] = bool(v["present"])
        trace["eligible"] = bool(v["eligible"])
        trace["active"] = bool(v["active"])
        trace["activity"] = self.activity(v)
        trace["rank"] = {
            "qualified": self.rank_names[int(v["qualified_rank"])],
            "paid_as": self.rank_names[int(v["paid_as_rank"])],
            "highest": self.rank_names[int(v["highest_rank"])],
            "grace_used": int(v["grace_used"]),
        }
        trace["ranks"] = self.ranks(v)
        trace["next_rank"] = self.next_rank(row)
        requirements = self.requirements_of(v)
        if requirements:
            trace["requirements"] = requirements
        trace["messages"] = self.messages(v)
        trace["earned"] = self.earned(v)
        trace["total"] = self.money(v["earned"])
        return trace

    def _activity_checks(self, v: Mapping[str, Any]) -> list[tuple[str, int, int]]:
        rule = self.plan.activity
        checks = []
        if rule is not None:
            for name, required in (("pv", rule.pv_at_least), ("cv", rule.cv_at_least)):
                if required is not None:
                    checks.append((name, required, int(v[name])))
        return checks

    def activity(self, v: Mapping[str, Any]) -> dict:
        _ = self.words.gettext
        checks = self._activity_checks(v)
        return {
            "conditions": [
                {
                    "name": name,
                    "required": volume_value(required),
                    "actual": volume_value(actual),
                    "pass": actual >= required,
                }
                for name, required, actual in checks
            ],
            "missing": [
                _("%(name)s %(actual)s of %(required)s")
                % {
                    "name": name.upper(),
                    "actual": volume_text(actual),
                    "required": volume_text(required),
                }
                for name, required, actual in checks
                if actual < required
            ],
        }

    def requirements_of(self, v: Mapping[str, Any]) -> dict:
        """Per bonus with ``requires``: each requirement with required and actual values."""
        out = {}
        own, customer = int(v["own_pv"]), int(v["customer_pv"])
        for bonus in self.plan.bonuses:
            if bonus.requires is None or bonus.name not in self.requirements:
                continue
            conditions = []
            share = bonus.requires.customer_share_at_least
            if share is not None:
                conditions.append(
                    {
                        "name": "customer_share",
                        "required": share.text,
                        "actual": share_text(customer, own + customer),
                        "pass": bool(v[bonus_column(bonus.name, "customer_share_met")]),
                    }
                )
            if bonus.requires.customers_at_least is not None:
                conditions.append(
                    {
                        "name": "customers",
                        "required": bonus.requires.customers_at_least,
                        "actual": int(v["buying_customers"]),
                        "pass": bool(v[bonus_column(bonus.name, "customers_met")]),
                    }
                )
            for key in bonus.requires.certificate or ():
                conditions.append(_certificate_condition(key, bool(v[certificate_column(key)])))
            out[bonus.name] = {
                "met": bool(v[bonus_column(bonus.name, "requires_met")]),
                "conditions": conditions,
            }
        return out

    def unmet_requirements(self, v: Mapping[str, Any], b: int) -> str | None:
        """What the distributor misses of bonus ``b``'s requirements, in words (``None``:
        nothing)."""
        _ = self.words.gettext
        bonus = self.plan.bonuses[b]
        if (
            bonus.requires is None
            or bonus.name not in self.requirements
            or v[bonus_column(bonus.name, "requires_met")]
        ):
            return None
        parts = []
        share = bonus.requires.customer_share_at_least
        if share is not None and not v[bonus_column(bonus.name, "customer_share_met")]:
            own, customer = int(v["own_pv"]), int(v["customer_pv"])
            actual = share_text(customer, own + customer)
            if actual is None:
                parts.append(
                    _("no PV this period, so no customer share of the %(required)s needed")
                    % {"required": share.text}
                )
            else:
                parts.append(
                    _("customer share %(actual)s of %(required)s")
                    % {"actual": actual, "required": share.text}
                )
        customers = bonus.requires.customers_at_least
        if customers is not None and not v[bonus_column(bonus.name, "customers_met")]:
            parts.append(
                _("%(actual)d of the %(required)d buying retail customers")
                % {"actual": int(v["buying_customers"]), "required": customers}
            )
        for key in bonus.requires.certificate or ():
            if not v[certificate_column(key)]:
                parts.append(_("%(certificate)s certificate missing") % {"certificate": key})
        return _("%(missing)s: not paid %(bonus)s") % {
            "missing": ", ".join(parts),
            "bonus": self.bonus_title(b),
        }

    def passes_earner_rule(self, v: Mapping[str, Any], b: int) -> bool:
        if self.plan.bonuses[b].earner == "active":
            return bool(v["active"])
        return bool(v["eligible"])

    def ranks(self, v: Mapping[str, Any]) -> list[dict]:
        out = []
        qualified = int(v["qualified_rank"])
        for r, rank in enumerate(self.plan.ranks):
            if r == 0:
                continue
            conditions = [
                _certificate_condition(
                    c.name.removeprefix(CERTIFICATE_CONDITION), bool(v[f"{c.prefix}/holds"])
                )
                if c.name.startswith(CERTIFICATE_CONDITION)
                else {
                    "name": c.name,
                    "required": _condition_value(c.name, c.required),
                    "actual": _condition_value(c.name, int(v[f"{c.prefix}/actual"])),
                    "pass": bool(v[f"{c.prefix}/holds"]),
                }
                for c in self.conditions_by_rank.get(r, [])
            ]
            out.append(
                {
                    "name": rank.name,
                    "holds": bool(v["eligible"]) and all(c["pass"] for c in conditions),
                    "qualified": r == qualified,
                    "conditions": conditions,
                }
            )
        return out

    def next_rank(self, row: TraceRow) -> dict | None:
        """What is missing for the lowest rank above the paid-as rank."""
        v = row.values
        paid = int(v["paid_as_rank"])
        if paid + 1 >= len(self.plan.ranks):
            return None
        r = paid + 1
        missing = []
        if not v["eligible"]:
            missing.append(self._ineligible(v))
        for condition in self.conditions_by_rank.get(r, []):
            if v[f"{condition.prefix}/holds"]:
                continue
            missing.extend(self._missing(row, r, condition))
        return {"name": self.rank_names[r], "missing": missing}

    def _ineligible(self, v: Mapping[str, Any]) -> str:
        _ = self.words.gettext
        if not v["present"]:
            return _("you join after this period, so you hold no rank and earn nothing yet")
        if int(v["status"]) == TERMINATED:
            return _("your account is terminated, so you hold no rank and earn nothing")
        return _("your account is suspended, so you hold no rank and earn nothing")

    def _missing(self, row: TraceRow, r: int, condition: ConditionColumn) -> list[str]:
        _ = self.words.gettext
        rank = self.rank_names[r]
        actual, required = int(row.values[f"{condition.prefix}/actual"]), condition.required
        if condition.name == "active":
            return [_("you must be active to be %(rank)s") % {"rank": rank}]
        if condition.name.startswith(CERTIFICATE_CONDITION):
            return [
                _("%(certificate)s certificate missing for %(rank)s")
                % {"certificate": condition.name.removeprefix(CERTIFICATE_CONDITION), "rank": rank}
            ]
        if condition.name in ("pv", "gv"):
            return [
                _("%(name)s %(actual)s of the %(required)s needed for %(rank)s")
                % {
                    "name": condition.name.upper(),
                    "actual": volume_text(actual),
                    "required": volume_text(required),
                    "rank": rank,
                }
            ]
        if condition.name == "qualifying_volume":
            return self._qualifying_volume(row, r, actual, required)
        if condition.name == "legs":
            legs = self.plan.ranks[r].legs
            return [
                _(
                    "%(actual)d of the %(required)d legs holding %(leg_rank)s or higher needed for %(rank)s"
                )
                % {"actual": actual, "required": required, "leg_rank": legs.rank, "rank": rank}
            ]
        if condition.name == "personally_enrolled":
            text = _(
                "%(actual)d of the %(required)d personally enrolled distributors needed for %(rank)s"
            )
        elif condition.name == "personally_enrolled_active":
            text = _(
                "%(actual)d of the %(required)d active personally enrolled distributors needed for %(rank)s"
            )
        else:
            text = _("%(actual)d of the %(required)d buying retail customers needed for %(rank)s")
        return [text % {"actual": actual, "required": required, "rank": rank}]

    def _qualifying_volume(self, row: TraceRow, r: int, actual: int, required: int) -> list[str]:
        """The counted volume and what each leg gives towards it."""
        _ = self.words.gettext
        rule = self.plan.ranks[r].qualifying_volume
        rank = self.rank_names[r]
        cap = leg_cap(rule)
        sentences = [
            _("counted volume %(actual)s of the %(required)s needed for %(rank)s")
            % {"actual": volume_text(actual), "required": volume_text(required), "rank": rank}
        ]
        pv = int(row.values["pv"])
        own = min(Fraction(pv), cap) if rule.own_pv == "capped" else Fraction(pv)
        sentences.append(
            _("your own PV gives %(gives)s of the %(required)s counted volume needed for %(rank)s")
            % {"gives": volume_text(int(own)), "required": volume_text(required), "rank": rank}
        )
        for number, (identifier, gv) in enumerate(row.legs, start=1):
            gives = min(Fraction(gv), cap)
            values = {
                "leg": number,
                "id": identifier,
                "gives": volume_text(int(gives)),
                "required": volume_text(required),
                "rank": rank,
                "volume": volume_text(gv),
                "cap": volume_text(int(cap)),
            }
            if gv > cap:
                text = _(
                    "leg %(leg)d (%(id)s) gives %(gives)s of the %(required)s counted volume needed for %(rank)s: its %(volume)s counts at most %(cap)s"
                )
            else:
                text = _(
                    "leg %(leg)d (%(id)s) gives %(gives)s of the %(required)s counted volume needed for %(rank)s"
                )
            sentences.append(text % values)
        return sentences

    def messages(self, v: Mapping[str, Any]) -> list[str]:
        """What the period did not pay this distributor, and why, in words."""
        _ = self.words.gettext
        ngettext = self.words.ngettext
        out: list[str] = []
        eligible, active = bool(v["eligible"]), bool(v["active"])
        if not eligible:
            out.append(self._ineligible(v))
        inactive = None
        if eligible and not active:
            missing = self.activity(v)["missing"]
            inactive = (
                _("%(missing)s: not active") % {"missing": ", ".join(missing)}
                if missing
                else _("not active")
            )
        for b, bonus in enumerate(self.plan.bonuses):
            # why d was not paid: inactive (failed the earner rule, or skipped by compression),
            # or, passing the earner rule, short of the bonus's requirements
            unmet = None
            if eligible and self.passes_earner_rule(v, b):
                unmet = self.unmet_requirements(v, b)
            reason = unmet or inactive
            told: list[tuple[str | None, str]] = []  # (reason, what was not paid)
            title = self.bonus_title(b)
            compression = self.walks.get(bonus.name)
            if compression is not None:
                missed = int(v[bonus_column(bonus.name, "missed")])
                if missed and compression and not active:
                    told.append(
                        (
                            inactive,
                            ngettext(
                                "so %(count)d %(bonus)s line went past you",
                                "so %(count)d %(bonus)s lines went past you",
                                missed,
                            )
                            % {"count": missed, "bonus": title},
                        )
                    )
                elif missed:
                    told.append((reason, self._not_paid(missed, title)))
            if bonus.name in self.matching:
                missed = int(v[bonus_column(bonus.name, "matching_missed")])
                if missed:
                    told.append((reason, self._not_paid(missed, title)))
            if bonus.name in self.binary:
                left = int(v[bonus_column(bonus.name, "left")])
                right = int(v[bonus_column(bonus.name, "right")])
                earns = self.passes_earner_rule(v, b) and unmet is None
                if not earns and (left or right):
                    values = {
                        "bonus": title,
                        "left": volume_text(left),
                        "right": volume_text(right),
                    }
                    if bonus.flush_inactive:
                        sentence = _(
                            "so %(bonus)s paid nothing and both legs were flushed (left %(left)s, right %(right)s)"
                        )
                    else:
                        sentence = _(
                            "so %(bonus)s paid nothing; the legs carry forward (left %(left)s, right %(right)s)"
                        )
                    told.append((reason, sentence % values))
            if unmet is not None and all(why is not unmet for why, _sentence in told):
                out.append(unmet)
            out.extend(f"{why}, {sentence}" if why else sentence for why, sentence in told)
            if compression is not None and int(v[bonus_column(bonus.name, "beyond_depth")]):
                beyond = int(v[bonus_column(bonus.name, "beyond_depth")])
                out.append(
                    ngettext(
                        "your paid-as rank %(rank)s is paid %(bonus)s to depth %(depth)d, so %(count)d line from deeper levels was not paid to you",
                        "your paid-as rank %(rank)s is paid %(bonus)s to depth %(depth)d, so %(count)d lines from deeper levels were not paid to you",
                        beyond,
                    )
                    % {
                        "rank": self.rank_names[int(v["paid_as_rank"])],
                        "depth": int(v[bonus_column(bonus.name, "max_level")]),
                        "bonus": title,
                        "count": beyond,
                    }
                )
        return out

    def _not_paid(self, count: int, title: str) -> str:
        return self.words.ngettext(
            "so %(count)d %(bonus)s line was not paid to you",
            "so %(count)d %(bonus)s lines were not paid to you",
            count,
        ) % {"count": count, "bonus": title}

    def earned(self, v: Mapping[str, Any]) -> dict:
        out = {}
        if not self.layout.lines:
            return out
        for bonus in self.plan.bonuses:
            lines = int(v[bonus_column(bonus.name, "lines")])
            if lines:
                out[bonus.name] = {
                    "lines": lines,
                    "amount": self.money(v[bonus_column(bonus.name, "amount")]),
                    "amount_before_cap": self.money(
                        v[bonus_column(bonus.name, "amount_before_cap")]
                    ),
                }
        return out


def _certificate_condition(key: str, held: bool) -> dict:
    """A certificate condition of the trace: the key required, the key again when held (else
    an empty text)."""
    return {"name": "certificate", "required": key, "actual": key if held else "", "pass": held}


def _condition_value(name: str, value: int):
    if name in ("pv", "gv", "qualifying_volume"):
        return volume_value(value)
    if name == "active":
        return bool(value)
    return int(value)
