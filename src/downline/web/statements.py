"""A distributor's statements: what a period's final run paid them, grouped by bonus, level and
source with subtotals, with the trace, the clawbacks, their wallet, ledger history and payouts;
and the statement as CSV and PDF.

Rules:

* a statement exists for a period with a final run in which the distributor has a result;
  anyone else's statement, or a period without one, is not found (the views answer 404);
* a line names its source distributor only when that member is in the viewer's downline
  (enrollment or placement tree) or is the viewer; otherwise the source shows as "a member
  outside your team". The source order is shown by its order number;
* **grouping**: the lines of a bonus are grouped by level (ascending), and the lines of a level
  by source: one group per visible source member, one for all members outside the viewer's
  team and one for lines without a source (personal bonus, advancement); sources are listed
  by amount, largest first. Every group carries the count and the exact sum of its lines, so
  bonus total = Σ level subtotals = Σ source subtotals = Σ line amounts, to the cent;
* **what a page shows**: the statement page lists at most ``SOURCES_SHOWN`` sources of a level
  (the rest as one "other members" row with their count and subtotal, so the table still adds
  up) and at most ``SOURCE_LINES_SHOWN`` lines of a source; the page of one level
  (``?bonus=<name>&level=<n>``) lists every source of the level and at most
  ``LEVEL_LINES_SHOWN`` lines. The PDF shows the level subtotals with their line counts, not
  the lines. The CSV has every line;
* the clawbacks of a statement are the clawback lines that landed in that period, each with the
  return (order number) that caused it and the order and period it took back from; a page
  shows at most ``CLAWBACK_LINES_SHOWN`` lines of a clawback;
* money is integer minor units of the run's currency, shown through ``core.formatting`` in the
  reader's locale with the run's minor digits (the CSV writes locale-neutral decimals); rates
  as percentages (exact fractions, rounded down to 1/100 %); rank and bonus names through
  ``compensation.labels`` in the reader's language.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from django.db import connection

from downline.compensation.labels import bonus_label, rank_label
from downline.compensation.models import Clawback, PlanVersion, Run, RunResult
from downline.compensation.plans import loaded_plan
from downline.compensation.reports import final_run_of_code, rank_names
from downline.compensation.selectors import (
    StatementLine,
    clawback_lines,
    result_of,
    run_lines,
    trace_of,
)
from downline.core.csv_safety import FormulaSafeWriter
from downline.core.formatting import format_fixed, format_money
from downline.genealogy.models import Distributor
from downline.genealogy.tree_sql import TREES
from downline.money import format_decimal
from downline.orders.models import Order
from downline.periods.models import Period

from .projection_slot import condition_label, missing_text
from .selectors import _levels_below

SOURCES_SHOWN = 10
SOURCE_LINES_SHOWN = 5
LEVEL_LINES_SHOWN = 500
CLAWBACK_LINES_SHOWN = 500

OUTSIDE = "outside"  # the source group of members outside the viewer's team
NO_SOURCE = "none"  # the source group of lines without a source member


def rate_text(num: int, den: int) -> str:
    """``1/10`` → ``"10%"``; ``1/3`` → ``"33.33%"`` (rounded down to hundredths of a percent)."""
    if den == 0:
        return ""
    value = (Decimal(num) * 100 / Decimal(den)).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return f"{value:f}".rstrip("0").rstrip(".") + "%"


@dataclass
class LineView:
    bonus: str
    level: int
    source_member_id: str | None  # None: no source, or outside the viewer's team
    source_name: str
    source_visible: bool
    has_source: bool
    order_number: str | None
    base: int
    rate: str
    amount_before_cap: int
    amount: int
    bonus_name: str = ""  # the plan's name of the bonus (``bonus`` is its display name)

    @property
    def source_key(self) -> str:
        """The source group of the line: a member id, :data:`OUTSIDE` or :data:`NO_SOURCE`."""
        if self.source_visible and self.source_member_id:
            return self.source_member_id
        return OUTSIDE if self.has_source else NO_SOURCE


@dataclass
class SourceGroup:
    """The lines of one level that one source produced, with their subtotals."""

    key: str
    member_id: str | None
    name: str
    visible: bool
    has_source: bool
    lines: list[LineView] = field(default_factory=list)
    total: int = 0
    base: int = 0
    lines_shown: int | None = SOURCE_LINES_SHOWN

    @property
    def count(self) -> int:
        return len(self.lines)

    @property
    def shown_lines(self) -> list[LineView]:
        return self.lines if self.lines_shown is None else self.lines[: self.lines_shown]

    @property
    def hidden(self) -> int:
        return self.count - len(self.shown_lines)


@dataclass
class LevelGroup:
    """The lines of one level of a bonus, grouped by source (largest amount first)."""

    bonus: str
    level: int
    sources: list[SourceGroup] = field(default_factory=list)
    sources_shown: int | None = SOURCES_SHOWN

    @property
    def total(self) -> int:
        return sum(source.total for source in self.sources)

    @property
    def count(self) -> int:
        return sum(source.count for source in self.sources)

    @property
    def members(self) -> int:
        """How many source groups name a member (all members outside the team count as one)."""
        return sum(1 for source in self.sources if source.has_source)

    @property
    def shown_sources(self) -> list[SourceGroup]:
        if self.sources_shown is None:
            return self.sources
        return self.sources[: self.sources_shown]

    @property
    def other_sources(self) -> list[SourceGroup]:
        return self.sources[len(self.shown_sources) :]

    @property
    def other_total(self) -> int:
        return sum(source.total for source in self.other_sources)

    @property
    def other_count(self) -> int:
        return sum(source.count for source in self.other_sources)

    @property
    def hidden(self) -> int:
        """Lines of the level not on the page (in sources not listed, or beyond a source's)."""
        return self.count - sum(len(source.shown_lines) for source in self.shown_sources)


@dataclass
class BonusSection:
    name: str
    title: str
    levels: list[LevelGroup] = field(default_factory=list)
    lines: list[LineView] = field(default_factory=list)  # every line, in the engine's order

    @property
    def total(self) -> int:
        return sum(level.total for level in self.levels)

    @property
    def count(self) -> int:
        return sum(level.count for level in self.levels)


@dataclass
class ClawbackView:
    return_number: str
    original_number: str
    original_period: str
    amount: int
    lines: list[LineView]

    @property
    def shown_lines(self) -> list[LineView]:
        return self.lines[:CLAWBACK_LINES_SHOWN]

    @property
    def hidden(self) -> int:
        return len(self.lines) - len(self.shown_lines)


@dataclass
class TraceRank:
    name: str
    holds: bool
    qualified: bool
    conditions: list


@dataclass
class Statement:
    member: Distributor
    period: Period
    run: Run
    result: RunResult
    currency: str
    digits: int
    paid_as: str
    highest: str
    sections: list[BonusSection]
    clawbacks: list[ClawbackView]
    trace: dict
    ranks: list[TraceRank]
    activity: list
    next_rank: str | None
    next_missing: list
    requirements: list

    @property
    def clawback_total(self) -> int:
        return sum(c.amount for c in self.clawbacks)

    @property
    def line_count(self) -> int:
        return sum(section.count for section in self.sections)

    def amount(self, minor: int) -> str:
        """A locale-neutral decimal of the run's currency (``"1234.50"``), for the CSV."""
        return format_decimal(int(minor), self.digits)

    def money(self, minor: int) -> str:
        """Money of the run's currency in the reader's locale, with its symbol."""
        return format_money(int(minor), self.currency, places=self.digits)

    def number(self, minor: int) -> str:
        """Money of the run's currency in the reader's locale, the number alone."""
        return format_fixed(int(minor), self.digits)

    def level(self, bonus: str, level: int) -> LevelGroup | None:
        """The level group ``level`` of bonus ``bonus``, or ``None``."""
        for section in self.sections:
            if section.name == bonus:
                return next((group for group in section.levels if group.level == level), None)
        return None


def visible_sources(viewer: Distributor, ids: set[int]) -> set[int]:
    """Those of ``ids`` that are the viewer or below them in either tree (one query a tree)."""
    ids = {pk for pk in ids if pk is not None}
    seen = {viewer.pk} & ids
    rest = [pk for pk in ids if pk != viewer.pk]
    if not rest:
        return seen
    with connection.cursor() as cursor:
        for tree in TREES:
            found = _levels_below(cursor, viewer, [pk for pk in rest if pk not in seen], tree)
            seen.update(found)
    return seen


def _line_views(
    viewer: Distributor, lines: list[StatementLine], titles: dict[str, str]
) -> list[LineView]:
    """Every one of ``lines`` as shown to ``viewer`` (three queries in all)."""
    sources = {line.source_id for line in lines if line.source_id is not None}
    visible = visible_sources(viewer, sources)
    members = Distributor.objects.only("id", "member_id", "name").in_bulk(list(visible))
    orders = dict(
        Order.objects.filter(
            pk__in={line.source_order_id for line in lines if line.source_order_id}
        ).values_list("pk", "number")
    )
    out = []
    for line in lines:
        source = members.get(line.source_id) if line.source_id in visible else None
        out.append(
            LineView(
                bonus=titles.get(line.bonus, line.bonus),
                level=line.level,
                source_member_id=source.member_id if source else None,
                source_name=(source.name or source.member_id) if source else "",
                source_visible=source is not None,
                has_source=line.source_id is not None,
                order_number=orders.get(line.source_order_id),
                base=line.base,
                rate=rate_text(line.rate_num, line.rate_den),
                amount_before_cap=line.amount_before_cap,
                amount=line.amount,
                bonus_name=line.bonus,
            )
        )
    return out


def bonus_titles(run: Run) -> dict[str, str]:
    """The display name of each bonus of the run's plan, in the reader's language."""
    return _bonus_titles(run.plan_version)


def _bonus_titles(version: PlanVersion) -> dict[str, str]:
    return {b.name: bonus_label(version, b.name) for b in loaded_plan(version).plan.bonuses}


def _source_order(group: SourceGroup) -> tuple:
    """Largest amount first; named members before the outside and no-source groups; by name."""
    return (-group.total, group.key in (OUTSIDE, NO_SOURCE), group.name, group.key)


def group_lines(name: str, title: str, lines: list[LineView]) -> BonusSection:
    """The lines of one bonus grouped by level and by source (see the module's rules)."""
    by_level: dict[int, dict[str, SourceGroup]] = defaultdict(dict)
    for line in lines:
        groups = by_level[line.level]
        key = line.source_key
        group = groups.get(key)
        if group is None:
            group = groups[key] = SourceGroup(
                key=key,
                member_id=line.source_member_id,
                name=line.source_name,
                visible=line.source_visible,
                has_source=line.has_source,
            )
        group.lines.append(line)
        group.total += line.amount
        group.base += line.base
    levels = [
        LevelGroup(bonus=name, level=level, sources=sorted(groups.values(), key=_source_order))
        for level, groups in sorted(by_level.items())
    ]
    return BonusSection(name=name, title=title, levels=levels, lines=list(lines))


def show_whole_level(group: LevelGroup, budget: int = LEVEL_LINES_SHOWN) -> LevelGroup:
    """``group`` for its own page: every source listed, lines until ``budget`` is spent."""
    group.sources_shown = None
    left = budget
    for source in group.sources:
        source.lines_shown = max(0, min(source.count, left))
        left -= source.lines_shown
    return group


def _clawbacks(viewer: Distributor, period: Period) -> list[ClawbackView]:
    lines = clawback_lines(period, viewer)
    if not lines:
        return []
    claws = Clawback.objects.select_related(
        "return_order__returns_order", "original_run__period", "original_run__plan_version"
    ).in_bulk({line.clawback_id for line in lines})
    out: dict[int, ClawbackView] = {}
    for claw_id in dict.fromkeys(line.clawback_id for line in lines):
        claw = claws[claw_id]
        own = [line for line in lines if line.clawback_id == claw_id]
        views = _line_views(viewer, own, bonus_titles(claw.original_run))
        out[claw_id] = ClawbackView(
            return_number=claw.return_order.number,
            original_number=claw.return_order.returns_order.number
            if claw.return_order.returns_order_id
            else "",
            original_period=claw.original_run.period.code,
            amount=sum(line.amount for line in own),
            lines=views,
        )
    return list(out.values())


def _trace_parts(trace: dict, run: Run) -> tuple[list, list, list]:
    version = run.plan_version
    plan = loaded_plan(version).plan
    legs = {r.name: (r.legs.rank if r.legs is not None else None) for r in plan.ranks}
    ranks = [
        TraceRank(
            name=rank_label(version, entry["name"]),
            holds=entry["holds"],
            qualified=entry["qualified"],
            conditions=[
                {
                    "label": condition_label(c["name"], legs.get(entry["name"])),
                    "required": c["required"],
                    "actual": c["actual"],
                    "met": c["pass"],
                    "missing": missing_text(c["required"], c["actual"], c["pass"]),
                }
                for c in entry["conditions"]
            ],
        )
        for entry in trace.get("ranks", [])
    ]
    activity = [
        {
            "label": condition_label(c["name"]),
            "required": c["required"],
            "actual": c["actual"],
            "met": c["pass"],
            "missing": missing_text(c["required"], c["actual"], c["pass"]),
        }
        for c in trace.get("activity", {}).get("conditions", [])
    ]
    requirements = [
        {
            "bonus": bonus_label(version, name),
            "met": entry["met"],
            "conditions": [
                {
                    "label": condition_label(c["name"]),
                    "required": c["required"],
                    "actual": c["actual"],
                    "met": c["pass"],
                }
                for c in entry["conditions"]
            ],
        }
        for name, entry in trace.get("requirements", {}).items()
    ]
    return ranks, activity, requirements


def statement_for(viewer: Distributor, code: str) -> Statement | None:
    """The viewer's statement of period ``code`` (``None``: no final run, or no result), with
    every line, grouped by bonus, level and source."""
    run = final_run_of_code(code)
    if run is None:
        return None
    result = result_of(run, viewer)
    if result is None:
        return None
    version = run.plan_version
    names = rank_names(run)
    titles = bonus_titles(run)
    views = _line_views(viewer, run_lines(run, viewer), titles)
    by_bonus: dict[str, list[LineView]] = {name: [] for name in titles}
    for view in views:
        by_bonus.setdefault(view.bonus_name, []).append(view)
    sections = [
        group_lines(name, titles.get(name, name), own) for name, own in by_bonus.items() if own
    ]
    trace = trace_of(result)
    ranks, activity, requirements = _trace_parts(trace, run)
    next_rank = trace.get("next_rank") or {}
    next_name = next_rank.get("name")
    return Statement(
        member=viewer,
        period=run.period,
        run=run,
        result=result,
        currency=run.currency,
        digits=run.minor_digits,
        paid_as=rank_label(version, names[result.paid_as_rank]),
        highest=rank_label(version, names[result.highest_rank]),
        sections=sections,
        clawbacks=_clawbacks(viewer, run.period),
        trace=trace,
        ranks=ranks,
        activity=activity,
        next_rank=rank_label(version, next_name) if next_name else None,
        next_missing=[
            c
            for r, entry in zip(ranks, trace.get("ranks", []), strict=True)
            if entry["name"] == next_name
            for c in r.conditions
            if not c["met"]
        ],
        requirements=requirements,
    )


CSV_COLUMNS = (
    "period",
    "kind",
    "bonus",
    "level",
    "source",
    "order",
    "return",
    "base",
    "rate",
    "amount_before_cap",
    "amount",
    "currency",
)


def statement_csv(statement: Statement) -> str:
    """Every line of the statement and its clawbacks, ungrouped; bonuses by their plan name and
    amounts as locale-neutral decimals of the currency (machine-readable)."""
    out = io.StringIO()
    writer = FormulaSafeWriter(csv.writer(out, lineterminator="\n"))
    writer.writerow(CSV_COLUMNS)
    amount = statement.amount
    code, currency = statement.period.code, statement.currency
    for section in statement.sections:
        for line in section.lines:
            writer.writerow(
                [
                    code,
                    "commission",
                    section.name,
                    line.level,
                    line.source_member_id or "",
                    line.order_number or "",
                    "",
                    amount(line.base),
                    line.rate,
                    amount(line.amount_before_cap),
                    amount(line.amount),
                    currency,
                ]
            )
    for claw in statement.clawbacks:
        for line in claw.lines:
            writer.writerow(
                [
                    code,
                    "clawback",
                    line.bonus_name,
                    line.level,
                    line.source_member_id or "",
                    line.order_number or "",
                    claw.return_number,
                    amount(line.base),
                    line.rate,
                    amount(line.amount_before_cap),
                    amount(line.amount),
                    currency,
                ]
            )
    writer.writerow(
        [code, "total", "", "", "", "", "", "", "", "", amount(statement.result.earned), currency]
    )
    return out.getvalue()


def statement_pdf(html: str) -> bytes:
    """The statement page for print as PDF (WeasyPrint, as the income disclosure statement)."""
    from weasyprint import HTML

    return HTML(string=html).write_pdf()


def file_stem(statement: Statement) -> str:
    """``statement-<member id>-<period>``: ASCII, for the download's file name."""
    return f"statement-{statement.member.member_id}-{statement.period.code}"
