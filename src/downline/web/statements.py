"""A distributor's statements: what a period's final run paid them, line by line, with the
trace, the clawbacks, their wallet, ledger history and payouts; and the statement as CSV and PDF.

Rules:

* a statement exists for a period with a final run in which the distributor has a result;
  anyone else's statement, or a period without one, is not found (the views answer 404);
* a line names its source distributor only when that member is in the viewer's downline
  (enrollment or placement tree) or is the viewer; otherwise the source shows as "a member
  outside your team". The source order is shown by its order number;
* the clawbacks of a statement are the clawback lines that landed in that period, each with the
  return (order number) that caused it and the order and period it took back from;
* money is integer minor units of the run's currency, shown with ``format_decimal`` and the
  run's minor digits; rates as percentages (exact fractions, rounded down to 1/100 %);
* pages show at most ``LINES_SHOWN`` lines of a bonus (the CSV has every line, the PDF at most
  ``PDF_LINES``).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from django.db import connection

from downline.compensation.models import Clawback, Run, RunResult
from downline.compensation.plans import loaded_plan
from downline.compensation.reports import final_run_of_code, rank_names
from downline.compensation.selectors import (
    StatementLine,
    clawback_lines,
    result_of,
    run_lines,
    trace_of,
)
from downline.genealogy.models import Distributor
from downline.genealogy.tree_sql import TREES
from downline.money import format_decimal
from downline.orders.models import Order
from downline.periods.models import Period

from .projection_slot import condition_label, missing_text
from .selectors import _levels_below

LINES_SHOWN = 500
PDF_LINES = 2_000


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


@dataclass
class BonusSection:
    name: str
    title: str
    total: int = 0
    count: int = 0
    lines: list[LineView] = field(default_factory=list)

    @property
    def hidden(self) -> int:
        return self.count - len(self.lines)


@dataclass
class ClawbackView:
    return_number: str
    original_number: str
    original_period: str
    amount: int
    lines: list[LineView]


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

    def money(self, minor: int) -> str:
        return format_decimal(int(minor), self.digits)


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
    viewer: Distributor, lines: list[StatementLine], titles: dict[str, str], limit: int | None
) -> list[LineView]:
    chosen = lines if limit is None else lines[:limit]
    sources = {line.source_id for line in chosen if line.source_id is not None}
    visible = visible_sources(viewer, sources)
    members = Distributor.objects.only("id", "member_id", "name").in_bulk(list(visible))
    orders = dict(
        Order.objects.filter(
            pk__in={line.source_order_id for line in chosen if line.source_order_id}
        ).values_list("pk", "number")
    )
    out = []
    for line in chosen:
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
            )
        )
    return out


def bonus_titles(run: Run) -> dict[str, str]:
    return {b.name: (b.title or b.name) for b in loaded_plan(run.plan_version).plan.bonuses}


def _clawbacks(viewer: Distributor, period: Period, limit: int | None) -> list[ClawbackView]:
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
        views = _line_views(viewer, own, bonus_titles(claw.original_run), limit)
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
    plan = loaded_plan(run.plan_version).plan
    legs = {r.name: (r.legs.rank if r.legs is not None else None) for r in plan.ranks}
    ranks = [
        TraceRank(
            name=entry["name"],
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
    titles = {b.name: (b.title or b.name) for b in plan.bonuses}
    requirements = [
        {
            "bonus": titles.get(name, name),
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


def statement_for(
    viewer: Distributor, code: str, *, limit: int | None = LINES_SHOWN
) -> Statement | None:
    """The viewer's statement of period ``code`` (``None``: no final run, or no result)."""
    run = final_run_of_code(code)
    if run is None:
        return None
    result = result_of(run, viewer)
    if result is None:
        return None
    names = rank_names(run)
    titles = bonus_titles(run)
    lines = run_lines(run, viewer)
    sections: dict[str, BonusSection] = {
        name: BonusSection(name=name, title=title) for name, title in titles.items()
    }
    for line in lines:
        section = sections[line.bonus]
        section.total += line.amount
        section.count += 1
    for name, section in sections.items():
        own = [line for line in lines if line.bonus == name]
        section.lines = _line_views(viewer, own, titles, limit)
    trace = trace_of(result)
    ranks, activity, requirements = _trace_parts(trace, run)
    next_rank = trace.get("next_rank") or {}
    return Statement(
        member=viewer,
        period=run.period,
        run=run,
        result=result,
        currency=run.currency,
        digits=run.minor_digits,
        paid_as=names[result.paid_as_rank],
        highest=names[result.highest_rank],
        sections=[s for s in sections.values() if s.count],
        clawbacks=_clawbacks(viewer, run.period, limit),
        trace=trace,
        ranks=ranks,
        activity=activity,
        next_rank=next_rank.get("name"),
        next_missing=[
            c
            for r in ranks
            if r.name == next_rank.get("name")
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
    """Every line of the statement and its clawbacks; amounts as decimals of the currency."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    money = statement.money
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
                    money(line.base),
                    line.rate,
                    money(line.amount_before_cap),
                    money(line.amount),
                    currency,
                ]
            )
    for claw in statement.clawbacks:
        for line in claw.lines:
            writer.writerow(
                [
                    code,
                    "clawback",
                    line.bonus,
                    line.level,
                    line.source_member_id or "",
                    line.order_number or "",
                    claw.return_number,
                    money(line.base),
                    line.rate,
                    money(line.amount_before_cap),
                    money(line.amount),
                    currency,
                ]
            )
    writer.writerow(
        [code, "total", "", "", "", "", "", "", "", "", money(statement.result.earned), currency]
    )
    return out.getvalue()


def statement_pdf(html: str) -> bytes:
    """The statement page for print as PDF (WeasyPrint, as the income disclosure statement)."""
    from weasyprint import HTML

    return HTML(string=html).write_pdf()


def file_stem(statement: Statement) -> str:
    """``statement-<member id>-<period>``: ASCII, for the download's file name."""
    return f"statement-{statement.member.member_id}-{statement.period.code}"
